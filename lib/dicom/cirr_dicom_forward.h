/* cirr_dicom_forward.h: more of the C API over DCMTK, for forwarding
 * programs (cirr-mux): associations that let the peer accept each
 * transfer syntax on its own, and compression on the way out.
 * Conventions as in cirr_dicom.h, which it extends. */
#ifndef CIRR_DICOM_FORWARD_H
#define CIRR_DICOM_FORWARD_H

#include "cirr_dicom.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Read a DICOM Part 10 file as cirr_dicom_dataset_read does, but keeping
 * the transfer syntax it is in (cirr_dicom_dataset_ts, and what
 * cirr_dicom_scu_store looks for): the readers of cirr_dicom.h and
 * cirr_dicom_edit.h report Explicit VR Little Endian for any uncompressed
 * file (DCMTK's updateOriginalXfer). Same statuses. */
cirr_dicom_status cirr_dicom_read_as_is(const char *path, cirr_dicom_dataset **out);

/* Like cirr_dicom_scu_open, but for each SOP class, after the one context
 * with every syntax of transfer_syntaxes (NULL-terminated, not empty),
 * one more context per syntax (as long as the 127 contexts of an
 * association allow): a peer picks one syntax per context, by its own
 * preference, so only a context of its own lets a syntax through that the
 * peer takes but does not prefer. cirr_dicom_scu_store then sends each
 * instance in the syntax it is in whenever the peer took that. */
cirr_dicom_status cirr_dicom_scu_open_each_ts(const cirr_dicom_peer_config *cfg, const char *const *sop_classes,
                                              const char *const *transfer_syntaxes, cirr_dicom_scu **out);

/* 1 if the association has an accepted context for sop_class in ts_uid. */
int cirr_dicom_scu_accepts(const cirr_dicom_scu *scu, const char *sop_class, const char *ts_uid);

/* Register DCMTK's JPEG-LS encoder (cirr_dicom_init registers only the
 * decoders); call once, after cirr_dicom_init, before any thread. */
cirr_dicom_status cirr_dicom_encoders_init(void);
/* Undo cirr_dicom_encoders_init; call once at exit. */
void cirr_dicom_encoders_cleanup(void);

/* Compress ds's pixel data in memory to ts_uid (CIRR_DICOM_TS_JPEG_LS_LOSSLESS)
 * and make that the syntax ds is sent in. ERROR_ARGUMENT when ds has no
 * pixel data or is compressed already, ERROR_TRANSCODE when the encoder
 * cannot take it; ds is unchanged then. */
cirr_dicom_status cirr_dicom_compress(cirr_dicom_dataset *ds, const char *ts_uid);

#ifdef __cplusplus
}
#endif

#endif
