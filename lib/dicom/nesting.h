// nesting.h: how deeply sequences nest in an encoded dataset or command,
// found by a streaming scanner that never recurses, over the bytes as they
// arrive and before DCMTK's parser (which recurses once per sequence level
// and so overflows the thread's stack on a few thousand levels) sees them.
//
// The scanner follows DCMTK's reading rules (dcitem.cc, dcsequen.cc) where
// they decide what nests: SQ, and UN or unknown VRs of undefined length
// (read as sequences, their content in Implicit VR Little Endian, CP-246),
// nest; Pixel Data and other OB/OW of undefined length hold fragments,
// which it skips unread. In Implicit VR a private element's VR is what
// DCMTK looks up for it: by its private creator (the value of the item's
// (gggg,00xx) element, as DCMTK takes it, if that came before in tag order)
// in the data dictionary. DCMTK never looks at a value to choose its VR,
// nor does the scanner. It counts at least every level DCMTK would recurse
// into: an encoding it cannot follow is "malformed", never passed on
// unchecked; so are DCMTK reading options other than those it follows
// (dcobject.h's globals at their defaults).
#ifndef CIRR_DICOM_NESTING_H
#define CIRR_DICOM_NESTING_H

#include "internal.h"

#include <dcmtk/dcmdata/dcistrmb.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

enum class Nesting { ok, too_deep, malformed };

class NestingScan {
public:
    // ts: the encoding (explicit or implicit VR, byte order; not deflated:
    // see DatasetScan); max_depth: sequences open at once.
    NestingScan(E_TransferSyntax ts, unsigned max_depth);
    // Scan the next n bytes of the stream; the verdict so far.
    Nesting feed(const uint8_t *bytes, size_t n);
    Nesting verdict() const { return verdict_; }
    // The bytes so far end between elements: not inside a header, nor a
    // value (DCMTK takes a dataset or command that ends inside one as
    // whole, the value's bytes that never came left uninitialised).
    bool between_elements() const { return !have_ && !skip_; }
    // DCMTK, given the bytes so far, can take up the next ones where it
    // stopped. It cannot inside an element out of tag order in its item
    // (a repeated tag included): it resumes the last element in tag order
    // instead (DcmItem::insert leaves the list there), which is whole, and
    // reads on in the middle of the other's value, as elements this
    // scanner never saw. Ask at the end of each PDV but the last.
    bool resumable() const { return !misplaced_open_ && !(skip_ && skip_misplaced_); }
    // Remember the first value of a top-level US element (a command's
    // Command Field or Command Data Set Type); at most two.
    void watch(uint32_t tag);
    // Its value, or -1 when not seen (yet).
    long watched(uint32_t tag) const;

private:
    enum Kind : uint8_t { elements, items, fragments };
    struct Level {
        uint64_t end; // stream offset where a defined length ends; UINT64_MAX: undefined
        Kind kind;
        bool explicit_vr, big_endian;
        bool misplaced = false; // opened by an element out of tag order in its item
        bool tagged = false;    // elements: last_tag is the largest tag so far
        uint32_t last_tag = 0;
        size_t creators_from = 0; // elements: its private creators are creators_[creators_from..]
    };
    // A private creator of the item being read: DCMTK's private tag cache.
    struct Creator {
        uint32_t block; // group << 16 | xx, for elements (gggg,xxyy)
        std::string name;
    };
    struct Watch {
        uint32_t tag;
        long value;
    };

    unsigned header_length() const;
    void decode_header();
    void decode_item(uint32_t tag, uint32_t length);
    void decode_element(uint32_t tag);
    void classify(uint32_t tag, DcmEVR vr, uint32_t length, unsigned header);
    DcmEVR implicit_vr(uint32_t tag) const;
    void note_creator(uint32_t tag, uint32_t length, bool out_of_order);
    void commit_creator();
    bool misplaced(uint32_t tag);
    void open(Kind kind, uint32_t length, bool explicit_vr, bool big_endian, bool misplaced = false);
    void close();
    void close_finished();
    void consume(unsigned n);
    void skip_value(const uint8_t *bytes, size_t n);
    uint16_t u16(unsigned at) const;
    uint32_t u32(unsigned at) const;
    uint32_t tag_at(unsigned at) const { return (uint32_t)u16(at) << 16 | u16(at + 2); }

    std::vector<Level> levels_;
    unsigned max_depth_, sequences_ = 0;
    uint64_t pos_ = 0;  // stream offset of the first byte in hdr_
    uint64_t skip_ = 0; // value bytes still to skip
    bool skip_misplaced_ = false; // of an element out of tag order
    unsigned misplaced_open_ = 0; // levels open with misplaced set
    uint8_t hdr_[16];
    unsigned have_ = 0;
    Watch watch_[2] = {{0, -1}, {0, -1}};
    int capturing_ = -1; // index in watch_ of the value being skipped
    unsigned captured_ = 0;
    std::vector<Creator> creators_; // of the items open, innermost last, each in tag order
    std::string creator_value_;     // of the creator element being skipped, when creator_pending_
    uint32_t creator_tag_ = 0;
    bool creator_pending_ = false;
    Nesting verdict_ = Nesting::ok;
};

// NestingScan for a dataset in its transfer syntax, inflating a deflated
// one first (with DCMTK's own zlib filter, as its parser will).
class DatasetScan {
public:
    DatasetScan(E_TransferSyntax ts, unsigned max_depth);
    ~DatasetScan();
    // The next PDV of the stream; last: no more follow. Not last, it must
    // leave DCMTK able to resume (NestingScan::resumable).
    Nesting feed(const void *bytes, size_t n, bool last);
    bool between_elements() const { return scan_.between_elements(); }

private:
    Nesting inflate_and_feed(const void *bytes, size_t n, bool last);

    NestingScan scan_;
    bool deflated_;
    bool unresumable_ = false; // a PDV ended where DCMTK cannot resume
    std::unique_ptr<DcmInputBufferStream> inflate_; // null unless deflated (and inflatable)
};

#endif
