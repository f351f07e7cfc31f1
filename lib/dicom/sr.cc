// sr.cc: nested sequence items (cirr_dicom_sr.h). A cirr_dicom_item is a
// DcmItem (a DcmDataset is one), never allocated here: the dataset owns it.
#include "cirr_dicom_sr.h"
#include "internal.h"

static DcmItem *item_of(cirr_dicom_item *item) { return reinterpret_cast<DcmItem *>(item); }

static DcmTagKey key_of(uint32_t tag) { return DcmTagKey((Uint16)(tag >> 16), (Uint16)(tag & 0xffff)); }

extern "C" cirr_dicom_item *cirr_dicom_item_top(cirr_dicom_dataset *ds)
{
    return ds && ds->ds ? reinterpret_cast<cirr_dicom_item *>(static_cast<DcmItem *>(ds->ds)) : nullptr;
}

extern "C" cirr_dicom_status cirr_dicom_item_append(cirr_dicom_item *parent, uint32_t seq_tag,
                                                    cirr_dicom_item **child)
{
    return cirr_dicom_guard([&] {
        if (!parent || !child)
            return cirr_dicom_fail(CIRR_DICOM_ERROR_ARGUMENT, "no item");
        DcmItem *it = nullptr;
        OFCondition cond = item_of(parent)->findOrCreateSequenceItem(key_of(seq_tag), it, -2 /* a new last item */);
        if (cond.good() && !it)
            return cirr_dicom_fail(CIRR_DICOM_ERROR_INTERNAL, "no sequence item was created");
        *child = reinterpret_cast<cirr_dicom_item *>(it);
        return cirr_dicom_from_condition(cond, "append a sequence item");
    });
}

extern "C" cirr_dicom_status cirr_dicom_item_set(cirr_dicom_item *item, uint32_t tag, const char *value)
{
    return cirr_dicom_guard([&] {
        if (!item || !value)
            return cirr_dicom_fail(CIRR_DICOM_ERROR_ARGUMENT, "no item or value");
        return cirr_dicom_from_condition(item_of(item)->putAndInsertString(key_of(tag), value), "set value in item");
    });
}
