/* private.h: private elements, removed unless safelisted by group, Private
 * Creator and element (Retain Safe Private). */
#ifndef CIRR_ANON_PRIVATE_H
#define CIRR_ANON_PRIVATE_H

#include "anon/anon.h"
#include "cirr_dicom_edit.h"

/* 1 when the private element e (odd group) stays, 0 when it goes. */
int private_kept(const cirr_dicom_element *e, const struct anon_options *o);

#endif
