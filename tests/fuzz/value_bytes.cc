// value_bytes.cc: the bytes a parsed dataset accounts for (see value_bytes.h).
#include "value_bytes.h"

#include <cstdio>
#include <cstdlib>

namespace {

// An element's header (Implicit VR, or short Explicit VR) or an item's
// takes 8 bytes at least; DCMTK makes an odd value length even, so count
// each object one byte short.
const unsigned least_header = 8 - 1;

// The bytes under item, counted until they pass limit; *last: the last
// element counted. Encapsulated pixel data counts as its element's header
// (its fragments are not elements to DCMTK): a lower bound still.
uint64_t accounted(DcmItem &item, uint64_t limit, DcmElement **last)
{
    uint64_t total = 0;
    DcmStack stack;
    while (total <= limit && item.nextObject(stack, OFTrue).good()) {
        DcmObject *o = stack.top();
        total += least_header;
        if (o->isLeaf() && o->getLengthField() != DCM_UndefinedLength) {
            total += o->getLengthField();
            *last = static_cast<DcmElement *>(o);
        }
    }
    return total;
}

} // namespace

void value_bytes_check(DcmItem &ds, size_t sent, const char *who)
{
    DcmElement *last = nullptr;
    uint64_t total = accounted(ds, sent, &last);
    if (total <= sent)
        return;
    fprintf(stderr, "%s: the parsed dataset accounts for %llu bytes or more, the peer sent %zu", who,
            (unsigned long long)total, sent);
    if (last) {
        DcmTag tag = last->getTag();
        fprintf(stderr, "; the last element counted: %s %s, %u bytes, %s", tag.toString().c_str(), tag.getTagName(),
                last->getLengthField(), last->valueLoaded() ? "loaded" : "not loaded");
    }
    fprintf(stderr, "\n");
    abort();
}
