// transport.cc: deadlines and a watch over an SCP's connections (see
// transport.h), and handing an accepted socket to DCMTK.
#include "transport.h"

#include "pdu_watch.h"

#include <dcmtk/dcmnet/dcmtrans.h>
#include <dcmtk/dcmnet/dulstruc.h>

#include <cerrno>
#include <cstdarg>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <new>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace {

// Why a connection was cut off is kept by the connection; an SCP's (its
// association lives on one thread) also in failure, and an SCU's during
// its association request (made on the thread that made the connection;
// DCMTK may drop the connection when the request fails) in request_failure.
// An SCU's association may be used on other threads later (the bridge's pool).
thread_local char failure[200] = "", request_failure[200] = "";

int64_t now_ms()
{
    using namespace std::chrono;
    return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

class GuardedConnection;

// The connection this thread gathers writes on (cirr_dicom_gather_writes).
// Before the thread waits on any connection, what it gathered goes: a
// relay's answers must not sit here while it waits for the next from its
// upstream (a slow PACS: its caller sees each answer as it comes).
thread_local GuardedConnection *gathering_here = nullptr;

class GuardedConnection : public DcmTCPConnection {
public:
    GuardedConnection(DcmNativeSocketType fd, const cirr_dicom_limits &limits, PduWatch::Peer peer)
        : DcmTCPConnection(fd), limits_(limits), request_deadline_(now_ms() + limits.request_ms),
          watch_(limits.max_depth, peer), scp_(peer == PduWatch::Peer::scu)
    {
        (scp_ ? failure : request_failure)[0] = '\0';
    }
    ~GuardedConnection() override
    {
        if (gathering_here == this) // ended while gathering (an exception)
            gathering_here = gathered_before_;
    }
    const char *why() const { return failure_[0] ? failure_ : nullptr; }
    PduWatch &watch() { return watch_; }
    void set_message_ms(unsigned ms) { limits_.message_ms = ms; }
    ssize_t read(void *buf, size_t n) override;
    ssize_t write(void *buf, size_t n) override;
    OFBool networkDataAvailable(int timeout) override;
    // Bytes may wait in our buffer, where a select() on the socket misses
    // them: DCMTK then asks networkDataAvailable instead.
    OFBool isTransparentConnection() override { return OFFalse; }
    OFCondition gather(bool on);

private:
    int64_t deadline() const;
    int64_t allowance(uint64_t bytes) const { return limits_.message_ms + (int64_t)(bytes * 1000 / limits_.min_rate); }
    bool wait(short events, int64_t until);
    ssize_t send_all(const void *buf, size_t n);
    bool flush();
    ssize_t recv_now(void *into, size_t room);
    bool fill();
    bool flush_before_wait();
    ssize_t hand_out(void *buf, size_t n);
    ssize_t watched(const void *buf, size_t n);
    void missed_deadline();
    void cut_off(const char *fmt, ...) __attribute__((format(printf, 2, 3)));

    cirr_dicom_limits limits_;
    int64_t request_deadline_;
    PduWatch watch_;
    bool scp_; // serves an association a peer requested
    char failure_[sizeof failure] = "";
    // DCMTK reads a PDU's 6-byte header, then its body, each after a poll:
    // a stream of small C-FIND answers cost 11 system calls each. What one
    // recv() brings waits here for DCMTK's next reads.
    static constexpr size_t kReadAhead = 16384;
    uint8_t in_[kReadAhead];
    size_t in_pos_ = 0, in_len_ = 0;
    int in_errno_ = 0; // what the last recv() said: 0 data or nothing yet, -1 end of stream, else errno
    // The last recv() filled all the room it was given: more is likely
    // queued (a large message streams in), so the next read tries before
    // it polls. After a short recv() (a request, an answer) the peer is
    // mostly not ready yet, and a try first would be one system call more.
    bool streaming_ = false;
    // While gathering, DCMTK's writes (two per PDU) wait here and leave in
    // one send() when it fills, before a wait for the peer, or when
    // gathering ends. 256 KiB: a large C-STORE leaves in a few sends, not
    // one per PDU (peers often take 16 KiB PDUs: 32 for a CT slice); its
    // pages are touched only as far as a message fills it.
    static constexpr size_t kGather = 262144;
    uint8_t out_[kGather];
    size_t out_len_ = 0;
    bool gathering_ = false;
    int out_errno_ = 0;                    // a flush failed: nothing more can be sent
    GuardedConnection *gathered_before_ = nullptr; // gathering_here when this began
};

// When the bytes awaited now must have arrived; 0: no deadline (between
// messages DCMTK's DIMSE timeout applies).
int64_t GuardedConnection::deadline() const
{
    if (!watch_.request_done())
        return request_deadline_;
    return watch_.in_message() ? watch_.message_start() + allowance(watch_.message_bytes()) : 0;
}

void GuardedConnection::cut_off(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(failure_, sizeof failure_, fmt, ap);
    va_end(ap);
    if (scp_)
        snprintf(failure, sizeof failure, "%s", failure_);
    else if (!watch_.request_done())
        snprintf(request_failure, sizeof request_failure, "%s", failure_);
}

// Wait until the socket is ready for events or until (monotonic ms).
bool GuardedConnection::wait(short events, int64_t until)
{
    for (;;) {
        struct pollfd p = {(int)getSocket(), events, 0};
        int64_t left = until - now_ms();
        int n = poll(&p, 1, (int)std::max<int64_t>(0, std::min<int64_t>(left, 1 << 30)));
        if (n > 0)
            return true;
        if (n == 0 || errno != EINTR)
            return false;
    }
}

void GuardedConnection::missed_deadline()
{
    if (!watch_.request_done())
        cut_off("no whole association %s within %u s", scp_ ? "request" : "answer", limits_.request_ms / 1000);
    else
        cut_off("a message took longer than %u s (plus 1 s per %u bytes)",
                 limits_.message_ms / 1000, limits_.min_rate);
    errno = ETIMEDOUT;
}

// A recv() that does not wait.
ssize_t GuardedConnection::recv_now(void *into, size_t room)
{
    return recv((int)getSocket(), into, room, MSG_DONTWAIT);
}

// After a recv_now() that got nothing: the peer has sent nothing yet (not
// an error, not the end).
static bool nothing_yet()
{
    return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
}

// Whatever the peer has sent so far, without waiting: true when there is
// something for read() to say (bytes, the end of the stream, an error).
bool GuardedConnection::fill()
{
    if (in_pos_ < in_len_ || in_errno_)
        return true;
    ssize_t got = recv_now(in_, sizeof in_);
    streaming_ = got == (ssize_t)sizeof in_;
    if (got > 0) {
        in_pos_ = 0;
        in_len_ = (size_t)got;
    } else if (got == 0) {
        in_errno_ = -1;
    } else if (!nothing_yet()) {
        in_errno_ = errno;
    }
    return in_pos_ < in_len_ || in_errno_;
}

// Up to n buffered bytes to DCMTK, followed by the watch; or what the last
// recv() said.
ssize_t GuardedConnection::hand_out(void *buf, size_t n)
{
    if (in_pos_ == in_len_) {
        int said = in_errno_;
        in_errno_ = 0;
        if (said < 0)
            return 0;
        errno = said;
        return -1;
    }
    size_t take = std::min(n, in_len_ - in_pos_);
    memcpy(buf, in_ + in_pos_, take);
    in_pos_ += take;
    return watched(buf, take);
}

// n bytes DCMTK is given, shown to the watch first.
ssize_t GuardedConnection::watched(const void *buf, size_t n)
{
    if (!watch_.feed(static_cast<const uint8_t *>(buf), n, now_ms())) {
        cut_off("%s", watch_.why());
        errno = EPROTO;
        return -1;
    }
    return (ssize_t)n;
}

// Before waiting for the peer, what was gathered goes (here and on
// another connection of this thread): the peer may be waiting for it. When
// it cannot go, the next read says why.
bool GuardedConnection::flush_before_wait()
{
    if (gathering_here && gathering_here != this)
        gathering_here->flush();
    if (flush())
        return true;
    in_errno_ = out_errno_;
    return false;
}

ssize_t GuardedConnection::read(void *buf, size_t n)
{
    if (in_pos_ < in_len_ || in_errno_ || !flush_before_wait())
        return hand_out(buf, n);
    // A large body goes straight into DCMTK's buffer.
    bool direct = n >= sizeof in_;
    void *into = direct ? buf : in_;
    size_t room = direct ? n : sizeof in_;
    bool tried = streaming_; // while a stream goes on, try before polling
    ssize_t got = tried ? recv_now(into, room) : -1;
    if (!tried || (got < 0 && nothing_yet())) {
        int64_t until = deadline();
        if (until && !wait(POLLIN, until)) {
            missed_deadline();
            return -1;
        }
        // Without a deadline this blocks, as DCMTK's own read does (its
        // socket timeout applies).
        got = DcmTCPConnection::read(into, room);
    }
    streaming_ = got == (ssize_t)room;
    if (got <= 0)
        return got;
    if (direct)
        return watched(buf, (size_t)got);
    in_pos_ = 0;
    in_len_ = (size_t)got;
    return hand_out(buf, n);
}

// DCMTK's wait for data (timeout in seconds), cut short by a deadline. What
// is there once the wait ends is taken in (DCMTK reads it next).
OFBool GuardedConnection::networkDataAvailable(int timeout)
{
    if (timeout <= 0 || in_pos_ < in_len_ || in_errno_)
        return fill() ? OFTrue : OFFalse;
    if (!flush_before_wait())
        return OFTrue;
    if (streaming_ && fill()) // while a stream goes on, the next PDU is mostly there: no poll
        return OFTrue;
    int64_t until = now_ms() + 1000 * (int64_t)timeout, by = deadline();
    if (by && by <= until) {
        if (!wait(POLLIN, by)) {
            missed_deadline();
            return OFFalse;
        }
    } else if (!wait(POLLIN, until)) {
        return OFFalse;
    }
    fill();
    return OFTrue;
}

// All of buf, or -1: DCMTK takes anything less as a failure.
ssize_t GuardedConnection::send_all(const void *buf, size_t n)
{
    const char *p = static_cast<const char *>(buf);
    int64_t until = now_ms() + allowance(n);
    for (size_t done = 0; done < n;) {
        ssize_t sent = send((int)getSocket(), p + done, n - done, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (sent < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
            return -1;
        done += sent > 0 ? (size_t)sent : 0;
        if (done == n)
            break;
        if (!wait(POLLOUT, until)) { // the peer's window is full: wait, within the allowance
            cut_off("the peer did not take %zu bytes within %u s (plus 1 s per %u bytes)",
                     n, limits_.message_ms / 1000, limits_.min_rate);
            errno = ETIMEDOUT;
            return -1;
        }
    }
    return (ssize_t)n;
}

// What was gathered, sent; false (errno) when it, or an earlier flush, failed.
bool GuardedConnection::flush()
{
    size_t n = out_len_;
    out_len_ = 0;
    if (n && !out_errno_ && send_all(out_, n) < 0)
        out_errno_ = errno ? errno : EPIPE;
    errno = out_errno_;
    return !out_errno_;
}

ssize_t GuardedConnection::write(void *buf, size_t n)
{
    if (out_errno_) {
        errno = out_errno_;
        return -1;
    }
    if (!gathering_)
        return send_all(buf, n);
    if (out_len_ + n > sizeof out_ && !flush())
        return -1;
    if (n >= sizeof out_)
        return send_all(buf, n);
    memcpy(out_ + out_len_, buf, n);
    out_len_ += n;
    return (ssize_t)n;
}

OFCondition GuardedConnection::gather(bool on)
{
    if (on == gathering_)
        return EC_Normal;
    gathering_ = on;
    if (on) {
        gathered_before_ = gathering_here;
        gathering_here = this;
        return EC_Normal;
    }
    if (gathering_here == this)
        gathering_here = gathered_before_;
    if (flush())
        return EC_Normal;
    return makeOFCondition(OFM_dcmnet, DULC_TCPIOERROR, OF_error, failure_[0] ? failure_ : "cannot send to the peer");
}

// dcmExternalSocketHandle, by which DCMTK adopts an accepted socket, is
// one for the process: one thread at a time hands a socket over, until
// DCMTK has made its connection (then it reads the request unlocked).
std::mutex handing_over;
thread_local std::unique_lock<std::mutex> *hand_over = nullptr;

void handed_over()
{
    if (hand_over && hand_over->owns_lock()) {
        dcmExternalSocketHandle.set(-1);
        hand_over->unlock();
    }
}

// One hand-over of fd, on this thread; fd is closed at the end unless
// DCMTK took it (it then closes it itself).
class HandOver {
public:
    explicit HandOver(int fd) : lock_(handing_over), fd_(fd)
    {
        hand_over = &lock_;
        dcmExternalSocketHandle.set(fd);
    }
    ~HandOver()
    {
        bool taken = !lock_.owns_lock();
        handed_over(); // DCMTK stopped before making its connection
        hand_over = nullptr;
        if (!taken)
            close(fd_);
    }

private:
    std::unique_lock<std::mutex> lock_;
    int fd_;
};

} // namespace

DcmTransportConnection *GuardedLayer::createConnection(DcmNativeSocketType fd, OFBool secure)
{
    handed_over(); // from here on DCMTK owns fd (and closes it when this fails)
    if (secure)
        return nullptr;
    return new (std::nothrow) GuardedConnection(fd, limits_, peer_);
}

OFCondition cirr_dicom_receive_request(T_ASC_Network *net, int fd, long max_pdu, T_ASC_Association **assoc)
{
    HandOver hand(fd);
    return ASC_receiveAssociation(net, assoc, max_pdu, nullptr, nullptr, OFFalse, DUL_NOBLOCK, 0);
}

const char *cirr_dicom_transport_failure() { return failure[0] ? failure : nullptr; }

OFCondition cirr_dicom_guard_requestor(T_ASC_Network *net, unsigned acse_timeout)
{
    // The SCP's defaults hold for the peers we call.
    const cirr_dicom_limits scu_limits = {(acse_timeout ? acse_timeout : 30) * 1000,
                                          cirr_dicom_default_message_s * 1000, cirr_dicom_default_min_rate,
                                          cirr_dicom_default_max_depth};
    auto *layer = new (std::nothrow) GuardedLayer(scu_limits, PduWatch::Peer::scp);
    if (!layer)
        return EC_MemoryExhausted;
    return ASC_setTransportLayer(net, layer, 1);
}

// The guarded connection under an association, or null.
static GuardedConnection *guarded(T_ASC_Association *assoc)
{
    // DUL_ASSOCIATIONKEY is opaque; its definition, PRIVATE_ASSOCIATIONKEY, is installed (dulstruc.h).
    auto *key = assoc ? static_cast<PRIVATE_ASSOCIATIONKEY *>(assoc->DULassociation) : nullptr;
    return key ? dynamic_cast<GuardedConnection *>(key->connection) : nullptr;
}

void cirr_dicom_guard_answer_time(T_ASC_Association *assoc, unsigned dimse_timeout)
{
    if (GuardedConnection *conn = guarded(assoc))
        conn->set_message_ms((dimse_timeout ? dimse_timeout : cirr_dicom_default_message_s) * 1000);
}

OFCondition cirr_dicom_gather_writes(T_ASC_Association *assoc, bool on)
{
    GuardedConnection *conn = guarded(assoc);
    return conn ? conn->gather(on) : EC_Normal;
}

void cirr_dicom_guard_accepted(T_ASC_Association *assoc)
{
    GuardedConnection *conn = guarded(assoc);
    if (!conn)
        return; // not guarded: every dataset the peer sends is then refused unparsed
    for (int i = 0, n = ASC_countPresentationContexts(assoc->params); i < n; i++) {
        T_ASC_PresentationContext pc;
        if (ASC_getPresentationContext(assoc->params, i, &pc).good() && pc.resultReason == ASC_P_ACCEPTANCE)
            conn->watch().accepted(pc.presentationContextID, DcmXfer(pc.acceptedTransferSyntax).getXfer());
    }
}

cirr_dicom_status cirr_dicom_scu_request_condition(const OFCondition &cond, const char *what)
{
    if (cond.good() || !request_failure[0])
        return cirr_dicom_from_condition(cond, what);
    return cirr_dicom_fail(CIRR_DICOM_ERROR_NETWORK, "%s: %s", what, request_failure);
}

cirr_dicom_status cirr_dicom_scu_condition(T_ASC_Association *assoc, const OFCondition &cond, const char *what)
{
    GuardedConnection *conn = cond.bad() ? guarded(assoc) : nullptr;
    if (!conn || !conn->why())
        return cirr_dicom_from_condition(cond, what);
    return cirr_dicom_fail(CIRR_DICOM_ERROR_NETWORK, "%s: %s", what, conn->why());
}
