// pdu_watch_fuzz.cc: libFuzzer target for PduWatch (pdu_watch.h), which
// follows every byte a peer sends an SCP before DCMTK reads it: PDUs,
// their PDVs, and the nesting of each command. The whole SCP (scp_fuzz.cc)
// feeds it too, but only in the pieces DCMTK happens to read; here the
// pieces are the fuzzer's, and it runs many times faster.
//
// Input: one selector byte, then the bytes as they come off the socket.
// The selector chooses the size of the reads (read_sizes).
//
// Oracles, besides ASan/UBSan:
//  - the watch comes to the same verdict, and when it lets the peer on to
//    the same state, however the bytes are cut into reads (the peer, or
//    TCP, chooses the cuts): at once, in the selected reads, byte by byte;
//  - each command the watch lets through, parsed by DCMTK as DIMSE does
//    (DIMSE_receiveCommand: its PDVs into one Implicit VR LE dataset),
//    stays within the nesting limit (depth_guard.h) and, when taken as
//    whole, accounts for no more bytes than it was sent (value_bytes.h).
//    Which PDVs make a command follows DCMTK and scp.cc: the first PDV
//    where a command is due and the command PDVs after it up to the last;
//    the dataset of a C-STORE, C-FIND, C-MOVE or C-GET request is then
//    the SCP's (receive.cc), and anything unexpected ends the association.
#include "depth_guard.h"
#include "pdu_watch.h"
#include "target_init.h"
#include "value_bytes.h"

#include <dcmtk/dcmdata/dcistrmb.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

namespace {

const unsigned max_depth = 6;

const size_t read_sizes[] = {0, 1, 2, 3, 5, 6, 7, 8, 11, 12, 13, 16, 64, 100, 1000, 4096};

// ---- the watch, however the bytes are read ----------------------------------

struct Outcome {
    bool ok, request_done, in_message;
    uint64_t message_bytes;
    const char *why;
};

Outcome follow(const uint8_t *bytes, size_t n, size_t read_size)
{
    PduWatch watch(max_depth);
    bool ok = true;
    if (!read_size)
        read_size = n ? n : 1;
    for (size_t at = 0; at < n && ok; at += read_size)
        ok = watch.feed(bytes + at, n - at < read_size ? n - at : read_size, 0);
    return {ok, watch.request_done(), watch.in_message(), watch.message_bytes(), watch.why()};
}

// The same verdict; and, when the peer is not cut off (after that the
// rest of the state is of no use), the same state.
bool same(const Outcome &a, const Outcome &b)
{
    if (a.ok != b.ok || (a.why != b.why && (!a.why || !b.why || strcmp(a.why, b.why))))
        return false;
    return !a.ok || (a.request_done == b.request_done && a.in_message == b.in_message &&
                     a.message_bytes == b.message_bytes);
}

void report(const char *how, const Outcome &o)
{
    fprintf(stderr, "  %-12s ok %d, request done %d, in a message %d, message bytes %llu, why: %s\n", how, o.ok,
            o.request_done, o.in_message, (unsigned long long)o.message_bytes, o.why ? o.why : "-");
}

void same_however_read(const uint8_t *bytes, size_t n, size_t read_size)
{
    Outcome whole = follow(bytes, n, 0), cut = follow(bytes, n, read_size), bytewise = follow(bytes, n, 1);
    if (same(whole, cut) && same(whole, bytewise))
        return;
    fprintf(stderr, "pdu_watch_fuzz: the watch's state depends on how the bytes are read:\n");
    report("at once", whole);
    report("in reads", cut);
    report("bytewise", bytewise);
    abort();
}

// ---- the commands DCMTK parses behind the watch ------------------------------

uint32_t big_endian_u32(const uint8_t *p) { return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3]; }

struct Pdv {
    const uint8_t *data;
    size_t n;
    bool command, last;
};

// The PDVs of a P-DATA-TF body, or false when DCMTK refuses the PDU.
bool pdvs_of(const uint8_t *body, size_t n, std::vector<Pdv> &out)
{
    out.clear();
    for (size_t at = 0; at < n;) {
        if (n - at < 6)
            return false;
        uint32_t length = big_endian_u32(body + at);
        if (length < 2 || length > n - at - 4)
            return false;
        out.push_back({body + at + 6, length - 2u, (body[at + 5] & 1) != 0, (body[at + 5] & 2) != 0});
        at += 4 + length;
    }
    return true;
}

// DCMTK's side of one association, PDV by PDV, as scp.cc drives it.
class Dimse {
public:
    // False: the association is over (DCMTK failed, or it would).
    bool take(const Pdv &pdv);

private:
    bool command_part(const Pdv &pdv);
    void command_done();

    enum { command_due, in_command, in_dataset } state_ = command_due;
    std::unique_ptr<DcmDataset> command_; // a new one for each, as DIMSE makes
    DcmInputBufferStream stream_;
    size_t command_bytes_ = 0;
    bool command_was_dataset_ = false;
};

bool Dimse::take(const Pdv &pdv)
{
    if (state_ == in_dataset) { // receive.cc wants dataset PDVs to its last
        if (pdv.command)
            return false;
        if (pdv.last)
            state_ = command_due;
        return true;
    }
    return command_part(pdv);
}

bool Dimse::command_part(const Pdv &pdv)
{
    if (state_ == command_due) {
        command_.reset(new DcmDataset);
        command_->transferInit();
        stream_.releaseBuffer();
        command_bytes_ = 0;
        command_was_dataset_ = !pdv.command;
        state_ = in_command;
    }
    if (pdv.n % 2)
        return false;
    stream_.releaseBuffer();
    if (pdv.n)
        stream_.setBuffer(pdv.data, (offile_off_t)pdv.n);
    command_bytes_ += pdv.n;
    if (pdv.last)
        stream_.setEos();
    OFCondition cond = command_->read(stream_, EXS_LittleEndianImplicit, EGL_withoutGL);
    if (cond != EC_Normal && cond != EC_StreamNotifyClient)
        return false;
    if (command_was_dataset_ || !pdv.command) // DIMSE: a dataset PDV where a command is due
        return false;
    if (!pdv.last)
        return true;
    command_->transferEnd();
    if (cond != EC_Normal)
        return false;
    command_done();
    return true;
}

void Dimse::command_done()
{
    value_bytes_check(*command_, command_bytes_, "pdu_watch_fuzz (a command)");
    Uint16 field = 0, type = 0x0101;
    command_->findAndGetUint16(DCM_CommandField, field);
    command_->findAndGetUint16(DCM_CommandDataSetType, type);
    bool scp_reads_dataset = field == DIMSE_C_STORE_RQ || field == DIMSE_C_FIND_RQ || field == DIMSE_C_MOVE_RQ ||
                             field == DIMSE_C_GET_RQ;
    state_ = scp_reads_dataset && type != 0x0101 ? in_dataset : command_due;
}

// Feeds the watch PDU by PDU, as DCMTK reads them, and hands DCMTK the
// PDVs of each P-DATA the watch let through (a read the watch refuses
// fails, so DCMTK never sees that PDU).
void commands_behind_the_watch(const uint8_t *bytes, size_t n)
{
    PduWatch watch(max_depth);
    Dimse dimse;
    std::vector<Pdv> pdvs;
    bool request = true; // the first PDU: the association request
    depth_guard_limit(max_depth);
    for (size_t at = 0; n - at >= 6;) {
        uint64_t length = big_endian_u32(bytes + at + 2);
        if (length > n - at - 6 || !watch.feed(bytes + at, 6 + (size_t)length, 0))
            break;
        const uint8_t *body = bytes + at + 6;
        uint8_t type = bytes[at];
        at += 6 + (size_t)length;
        if (request && type != 1) // DCMTK wants an A-ASSOCIATE-RQ first
            break;
        if (request || type != 4) { // association, release, abort: no command in them
            request = false;
            continue;
        }
        if (!pdvs_of(body, (size_t)length, pdvs))
            break;
        bool going = true;
        for (size_t i = 0; i < pdvs.size() && going; i++)
            going = dimse.take(pdvs[i]);
        if (!going)
            break;
    }
    depth_guard_limit(0);
}

} // namespace

FUZZ_TARGET_INIT("pdu_watch_fuzz")

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return -1;
    same_however_read(data + 1, size - 1, read_sizes[data[0] & 15]);
    commands_behind_the_watch(data + 1, size - 1);
    return 0;
}
