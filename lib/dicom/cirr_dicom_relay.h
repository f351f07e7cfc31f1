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

/* The bytes ds takes encoded in its own transfer syntax (the dataset, no
 * meta header): computed from the elements, nothing is encoded. */
cirr_dicom_status cirr_dicom_dataset_size(const cirr_dicom_dataset *ds, size_t *bytes);

#ifdef __cplusplus
}
#endif

#endif
