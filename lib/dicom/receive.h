// receive.h: the dataset that follows a request (C-STORE, C-FIND, C-MOVE,
// C-GET), received in memory with its nesting checked before DCMTK parses
// it (receive.cc; the check: nesting.h).
#ifndef CIRR_DICOM_RECEIVE_H
#define CIRR_DICOM_RECEIVE_H

#include "internal.h"

// Receive the dataset of the request that came on pres; timeout in seconds
// (0: wait as long as it takes). EC_Normal and *out (the caller deletes
// it), or, when it nests sequences deeper than max_depth or in a way the
// check cannot follow, EC_Normal with *out NULL and *refused saying why
// (static text): it was read to its end and not parsed, and the request is
// to be answered with a failure status. Any other condition: the dataset
// could not be received (network, protocol, DCMTK's parser, a dataset
// that ends inside an element) and the association cannot go on.
OFCondition cirr_dicom_receive_dataset(T_ASC_Association *assoc, unsigned timeout, unsigned max_depth,
                                       T_ASC_PresentationContextID pres, DcmDataset **out,
                                       const char **refused);

#endif
