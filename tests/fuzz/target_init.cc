// target_init.cc: see target_init.h.
#include "target_init.h"

#include "depth_guard.h"
#include "internal.h"

#include <cstdio>
#include <cstdlib>

void target_init(const char *name)
{
    if (cirr_dicom_init() != CIRR_DICOM_OK) {
        fprintf(stderr, "%s: %s\n", name, cirr_dicom_last_error());
        abort();
    }
    OFLog::configure(OFLogger::OFF_LOG_LEVEL);
    if (!depth_guard_works()) {
        fprintf(stderr, "%s: the depth guard does not see DCMTK's parser\n", name);
        abort();
    }
}
