// pdu_watch.cc: following a peer's PDUs, PDVs and messages (see pdu_watch.h).
#include "pdu_watch.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <iterator>

namespace {

const uint8_t pdu_p_data = 4;
const uint32_t command_field_tag = 0x00000100, data_set_type_tag = 0x00000800;
const long no_data_set = 0x0101;

uint32_t big_endian_u32(const uint8_t *p) { return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3]; }

// The requests whose dataset the SCP receives and checks itself.
bool scp_checks_dataset(long command_field)
{
    return command_field == DIMSE_C_STORE_RQ || command_field == DIMSE_C_GET_RQ ||
           command_field == DIMSE_C_FIND_RQ || command_field == DIMSE_C_MOVE_RQ;
}

const char *nesting_failure(Nesting verdict)
{
    return verdict == Nesting::too_deep ? "a command nested sequences too deeply"
                                        : "a command the nesting check cannot follow";
}

} // namespace

PduWatch::PduWatch(unsigned max_depth, Peer peer) : max_depth_(max_depth), peer_(peer)
{
    std::fill(std::begin(syntaxes_), std::end(syntaxes_), EXS_Unknown);
}

bool PduWatch::feed(const uint8_t *bytes, size_t n, int64_t now_ms)
{
    while (n && !why_) {
        if (!in_message_) {
            in_message_ = true;
            message_start_ = now_ms;
            message_bytes_ = 0;
        }
        size_t k;
        if (!in_pdu_) {
            k = take(pdu_head_, &pdu_have_, bytes, n);
            if (pdu_have_ == sizeof pdu_head_) {
                in_pdu_ = true, pdu_have_ = 0;
                pdu_type_ = pdu_head_[0];
                pdu_left_ = big_endian_u32(pdu_head_ + 2);
                if (!pdu_left_)
                    pdu_done();
            }
        } else {
            k = pdu_body(bytes, n);
        }
        bytes += k, n -= k, message_bytes_ += k;
    }
    return !why_;
}

size_t PduWatch::take(uint8_t *head, unsigned *have, const uint8_t *bytes, size_t n)
{
    size_t k = std::min<size_t>(6 - *have, n);
    memcpy(head + *have, bytes, k);
    *have += (unsigned)k;
    return k;
}

// Bytes of a PDU's body: skipped, unless they are the PDVs of a P-DATA.
size_t PduWatch::pdu_body(const uint8_t *bytes, size_t n)
{
    size_t k = (size_t)std::min<uint64_t>(pdu_left_, n);
    if (pdu_type_ == pdu_p_data && !in_pdv_) {
        k = take(pdv_head_, &pdv_have_, bytes, k);
        if (pdv_have_ == sizeof pdv_head_)
            pdv_begin();
    } else if (pdu_type_ == pdu_p_data) {
        k = (size_t)std::min<uint64_t>(pdv_left_, k);
        if (pdv_checked_) {
            Nesting verdict = command_->feed(bytes, k);
            if (verdict != Nesting::ok && peer_ == Peer::scp)
                refuse("a command", verdict);
            else if (verdict != Nesting::ok)
                why_ = nesting_failure(verdict);
        } else if (dataset_) {
            dataset_bytes(bytes, k);
        }
        pdv_left_ -= k;
        if (!pdv_left_)
            pdv_done();
    }
    pdu_left_ -= k;
    if (!pdu_left_)
        pdu_done();
    return k;
}

void PduWatch::pdu_done()
{
    in_pdu_ = false;
    request_done_ = true;
    if (pdu_type_ != pdu_p_data)
        in_message_ = false; // an association, release or abort PDU: a message of its own
    pdv_have_ = 0;
    in_pdv_ = false; // a PDV cut short by its PDU: DCMTK refuses the PDU
}

void PduWatch::pdv_begin()
{
    uint32_t length = big_endian_u32(pdv_head_);
    pdv_have_ = 0;
    in_pdv_ = true;
    pdv_left_ = std::min<uint64_t>(length >= 2 ? length - 2 : 0, pdu_left_);
    pdv_command_ = pdv_head_[5] & 1;
    pdv_last_ = pdv_head_[5] & 2;
    // DCMTK reads a dataset PDV where a command is due as part of one.
    pdv_checked_ = pdv_command_ || expect_command_;
    if (pdv_checked_ && !command_) {
        command_.reset(new NestingScan(EXS_LittleEndianImplicit, max_depth_));
        command_->watch(command_field_tag);
        command_->watch(data_set_type_tag);
    }
    if (!pdv_checked_ && peer_ == Peer::scp)
        dataset_begin();
    if (!pdv_left_ && dataset_)
        dataset_bytes(pdv_head_, 0); // an empty PDV may still be the last
    if (!pdv_left_)
        pdv_done();
}

void PduWatch::pdv_done()
{
    in_pdv_ = false;
    if (why_)
        return; // the peer is cut off already
    if (!pdv_checked_) { // a dataset: checked above (peer SCP) or by the SCP (receive.h)
        if (peer_ == Peer::scp && pdv_last_)
            dataset_done();
        if (pdv_last_)
            expect_command_ = true, in_message_ = false;
        return;
    }
    if (pdv_command_ && !pdv_last_) {
        if (!command_->resumable()) // DCMTK reads a command's PDVs as it does a dataset's
            why_ = "a command cut inside an element out of tag order";
        return;
    }
    // DCMTK would take a command that ends inside an element as whole, the
    // value's missing bytes uninitialised (and answer with them).
    if (pdv_command_ && !command_->between_elements()) {
        why_ = "a command that ends inside an element";
        return;
    }
    bool follows = pdv_command_ && dataset_follows();
    command_.reset();
    expect_command_ = !follows;
    if (!follows)
        in_message_ = false;
}

bool PduWatch::dataset_follows() const
{
    long type = command_->watched(data_set_type_tag);
    bool checked = peer_ == Peer::scp || scp_checks_dataset(command_->watched(command_field_tag));
    return checked && type >= 0 && type != no_data_set;
}

// A dataset PDV from a peer SCP: on the first, the scan in its context's
// transfer syntax; the rest must stay on that context.
void PduWatch::dataset_begin()
{
    uint8_t id = pdv_head_[4];
    if (!dataset_) {
        if (syntaxes_[id] == EXS_Unknown) {
            why_ = "the peer sent a dataset on a presentation context it did not accept";
            return;
        }
        dataset_.reset(new DatasetScan(syntaxes_[id], max_depth_));
        dataset_context_ = id;
    } else if (id != dataset_context_) {
        why_ = "the peer sent a dataset across two presentation contexts";
    }
}

// The PDV's next n bytes (its last ones when n == pdv_left_).
void PduWatch::dataset_bytes(const uint8_t *bytes, size_t n)
{
    Nesting verdict = dataset_->feed(bytes, n, n == pdv_left_ && pdv_last_);
    if (verdict != Nesting::ok)
        refuse("a dataset", verdict);
}

// After the last PDV the dataset must be whole (see receive.cc).
void PduWatch::dataset_done()
{
    if (dataset_ && !why_ && !dataset_->between_elements())
        why_ = "the peer sent a dataset that ends inside an element";
    dataset_.reset();
}

void PduWatch::refuse(const char *what, Nesting verdict)
{
    if (verdict == Nesting::too_deep)
        snprintf(why_buf_, sizeof why_buf_, "the peer answered with sequences nested deeper than %u in %s",
                 max_depth_, what);
    else
        snprintf(why_buf_, sizeof why_buf_, "the peer answered with %s the nesting check cannot follow", what);
    why_ = why_buf_;
}
