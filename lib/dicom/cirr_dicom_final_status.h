/* cirr_dicom_final_status.h: a C-MOVE or C-GET provider's say in its final
 * status. lib/dicom answers from its counts (0xB000 when a sub-operation
 * failed); a provider whose instances come from elsewhere (the bridge,
 * relaying a PACS) knows when that source failed, which the counts do not
 * tell the caller. */
#ifndef CIRR_DICOM_FINAL_STATUS_H
#define CIRR_DICOM_FINAL_STATUS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Called from the retrieve's cirr_dicom_instances callbacks (fetch,
 * release), which run on the association's thread: the final response
 * says status (a failure, 0xA000-0xCFFF, e.g. 0xA702) with the counts,
 * instead of the one the counts give. A C-CANCEL's 0xFE00 is kept; other
 * values, and calls outside a retrieve, are ignored. */
void cirr_dicom_retrieve_final_status(uint16_t status);

#ifdef __cplusplus
}
#endif

#endif
