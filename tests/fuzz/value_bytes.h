// value_bytes.h: a fuzz oracle. Every byte of a dataset DCMTK parsed came
// from the peer: each element's value as long as its header declares
// (DCMTK rounds an odd length up), and each header of an element or item
// at least 8 bytes. So the bytes a
// parsed dataset accounts for are no more than the peer sent. More means
// an element whose value never (fully) arrived was taken as read: its
// bytes uninitialised heap memory, or a length of up to 4 GiB that later
// reads allocate.
#ifndef CIRR_FUZZ_VALUE_BYTES_H
#define CIRR_FUZZ_VALUE_BYTES_H

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dctk.h>

#include <cstddef>

// Abort, naming who (the target) and the last element counted, when ds
// accounts for more bytes than sent.
void value_bytes_check(DcmItem &ds, size_t sent, const char *who);

#endif
