/* cirr_dicom_relay.h: more of the C API over DCMTK, for relaying programs
 * (cirr-bridge). Conventions as in cirr_dicom.h, which it extends. */
#ifndef CIRR_DICOM_RELAY_H
#define CIRR_DICOM_RELAY_H

#include "cirr_dicom.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Called for each pending C-MOVE response with its counts (remaining is
 * -1 when the peer did not say). */
typedef void (*cirr_dicom_move_progress_fn)(long remaining, unsigned completed, unsigned failed,
                                            unsigned warning, void *ud);

/* C-MOVE on an association of its own to cfg's peer (proposing the
 * Patient and Study Root MOVE models), progress reported as it comes; the
 * final response's status and counts come back. */
cirr_dicom_status cirr_dicom_move_with_progress(const cirr_dicom_peer_config *cfg, const char *sop_class,
                                                const cirr_dicom_dataset *query, const char *destination,
                                                cirr_dicom_move_progress_fn fn, void *ud,
                                                unsigned *completed, unsigned *failed,
                                                uint16_t *dimse_status);

/* The Message ID the next request on scu's association carries (0 is
 * never used: DCMTK's own counter then goes on). A relay that asks for a
 * C-MOVE gives each its own, to know the instances that move sends back
 * by the Move Originator Message ID of their C-STOREs. */
void cirr_dicom_scu_set_message_id(cirr_dicom_scu *scu, uint16_t message_id);

/* Inside a store handler: whether the C-STORE being answered is a C-MOVE
 * sub-operation that says so (both Move Originator fields sent); then the
 * originator's AE title (trimmed, at most 16 characters + NUL) and the
 * Message ID of its C-MOVE. 0 elsewhere, or when the peer did not say. */
int cirr_dicom_store_originator(char aet[17], uint16_t *message_id);

/* The bytes ds takes encoded in its own transfer syntax (the dataset, no
 * meta header): computed from the elements, nothing is encoded. */
cirr_dicom_status cirr_dicom_dataset_size(const cirr_dicom_dataset *ds, size_t *bytes);

#ifdef __cplusplus
}
#endif

#endif
