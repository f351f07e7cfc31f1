// nesting.cc: the streaming nesting scanner (see nesting.h).
#include "nesting.h"

#include <algorithm>
#include <atomic>
#include <cstring>

namespace {

const uint32_t undefined_length = 0xffffffff;
const uint32_t item_tag = 0xfffee000, item_end_tag = 0xfffee00d, sequence_end_tag = 0xfffee0dd;
const uint32_t pixel_data_tag = 0x7fe00010;

// A private creator's value longer than this is refused: no LO value is
// (64 characters, of up to 4 bytes each), and the scanner keeps it whole.
const uint32_t creator_max_bytes = 1024;

// Items and delimiters have no VR, even in an explicit VR encoding.
bool is_delimiter(uint32_t tag)
{
    return tag == item_tag || tag == item_end_tag || tag == sequence_end_tag;
}

// (gggg,0010) to (gggg,00ff), gggg odd: reserves the block (gggg,xx00) to
// (gggg,xxff) for the private creator its value names.
bool is_creator(uint32_t tag)
{
    return (tag & 0x10000) && (tag & 0xffff) >= 0x10 && (tag & 0xffff) <= 0xff;
}

// The block of a private element (gggg,xxyy), xx >= 0x10, as its creator's
// tag (gggg,00xx) names it.
uint32_t private_block(uint32_t tag)
{
    return (tag & 0xffff0000) | (tag >> 8 & 0xff);
}

// The VR DCMTK reads for an explicit VR element's two-byte name, and
// whether its length takes 4 bytes: DcmVR's answer, kept per name.
// DcmVR(name) searches DCMTK's VR table with strncmp, and the scanner
// asks once per element header (4% of the bridge's CPU relaying small
// instances); the answer depends on the two bytes alone.
struct ExplicitVr {
    DcmEVR evr;
    bool extended;
};

ExplicitVr explicit_vr(uint8_t first, uint8_t second)
{
    static std::atomic<uint16_t> known[1 << 16]; // 0: not asked yet; else the EVR + 1, 0x8000: extended
    std::atomic<uint16_t> &k = known[first << 8 | second];
    uint16_t v = k.load(std::memory_order_relaxed);
    if (!v) {
        const char name[3] = {(char)first, (char)second, 0};
        DcmVR vr(name);
        v = (uint16_t)((vr.getEVR() + 1) | (vr.usesExtendedLengthEncoding() ? 0x8000 : 0));
        k.store(v, std::memory_order_relaxed);
    }
    return {(DcmEVR)((v & 0x7fff) - 1), (v & 0x8000) != 0};
}

// DCMTK's reading options this scanner follows: each as dcobject.cc and
// dcvr.cc set it. Any other changes what nests or how (a VR from the
// dictionary, a VOI LUT or an OB/OW read as a sequence, bytes skipped).
bool reading_options_followed()
{
    return dcmEnableCP246Support.get() && !dcmAutoDetectDatasetXfer.get() &&
           !dcmAcceptUnexpectedImplicitEncoding.get() && !dcmPreferVRFromDataDictionary.get() &&
           !dcmPreferLengthFieldSizeFromDataDictionary.get() && !dcmReadImplPrivAttribMaxLengthAsSQ.get() &&
           !dcmIgnoreParsingErrors.get() && !dcmReplaceWrongDelimitationItem.get() &&
           !dcmConvertUndefinedLengthOBOWtoSQ.get() && !dcmConvertVOILUTSequenceOWtoSQ.get() &&
           !dcmEnableUnknownVRConversion.get();
}

// The private creator DCMTK caches for the element `tag` whose value
// (Implicit VR) is `value`: DCMTK's own reading of that one element, then
// what DcmPrivateTagCache::updateCache takes of it (its getString, which
// drops padding as DCMTK's options say). False: DCMTK caches none.
bool creator_name(uint32_t tag, const std::string &value, bool big_endian, std::string *name)
{
    std::string element;
    auto put = [&](uint32_t v, int bytes) {
        for (int i = 0; i < bytes; i++)
            element += (char)(v >> 8 * (big_endian ? bytes - 1 - i : i));
    };
    put(tag >> 16, 2), put(tag & 0xffff, 2), put((uint32_t)value.size(), 4);
    element += value;
    DcmInputBufferStream stream;
    stream.setBuffer(element.data(), (offile_off_t)element.size());
    stream.setEos();
    DcmDataset item;
    item.transferInit();
    OFCondition cond = item.read(stream, big_endian ? EXS_BigEndianImplicit : EXS_LittleEndianImplicit);
    item.transferEnd();
    DcmElement *read = item.getElement(0);
    char *text = nullptr;
    if (cond.bad() || !read || !read->isLeaf() || read->getString(text).bad() || !text)
        return false;
    *name = text;
    return true;
}

} // namespace

NestingScan::NestingScan(E_TransferSyntax ts, unsigned max_depth) : max_depth_(max_depth)
{
    DcmXfer xfer(ts);
    levels_.reserve(2 * (size_t)max_depth + 2); // each sequence level and its item
    levels_.push_back({UINT64_MAX, elements, xfer.isExplicitVR() == OFTrue,
                       xfer.getByteOrder() == EBO_BigEndian});
    if (!reading_options_followed())
        verdict_ = Nesting::malformed;
}

void NestingScan::watch(uint32_t tag)
{
    for (Watch &w : watch_)
        if (!w.tag) {
            w.tag = tag;
            return;
        }
}

long NestingScan::watched(uint32_t tag) const
{
    for (const Watch &w : watch_)
        if (w.tag == tag)
            return w.value;
    return -1;
}

uint16_t NestingScan::u16(unsigned at) const
{
    return levels_.back().big_endian ? (uint16_t)(hdr_[at] << 8 | hdr_[at + 1])
                                     : (uint16_t)(hdr_[at + 1] << 8 | hdr_[at]);
}

uint32_t NestingScan::u32(unsigned at) const
{
    return levels_.back().big_endian ? (uint32_t)u16(at) << 16 | u16(at + 2)
                                     : (uint32_t)u16(at + 2) << 16 | u16(at);
}

Nesting NestingScan::feed(const uint8_t *bytes, size_t n)
{
    while (verdict_ == Nesting::ok) {
        if (!skip_ && creator_pending_) {
            commit_creator();
        } else if (skip_) {
            if (!n)
                break;
            size_t k = (size_t)std::min<uint64_t>(skip_, n);
            skip_value(bytes, k);
            pos_ += k, bytes += k, n -= k, skip_ -= k;
        } else {
            close_finished();
            unsigned need = header_length();
            if (have_ >= need) {
                decode_header();
                continue;
            }
            if (!n)
                break;
            size_t k = std::min<size_t>(need - have_, n);
            memcpy(hdr_ + have_, bytes, k);
            have_ += (unsigned)k, bytes += k, n -= k;
        }
    }
    return verdict_;
}

// How many bytes the header starting in hdr_ takes, as far as what is
// there tells (an explicit VR header: 4, then 6, then 8 or 12).
unsigned NestingScan::header_length() const
{
    const Level &l = levels_.back();
    if (l.kind != elements || !l.explicit_vr)
        return 8;
    if (have_ < 4)
        return 4;
    if (is_delimiter(tag_at(0)))
        return 8;
    if (have_ < 6)
        return 6;
    return explicit_vr(hdr_[4], hdr_[5]).extended ? 12 : 8;
}

// Implicit VR: the VR DCMTK gives the element (DcmItem::readTagAndLength):
// the data dictionary's, for a private element (gggg,xxyy), xx >= 0x10,
// looked up with the creator of its block when the item has one.
DcmEVR NestingScan::implicit_vr(uint32_t tag) const
{
    DcmTag dcm((Uint16)(tag >> 16), (Uint16)tag);
    if (!(tag & 0x10000) || (tag & 0xffff) < 0x1000)
        return dcm.getEVR();
    auto first = creators_.begin() + (std::ptrdiff_t)levels_.back().creators_from;
    auto found = std::lower_bound(first, creators_.end(), private_block(tag),
                                  [](const Creator &c, uint32_t block) { return c.block < block; });
    if (found != creators_.end() && found->block == private_block(tag)) {
        dcm.setPrivateCreator(found->name.c_str());
        dcm.lookupVRinDictionary();
    }
    return dcm.getEVR();
}

// An Implicit VR item's private creator element, its value `length` bytes
// to skip: keep them, for commit_creator(). DCMTK caches a creator when
// it has read its element and its list's cursor is there; out of tag
// order (or repeated), the cursor is elsewhere and it caches another
// element's value, or none: refused rather than followed.
void NestingScan::note_creator(uint32_t tag, uint32_t length, bool out_of_order)
{
    if (out_of_order || length > creator_max_bytes) {
        verdict_ = Nesting::malformed;
        return;
    }
    creator_tag_ = tag;
    creator_value_.clear();
    creator_pending_ = length > 0; // empty: DCMTK caches none
}

// The creator element's value is all there: cache the creator (in tag
// order, so creators_ stays sorted by block within the item).
void NestingScan::commit_creator()
{
    creator_pending_ = false;
    std::string name;
    if (creator_name(creator_tag_, creator_value_, levels_.back().big_endian, &name))
        creators_.push_back({(creator_tag_ & 0xffff0000) | (creator_tag_ & 0xff), name});
}

void NestingScan::decode_header()
{
    if (levels_.back().kind == elements)
        decode_element(tag_at(0));
    else
        decode_item(tag_at(0), u32(4));
}

// In a sequence: an item opens, or the sequence ends. Among fragments
// (encapsulated pixel data) an item is bytes to skip.
void NestingScan::decode_item(uint32_t tag, uint32_t length)
{
    consume(8);
    const Level top = levels_.back();
    if (tag == item_tag && top.kind == fragments && length != undefined_length)
        skip_ = length, skip_misplaced_ = false;
    else if (tag == item_tag && top.kind == items)
        open(elements, length, top.explicit_vr, top.big_endian);
    else if (tag == sequence_end_tag) // DCMTK ends a sequence on it whatever its length
        close();
    else
        verdict_ = Nesting::malformed;
}

void NestingScan::decode_element(uint32_t tag)
{
    const Level top = levels_.back();
    if (tag == item_end_tag) { // ends the item it is in
        consume(8);
        if (levels_.size() == 1)
            verdict_ = Nesting::malformed;
        else
            close();
        return;
    }
    if (tag == item_tag || tag == sequence_end_tag) {
        verdict_ = Nesting::malformed;
        return;
    }
    if (!top.explicit_vr) {
        classify(tag, implicit_vr(tag), u32(4), 8);
        return;
    }
    ExplicitVr vr = explicit_vr(hdr_[4], hdr_[5]);
    if (tag == pixel_data_tag && hdr_[4] == 'O' && hdr_[5] == 'X')
        vr = {EVR_OW, DcmVR(EVR_OW).usesExtendedLengthEncoding()}; // DCMTK's workaround for a known wrong VR
    classify(tag, vr.evr, vr.extended ? u32(8) : u16(6), vr.extended ? 12 : 8);
}

// What the element whose header takes `header` bytes holds: a sequence,
// fragments, or a value to skip (captured when watched).
void NestingScan::classify(uint32_t tag, DcmEVR vr, uint32_t length, unsigned header)
{
    bool out_of_order = misplaced(tag);
    const Level top = levels_.back();
    consume(header);
    bool undefined = length == undefined_length;
    if (vr == EVR_SQ) {
        open(items, length, top.explicit_vr, top.big_endian, out_of_order);
    } else if (undefined && (vr == EVR_UN || vr == EVR_UNKNOWN || vr == EVR_UNKNOWN2B)) {
        open(items, length, false, false, out_of_order); // CP-246: read in Implicit VR Little Endian
    } else if (undefined && (tag == pixel_data_tag || vr == EVR_OB || vr == EVR_OW || vr == EVR_ox ||
                             vr == EVR_px)) {
        open(fragments, length, top.explicit_vr, top.big_endian, out_of_order);
    } else if (undefined) {
        verdict_ = Nesting::malformed; // a value DCMTK cannot read either
    } else {
        skip_ = length, skip_misplaced_ = out_of_order;
        if (!top.explicit_vr && is_creator(tag))
            note_creator(tag, length, out_of_order);
        for (int i = 0; i < 2 && levels_.size() == 1 && length >= 2; i++)
            if (watch_[i].tag == tag && watch_[i].value < 0)
                capturing_ = i, captured_ = 0;
    }
}

// Whether an element with this tag comes out of tag order in its item
// (DCMTK sorts it in: see resumable()).
bool NestingScan::misplaced(uint32_t tag)
{
    Level &item = levels_.back();
    if (item.tagged && tag <= item.last_tag)
        return true;
    item.tagged = true, item.last_tag = tag;
    return false;
}

void NestingScan::open(Kind kind, uint32_t length, bool explicit_vr, bool big_endian, bool misplaced)
{
    if (kind != elements && sequences_++ >= max_depth_) {
        verdict_ = Nesting::too_deep;
        return;
    }
    levels_.push_back({length == undefined_length ? UINT64_MAX : pos_ + length, kind, explicit_vr, big_endian});
    levels_.back().misplaced = misplaced;
    levels_.back().creators_from = creators_.size();
    misplaced_open_ += misplaced;
}

void NestingScan::close()
{
    if (levels_.size() == 1)
        return;
    if (levels_.back().kind != elements)
        sequences_--;
    misplaced_open_ -= levels_.back().misplaced;
    creators_.resize(levels_.back().creators_from);
    levels_.pop_back();
}

// Defined lengths end where DCMTK ends them: at the first header boundary
// at or past their end (a value that overruns its item ends it after).
void NestingScan::close_finished()
{
    while (levels_.size() > 1 && levels_.back().end != UINT64_MAX && pos_ >= levels_.back().end)
        close();
}

void NestingScan::consume(unsigned n)
{
    pos_ += n;
    memmove(hdr_, hdr_ + n, have_ - n);
    have_ -= n;
}

void NestingScan::skip_value(const uint8_t *bytes, size_t n)
{
    if (creator_pending_)
        creator_value_.append(reinterpret_cast<const char *>(bytes), n);
    for (size_t i = 0; capturing_ >= 0 && i < n; i++) {
        Watch &w = watch_[capturing_];
        w.value = captured_ == 0 ? bytes[i] : (w.value | bytes[i] << 8); // commands: little endian
        if (++captured_ == 2)
            capturing_ = -1;
    }
}

DatasetScan::DatasetScan(E_TransferSyntax ts, unsigned max_depth)
    : scan_(DcmXfer(ts).getStreamCompression() == ESC_none ? ts : EXS_LittleEndianExplicit, max_depth)
{
    E_StreamCompression compression = DcmXfer(ts).getStreamCompression();
    if (compression != ESC_none) {
        inflate_.reset(new DcmInputBufferStream);
        if (inflate_->installCompressionFilter(compression).bad())
            inflate_.reset(); // DCMTK cannot read it either; feed() says so
    }
    deflated_ = compression != ESC_none;
}

DatasetScan::~DatasetScan() = default;

Nesting DatasetScan::feed(const void *bytes, size_t n, bool last)
{
    Nesting verdict = deflated_ ? inflate_and_feed(bytes, n, last)
                                : scan_.feed(static_cast<const uint8_t *>(bytes), n);
    if (verdict == Nesting::ok && !last && !scan_.resumable())
        unresumable_ = true;
    return unresumable_ ? Nesting::malformed : verdict;
}

Nesting DatasetScan::inflate_and_feed(const void *bytes, size_t n, bool last)
{
    if (!inflate_)
        return Nesting::malformed;
    inflate_->setBuffer(bytes, (offile_off_t)n);
    if (last)
        inflate_->setEos();
    uint8_t out[16384];
    offile_off_t k;
    while (scan_.verdict() == Nesting::ok && (k = inflate_->read(out, sizeof out)) > 0)
        scan_.feed(out, (size_t)k);
    inflate_->releaseBuffer();
    // Once zlib fails, DCMTK's inflater drops the output it still holds,
    // more or less of it as its reads and the input fell: DCMTK's parser
    // could then see bytes this check did not. Refuse what does not inflate.
    if (inflate_->status().bad()) {
        inflate_.reset();
        return Nesting::malformed;
    }
    return scan_.verdict();
}
