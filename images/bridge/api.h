/* api.h: the JSON API on the HTTP port (doc/bridge.md):
 *   GET /api/find?level=STUDY&PatientID=..&StudyDate=A-B...  answers as JSON
 *   POST /api/retrieve study=UID&destination=NAME (form or JSON) {"job": id}
 *   GET /api/jobs/<id>                                       progress
 *   GET /api/destinations                                    the MOD_ peers
 * Every parameter is checked before anything is asked of the PACS. */
#ifndef BRIDGE_API_H
#define BRIDGE_API_H

#include "httpd.h"
#include "strbuf.h"

struct bridge;

/* 0 when req is not the API's; else the HTTP status, body filled. */
int api_page(struct bridge *b, const struct httpd_request *req, struct strbuf *body);

#endif
