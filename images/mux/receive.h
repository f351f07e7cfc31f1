/* receive.h: the DICOM side of cirr-mux: a C-STORE SCP that admits an
 * instance (free space, a destination that takes it), makes it durable in
 * the spool, and only then acknowledges it and hands it to the queues. */
#ifndef MUX_RECEIVE_H
#define MUX_RECEIVE_H

#include "cirr_dicom.h"
#include "mux.h"

/* Open the DICOM port of m's settings, serving into m. CIRR_DICOM_OK with
 * *scp to run (cirr_dicom_scp_run) and free, or a failure status with
 * cirr_dicom_last_error() saying why. */
cirr_dicom_status receive_listen(struct mux *m, cirr_dicom_scp **scp);

#endif
