/* receive.c: see receive.h. */
#include "receive.h"

#include "log.h"
#include "route.h"

/* C-STORE: refused when the spool is short of space or no destination
 * takes the instance; acknowledged once durable. */
static uint16_t store(const cirr_dicom_peer *peer, cirr_dicom_dataset *ds, const char *ts, void *ud)
{
    struct mux *m = ud;
    char modality[32] = "", sop_class[80] = "", name[SPOOL_NAME_MAX], why[512];
    if (spool_free_bytes(&m->spool) < m->conf.min_free_bytes) {
        m->refused_space++;
        log_msg(LOG_WARN, NULL, "C-STORE from %s refused (0xA700): spool below MUX_MIN_FREE_MB", peer->calling_aet);
        return 0xA700;
    }
    cirr_dicom_get_string(ds, CIRR_TAG_MODALITY, modality, sizeof modality);
    cirr_dicom_get_string(ds, CIRR_TAG_SOP_CLASS_UID, sop_class, sizeof sop_class);
    int wanted[MUX_MAX_DESTS];
    if (!route_instance(&m->conf, modality, peer->calling_aet, sop_class, wanted)) {
        /* refused, not dropped: the sender keeps it and shows the failure */
        m->refused_unrouted++;
        log_msg(LOG_WARN, NULL,
                "C-STORE from %s refused (0x0124): no destination takes a %s instance of class %s "
                "(see MUX_DEST_<NAME>_MODALITY, _CALLING, _SOP_CLASS)",
                peer->calling_aet, *modality ? modality : "(no modality)", sop_class);
        return 0x0124; /* Refused: Not authorized */
    }
    uint16_t status = spool_accept(&m->spool, ds, ts, wanted, name, sizeof name, why, sizeof why);
    if (status != 0x0000) {
        m->refused_other++;
        log_msg(LOG_ERROR, NULL, "C-STORE from %s refused (0x%04x): %s", peer->calling_aet, status, why);
        return status;
    }
    m->received++;
    for (unsigned i = 0; i < m->conf.ndests; i++)
        if (wanted[i])
            forward_push(&m->queues[i], name);
    return 0x0000;
}

static void association_done(const cirr_dicom_peer *peer, const char *summary, void *ud)
{
    ((struct mux *)ud)->associations++;
    log_msg(LOG_INFO, NULL, "association %lu from %s@%s: %s", peer->association_id, peer->calling_aet,
            peer->peer_host, summary);
}

cirr_dicom_status receive_listen(struct mux *m, cirr_dicom_scp **scp)
{
    static const unsigned acse_timeout_s = 30, dimse_timeout_s = 300;
    const struct mux_conf *c = &m->conf;
    cirr_dicom_handlers h = {NULL, store, NULL, NULL, NULL, association_done, m};
    cirr_dicom_scp_config cfg = {c->port, c->aet, c->allow_any ? NULL : (const char *const *)c->allowed,
                                 c->max_associations, acse_timeout_s, dimse_timeout_s, 0, NULL, NULL};
    return cirr_dicom_scp_new(&cfg, &h, scp);
}
