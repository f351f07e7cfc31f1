/* page.h: the query page at / : plain HTML with its CSS and JavaScript
 * inline (nothing fetched from elsewhere), every URL relative, so that it
 * works behind a path prefix (Traefik's /bridge). */
#ifndef BRIDGE_PAGE_H
#define BRIDGE_PAGE_H

extern const char page_html[];

#endif
