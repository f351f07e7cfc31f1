// retrieve.h: C-MOVE and C-GET providers of the SCP (retrieve.cc).
#ifndef CIRR_DICOM_RETRIEVE_H
#define CIRR_DICOM_RETRIEVE_H

#include "scp.h"

#include <string>
#include <vector>

// Serve one C-MOVE: sub-operations on a new association to the destination.
// A query nested too deeply is refused unparsed (0xC000; tally->refused).
OFCondition cirr_dicom_handle_move(const cirr_dicom_scp &scp, T_ASC_Association *assoc,
                                   const cirr_dicom_peer *peer, T_ASC_PresentationContextID pres,
                                   T_DIMSE_C_MoveRQ *req, Tally *tally);

// Serve one C-GET: sub-operations on the same association.
OFCondition cirr_dicom_handle_get(const cirr_dicom_scp &scp, T_ASC_Association *assoc,
                                  const cirr_dicom_peer *peer, T_ASC_PresentationContextID pres,
                                  T_DIMSE_C_GetRQ *req, Tally *tally);

// Open a requestor association proposing each SOP class with the given
// transfer syntaxes (shared with scu.cc). On success *net and *assoc are set.
cirr_dicom_status cirr_dicom_request(const char *host, unsigned port, const char *called,
                                     const char *calling, unsigned acse_timeout, unsigned max_pdu,
                                     const std::vector<std::string> &sop_classes,
                                     const char *const *ts, T_ASC_Network **net,
                                     T_ASC_Association **assoc,
                                     const std::vector<std::string> &scp_role_classes = {});

#endif
