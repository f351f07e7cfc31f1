/* cirr-anon: de-identify DICOM files or folders into an output folder with
 * lib/anon (PS3.15 Basic Profile, keyed pseudonyms: the same key gives the
 * same pseudonyms in every run), doc/anon.md. */
#include "anonconf.h"
#include "anonfile.h"

#include "cirr_dicom.h"
#include "log.h"

#include <errno.h>
#include <ftw.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char usage[] =
    "usage: cirr-anon [--key FILE] [--retain-dates] [--retain-patient-chars] [--retain-device]\n"
    "                 [--clean-descriptors] [-v] INPUT... OUTPUT_DIR";

static int help(void)
{
    printf("%s\n\n"
           "De-identifies each DICOM file given, and each file in each folder given (recursively),\n"
           "into OUTPUT_DIR/PATIENT/STUDY_UID/SERIES_UID/SOP_UID.dcm. Quarantined instances\n"
           "(burned-in annotation) are reported with the reason and not written.\n\n"
           "  --key FILE               the project key file (sets ANON_KEY_FILE)\n"
           "  --retain-dates           sets ANON_RETAIN_DATES=true\n"
           "  --retain-patient-chars   sets ANON_RETAIN_PATIENT_CHARS=true\n"
           "  --retain-device          sets ANON_RETAIN_DEVICE=true\n"
           "  --clean-descriptors      sets ANON_CLEAN_DESCRIPTORS=true\n"
           "  -v                       sets ANON_VERBOSE=1\n"
           "  --help                   this text\n\n"
           "Exit codes: 0 every instance written; 1 some failed (unreadable, not DICOM, cannot\n"
           "write); 2 none failed but some were quarantined; 100 bad usage or configuration (one\n"
           "line names the variable or file); 111 system failure.\n\n",
           usage);
    anon_conf_help(stdout);
    return 0;
}

/* Flags set the environment variables the table reads: one source of truth. */
static void parse_flags(int argc, char **argv)
{
    static const struct option longs[] = {
        {"key", required_argument, NULL, 'k'},        {"retain-dates", no_argument, NULL, 'd'},
        {"retain-patient-chars", no_argument, NULL, 'p'}, {"retain-device", no_argument, NULL, 'e'},
        {"clean-descriptors", no_argument, NULL, 'c'}, {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int opt;
    while ((opt = getopt_long(argc, argv, "v", longs, NULL)) != -1) {
        switch (opt) {
        case 'k': setenv("ANON_KEY_FILE", optarg, 1); break;
        case 'd': setenv("ANON_RETAIN_DATES", "true", 1); break;
        case 'p': setenv("ANON_RETAIN_PATIENT_CHARS", "true", 1); break;
        case 'e': setenv("ANON_RETAIN_DEVICE", "true", 1); break;
        case 'c': setenv("ANON_CLEAN_DESCRIPTORS", "true", 1); break;
        case 'v': setenv("ANON_VERBOSE", "1", 1); break;
        case 'h': exit(help());
        default: die(100, "%s", usage);
        }
    }
    if (argc - optind < 2)
        die(100, "%s", usage);
}

/* The run's state, for the nftw callback (which takes no user pointer). */
static struct {
    const struct anon_conf *conf;
    const char *out_dir;
    struct anonfile_counts counts;
} run;

static void one(const char *path)
{
    char written[PATH_MAX], reason[512], shown[LOG_ESCAPED_SIZE(256)];
    enum anon_result r = anonfile_one(path, run.out_dir, &run.conf->key, &run.conf->options, written,
                                      sizeof written, reason, sizeof reason);
    log_escape(shown, sizeof shown, path);
    if (r == ANON_DONE) {
        run.counts.done++;
        if (run.conf->verbose)
            log_msg(LOG_INFO, NULL, "%s: written", shown);
        return;
    }
    char why[LOG_ESCAPED_SIZE(512)];
    log_escape(why, sizeof why, reason);
    if (r == ANON_QUARANTINED)
        run.counts.quarantined++;
    else
        run.counts.failed++;
    log_msg(r == ANON_QUARANTINED ? LOG_WARN : LOG_ERROR, NULL, "%s: %s: %s", shown,
            r == ANON_QUARANTINED ? "quarantined" : "failed", why);
}

static int visit(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st, (void)ftw;
    if (type == FTW_F)
        one(path);
    else if (type == FTW_DNR || type == FTW_NS) {
        run.counts.failed++;
        log_msg(LOG_ERROR, NULL, "cannot read %s", path);
    }
    return 0;
}

int main(int argc, char **argv)
{
    static struct anon_conf conf;
    char err[512];
    log_prog = "cirr-anon";
    /* 1. Flags (they set the environment), then lib/dicom's version. */
    parse_flags(argc, argv);
    if (!cirr_dicom_check_version())
        die(111, "lib/dicom API version %u linked in, but cirr-anon was built for version %u: rebuild it",
            cirr_dicom_api_version(), (unsigned)CIRR_DICOM_API_VERSION);
    /* 2. Configuration and key, checked before any file is touched. */
    if (anon_conf_load(&conf, err, sizeof err) < 0)
        die(100, "%s", err);
    run.conf = &conf;
    run.out_dir = argv[argc - 1];
    if (mkdir(run.out_dir, 0755) < 0 && errno != EEXIST)
        die_sys(111, "cannot create %s", run.out_dir);
    if (cirr_dicom_init() != CIRR_DICOM_OK)
        die(111, "%s", cirr_dicom_last_error());
    /* 3. Each input: a file, or a folder walked in full. */
    for (int i = optind; i < argc - 1; i++)
        if (nftw(argv[i], visit, 32, FTW_PHYS) < 0) {
            run.counts.failed++;
            log_msg(LOG_ERROR, NULL, "cannot read %s: %s", argv[i], strerror(errno));
        }
    /* 4. The summary, and the exit code it gives. */
    log_msg(LOG_INFO, NULL, "%lu written, %lu quarantined, %lu failed", run.counts.done, run.counts.quarantined,
            run.counts.failed);
    anon_conf_free(&conf);
    cirr_dicom_cleanup();
    return run.counts.failed ? 1 : run.counts.quarantined ? 2 : 0;
}
