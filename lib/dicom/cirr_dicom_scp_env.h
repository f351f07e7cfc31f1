/* cirr_dicom_scp_env.h: an SCP's limits against broken or hostile peers
 * (cirr_dicom_scp_limits, and the config's DIMSE timeout) as environment
 * variables, named and checked alike in every program that serves DICOM:
 * PREFIX_IDLE_TIMEOUT, PREFIX_REQUEST_TIMEOUT, PREFIX_MESSAGE_TIMEOUT and
 * PREFIX_MAX_NESTING. A program puts CIRR_DICOM_SCP_ENV(...) in its envconf
 * table (lib/envconf.h) and hands what it loaded to the SCP:
 *
 *     struct conf { ...; struct cirr_dicom_scp_env scp; };
 *     ... CIRR_DICOM_SCP_ENV("MOCK", struct conf, scp), ...
 *     cfg.dimse_timeout = conf.scp.idle_timeout_s;
 *     cirr_dicom_scp_limits limits = cirr_dicom_scp_env_limits(&conf.scp);
 */
#ifndef CIRR_DICOM_SCP_ENV_H
#define CIRR_DICOM_SCP_ENV_H

#include "cirr_dicom.h"
#include "envconf.h"

struct cirr_dicom_scp_env {
    unsigned idle_timeout_s, request_timeout_s, message_timeout_s, max_nesting;
};

/* The four entries of an envconf table, into the cirr_dicom_scp_env FIELD of TYPE. */
#define CIRR_DICOM_SCP_ENV(PREFIX, TYPE, FIELD)                                                      \
    ENVCONF_NUM(PREFIX "_IDLE_TIMEOUT", "300", 1, 86400, TYPE, FIELD.idle_timeout_s,                 \
                "seconds an association may stay silent between messages before it is closed"),     \
    ENVCONF_NUM(PREFIX "_REQUEST_TIMEOUT", "10", 1, 3600, TYPE, FIELD.request_timeout_s,             \
                "seconds a caller has for its whole association request, from connecting"),         \
    ENVCONF_NUM(PREFIX "_MESSAGE_TIMEOUT", "30", 1, 3600, TYPE, FIELD.message_timeout_s,             \
                "seconds for one message from its first byte, plus 1 s per 16 KiB of it"),          \
    ENVCONF_NUM(PREFIX "_MAX_NESTING", "64", 1, 1000, TYPE, FIELD.max_nesting,                       \
                "sequences nested in a dataset; one nested deeper is refused unparsed (0xC000)")

/* The limits to give cirr_dicom_scp_set_limits (the rest: lib/dicom's defaults). */
static inline cirr_dicom_scp_limits cirr_dicom_scp_env_limits(const struct cirr_dicom_scp_env *e)
{
    cirr_dicom_scp_limits limits = {0};
    limits.request_timeout = e->request_timeout_s;
    limits.message_timeout = e->message_timeout_s;
    limits.max_depth = e->max_nesting;
    return limits;
}

#endif
