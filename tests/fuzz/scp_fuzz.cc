// scp_fuzz.cc: libFuzzer target for the whole SCP as a peer meets it: the
// input is every byte the peer sends on one connection (an association
// request, P-DATA with commands and datasets, a release; or anything
// else), and the connection is served by lib/dicom's own code
// (cirr_dicom_connection: transport.h's deadlines and PduWatch, DCMTK's
// upper layer and DIMSE, receive.cc's checked datasets, the C-ECHO,
// C-STORE, C-FIND, C-MOVE and C-GET providers) with handlers that do what
// mux and mockpacs do with what they are given.
//
// The connection is one end of a socketpair; a thread writes the input to
// the other end, shuts it for writing (the peer has said all it will) and
// reads whatever the SCP answers until the SCP closes. Everything runs in
// this process, so ASan/UBSan, leaks and the oracles see all of it: the
// depth guard (depth_guard.h: DCMTK never nests deeper than the nesting
// check allowed, for commands and datasets alike), and no dataset handed
// to a service declares more value bytes than the peer sent (value_bytes.h).
#include "depth_guard.h"
#include "scp.h"
#include "target_init.h"
#include "value_bytes.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <netinet/in.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

namespace {

const unsigned max_depth = 6;
cirr_dicom_scp *scp;
size_t sent; // bytes of the input being served

// ---- handlers: what the services ask of what they are given ----------------

int count_element(uint32_t, const char *vr, const char *value, void *ud)
{
    *static_cast<size_t *>(ud) += strlen(vr) + (value ? strlen(value) : 0);
    return 0;
}

void read_values(const cirr_dicom_dataset *ds)
{
    value_bytes_check(*ds->ds, sent, "scp_fuzz");
    char value[128];
    cirr_dicom_get_string(ds, CIRR_TAG_SOP_INSTANCE_UID, value, sizeof value);
    cirr_dicom_get_string(ds, CIRR_TAG_PATIENT_NAME, value, sizeof value);
    size_t total = 0;
    cirr_dicom_iterate(ds, count_element, &total);
}

uint16_t store(const cirr_dicom_peer *, cirr_dicom_dataset *ds, const char *ts_uid, void *)
{
    if (strcmp(ts_uid, UID_DeflatedExplicitVRLittleEndianTransferSyntax) != 0) // inflated, it may be larger
        read_values(ds);
    void *buf = nullptr;
    size_t len = 0;
    if (cirr_dicom_dataset_encode(ds, ts_uid, &buf, &len) != CIRR_DICOM_OK) // mux spools it so
        return 0xA700;
    free(buf);
    return 0x0000;
}

// Each query comes back as its own match (the SCP encodes what it parsed).
uint16_t find(const cirr_dicom_peer *, const char *, const cirr_dicom_dataset *query, cirr_dicom_find_sink *sink,
              void *)
{
    read_values(query);
    cirr_dicom_find_send(sink, query);
    return 0x0000;
}

// C-MOVE and C-GET: one small CT instance, made on demand.
cirr_dicom_status fetch(void *, size_t, cirr_dicom_dataset **out)
{
    cirr_dicom_status s = cirr_dicom_dataset_new(out);
    if (s == CIRR_DICOM_OK)
        s = cirr_dicom_set_string(*out, CIRR_TAG_SOP_CLASS_UID, UID_CTImageStorage);
    if (s == CIRR_DICOM_OK)
        s = cirr_dicom_set_string(*out, CIRR_TAG_SOP_INSTANCE_UID, "1.2.3.4.5");
    return s;
}

const char *ct_class(void *, size_t) { return UID_CTImageStorage; }

uint16_t retrieve(const cirr_dicom_peer *, const char *, const cirr_dicom_dataset *query, cirr_dicom_instances *out,
                  void *)
{
    read_values(query);
    *out = {1, fetch, ct_class, nullptr, nullptr, nullptr};
    return 0x0000;
}

// No C-MOVE destination is known: nothing connects out of the fuzzer.
int destination(const char *, char *, size_t, unsigned *, void *) { return -1; }

// ---- setup ------------------------------------------------------------------

// A free TCP port for DCMTK's listening socket (never connected to).
unsigned free_port()
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) || getsockname(fd, (struct sockaddr *)&a, &len))
        abort();
    close(fd);
    return ntohs(a.sin_port);
}

void start_scp()
{
    static const cirr_dicom_handlers handlers = {nullptr, store, find, retrieve, destination, nullptr, nullptr};
    cirr_dicom_scp_config cfg = {};
    cfg.port = free_port();
    cfg.aet = "FUZZSCP";
    cfg.acse_timeout = 1;
    cfg.dimse_timeout = 1;
    cirr_dicom_scp_limits limits = {};
    limits.request_timeout = 2;
    limits.message_timeout = 2;
    limits.max_depth = max_depth;
    if (cirr_dicom_scp_new(&cfg, &handlers, &scp) != CIRR_DICOM_OK ||
        cirr_dicom_scp_set_limits(scp, &limits) != CIRR_DICOM_OK) {
        fprintf(stderr, "scp_fuzz: %s\n", cirr_dicom_last_error());
        abort();
    }
}

// The peer: sends its bytes, says it is done, reads the answers to the end.
void peer(int fd, const uint8_t *bytes, size_t n)
{
    for (size_t at = 0; at < n;) {
        ssize_t k = send(fd, bytes + at, n - at, MSG_NOSIGNAL);
        if (k <= 0)
            break; // the SCP hung up
        at += (size_t)k;
    }
    shutdown(fd, SHUT_WR);
    char sink[4096];
    while (read(fd, sink, sizeof sink) > 0) {
    }
    close(fd);
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***)
{
    // DCMTK sets TCP_NODELAY when this says so, which a socketpair refuses.
    setenv("TCP_NODELAY", "0", 1);
    target_init("scp_fuzz");
    start_scp();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int fds[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds))
        abort();
    sent = size;
    std::thread other_end(peer, fds[1], data, size);
    depth_guard_limit(max_depth);
    scp->pending++; // as the accept loop counts a connection it hands over
    cirr_dicom_connection(scp, fds[0]);
    depth_guard_limit(0);
    other_end.join();
    return 0;
}
