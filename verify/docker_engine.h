/* docker_engine.h: ask the local Docker engine, over its unix socket,
 * which image ID it holds under a name (GET /images/NAME/json). */
#ifndef CIRR_VERIFY_DOCKER_ENGINE_H
#define CIRR_VERIFY_DOCKER_ENGINE_H

#include <stddef.h>

#define DOCKER_TIMEOUT_S 10
#define DOCKER_ANSWER_MAX (8u << 20)

/* 0 with the engine's "Id" ("sha256:<hex>") in id; 1 when the engine has
 * no image of that name; -1 with one line in err when the engine could not
 * be asked or its answer was not understood. name is a checked image
 * reference (manifest.h), so it needs no escaping in the request path. */
int docker_image_id(const char *socket_path, const char *name, char *id, size_t idcap, char *err,
                    size_t errcap);

#endif
