/* cirr_dicom.h: the C API over DCMTK that every cirr service uses. The only
 * C++ in the project is behind this header; no C++ type or exception
 * crosses it.
 *
 * Conventions (after Orthanc's plugin SDK): every name starts with
 * cirr_dicom_; handles are opaque; each _new/_read has a _free that accepts
 * NULL; calls return a cirr_dicom_status (0 = OK) with results in
 * out-parameters; DIMSE status codes (0x0000 success, 0xFF00 pending,
 * 0xA700 out of resources, 0xA801 unknown move destination, 0xC000 cannot
 * process, ...) travel as uint16_t. Strings passed in are copied; strings
 * and datasets passed to callbacks live only for the call. No C++
 * exception leaves a cirr_dicom_ function: it becomes a status
 * (ERROR_MEMORY for out of memory, ERROR_INTERNAL otherwise) with its text
 * in cirr_dicom_last_error(). Tag names: cirr_dicom_tags.h. */
#ifndef CIRR_DICOM_H
#define CIRR_DICOM_H

#include <stddef.h>
#include <stdint.h>

#include "cirr_dicom_tags.h" /* CIRR_TAG and the named tags */

#ifdef __cplusplus
extern "C" {
#endif

#define CIRR_DICOM_API_VERSION 1

/* Status codes: never renumbered; new ones are appended. */
#define CIRR_DICOM_STATUS_TABLE(X)                                              \
    X(OK, 0, "success")                                                         \
    X(ERROR_ARGUMENT, 1, "invalid argument")                                    \
    X(ERROR_IO, 2, "file could not be read or written")                         \
    X(ERROR_PARSE, 3, "not a valid DICOM file or dataset")                      \
    X(ERROR_NOT_FOUND, 4, "element not present")                                \
    X(ERROR_NETWORK, 5, "network error")                                        \
    X(ERROR_REJECTED, 6, "association rejected by the peer")                    \
    X(ERROR_NO_CONTEXT, 7, "no accepted presentation context for this SOP class") \
    X(ERROR_DIMSE, 8, "the peer answered with a failure status")                \
    X(ERROR_MEMORY, 9, "out of memory")                                         \
    X(ERROR_INTERNAL, 10, "internal error")                                     \
    X(ERROR_TRANSCODE, 11, "cannot convert to the transfer syntax")

typedef enum {
#define CIRR_DICOM_ENUM(name, value, text) CIRR_DICOM_##name = value,
    CIRR_DICOM_STATUS_TABLE(CIRR_DICOM_ENUM)
#undef CIRR_DICOM_ENUM
    CIRR_DICOM_STATUS_INTERNAL_ = 0x7fffffff
} cirr_dicom_status;

/* Static text for a status (do not free). */
const char *cirr_dicom_status_text(cirr_dicom_status status);

/* The API version the library was built with (compare with the macro). */
unsigned cirr_dicom_api_version(void);

/* 1 when the library linked in was built with the API version this
 * program was compiled against, 0 when not. Programs call it at start:
 *   if (!cirr_dicom_check_version()) -> refuse to run, naming both
 *   versions (cirr_dicom_api_version() and CIRR_DICOM_API_VERSION). */
static inline int cirr_dicom_check_version(void)
{
    return cirr_dicom_api_version() == CIRR_DICOM_API_VERSION;
}

/* Load the data dictionary and settings; call once, before any thread. */
cirr_dicom_status cirr_dicom_init(void);

/* Load DCMTK's data dictionary now, on the calling thread, rather than in
 * cirr_dicom_init: safe on any one thread while the caller's other threads
 * do work that needs no DICOM (a folder walk, reading files), before
 * cirr_dicom_init. ERROR_INTERNAL when no dictionary could be loaded. */
cirr_dicom_status cirr_dicom_load_dictionary(void);

/* Before the dictionary is loaded, on the only thread: when DCMDICTPATH
 * is not set, set it to DCMTK's default dictionaries without its private
 * one (private.dic, a third of the loading time), for a program that
 * removes every private element whatever its VR. 1 when set, 0 when
 * DCMDICTPATH was set already or the default has no other dictionary. */
int cirr_dicom_dictionary_skip_private(void);

/* Undo cirr_dicom_init (codec registrations); call once at exit. */
void cirr_dicom_cleanup(void);

/* The last error message of this thread (static per thread; never NULL). */
const char *cirr_dicom_last_error(void);

/* ---- datasets -------------------------------------------------------- */

typedef struct cirr_dicom_dataset cirr_dicom_dataset;

cirr_dicom_status cirr_dicom_dataset_new(cirr_dicom_dataset **out);
/* Read a DICOM Part 10 file. */
cirr_dicom_status cirr_dicom_dataset_read(const char *path, cirr_dicom_dataset **out);
/* Write a Part 10 file with meta header; ts_uid NULL = Explicit VR Little
 * Endian. The file is not fsynced (the caller owns durability). */
cirr_dicom_status cirr_dicom_dataset_write(cirr_dicom_dataset *ds, const char *path,
                                           const char *ts_uid);
/* The Part 10 bytes in a malloc'd buffer (free with free()). */
cirr_dicom_status cirr_dicom_dataset_encode(cirr_dicom_dataset *ds, const char *ts_uid,
                                            void **buf, size_t *len);
/* The same bytes cirr_dicom_dataset_write writes, into memory the caller
 * gives: alloc(size, ctx) is called once, with an upper bound of the
 * encoded length, and returns at least size bytes (NULL: ERROR_MEMORY);
 * the buffer stays the caller's, whatever the result. *len: the bytes
 * encoded. For a caller that needs its own buffer (aligned for O_DIRECT). */
cirr_dicom_status cirr_dicom_dataset_encode_with(cirr_dicom_dataset *ds, const char *ts_uid,
                                                 void *(*alloc)(size_t size, void *ctx), void *ctx,
                                                 size_t *len);
cirr_dicom_status cirr_dicom_dataset_copy(const cirr_dicom_dataset *ds, cirr_dicom_dataset **out);
/* The dataset a store handler was given, made the handler's own without a
 * copy (a relay keeps it past the handler): *out holds it, to be freed
 * with cirr_dicom_dataset_free, and ds is left empty. */
cirr_dicom_status cirr_dicom_dataset_take(cirr_dicom_dataset *ds, cirr_dicom_dataset **out);
void cirr_dicom_dataset_free(cirr_dicom_dataset *ds);

/* The transfer syntax the dataset was read or received in. */
cirr_dicom_status cirr_dicom_dataset_ts(const cirr_dicom_dataset *ds, char *buf, size_t cap);

/* Value as text (multiple values joined by '\'); ERROR_NOT_FOUND if absent. */
cirr_dicom_status cirr_dicom_get_string(const cirr_dicom_dataset *ds, uint32_t tag, char *buf,
                                        size_t cap);
/* Set a value from text, for any VR DCMTK can parse from a string. */
cirr_dicom_status cirr_dicom_set_string(cirr_dicom_dataset *ds, uint32_t tag, const char *value);
/* Set an OB/OW value (pixel data). */
cirr_dicom_status cirr_dicom_set_bytes(cirr_dicom_dataset *ds, uint32_t tag, const void *data,
                                       size_t len);
/* Insert an element with no value (for a sequence: an empty sequence). */
cirr_dicom_status cirr_dicom_set_empty(cirr_dicom_dataset *ds, uint32_t tag);
/* Set value_tag in item `item` (0-based; created when missing) of the
 * sequence seq_tag (created when missing). */
cirr_dicom_status cirr_dicom_set_in_item(cirr_dicom_dataset *ds, uint32_t seq_tag, unsigned item,
                                         uint32_t value_tag, const char *value);

/* Create Pixel Data (OW) of len bytes and hand out its buffer to fill
 * (owned by ds; valid until ds changes): saves a copy of large images. */
cirr_dicom_status cirr_dicom_pixel_buffer(cirr_dicom_dataset *ds, size_t len, void **buf);
/* Present (possibly empty)? 1 or 0. */
int cirr_dicom_has(const cirr_dicom_dataset *ds, uint32_t tag);
cirr_dicom_status cirr_dicom_delete(cirr_dicom_dataset *ds, uint32_t tag);

/* Called for each top-level element: tag, VR ("PN", ...), value as text
 * (NULL for sequences and binary values). Return nonzero to stop. */
typedef int (*cirr_dicom_element_fn)(uint32_t tag, const char *vr, const char *value, void *ud);
cirr_dicom_status cirr_dicom_iterate(const cirr_dicom_dataset *ds, cirr_dicom_element_fn fn,
                                     void *ud);

/* A new UID under root (NULL: DCMTK's site root). */
cirr_dicom_status cirr_dicom_uid_generate(const char *root, char *buf, size_t cap);

/* Well-known transfer syntaxes (static strings). */
#define CIRR_DICOM_TS_IMPLICIT_LE "1.2.840.10008.1.2"
#define CIRR_DICOM_TS_EXPLICIT_LE "1.2.840.10008.1.2.1"
#define CIRR_DICOM_TS_JPEG_LOSSLESS "1.2.840.10008.1.2.4.70"
#define CIRR_DICOM_TS_JPEG_LS_LOSSLESS "1.2.840.10008.1.2.4.80"
#define CIRR_DICOM_TS_RLE "1.2.840.10008.1.2.5"

/* ---- SCP --------------------------------------------------------------- */

typedef struct {
    const char *calling_aet; /* the peer's AE title */
    const char *called_aet;  /* ours, as the peer called it */
    const char *peer_host;   /* IP address */
    unsigned long association_id;
} cirr_dicom_peer;

/* Send one C-FIND match; returns OK, or an error when the peer cancelled
 * (stop searching then). */
typedef struct cirr_dicom_find_sink cirr_dicom_find_sink;
cirr_dicom_status cirr_dicom_find_send(cirr_dicom_find_sink *sink, const cirr_dicom_dataset *match);

/* What a C-MOVE or C-GET retrieves: count instances, produced on demand. */
typedef struct {
    size_t count;
    /* Build instance i (the library frees it). */
    cirr_dicom_status (*fetch)(void *ctx, size_t i, cirr_dicom_dataset **out);
    /* SOP Class UID of instance i, used to negotiate before fetching. */
    const char *(*sop_class)(void *ctx, size_t i);
    void (*release)(void *ctx); /* called once when done; may be NULL */
    void *ctx;
    /* Takes back each fetched instance once it was sent (or failed), to
     * free it where the producer chooses; NULL: the library frees it. */
    void (*sent)(void *ctx, cirr_dicom_dataset *ds);
} cirr_dicom_instances;

typedef struct {
    /* Each handler returns a DIMSE status; NULL handlers refuse the service.
     * Handlers run on the association's own thread: they must be thread-safe. */
    uint16_t (*echo)(const cirr_dicom_peer *peer, void *ud);
    /* ds is owned by the library, unless the handler takes it
     * (cirr_dicom_dataset_take); path (may be NULL) is not used yet. */
    uint16_t (*store)(const cirr_dicom_peer *peer, cirr_dicom_dataset *ds, const char *ts_uid,
                      void *ud);
    uint16_t (*find)(const cirr_dicom_peer *peer, const char *sop_class,
                     const cirr_dicom_dataset *query, cirr_dicom_find_sink *sink, void *ud);
    /* C-MOVE and C-GET: fill *out (status 0) or return a failure status.
     * The library sends the instances as C-STORE sub-operations and
     * answers pending after the first, then at most every 200 ms. */
    uint16_t (*retrieve)(const cirr_dicom_peer *peer, const char *sop_class,
                         const cirr_dicom_dataset *query, cirr_dicom_instances *out, void *ud);
    /* C-MOVE destination lookup: 0 and host/port when known, -1 otherwise
     * (the peer then gets 0xA801). */
    int (*destination)(const char *aet, char *host, size_t cap, unsigned *port, void *ud);
    /* One line per association, for the log: called at its end. */
    void (*association_done)(const cirr_dicom_peer *peer, const char *summary, void *ud);
    void *ud;
} cirr_dicom_handlers;

typedef struct {
    unsigned port;
    const char *aet;              /* our AE title */
    const char *const *allowed;   /* calling AE titles allowed; NULL = any */
    unsigned max_associations;    /* concurrent; beyond it: rejected (Local Limit Exceeded) */
    unsigned acse_timeout;        /* seconds */
    unsigned dimse_timeout;       /* seconds; 0 = none */
    unsigned max_pdu;             /* bytes we receive */
    const char *const *transfer_syntaxes; /* accepted, preferred first; NULL = defaults */
    const char *const *sop_classes;       /* storage classes accepted; NULL = all storage */
} cirr_dicom_scp_config;

/* Limits against peers that are broken or hostile; 0 = the default given.
 * Each connection gets its own thread as soon as it is accepted. */
typedef struct {
    unsigned request_timeout;  /* seconds for the whole association request, from accept; 10 */
    unsigned message_timeout;  /* seconds for one message (a command and its dataset) from its
                                  first byte, plus 1 s per message_min_rate bytes of it; 30.
                                  Also how long the peer may take to read what we send. */
    unsigned message_min_rate; /* bytes per second; 16384 */
    unsigned max_depth;        /* sequences nested in a dataset or command; a dataset nested
                                  deeper is refused unparsed (0xC000), a command ends the
                                  association; 64 */
    unsigned max_pending;      /* connections still sending their request; more are closed; 64 */
} cirr_dicom_scp_limits;

typedef struct cirr_dicom_scp cirr_dicom_scp;

/* Open the listening port (so a bind error is reported at start). */
cirr_dicom_status cirr_dicom_scp_new(const cirr_dicom_scp_config *cfg,
                                     const cirr_dicom_handlers *handlers, cirr_dicom_scp **out);
/* Set the limits (copied) before cirr_dicom_scp_run(); without this call
 * the defaults apply. */
cirr_dicom_status cirr_dicom_scp_set_limits(cirr_dicom_scp *scp, const cirr_dicom_scp_limits *limits);
/* Accept associations until cirr_dicom_scp_stop(); each runs on its own thread. */
cirr_dicom_status cirr_dicom_scp_run(cirr_dicom_scp *scp);
/* Ask run() to return (async-signal-safe); running associations finish. */
void cirr_dicom_scp_stop(cirr_dicom_scp *scp);
void cirr_dicom_scp_free(cirr_dicom_scp *scp);

/* ---- SCU ---------------------------------------------------------------- */

typedef struct {
    const char *host;
    unsigned port;
    const char *called_aet;
    const char *calling_aet;
    unsigned acse_timeout, dimse_timeout; /* seconds */
    unsigned max_pdu;
} cirr_dicom_peer_config;

typedef struct cirr_dicom_scu cirr_dicom_scu;

/* Open an association proposing Verification and, for each SOP class in
 * sop_classes (NULL-terminated; may be NULL), the transfer syntaxes in
 * transfer_syntaxes (NULL = Explicit then Implicit VR Little Endian). */
cirr_dicom_status cirr_dicom_scu_open(const cirr_dicom_peer_config *cfg,
                                      const char *const *sop_classes,
                                      const char *const *transfer_syntaxes,
                                      cirr_dicom_scu **out);
/* Release the association (or abort it when release fails); accepts NULL. */
void cirr_dicom_scu_close(cirr_dicom_scu *scu);

cirr_dicom_status cirr_dicom_scu_echo(cirr_dicom_scu *scu, uint16_t *dimse_status);
/* Store one dataset; *dimse_status is the peer's answer. The dataset is
 * sent in the accepted transfer syntax (converted when DCMTK can). */
cirr_dicom_status cirr_dicom_scu_store(cirr_dicom_scu *scu, cirr_dicom_dataset *ds,
                                       uint16_t *dimse_status);
/* Store files over one association that proposes, for each SOP class
 * among them, the transfer syntaxes they are in plus Explicit and Implicit
 * VR Little Endian. Counts what the peer accepted and what failed. */
cirr_dicom_status cirr_dicom_scu_store_files(const cirr_dicom_peer_config *cfg, const char *const *paths,
                                             size_t n, unsigned *stored, unsigned *failed);

/* C-FIND; fn is called for each pending match (return nonzero to cancel). */
typedef int (*cirr_dicom_match_fn)(const cirr_dicom_dataset *match, void *ud);
cirr_dicom_status cirr_dicom_scu_find(cirr_dicom_scu *scu, const char *sop_class,
                                      const cirr_dicom_dataset *query, cirr_dicom_match_fn fn,
                                      void *ud, uint16_t *dimse_status);
/* Open an association for C-GET: the Patient and Study Root GET models,
 * and the storage SOP classes the instances may come as (proposed with
 * the SCP role for us, as C-GET needs). */
cirr_dicom_status cirr_dicom_scu_open_get(const cirr_dicom_peer_config *cfg,
                                          const char *const *storage_classes, cirr_dicom_scu **out);

/* C-GET: each instance the peer sends back on this association is handed
 * to fn (return a DIMSE status for it: 0x0000 to accept); the counts of the
 * final response come back. */
typedef uint16_t (*cirr_dicom_instance_fn)(cirr_dicom_dataset *instance, void *ud);
cirr_dicom_status cirr_dicom_scu_get(cirr_dicom_scu *scu, const char *sop_class,
                                     const cirr_dicom_dataset *query, cirr_dicom_instance_fn fn,
                                     void *ud, unsigned *completed, unsigned *failed,
                                     uint16_t *dimse_status);

/* C-MOVE to destination AE title; counts of the final response. */
cirr_dicom_status cirr_dicom_scu_move(cirr_dicom_scu *scu, const char *sop_class,
                                      const cirr_dicom_dataset *query, const char *destination,
                                      unsigned *completed, unsigned *failed,
                                      uint16_t *dimse_status);

#ifdef __cplusplus
}
#endif

#endif
