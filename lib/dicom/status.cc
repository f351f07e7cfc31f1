// status.cc: status texts, the per-thread last error, and library set-up.
#include "internal.h"

#include <dcmtk/dcmdata/dcrledrg.h>
#include <dcmtk/dcmjpeg/djdecode.h>
#include <dcmtk/dcmjpls/djdecode.h>
#include <dcmtk/dcmnet/dulstruc.h>
#include <dcmtk/dcmnet/dcmtrans.h>
#include <dcmtk/oflog/oflog.h>

#include <cstdarg>
#include <sstream>
#include <string>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <new>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

static thread_local char last_error[512] = "";

// The three functions below cannot throw (a switch over literals, a
// constant, a static buffer), so they need no cirr_dicom_guard.

extern "C" const char *cirr_dicom_status_text(cirr_dicom_status status)
{
    switch (status) {
#define CIRR_DICOM_TEXT(name, value, text) case CIRR_DICOM_##name: return text;
        CIRR_DICOM_STATUS_TABLE(CIRR_DICOM_TEXT)
#undef CIRR_DICOM_TEXT
    default: return "unknown status";
    }
}

extern "C" unsigned cirr_dicom_api_version(void) { return CIRR_DICOM_API_VERSION; }

extern "C" const char *cirr_dicom_last_error(void) { return last_error; }

cirr_dicom_status cirr_dicom_fail(cirr_dicom_status status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_error, sizeof last_error, fmt, ap);
    va_end(ap);
    return status;
}

cirr_dicom_status cirr_dicom_from_condition(const OFCondition &cond, const char *what)
{
    if (cond.good())
        return CIRR_DICOM_OK;
    cirr_dicom_status s = CIRR_DICOM_ERROR_INTERNAL;
    if (cond.module() == OFM_dcmnet)
        s = CIRR_DICOM_ERROR_NETWORK;
    if (cond == DUL_ASSOCIATIONREJECTED)
        s = CIRR_DICOM_ERROR_REJECTED;
    if (cond == EC_IllegalCall || cond == EC_IllegalParameter)
        s = CIRR_DICOM_ERROR_ARGUMENT;
    if (cond == EC_InvalidStream || cond == EC_StreamNotifyClient)
        s = CIRR_DICOM_ERROR_PARSE;
    if (cond == EC_TagNotFound)
        s = CIRR_DICOM_ERROR_NOT_FOUND;
    return cirr_dicom_fail(s, "%s: %s", what, cond.text());
}

cirr_dicom_status cirr_dicom_from_exception() noexcept
{
    try {
        throw;
    } catch (const std::bad_alloc &) {
        return cirr_dicom_fail(CIRR_DICOM_ERROR_MEMORY, "out of memory");
    } catch (const std::exception &e) {
        return cirr_dicom_fail(CIRR_DICOM_ERROR_INTERNAL, "exception: %s", e.what());
    } catch (...) {
        return cirr_dicom_fail(CIRR_DICOM_ERROR_INTERNAL, "exception of an unknown type");
    }
}

const char *const cirr_dicom_default_ts[] = {
    UID_LittleEndianExplicitTransferSyntax, UID_LittleEndianImplicitTransferSyntax,
    UID_JPEGProcess14SV1TransferSyntax,    UID_JPEGLSLosslessTransferSyntax,
    UID_RLELosslessTransferSyntax,         UID_JPEG2000LosslessOnlyTransferSyntax,
    UID_JPEGProcess1TransferSyntax,        UID_DeflatedExplicitVRLittleEndianTransferSyntax,
    UID_BigEndianExplicitTransferSyntax,   nullptr,
};

// getSocket() is protected; a pointer to it taken in a derived class may be
// applied to any DcmTransportConnection.
struct SocketOf : DcmTransportConnection {
    static DcmNativeSocketType get(DcmTransportConnection *c) { return (c->*(&SocketOf::getSocket))(); }
};

static int socket_of(T_ASC_Association *assoc)
{
    if (!assoc || !assoc->DULassociation)
        return -1;
    // DUL_ASSOCIATIONKEY is opaque (void); its definition is DCMTK's
    // PRIVATE_ASSOCIATIONKEY, installed in dulstruc.h.
    auto *key = static_cast<PRIVATE_ASSOCIATIONKEY *>(assoc->DULassociation);
    return key->connection ? (int)SocketOf::get(key->connection) : -1;
}

void cirr_dicom_nodelay(T_ASC_Association *assoc)
{
    int fd = socket_of(assoc), one = 1;
    if (fd >= 0)
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

extern "C" cirr_dicom_status cirr_dicom_load_dictionary(void)
{
    return cirr_dicom_guard([] {
        // The first use loads it, under DCMTK's own lock.
        if (!dcmDataDict.isDictionaryLoaded())
            return cirr_dicom_fail(CIRR_DICOM_ERROR_INTERNAL,
                                   "no DICOM data dictionary (set DCMDICTPATH)");
        return CIRR_DICOM_OK;
    });
}

extern "C" int cirr_dicom_dictionary_skip_private(void)
{
    const char *set = getenv(DCM_DICT_ENVIRONMENT_VARIABLE);
    if (set && *set)
        return 0;
    std::string kept;
    std::istringstream paths(DCM_DICT_DEFAULT_PATH);
    for (std::string path; std::getline(paths, path, ENVIRONMENT_PATH_SEPARATOR);) {
        size_t slash = path.rfind('/');
        if (path.empty() || path.compare(slash == std::string::npos ? 0 : slash + 1, std::string::npos, "private.dic") == 0)
            continue;
        kept += (kept.empty() ? "" : std::string(1, ENVIRONMENT_PATH_SEPARATOR)) + path;
    }
    return !kept.empty() && setenv(DCM_DICT_ENVIRONMENT_VARIABLE, kept.c_str(), 1) == 0;
}

extern "C" cirr_dicom_status cirr_dicom_init(void)
{
    return cirr_dicom_guard([] {
        // DCMTK logs to stderr by default; services log themselves.
        OFLog::configure(OFLogger::ERROR_LOG_LEVEL);
        if (cirr_dicom_status s = cirr_dicom_load_dictionary(); s != CIRR_DICOM_OK)
            return s;
        DJDecoderRegistration::registerCodecs();
        DJLSDecoderRegistration::registerCodecs();
        DcmRLEDecoderRegistration::registerCodecs();
        // DCMTK disables Nagle on its sockets when TCP_NODELAY is set; without
        // it, DICOM over loopback drops from hundreds of instances/s to ~20.
        setenv("TCP_NODELAY", "1", 0);
        // Reverse DNS lookups of peers cost seconds when DNS is slow.
        dcmDisableGethostbyaddr.set(OFTrue);
        return CIRR_DICOM_OK;
    });
}

extern "C" void cirr_dicom_cleanup(void)
{
    cirr_dicom_guard([] {
        DJDecoderRegistration::cleanup();
        DJLSDecoderRegistration::cleanup();
        DcmRLEDecoderRegistration::cleanup();
        return CIRR_DICOM_OK;
    });
}
