/* cirr-pull: a worklist of studies from a Q/R peer (C-FIND, C-GET
 * or C-MOVE to our own C-STORE SCP), de-identified by lib/anon into a folder laid out by pseudonymous
 * patient, study and series, and sent on to a DICOM peer if one is named.
 * Resumable: rows finished are journaled beside the output (doc/anon.md). */
#include "anonconf.h"
#include "anonfile.h"
#include "journal.h"
#include "pullconf.h"
#include "pullmove.h"
#include "pullstudy.h"
#include "workpool.h"
#include "worklist.h"

#include "cirr_dicom.h"
#include "clock.h"
#include "log.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage[] = "usage: cirr-pull WORKLIST.csv OUTPUT_DIR | --help";

static int help(void)
{
    printf("%s\n\n"
           "For each row of the worklist (a header line naming AccessionNumber, PatientID, StudyDate;\n"
           "then an AccessionNumber, or a PatientID and a StudyDate or YYYYMMDD-YYYYMMDD range, a line):\n"
           "C-FIND the studies at PULL_SOURCE, C-GET (or C-MOVE) each, de-identify every instance (cirr-anon's\n"
           "ANON_* settings) into OUTPUT_DIR/PATIENT/STUDY/SERIES/SOP.dcm, send them to PULL_DEST if\n"
           "set. OUTPUT_DIR/.cirr-pull/journal records the rows done (a rerun goes on from there);\n"
           "OUTPUT_DIR/.cirr-pull/keys.csv (mode 0600) links rows to pseudonymous patient IDs.\n"
           "At the end, a table: one line a row, then the totals.\n\n"
           "Exit codes: 0 every row pulled; 1 some row failed (not found, or an instance failed);\n"
           "2 none failed but some instance was quarantined; 100 bad usage or configuration;\n"
           "111 system failure.\n\n",
           usage);
    pull_conf_help(stdout);
    anon_conf_help(stdout);
    return 0;
}

struct totals {
    unsigned rows, pulled, quarantined, failed, instances;
};

static void count(struct totals *t, const struct row_result *r)
{
    t->rows++;
    t->instances += r->pulled;
    if (!strcmp(r->status, "pulled"))
        t->pulled++;
    else if (!strcmp(r->status, "quarantined"))
        t->quarantined++;
    else
        t->failed++;
}

static void print_table(const struct worklist *w, const struct journal *j, struct totals *t)
{
    printf("%-6s %-12s %6s %9s %12s %7s  %s\n", "line", "status", "found", "instances", "quarantined",
           "failed", "reason");
    for (size_t i = 0; i < w->n; i++) {
        const struct row_result *r = journal_find(j, w->rows[i].line);
        if (!r)
            continue;
        count(t, r);
        printf("%-6u %-12s %6u %9u %12u %7u  %s\n", r->line, r->status, r->found, r->pulled, r->quarantined,
               r->failed, r->reason);
    }
    printf("rows %u: pulled %u, quarantined %u, failed %u; instances written %u\n", t->rows, t->pulled,
           t->quarantined, t->failed, t->instances);
}

/* On a terminal, one line redrawn after each row: rows and instances
 * done, rate, ETA; elsewhere the log lines say the same. */
static void progress(size_t done, size_t total, unsigned instances, uint64_t started_ms)
{
    double seconds = (double)(clock_mono_ms() - started_ms) / 1000.0;
    double eta = done ? seconds / (double)done * (double)(total - done) : 0;
    fprintf(stderr, "\rcirr-pull: rows %zu/%zu, %u instances, %.1f instances/s, ETA %02u:%02u   ", done, total,
            instances, seconds > 0 ? instances / seconds : 0.0, (unsigned)eta / 60, (unsigned)eta % 60);
    if (done == total)
        fputc('\n', stderr);
}

/* The rows of this run, shared by the workers. */
struct pulling {
    const struct pull_conf *pc;
    const struct anon_conf *ac;
    const char *out;
    const struct worklist *w;
    struct journal *j;
    size_t *todo, ntodo, finished; /* indexes into w->rows */
    unsigned instances;
    uint64_t started;
    int terminal;
    pthread_mutex_t lock;
};

/* A row done: make the output durable, journal it, tell (under the lock). */
static void finish(struct pulling *p, const struct worklist_row *row, const struct row_result *r, const char *keys)
{
    pthread_mutex_lock(&p->lock);
    if (anonfile_flush(p->out) < 0 || journal_record(p->j, r, keys) < 0)
        die_sys(111, "cannot record line %u in %s", row->line, p->j->dir);
    p->instances += r->pulled;
    p->finished++;
    if (p->terminal)
        progress(p->finished, p->ntodo, p->instances, p->started);
    else
        log_msg(LOG_INFO, NULL, "line %u (%zu/%zu): %s, %u studies, %u instances%s%s", row->line, p->finished,
                p->ntodo, r->status, r->found, r->pulled, *r->reason ? ": " : "", r->reason);
    pthread_mutex_unlock(&p->lock);
}

static void pull_one(size_t k, void *ctx)
{
    struct pulling *p = ctx;
    const struct worklist_row *row = &p->w->rows[p->todo[k]];
    struct row_result r;
    char keys[512];
    pull_row(p->pc, p->ac, p->out, row, &r, keys, sizeof keys);
    finish(p, row, &r, keys);
}

/* Each row not done before (a row that failed is tried again: the
 * outputs are the same files and the same SOP Instance UIDs, so nothing is
 * duplicated), PULL_PARALLEL rows at a time. */
static void pull_all(const struct pull_conf *pc, const struct anon_conf *ac, const char *out,
                     const struct worklist *w, struct journal *j)
{
    static struct pulling p;
    p = (struct pulling){pc, ac, out, w, j, calloc(w->n + 1, sizeof(size_t)), 0, 0, 0, clock_mono_ms(),
                         isatty(STDERR_FILENO), PTHREAD_MUTEX_INITIALIZER};
    if (!p.todo)
        die(111, "out of memory");
    for (size_t i = 0; i < w->n; i++) {
        const struct row_result *before = journal_find(j, w->rows[i].line);
        if (!before || !strcmp(before->status, "failed"))
            p.todo[p.ntodo++] = i;
    }
    workpool_run(p.ntodo, pc->parallel, pull_one, &p);
    free(p.todo);
}

int main(int argc, char **argv)
{
    static struct pull_conf pc;
    static struct anon_conf ac;
    static struct worklist w;
    static struct journal j;
    char err[512];
    log_prog = "cirr-pull";
    /* 1. Usage, lib/dicom's version. */
    if (argc == 2 && !strcmp(argv[1], "--help"))
        return help();
    if (argc != 3)
        die(100, "%s", usage);
    if (!cirr_dicom_check_version())
        die(111, "lib/dicom API version %u linked in, but cirr-pull was built for version %u: rebuild it",
            cirr_dicom_api_version(), (unsigned)CIRR_DICOM_API_VERSION);
    /* 2. Everything checked before the first query: settings, key, worklist, journal. */
    if (pull_conf_load(&pc, err, sizeof err) < 0 || anon_conf_load(&ac, err, sizeof err) < 0 ||
        worklist_read(argv[1], &w, err, sizeof err) < 0)
        die(100, "%s", err);
    if (cirr_dicom_init() != CIRR_DICOM_OK)
        die(111, "%s", cirr_dicom_last_error());
    /* 3. With C-MOVE, our C-STORE SCP (a port taken stops us before anything is written); the journal. */
    if (pc.move && pullmove_start(&pc, err, sizeof err) < 0)
        die(111, "%s", err);
    if (journal_open(&j, argv[2], err, sizeof err) < 0)
        die(111, "%s", err);
    /* 4. The rows, PULL_PARALLEL at a time; then the table. */
    pull_all(&pc, &ac, argv[2], &w, &j);
    pullmove_stop();
    struct totals t = {0};
    print_table(&w, &j, &t);
    journal_close(&j);
    worklist_free(&w);
    anon_conf_free(&ac);
    cirr_dicom_cleanup();
    return t.failed ? 1 : t.quarantined ? 2 : 0;
}
