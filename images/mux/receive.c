/* receive.c: see receive.h. */
#include "receive.h"

#include "instance.h"
#include "log.h"
#include "route.h"

/* Every value below comes from the peer: escaped before it reaches the log. */
struct said {
    char aet[LOG_ESCAPED_SIZE(16)];
    char modality[LOG_ESCAPED_SIZE(31)];
    char sop_class[LOG_ESCAPED_SIZE(INSTANCE_UID_MAX - 1)];
    char why[1024];
};

/* Admission: a dataset that can be forwarded, room in the spool, a
 * destination that takes it. 0x0000, or the refusal, counted and logged. */
static uint16_t admit(struct mux *m, const cirr_dicom_peer *peer, cirr_dicom_dataset *ds, struct instance_id *id,
                      int *wanted)
{
    struct said s;
    char why[256];
    log_escape(s.aet, sizeof s.aet, peer->calling_aet);
    if (instance_identify(ds, id, why, sizeof why) < 0) {
        /* nothing to name or forward: refused now, not acknowledged and buried later */
        m->refused_invalid++;
        log_msg(LOG_WARN, NULL, "C-STORE from %s refused (0xA900): %s", s.aet, log_escape(s.why, sizeof s.why, why));
        return 0xA900; /* Error: Data Set does not match SOP Class */
    }
    if (spool_free_bytes(&m->spool) < m->conf.min_free_bytes) {
        m->refused_space++;
        log_msg(LOG_WARN, NULL, "C-STORE from %s refused (0xA700): spool below MUX_MIN_FREE_MB", s.aet);
        return 0xA700;
    }
    if (!route_instance(&m->conf, id->modality, peer->calling_aet, id->sop_class, wanted)) {
        /* refused, not dropped: the sender keeps it and shows the failure */
        m->refused_unrouted++;
        log_msg(LOG_WARN, NULL,
                "C-STORE from %s refused (0x0124): no destination takes a %s instance of class %s "
                "(see MUX_DEST_<NAME>_MODALITY, _CALLING, _SOP_CLASS)",
                s.aet, *id->modality ? log_escape(s.modality, sizeof s.modality, id->modality) : "(no modality)",
                log_escape(s.sop_class, sizeof s.sop_class, id->sop_class));
        return 0x0124; /* Refused: Not authorized */
    }
    return 0x0000;
}

/* C-STORE: admitted, then acknowledged once durable. */
static uint16_t store(const cirr_dicom_peer *peer, cirr_dicom_dataset *ds, const char *ts, void *ud)
{
    struct mux *m = ud;
    struct instance_id id;
    int wanted[MUX_MAX_DESTS];
    char name[SPOOL_NAME_MAX], why[512];
    uint16_t status = admit(m, peer, ds, &id, wanted);
    if (status != 0x0000)
        return status;
    status = spool_accept(&m->spool, ds, ts, id.sop_uid, wanted, name, sizeof name, why, sizeof why);
    if (status != 0x0000) {
        struct said s;
        m->refused_other++;
        log_msg(LOG_ERROR, NULL, "C-STORE from %s refused (0x%04x): %s", log_escape(s.aet, sizeof s.aet, peer->calling_aet),
                status, log_escape(s.why, sizeof s.why, why));
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
    struct said s;
    char host[LOG_ESCAPED_SIZE(63)];
    ((struct mux *)ud)->associations++;
    log_msg(LOG_INFO, NULL, "association %lu from %s@%s: %s", peer->association_id,
            log_escape(s.aet, sizeof s.aet, peer->calling_aet), log_escape(host, sizeof host, peer->peer_host),
            log_escape(s.why, sizeof s.why, summary));
}

cirr_dicom_status receive_listen(struct mux *m, cirr_dicom_scp **scp)
{
    static const unsigned acse_timeout_s = 30;
    const struct mux_conf *c = &m->conf;
    cirr_dicom_handlers h = {.store = store, .association_done = association_done, .ud = m};
    /* by name: what is not set is 0, lib/dicom's default (its limits on hostile peers too) */
    cirr_dicom_scp_config cfg = {.port = c->port,
                                 .aet = c->aet,
                                 .allowed = c->allow_any ? NULL : (const char *const *)c->allowed,
                                 .max_associations = c->max_associations,
                                 .acse_timeout = acse_timeout_s,
                                 .dimse_timeout = c->scp.idle_timeout_s};
    cirr_dicom_scp_limits limits = cirr_dicom_scp_env_limits(&c->scp);
    cirr_dicom_status st = cirr_dicom_scp_new(&cfg, &h, scp);
    if (st == CIRR_DICOM_OK && (st = cirr_dicom_scp_set_limits(*scp, &limits)) != CIRR_DICOM_OK) {
        cirr_dicom_scp_free(*scp);
        *scp = NULL;
    }
    return st;
}
