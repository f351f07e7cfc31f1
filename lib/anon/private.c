/* private.c: the private safelist. A data element (gggg,ccxx) stays when
 * (gggg, its creator, xx) is listed; a creator element (gggg,00cc) stays
 * when some listed element of gggg has its creator; nothing else private
 * stays (group lengths and unreserved elements included). */
#include "anon/private.h"

#include <string.h>

int private_kept(const cirr_dicom_element *e, const struct anon_options *o)
{
    uint16_t group = (uint16_t)(e->tag >> 16), element = (uint16_t)(e->tag & 0xffff);
    int creator_element = element >= 0x0010 && element <= 0x00ff;
    if (!e->private_creator && !creator_element)
        return 0;
    for (size_t i = 0; i < o->n_private_safelist; i++) {
        const struct anon_private_keep *k = &o->private_safelist[i];
        if (k->group != group)
            continue;
        if (creator_element && e->value && !strcmp(e->value, k->creator))
            return 1;
        if (e->private_creator && (element & 0xff) == k->element && !strcmp(e->private_creator, k->creator))
            return 1;
    }
    return 0;
}
