// scu_fuzz.cc: libFuzzer target for the SCU side as a peer SCP meets it:
// the input is one selector byte (which SCU call: echo, find, get, move,
// store, the relay's move) and then every byte the peer sends after our
// association request (its A-ASSOCIATE-AC, the answers, C-GET's C-STOREs,
// the release answer; or anything else). lib/dicom's own code serves it:
// cirr_dicom_scu_open/open_get (transport.h's guarded connection for a
// requestor, PduWatch following a peer SCP), DCMTK's upper layer and DIMSE,
// scu.cc and move_progress.cc.
//
// The peer is a loopback TCP listener in this process (DCMTK's requestor
// connects by itself): a thread accepts the SCU's connection, writes the
// input while reading and discarding what the SCU sends, shuts its side
// for writing (the peer said all it will) and reads on until the SCU
// closes. Oracles, besides ASan/UBSan and leaks: the depth guard (DCMTK
// never nests deeper than the SCU's limit, 64, in a command or dataset),
// and no dataset handed to a caller accounts for more bytes than the
// peer sent (value_bytes.h).
#include "depth_guard.h"
#include "internal.h"
#include "cirr_dicom_relay.h"
#include "target_init.h"
#include "value_bytes.h"

#include <arpa/inet.h>
#include <cstdio>
#include <cstdlib>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <unistd.h>

namespace {

const unsigned scu_max_depth = 64; // transport.cc's limit for the peers we call
int listener = -1;
unsigned port;
size_t sent; // bytes of the input being served

enum Call : uint8_t { echo, find, get, move, store, relay_move, calls };

const char *const find_move_store[] = {UID_FINDStudyRootQueryRetrieveInformationModel,
                                       UID_MOVEStudyRootQueryRetrieveInformationModel, UID_CTImageStorage,
                                       nullptr};
const char *const get_storage[] = {UID_CTImageStorage, nullptr};

// The peer's port, once; Nagle off on the SCU's associations (DCMTK reads
// TCP_NODELAY for each), as DICOM over loopback crawls without.
void listen_loopback()
{
    setenv("TCP_NODELAY", "1", 1);
    listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (listener < 0 || bind(listener, (struct sockaddr *)&a, sizeof a) || listen(listener, 4) ||
        getsockname(listener, (struct sockaddr *)&a, &len))
        abort();
    port = ntohs(a.sin_port);
}

// The peer SCP: its bytes out while ours are read (neither end may block
// the other), then the rest of ours until the SCU closes.
void peer(const uint8_t *bytes, size_t n)
{
    int fd = accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0)
        return; // the SCU never connected
    char sink[16384];
    size_t at = 0;
    for (bool writing = true;;) {
        struct pollfd p = {fd, (short)(POLLIN | (writing ? POLLOUT : 0)), 0};
        if (poll(&p, 1, 10000) <= 0)
            break;
        if ((p.revents & (POLLIN | POLLHUP | POLLERR)) && read(fd, sink, sizeof sink) <= 0)
            break; // the SCU closed
        if (writing && (p.revents & POLLOUT)) {
            ssize_t k = send(fd, bytes + at, n - at, MSG_NOSIGNAL | MSG_DONTWAIT);
            at += k > 0 ? (size_t)k : 0;
            if (k < 0 && errno != EAGAIN)
                break;
            if (at == n) {
                shutdown(fd, SHUT_WR);
                writing = false;
            }
        }
    }
    close(fd);
}

// The peer runs on one thread for the whole run (a thread per input
// allocates what it frees only as it exits, which has libFuzzer look for
// leaks after every input): it serves one input at a time, when given.
struct PeerThread {
    std::mutex m;
    std::condition_variable cv;
    const uint8_t *bytes = nullptr;
    size_t n = 0;
    bool busy = false;

    void loop()
    {
        for (std::unique_lock<std::mutex> lock(m);; cv.notify_all()) {
            cv.wait(lock, [this] { return busy; });
            lock.unlock();
            peer(bytes, n);
            lock.lock();
            busy = false;
        }
    }
    void start(const uint8_t *b, size_t len)
    {
        std::lock_guard<std::mutex> lock(m);
        bytes = b, n = len, busy = true;
        cv.notify_all();
    }
    void wait()
    {
        std::unique_lock<std::mutex> lock(m);
        cv.wait(lock, [this] { return !busy; });
    }
};
PeerThread *other_end;

// What a caller does with a match or an instance: reads it.
int on_match(const cirr_dicom_dataset *match, void *)
{
    value_bytes_check(*match->ds, sent, "scu_fuzz");
    char value[128];
    cirr_dicom_get_string(match, CIRR_TAG_STUDY_INSTANCE_UID, value, sizeof value);
    return 0;
}

uint16_t on_instance(cirr_dicom_dataset *instance, void *)
{
    on_match(instance, nullptr);
    return 0x0000;
}

cirr_dicom_dataset *study_query()
{
    cirr_dicom_dataset *q = nullptr;
    if (cirr_dicom_dataset_new(&q) != CIRR_DICOM_OK ||
        cirr_dicom_set_string(q, CIRR_TAG_QUERY_RETRIEVE_LEVEL, "STUDY") != CIRR_DICOM_OK ||
        cirr_dicom_set_string(q, CIRR_TAG_STUDY_INSTANCE_UID, "1.2.3.4") != CIRR_DICOM_OK ||
        cirr_dicom_set_string(q, CIRR_TAG_SOP_CLASS_UID, UID_CTImageStorage) != CIRR_DICOM_OK ||
        cirr_dicom_set_string(q, CIRR_TAG_SOP_INSTANCE_UID, "1.2.3.4.5") != CIRR_DICOM_OK)
        abort();
    return q;
}

// One call on an open association (the query doubles as the instance stored).
void call_on(cirr_dicom_scu *scu, Call c, cirr_dicom_dataset *q)
{
    uint16_t status = 0;
    unsigned completed = 0, failed = 0;
    switch (c) {
    case echo: cirr_dicom_scu_echo(scu, &status); break;
    case find: cirr_dicom_scu_find(scu, UID_FINDStudyRootQueryRetrieveInformationModel, q, on_match, nullptr, &status); break;
    case get:
        cirr_dicom_scu_get(scu, UID_GETStudyRootQueryRetrieveInformationModel, q, on_instance, nullptr, &completed,
                           &failed, &status);
        break;
    case move:
        cirr_dicom_scu_move(scu, UID_MOVEStudyRootQueryRetrieveInformationModel, q, "ELSEWHERE", &completed, &failed,
                            &status);
        break;
    default: cirr_dicom_scu_store(scu, q, &status); break;
    }
}

void serve(Call c)
{
    cirr_dicom_peer_config cfg = {"127.0.0.1", port, "FUZZSCP", "FUZZSCU", 1, 1, 0};
    cirr_dicom_dataset *q = study_query();
    if (c == relay_move) {
        uint16_t status = 0;
        unsigned completed = 0, failed = 0;
        cirr_dicom_move_with_progress(&cfg, UID_MOVEStudyRootQueryRetrieveInformationModel, q, "ELSEWHERE", nullptr,
                                      nullptr, &completed, &failed, &status);
    } else {
        cirr_dicom_scu *scu = nullptr;
        cirr_dicom_status s = c == get ? cirr_dicom_scu_open_get(&cfg, get_storage, &scu)
                                       : cirr_dicom_scu_open(&cfg, find_move_store, nullptr, &scu);
        if (s == CIRR_DICOM_OK)
            call_on(scu, c, q);
        cirr_dicom_scu_close(scu);
    }
    cirr_dicom_dataset_free(q);
}

} // namespace

FUZZ_TARGET_INIT("scu_fuzz")

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (listener < 0) {
        listen_loopback();
        other_end = new PeerThread;
        std::thread(&PeerThread::loop, other_end).detach();
    }
    if (size < 1)
        return 0;
    sent = size - 1;
    other_end->start(data + 1, size - 1);
    depth_guard_limit(scu_max_depth); // around the SCU's calls, on their thread
    serve(static_cast<Call>(data[0] % calls));
    depth_guard_limit(0);
    other_end->wait();
    return 0;
}
