// dataset.cc: DICOM datasets behind the C API (see cirr_dicom.h).
#include "internal.h"

#include <dcmtk/dcmdata/dcostrmb.h>
#include <dcmtk/dcmdata/dcuid.h>
#include <dcmtk/dcmdata/dcwcache.h>

#include <cstdlib>
#include <cstring>
#include <new>

static DcmTagKey key(uint32_t tag) { return DcmTagKey((Uint16)(tag >> 16), (Uint16)(tag & 0xffff)); }

static E_TransferSyntax ts_of(const char *ts_uid)
{
    if (!ts_uid)
        return EXS_LittleEndianExplicit;
    return DcmXfer(ts_uid).getXfer();
}

extern "C" cirr_dicom_status cirr_dicom_dataset_new(cirr_dicom_dataset **out)
{
    return cirr_dicom_guard([&] {
        DcmDataset *d = new (std::nothrow) DcmDataset;
        *out = d ? new (std::nothrow) cirr_dicom_dataset{d, true} : nullptr;
        if (!*out) {
            delete d;
            return cirr_dicom_fail(CIRR_DICOM_ERROR_MEMORY, "out of memory");
        }
        return CIRR_DICOM_OK;
    });
}

// No cirr_dicom_guard: destructors do not throw.
extern "C" void cirr_dicom_dataset_free(cirr_dicom_dataset *ds)
{
    if (!ds)
        return;
    if (ds->owned)
        delete ds->ds;
    delete ds;
}

extern "C" cirr_dicom_status cirr_dicom_dataset_read(const char *path, cirr_dicom_dataset **out)
{
    return cirr_dicom_guard([&] {
        DcmFileFormat file;
        // Values up to 64 KiB read at once; larger ones (the pixels of most
        // images) only when used, from the file: no copy held in memory.
        OFCondition cond = file.loadFile(path, EXS_Unknown, EGL_noChange, 65536);
        if (cond.bad())
            return cirr_dicom_fail(cond == EC_InvalidStream || cond == EC_StreamNotifyClient
                                       ? CIRR_DICOM_ERROR_PARSE : CIRR_DICOM_ERROR_IO,
                                   "%s: %s", path, cond.text());
        // Taken out of the file object rather than copied: the dataset keeps
        // the transfer syntax it was read in (updateOriginalXfer would say
        // Explicit VR Little Endian for any uncompressed file).
        DcmDataset *d = file.getAndRemoveDataset();
        *out = new (std::nothrow) cirr_dicom_dataset{d, true};
        if (!*out) {
            delete d;
            return cirr_dicom_fail(CIRR_DICOM_ERROR_MEMORY, "out of memory");
        }
        return CIRR_DICOM_OK;
    });
}

extern "C" cirr_dicom_status cirr_dicom_dataset_copy(const cirr_dicom_dataset *ds, cirr_dicom_dataset **out)
{
    return cirr_dicom_guard([&] {
        cirr_dicom_status s = cirr_dicom_dataset_new(out);
        if (s == CIRR_DICOM_OK)
            *(*out)->ds = *ds->ds;
        return s;
    });
}

extern "C" cirr_dicom_status cirr_dicom_dataset_take(cirr_dicom_dataset *ds, cirr_dicom_dataset **out)
{
    return cirr_dicom_guard([&] {
        DcmDataset *empty = new (std::nothrow) DcmDataset;
        *out = empty ? new (std::nothrow) cirr_dicom_dataset{ds->ds, true} : nullptr;
        if (!*out) {
            delete empty;
            return cirr_dicom_fail(CIRR_DICOM_ERROR_MEMORY, "out of memory");
        }
        // The shell left behind owns the empty dataset: whoever gave ds
        // sees that it was taken (scp.cc then lets go of the original).
        ds->ds = empty;
        ds->owned = true;
        return CIRR_DICOM_OK;
    });
}

cirr_dicom_status cirr_dicom_prepare_ts(DcmDataset *ds, E_TransferSyntax ts)
{
    if (ds->canWriteXfer(ts))
        return CIRR_DICOM_OK;
    OFCondition cond = ds->chooseRepresentation(ts, nullptr);
    if (cond.bad() || !ds->canWriteXfer(ts))
        return cirr_dicom_fail(CIRR_DICOM_ERROR_TRANSCODE, "cannot convert from %s to %s",
                               DcmXfer(ds->getOriginalXfer()).getXferName(),
                               DcmXfer(ts).getXferName());
    return CIRR_DICOM_OK;
}

extern "C" cirr_dicom_status cirr_dicom_dataset_write(cirr_dicom_dataset *ds, const char *path,
                                                      const char *ts_uid)
{
    return cirr_dicom_guard([&] {
        E_TransferSyntax ts = ts_of(ts_uid);
        if (cirr_dicom_status s = cirr_dicom_prepare_ts(ds->ds, ts); s != CIRR_DICOM_OK)
            return s;
        // Borrow the dataset (no deep copy of the pixels), give it back after.
        DcmFileFormat file(ds->ds, OFFalse);
        OFCondition cond = file.saveFile(path, ts, EET_ExplicitLength, EGL_recalcGL, EPD_noChange);
        file.getAndRemoveDataset();
        if (cond.bad())
            return cirr_dicom_fail(CIRR_DICOM_ERROR_IO, "%s: %s", path, cond.text());
        return CIRR_DICOM_OK;
    });
}

extern "C" cirr_dicom_status cirr_dicom_dataset_encode(cirr_dicom_dataset *ds, const char *ts_uid,
                                                       void **buf, size_t *len)
{
    return cirr_dicom_guard([&] {
        E_TransferSyntax ts = ts_of(ts_uid);
        if (cirr_dicom_status s = cirr_dicom_prepare_ts(ds->ds, ts); s != CIRR_DICOM_OK)
            return s;
        DcmFileFormat file(ds->ds);
        file.validateMetaInfo(ts);
        file.removeInvalidGroups();
        file.transferInit();
        Uint32 size = file.calcElementLength(ts, EET_ExplicitLength) + 256;
        char *out = static_cast<char *>(malloc(size));
        if (!out)
            return cirr_dicom_fail(CIRR_DICOM_ERROR_MEMORY, "out of memory");
        DcmOutputBufferStream stream(out, size);
        OFCondition cond = file.write(stream, ts, EET_ExplicitLength, nullptr);
        file.transferEnd();
        if (cond.bad()) {
            free(out);
            return cirr_dicom_fail(CIRR_DICOM_ERROR_INTERNAL, "encode: %s", cond.text());
        }
        void *data;
        offile_off_t n;
        stream.flushBuffer(data, n);
        *buf = out;
        *len = (size_t)n;
        return CIRR_DICOM_OK;
    });
}

// The dataset lent to a DcmFileFormat for one write, given back however
// the write ends (the file object would delete it otherwise).
struct lent_dataset {
    DcmFileFormat file;
    explicit lent_dataset(DcmDataset *ds) : file(ds, OFFalse) {}
    ~lent_dataset() { file.getAndRemoveDataset(); }
};

extern "C" cirr_dicom_status cirr_dicom_dataset_encode_with(cirr_dicom_dataset *ds, const char *ts_uid,
                                                            void *(*alloc)(size_t size, void *ctx), void *ctx,
                                                            size_t *len)
{
    return cirr_dicom_guard([&] {
        E_TransferSyntax ts = ts_of(ts_uid);
        if (cirr_dicom_status s = cirr_dicom_prepare_ts(ds->ds, ts); s != CIRR_DICOM_OK)
            return s;
        lent_dataset lent(ds->ds);
        lent.file.validateMetaInfo(ts);
        Uint32 encoded = lent.file.calcElementLength(ts, EET_ExplicitLength);
        if (encoded == DCM_UndefinedLength || encoded > UINT32_MAX - 256)
            return cirr_dicom_fail(CIRR_DICOM_ERROR_INTERNAL, "encode: length too large");
        // The meta header and the dataset, plus the preamble and "DICM".
        size_t size = (size_t)encoded + 256;
        void *out = alloc(size, ctx);
        if (!out)
            return cirr_dicom_fail(CIRR_DICOM_ERROR_MEMORY, "out of memory");
        // As saveFile writes a file (cirr_dicom_dataset_write): the write
        // cache streams values DCMTK left in the input file.
        DcmOutputBufferStream stream(out, size);
        DcmWriteCache wcache;
        lent.file.transferInit();
        OFCondition cond = lent.file.write(stream, ts, EET_ExplicitLength, &wcache, EGL_recalcGL, EPD_noChange, 0, 0,
                                           0, EWM_fileformat);
        lent.file.transferEnd();
        if (cond.bad())
            return cirr_dicom_fail(CIRR_DICOM_ERROR_IO, "encode: %s", cond.text());
        void *data;
        offile_off_t n;
        stream.flushBuffer(data, n);
        *len = (size_t)n;
        return CIRR_DICOM_OK;
    });
}

extern "C" cirr_dicom_status cirr_dicom_dataset_ts(const cirr_dicom_dataset *ds, char *buf, size_t cap)
{
    return cirr_dicom_guard([&] {
        const char *uid = DcmXfer(ds->ds->getOriginalXfer()).getXferID();
        if (!uid || !*uid || strlen(uid) >= cap)
            return cirr_dicom_fail(CIRR_DICOM_ERROR_NOT_FOUND, "unknown transfer syntax");
        strcpy(buf, uid);
        return CIRR_DICOM_OK;
    });
}

extern "C" cirr_dicom_status cirr_dicom_get_string(const cirr_dicom_dataset *ds, uint32_t tag,
                                                   char *buf, size_t cap)
{
    return cirr_dicom_guard([&] {
        OFString value;
        OFCondition cond = (*ds->ds).findAndGetOFStringArray(key(tag), value);
        if (cond.bad())
            return cirr_dicom_fail(CIRR_DICOM_ERROR_NOT_FOUND, "(%04x,%04x) not present",
                                   tag >> 16, tag & 0xffff);
        if (value.length() >= cap)
            return cirr_dicom_fail(CIRR_DICOM_ERROR_ARGUMENT, "(%04x,%04x): value longer than %zu",
                                   tag >> 16, tag & 0xffff, cap);
        memcpy(buf, value.c_str(), value.length() + 1);
        return CIRR_DICOM_OK;
    });
}

extern "C" cirr_dicom_status cirr_dicom_set_string(cirr_dicom_dataset *ds, uint32_t tag,
                                                   const char *value)
{
    return cirr_dicom_guard([&] {
        return cirr_dicom_from_condition(ds->ds->putAndInsertString(key(tag), value), "set value");
    });
}

extern "C" cirr_dicom_status cirr_dicom_set_bytes(cirr_dicom_dataset *ds, uint32_t tag,
                                                  const void *data, size_t len)
{
    return cirr_dicom_guard([&] {
        DcmTagKey k = key(tag);
        OFCondition cond;
        if (k == DCM_PixelData)
            cond = ds->ds->putAndInsertUint16Array(k, static_cast<const Uint16 *>(data),
                                                  (unsigned long)(len / 2));
        else
            cond = ds->ds->putAndInsertUint8Array(k, static_cast<const Uint8 *>(data), (unsigned long)len);
        return cirr_dicom_from_condition(cond, "set bytes");
    });
}

extern "C" cirr_dicom_status cirr_dicom_pixel_buffer(cirr_dicom_dataset *ds, size_t len, void **buf)
{
    return cirr_dicom_guard([&] {
        auto *px = new (std::nothrow) DcmPixelData(DCM_PixelData);
        if (!px)
            return cirr_dicom_fail(CIRR_DICOM_ERROR_MEMORY, "out of memory");
        px->setVR(EVR_OW);
        Uint16 *words = nullptr;
        OFCondition cond = px->createUint16Array((Uint32)(len / 2), words);
        if (cond.good())
            cond = ds->ds->insert(px, OFTrue);
        else
            delete px;
        if (cond.bad())
            return cirr_dicom_from_condition(cond, "pixel data");
        *buf = words;
        return CIRR_DICOM_OK;
    });
}

extern "C" cirr_dicom_status cirr_dicom_set_empty(cirr_dicom_dataset *ds, uint32_t tag)
{
    return cirr_dicom_guard([&] {
        return cirr_dicom_from_condition(ds->ds->insertEmptyElement(key(tag)), "empty element");
    });
}

extern "C" cirr_dicom_status cirr_dicom_set_in_item(cirr_dicom_dataset *ds, uint32_t seq_tag, unsigned item,
                                                    uint32_t value_tag, const char *value)
{
    return cirr_dicom_guard([&] {
        DcmItem *it = nullptr;
        OFCondition cond = ds->ds->findOrCreateSequenceItem(key(seq_tag), it, (signed long)item);
        if (cond.good() && it)
            cond = it->putAndInsertString(key(value_tag), value);
        return cirr_dicom_from_condition(cond, "sequence item");
    });
}

extern "C" int cirr_dicom_has(const cirr_dicom_dataset *ds, uint32_t tag)
{
    int found = 0; // also the answer when the lookup throws
    cirr_dicom_guard([&] {
        found = (*ds->ds).tagExists(key(tag)) ? 1 : 0;
        return CIRR_DICOM_OK;
    });
    return found;
}

extern "C" cirr_dicom_status cirr_dicom_delete(cirr_dicom_dataset *ds, uint32_t tag)
{
    return cirr_dicom_guard([&] {
        return cirr_dicom_from_condition(ds->ds->findAndDeleteElement(key(tag)), "delete");
    });
}

extern "C" cirr_dicom_status cirr_dicom_iterate(const cirr_dicom_dataset *ds,
                                                cirr_dicom_element_fn fn, void *ud)
{
    return cirr_dicom_guard([&] {
        DcmDataset &d = *ds->ds;
        for (unsigned long i = 0; i < d.card(); i++) {
            DcmElement *e = d.getElement(i);
            DcmTag tag = e->getTag();
            OFString value;
            const char *text = nullptr;
            DcmEVR vr = e->ident();
            if (vr != EVR_SQ && vr != EVR_OB && vr != EVR_OW && vr != EVR_UN &&
                e->getOFStringArray(value).good())
                text = value.c_str();
            if (fn(CIRR_TAG(tag.getGTag(), tag.getETag()), tag.getVRName(), text, ud))
                break;
        }
        return CIRR_DICOM_OK;
    });
}

extern "C" cirr_dicom_status cirr_dicom_uid_generate(const char *root, char *buf, size_t cap)
{
    return cirr_dicom_guard([&] {
        char uid[100];
        dcmGenerateUniqueIdentifier(uid, root ? root : SITE_INSTANCE_UID_ROOT);
        if (strlen(uid) >= cap)
            return cirr_dicom_fail(CIRR_DICOM_ERROR_ARGUMENT, "UID buffer too small");
        strcpy(buf, uid);
        return CIRR_DICOM_OK;
    });
}
