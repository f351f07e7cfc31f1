// accept.cc: the SCP's accept loop. Every connection gets its own thread
// the moment it is accepted; that thread reads the association request
// (within the request deadline of transport.h), then takes one of the
// max_associations slots or is refused "Local Limit Exceeded". So nothing
// a peer sends, or leaves unsent, delays the next caller's accept, and a
// connection that never completes its request never holds a slot.
#include "scp.h"
#include "transport.h"

#include <dcmtk/dcmnet/dulstruc.h>

#include <cerrno>
#include <chrono>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

namespace {

// Gives back a count taken elsewhere when it goes out of scope.
struct Counted {
    std::atomic<unsigned> &n;
    ~Counted() { n--; }
};

bool take_slot(cirr_dicom_scp *scp)
{
    unsigned n = scp->active.load();
    do {
        if (n >= scp->cfg.max_associations)
            return false;
    } while (!scp->active.compare_exchange_weak(n, n + 1));
    return true;
}

void answer_or_refuse(cirr_dicom_scp *scp, T_ASC_Association *assoc)
{
    if (!take_slot(scp)) {
        cirr_dicom_reject(assoc, ASC_RESULT_REJECTEDTRANSIENT, ASC_SOURCE_SERVICEPROVIDER_PRESENTATION_RELATED,
                          ASC_REASON_SP_PRES_LOCALLIMITEXCEEDED);
        return;
    }
    Counted slot{scp->active};
    cirr_dicom_association(scp, assoc);
}

} // namespace

void cirr_dicom_connection(cirr_dicom_scp *scp, int fd)
{
    T_ASC_Association *assoc = nullptr;
    cirr_dicom_guard([&] {
        OFCondition cond;
        {
            Counted pending{scp->pending}; // taken by the accept loop
            cond = cirr_dicom_receive_request(scp->net, fd, (long)scp->cfg.max_pdu, &assoc);
        }
        // A failed request (a deadline, a port probe, a peer that gave up) ends here.
        if (cond.good())
            answer_or_refuse(scp, assoc);
        return CIRR_DICOM_OK;
    });
    if (assoc) {
        // A peer that has its answer closes at once; a second lets it read our
        // last PDU before we close (closing with its bytes unread would reset).
        ASC_dropSCPAssociation(assoc, 1);
        ASC_destroyAssociation(&assoc);
    }
}

namespace {

// DCMTK's listening socket, made non-blocking so that accept() after
// poll() never waits on a peer that went away in between.
int listening_socket(T_ASC_Network *net)
{
    auto *key = reinterpret_cast<PRIVATE_NETWORKKEY *>(net->network);
    int fd = (int)key->networkSpecific.TCP.listenSocket;
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    return fd;
}

// The next connection, or -1 after a second without one.
int accept_one(int listener)
{
    struct pollfd p = {listener, POLLIN, 0};
    if (poll(&p, 1, 1000) <= 0)
        return -1;
    int fd = accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0 && errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
        std::this_thread::sleep_for(std::chrono::milliseconds(100)); // out of descriptors: let some close
    if (fd == 0) { // DCMTK takes descriptor 0 for "none"
        fd = fcntl(0, F_DUPFD_CLOEXEC, 1);
        close(0);
    }
    return fd;
}

void hand_to_thread(cirr_dicom_scp *scp, int fd)
{
    if (scp->pending >= scp->limits.max_pending) {
        close(fd); // a flood of connections that say nothing: the threads are bounded
        return;
    }
    scp->pending++;
    try {
        std::thread(cirr_dicom_connection, scp, fd).detach();
    } catch (...) {
        scp->pending--;
        close(fd);
    }
}

} // namespace

void cirr_dicom_accept_loop(cirr_dicom_scp *scp)
{
    int listener = listening_socket(scp->net);
    while (!scp->stop) {
        int fd = accept_one(listener);
        if (fd >= 0)
            hand_to_thread(scp, fd);
    }
    // Let running associations finish (bounded: a stuck peer must not hold
    // shutdown forever; their threads are detached).
    for (int i = 0; i < 300 && (scp->active > 0 || scp->pending > 0); i++)
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
}
