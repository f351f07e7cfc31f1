/* render.c: template files to configuration files (see render.h). */
#include "render.h"

#include "atomicfile.h"
#include "log.h"
#include "secrets.h"
#include "textfile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TEMPLATE_MAX (1024 * 1024)

int render_template(const struct service *s, const struct template_spec *t,
                    const struct template_env *env, char *err, size_t cap)
{
    char *text = textfile_read(t->src, TEMPLATE_MAX);
    if (!text) {
        log_format(err, cap, "%s: cannot read template %s: %s", s->name, t->src, strerror(errno));
        return -1;
    }
    /* textfile_read strips trailing newlines; a config file keeps one */
    char *out;
    int secret = 0;
    struct template_error terr;
    int rc = template_render(text, env, &out, &secret, &terr);
    free(text);
    if (rc < 0) {
        snprintf(err, cap, "%s:%d: %s", t->src, terr.line, terr.message);
        return -1;
    }
    size_t len = strlen(out);
    out = realloc(out, len + 2);
    if (!out) {
        snprintf(err, cap, "out of memory");
        return -1;
    }
    out[len++] = '\n';
    out[len] = '\0';
    uid_t uid = s->id.has_user ? s->id.uid : (uid_t)-1;
    gid_t gid = s->id.has_group ? s->id.gid : (gid_t)-1;
    rc = atomicfile_write(t->dst, out, len, secret ? 0600 : 0644, uid, gid);
    if (rc < 0)
        log_format(err, cap, "%s: cannot write %s: %s", s->name, t->dst, strerror(errno));
    memset(out, 0, len);
    free(out);
    return rc;
}

int render_all(const struct config *cfg, const struct template_env *env, char *err, size_t cap)
{
    for (unsigned i = 0; i < cfg->service_count; i++) {
        const struct service *s = &cfg->services[i];
        for (unsigned j = 0; j < s->template_count; j++)
            if (render_template(s, &s->templates[j], env, err, cap) < 0)
                return -1;
    }
    return 0;
}
