// slurp.cc: a Part 10 file read in one system call and parsed from memory
// (cirr_dicom_edit.h): for batch work, where the few dozen small reads and
// seeks of a file stream cost more than the parsing.
#include "cirr_dicom_edit.h"
#include "internal.h"

#include <dcmtk/dcmdata/dcistrmb.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <new>
#include <sys/stat.h>
#include <unistd.h>

namespace {

// The whole file into a malloc'd buffer; nullptr with errno on failure.
unsigned char *read_all(const char *path, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0)
        return nullptr;
    unsigned char *buf = nullptr;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (buf = static_cast<unsigned char *>(malloc(st.st_size + 1)))) {
        size_t got = 0;
        while (got < (size_t)st.st_size) {
            ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                break;
            got += (size_t)n;
        }
        *len = got;
    } else if (fd >= 0 && !buf && errno == 0) {
        errno = EINVAL;
    }
    int saved = errno;
    close(fd);
    errno = saved;
    return buf;
}

} // namespace

extern "C" cirr_dicom_status cirr_dicom_read_whole(const char *path, cirr_dicom_dataset **out)
{
    return cirr_dicom_guard([&] {
        size_t len = 0;
        unsigned char *buf = read_all(path, &len);
        if (!buf)
            return cirr_dicom_fail(CIRR_DICOM_ERROR_IO, "%s: %s", path, strerror(errno ? errno : EINVAL));
        DcmInputBufferStream stream;
        stream.setBuffer(buf, (offile_off_t)len);
        stream.setEos();
        DcmFileFormat file;
        file.transferInit();
        OFCondition cond = file.read(stream);
        file.transferEnd();
        free(buf);
        if (cond.bad())
            return cirr_dicom_fail(CIRR_DICOM_ERROR_PARSE, "%s: %s", path, cond.text());
        DcmDataset *d = file.getAndRemoveDataset(); // ours now: no copy of the pixels
        *out = new (std::nothrow) cirr_dicom_dataset{d, true};
        if (!*out) {
            delete d;
            return cirr_dicom_fail(CIRR_DICOM_ERROR_MEMORY, "out of memory");
        }
        return CIRR_DICOM_OK; // its original syntax: the file's, as read
    });
}
