/* find.c: see find.h. */
#include "find.h"

#include "bridge.h"
#include "log.h"
#include "upstream.h"

#include <string.h>

struct relay {
    struct bridge *b;
    cirr_dicom_find_sink *sink;
    int cancelled;
};

/* Each upstream answer goes to the caller at once; when the caller has
 * cancelled (or gone), returning 1 sends the upstream a C-CANCEL. */
static int pass_on(const cirr_dicom_dataset *match, void *ud)
{
    struct relay *r = ud;
    if (cirr_dicom_find_send(r->sink, match) != CIRR_DICOM_OK) {
        r->cancelled = 1;
        return 1;
    }
    r->b->stats.matches++;
    return 0;
}

uint16_t find_relay(const cirr_dicom_peer *peer, const char *sop_class, const cirr_dicom_dataset *query,
                    cirr_dicom_find_sink *sink, void *ud)
{
    struct bridge *b = ud;
    char aet[LOG_ESCAPED_SIZE(16)], why[LOG_ESCAPED_SIZE(256)];
    log_escape(aet, sizeof aet, peer->calling_aet);
    if (!bridge_caller_allowed(&b->conf, peer->calling_aet, peer->peer_host)) {
        log_msg(LOG_WARN, NULL, "C-FIND from %s refused (0x0124): not in BRIDGE_ALLOW", aet);
        return 0x0124;
    }
    const char *model = upstream_find_model(sop_class);
    if (!model || strcmp(model, sop_class))
        return 0x0122; /* SOP class not supported */
    stats_request(&b->stats, STATS_FIND, peer->calling_aet);
    cirr_dicom_scu *scu = NULL;
    uint16_t status = upstream_open(b, peer->calling_aet, "C-FIND", b->conf.queue_timeout_s * 1000u, &scu);
    if (status != 0x0000)
        return status;
    struct relay r = {b, sink, 0};
    cirr_dicom_status s = cirr_dicom_scu_find(scu, sop_class, query, pass_on, &r, &status);
    if (s != CIRR_DICOM_OK && !r.cancelled) {
        b->stats.upstream_failures++;
        log_msg(LOG_WARN, NULL, "C-FIND from %s: the upstream failed: %s", aet,
                log_escape(why, sizeof why, cirr_dicom_last_error()));
        status = 0xC000;
    }
    upstream_close(b, scu, s == CIRR_DICOM_OK && !r.cancelled);
    if (r.cancelled) {
        b->stats.cancels++;
        log_msg(LOG_INFO, NULL, "C-FIND from %s cancelled; the upstream's search was cancelled too", aet);
    }
    return status;
}
