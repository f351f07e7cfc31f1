// edit.cc: the element-by-element editor of cirr_dicom_edit.h.
#include "cirr_dicom_edit.h"
#include "internal.h"

#include <cstring>
#include <new>

namespace {

// Deeper than this and a file is refused: recursion stays bounded whatever
// a file holds (the SCP refuses such datasets on the wire already).
const unsigned max_depth = 64;

struct walker {
    cirr_dicom_edit_fn fn;
    void *ud;
    bool deferred; // values converted only when fn asks (cirr_dicom_edit_walk_deferred)
    char replacement[4096];
    OFString value, creator;
};

bool is_text_vr(DcmEVR vr)
{
    switch (vr) {
    case EVR_AE: case EVR_AS: case EVR_CS: case EVR_DA: case EVR_DS: case EVR_DT: case EVR_IS:
    case EVR_LO: case EVR_LT: case EVR_PN: case EVR_SH: case EVR_ST: case EVR_TM: case EVR_UC:
    case EVR_UI: case EVR_UR: case EVR_UT:
        return true;
    default:
        return false;
    }
}

// The creator of a private data element, looked up in its own item.
const char *private_creator(DcmItem *item, const DcmTagKey &k, OFString &out)
{
    if (!(k.getGroup() & 1) || k.getElement() < 0x1000)
        return nullptr;
    out.clear();
    if (item->findAndGetOFString(DcmTagKey(k.getGroup(), k.getElement() >> 8), out).bad())
        out.clear();
    size_t end = out.find_last_not_of(' ');
    out.erase(end == OFString_npos ? 0 : end + 1);
    return out.c_str();
}

cirr_dicom_status walk_item(DcmItem *item, unsigned depth, walker &w);

cirr_dicom_status walk_sequence(DcmSequenceOfItems *sq, unsigned depth, walker &w)
{
    for (unsigned long i = 0; i < sq->card(); i++) {
        cirr_dicom_status s = walk_item(sq->getItem(i), depth + 1, w);
        if (s != CIRR_DICOM_OK)
            return s;
    }
    return CIRR_DICOM_OK;
}

// Carry out what the callback decided for the element e of item.
cirr_dicom_status apply(DcmItem *item, DcmElement *e, cirr_dicom_edit_action a, unsigned depth, walker &w)
{
    DcmTagKey k = e->getTag();
    switch (a) {
    case CIRR_DICOM_EDIT_REMOVE:
        delete item->remove(e);
        return CIRR_DICOM_OK;
    case CIRR_DICOM_EDIT_EMPTY:
        e->clear();
        return CIRR_DICOM_OK;
    case CIRR_DICOM_EDIT_REPLACE:
        if (e->ident() == EVR_SQ || e->putString(w.replacement).bad())
            return cirr_dicom_fail(CIRR_DICOM_ERROR_ARGUMENT, "(%04x,%04x): replacement does not suit its VR",
                                   k.getGroup(), k.getElement());
        return CIRR_DICOM_OK;
    default:
        if (e->ident() == EVR_SQ)
            return walk_sequence(static_cast<DcmSequenceOfItems *>(e), depth, w);
        return CIRR_DICOM_OK;
    }
}

// Show e to the callback: its value converted to text first, or (deferred)
// only when the callback asks for it.
cirr_dicom_edit_action decide(DcmItem *item, DcmElement *e, unsigned depth, walker &w)
{
    const DcmTag &tag = e->getTag();
    DcmEVR vr = e->ident();
    cirr_dicom_element shown{};
    shown.tag = CIRR_TAG(tag.getGTag(), tag.getETag());
    strncpy(shown.vr, DcmVR(vr).getVRName(), 2);
    shown.depth = depth;
    shown.private_creator = private_creator(item, tag, w.creator);
    shown.value_deferred = w.deferred && is_text_vr(vr);
    if (!shown.value_deferred)
        shown.value = is_text_vr(vr) && e->getOFStringArray(w.value).good() ? w.value.c_str() : nullptr;
    w.replacement[0] = '\0';
    cirr_dicom_edit_action a = w.fn(&shown, w.replacement, sizeof w.replacement, w.ud);
    if (a != CIRR_DICOM_EDIT_NEED_VALUE)
        return a;
    if (!shown.value_deferred)
        return CIRR_DICOM_EDIT_KEEP; // asked for what it was shown already: nothing to do
    shown.value_deferred = 0;
    shown.value = e->getOFStringArray(w.value).good() ? w.value.c_str() : nullptr;
    w.replacement[0] = '\0';
    a = w.fn(&shown, w.replacement, sizeof w.replacement, w.ud);
    return a == CIRR_DICOM_EDIT_NEED_VALUE ? CIRR_DICOM_EDIT_KEEP : a;
}

// The elements in order, each next one taken before the one at hand may
// be removed: DcmItem's list keeps its position, so this is one step an
// element (getElement(i) walks from the start each time).
cirr_dicom_status walk_item(DcmItem *item, unsigned depth, walker &w)
{
    if (depth > max_depth)
        return cirr_dicom_fail(CIRR_DICOM_ERROR_PARSE, "sequences nested deeper than %u", max_depth);
    DcmObject *next;
    for (DcmObject *o = item->nextInContainer(nullptr); o; o = next) {
        DcmElement *e = static_cast<DcmElement *>(o);
        cirr_dicom_edit_action a = decide(item, e, depth, w);
        next = item->nextInContainer(e);
        cirr_dicom_status s = apply(item, e, a, depth, w);
        if (s != CIRR_DICOM_OK)
            return s;
    }
    return CIRR_DICOM_OK;
}

// The walk of cirr_dicom_edit_walk and cirr_dicom_edit_walk_deferred.
cirr_dicom_status walk(cirr_dicom_dataset *ds, cirr_dicom_edit_fn fn, void *ud, bool deferred)
{
    return cirr_dicom_guard([&] {
        walker *w = new (std::nothrow) walker{fn, ud, deferred, {0}, OFString(), OFString()};
        if (!w)
            return cirr_dicom_fail(CIRR_DICOM_ERROR_MEMORY, "out of memory");
        cirr_dicom_status s = walk_item(ds->ds, 0, *w);
        delete w;
        return s;
    });
}

} // namespace

extern "C" cirr_dicom_status cirr_dicom_edit_walk(cirr_dicom_dataset *ds, cirr_dicom_edit_fn fn, void *ud)
{
    return walk(ds, fn, ud, false);
}

extern "C" cirr_dicom_status cirr_dicom_edit_walk_deferred(cirr_dicom_dataset *ds, cirr_dicom_edit_fn fn, void *ud)
{
    return walk(ds, fn, ud, true);
}

extern "C" cirr_dicom_status cirr_dicom_edit_append_code(cirr_dicom_dataset *ds, uint32_t seq_tag,
                                                         const char *value, const char *scheme,
                                                         const char *meaning)
{
    return cirr_dicom_guard([&] {
        DcmItem *it = nullptr;
        DcmTagKey k((Uint16)(seq_tag >> 16), (Uint16)(seq_tag & 0xffff));
        OFCondition cond = ds->ds->findOrCreateSequenceItem(k, it, -2 /* a new item at the end */);
        if (cond.good())
            cond = it->putAndInsertString(DCM_CodeValue, value);
        if (cond.good())
            cond = it->putAndInsertString(DCM_CodingSchemeDesignator, scheme);
        if (cond.good())
            cond = it->putAndInsertString(DCM_CodeMeaning, meaning);
        return cirr_dicom_from_condition(cond, "code item");
    });
}
