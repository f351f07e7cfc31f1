// dataset_fuzz.cc: libFuzzer target for the dataset path, the bytes of a
// C-STORE or C-FIND dataset as a peer sends them: the nesting check
// (nesting.h), then, when it lets them through, DCMTK's parser as
// receive.cc drives it, then what the services do with the result (the
// getters mux and mockpacs call, the Part 10 encoding mux spools and the
// parse that reads the spool file back).
//
// Input: one selector byte, then the dataset's bytes.
//   selector & 3         the transfer syntax: Implicit VR LE, Explicit VR
//                        LE, Explicit VR BE, Deflated Explicit VR LE;
//   selector >> 2 & 31   how the bytes are cut into PDVs (split_sizes);
//   selector & 0x80      an empty last PDV follows them.
//
// Oracles, besides ASan/UBSan and leaks:
//  - the check comes to the same verdict, and finds the bytes end between
//    elements or not, however the bytes are cut (the peer chooses the
//    PDVs): in one PDV, as the selector says, byte by byte; except that
//    cuts where DCMTK could not resume are refused (consistent());
//  - DCMTK makes of the PDVs the check let through what it makes of the
//    same bytes in one PDV (same_as_one_pdv());
//  - DCMTK never nests deeper than the check allowed (depth_guard.h),
//    neither parsing what was received nor reading the spool file back;
//  - a dataset taken as whole accounts for no more bytes than were sent
//    (value_bytes.h);
//  - a dataset that was received and encoded reads back (mux acknowledges
//    an instance once it is spooled: one that cannot be read is lost).
#include "depth_guard.h"
#include "internal.h"
#include "nesting.h"
#include "target_init.h"
#include "value_bytes.h"

#include <dcmtk/dcmdata/dcistrmb.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <string>

namespace {

const unsigned max_depth = 6; // small, so that the fuzzer reaches past it

const E_TransferSyntax syntaxes[] = {EXS_LittleEndianImplicit, EXS_LittleEndianExplicit, EXS_BigEndianExplicit,
                                     EXS_DeflatedLittleEndianExplicit};

// PDV sizes (even: receive.cc refuses odd ones before the check); 0: one PDV.
const size_t split_sizes[] = {0,  2,  4,  6,  8,  10, 12, 14,  16,  18,  20,  24,  26,  32,  34,   40,
                              48, 50, 62, 64, 66, 96, 98, 100, 128, 200, 256, 510, 512, 1024, 2048, 4096};

struct Input {
    E_TransferSyntax ts;
    size_t split;
    bool empty_last; // the bytes, then an empty last PDV
    const uint8_t *bytes;
    size_t n;
};

// The PDVs of in, cut `split` bytes at a time (0: the whole): calls
// take(bytes, n, last) for each until it returns false.
template <typename Take>
void each_pdv(const Input &in, size_t split, Take &&take)
{
    if (!split)
        split = in.n ? in.n : 1;
    size_t at = 0;
    do {
        size_t k = in.n - at < split ? in.n - at : split;
        bool last = at + k == in.n && !in.empty_last;
        if (!take(in.bytes + at, k, last))
            return;
        at += k;
    } while (at < in.n);
    if (in.empty_last)
        take(in.bytes + at, 0, true);
}

struct Scan {
    Nesting verdict;
    bool whole; // ends between elements
};

// The check, with the bytes in PDVs of `split` bytes (0: one PDV).
Scan scan(const Input &in, size_t split)
{
    DatasetScan scan(in.ts, max_depth);
    Nesting verdict = Nesting::ok;
    each_pdv(in, split, [&](const uint8_t *p, size_t k, bool last) {
        verdict = scan.feed(p, k, last);
        return verdict == Nesting::ok;
    });
    return {verdict, scan.between_elements()};
}

const char *name(Nesting v)
{
    return v == Nesting::ok ? "ok" : v == Nesting::too_deep ? "too deep" : "malformed";
}

// Cutting the bytes into PDVs may refuse what one PDV lets through (where
// DCMTK could not resume: NestingScan::resumable), never the reverse, and
// what both let through ends the same. A deflated dataset that does not
// inflate is refused, but may be found too deep first on some cuts: what
// of it the check sees before zlib fails depends on them.
bool consistent(const Input &in, const Scan &one, const Scan &cut)
{
    if (one.verdict == Nesting::ok)
        return cut.verdict == Nesting::malformed || (cut.verdict == Nesting::ok && cut.whole == one.whole);
    if (cut.verdict == Nesting::ok)
        return false;
    return cut.verdict == one.verdict || cut.verdict == Nesting::malformed ||
           in.ts == EXS_DeflatedLittleEndianExplicit;
}

// The check's result on the selected cut, consistent with one PDV and
// with PDVs of one byte; aborts when not.
Scan checked_scan(const Input &in)
{
    Scan one = scan(in, 0), cut = scan(in, in.split), bytewise = scan(in, 1);
    if (!consistent(in, one, cut) || !consistent(in, one, bytewise)) {
        fprintf(stderr, "dataset_fuzz: the nesting check depends on the PDVs: one PDV %s/%d, cut by %zu %s/%d, "
                        "byte by byte %s/%d (%s)\n", name(one.verdict), one.whole, in.split, name(cut.verdict),
                cut.whole, name(bytewise.verdict), bytewise.whole, DcmXfer(in.ts).getXferName());
        abort();
    }
    return cut;
}

// DCMTK's parse, in PDVs of `split` bytes (0: one), as receive.cc's take()
// does it; whole: the check found the bytes end between elements. True:
// taken as whole.
bool parse(const Input &in, size_t split, bool whole, DcmDataset &ds)
{
    DcmInputBufferStream stream;
    OFCondition cond = EC_Normal;
    ds.transferInit();
    each_pdv(in, split, [&](const uint8_t *p, size_t k, bool last) {
        stream.releaseBuffer();
        if (k)
            stream.setBuffer(p, (offile_off_t)k);
        if (last)
            stream.setEos();
        cond = ds.read(stream, in.ts);
        return cond == EC_Normal || cond == EC_StreamNotifyClient;
    });
    ds.transferEnd();
    return cond == EC_Normal && whole;
}

std::string printed(DcmDataset &ds)
{
    std::ostringstream out;
    ds.print(out);
    return out.str();
}

// What DCMTK made of the PDVs the check let through is what it makes of
// the same bytes in one PDV: else it lost its place between PDVs, and
// read bytes the check took for something else.
void same_as_one_pdv(const Input &in, bool whole, DcmDataset &cut)
{
    DcmDataset one;
    if (parse(in, 0, whole, one) && printed(one) == printed(cut))
        return;
    fprintf(stderr, "dataset_fuzz: DCMTK parsed the PDVs of %zu bytes unlike one PDV (%s)\n", in.split,
            DcmXfer(in.ts).getXferName());
    abort();
}

int count_element(uint32_t, const char *vr, const char *value, void *ud)
{
    *static_cast<size_t *>(ud) += strlen(vr) + (value ? strlen(value) : 0);
    return 0;
}

// What mux and mockpacs ask of a received dataset.
void use(cirr_dicom_dataset *ds)
{
    static const uint32_t tags[] = {CIRR_TAG_SOP_CLASS_UID, CIRR_TAG_SOP_INSTANCE_UID, CIRR_TAG_MODALITY,
                                    CIRR_TAG_PATIENT_NAME, CIRR_TAG_STUDY_DATE, CIRR_TAG_STUDY_INSTANCE_UID};
    char value[256];
    for (uint32_t tag : tags)
        if (cirr_dicom_get_string(ds, tag, value, sizeof value) == CIRR_DICOM_OK && strlen(value) >= sizeof value)
            abort();
    size_t total = 0;
    cirr_dicom_iterate(ds, count_element, &total);
    cirr_dicom_has(ds, CIRR_TAG_PATIENT_ID);
}

// mux spools what it acknowledges as a Part 10 file in the received
// transfer syntax, and reads it back to forward it: it must read back.
void spool_and_read_back(cirr_dicom_dataset *ds, E_TransferSyntax ts)
{
    void *buf = nullptr;
    size_t len = 0;
    if (cirr_dicom_dataset_encode(ds, DcmXfer(ts).getXferID(), &buf, &len) != CIRR_DICOM_OK)
        return; // refused before acknowledging: no loss
    DcmFileFormat file;
    DcmInputBufferStream stream;
    stream.setBuffer(buf, (offile_off_t)len);
    stream.setEos();
    file.transferInit();
    OFCondition cond = file.read(stream, EXS_Unknown);
    file.transferEnd();
    free(buf);
    if (cond.bad()) {
        fprintf(stderr, "dataset_fuzz: an encoded dataset (%s, %zu bytes) does not read back: %s\n",
                DcmXfer(ts).getXferName(), len, cond.text());
        abort();
    }
}

} // namespace

FUZZ_TARGET_INIT("dataset_fuzz")

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return -1;
    Input in = {syntaxes[data[0] & 3], split_sizes[data[0] >> 2 & 31], (data[0] & 0x80) != 0, data + 1, size - 1};
    Scan check = checked_scan(in);
    if (check.verdict != Nesting::ok)
        return 0;
    depth_guard_limit(max_depth);
    DcmDataset dataset;
    if (parse(in, in.split, check.whole, dataset)) {
        same_as_one_pdv(in, check.whole, dataset);
        if (in.ts != EXS_DeflatedLittleEndianExplicit) // inflated, it may well be larger
            value_bytes_check(dataset, in.n, "dataset_fuzz");
        cirr_dicom_dataset ds = cirr_dicom_wrap(&dataset);
        use(&ds);
        spool_and_read_back(&ds, in.ts);
    }
    depth_guard_limit(0);
    return 0;
}
