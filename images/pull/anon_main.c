/* cirr-anon: de-identify DICOM files or folders into an output folder with
 * lib/anon (PS3.15 Basic Profile, keyed pseudonyms: the same key gives the
 * same pseudonyms in every run), doc/anon.md. */
#include "anonconf.h"
#include "anonfile.h"
#include "anonrun.h"

#include "cirr_dicom.h"
#include "log.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char usage[] =
    "usage: cirr-anon [--key FILE] [--retain-dates] [--retain-patient-chars] [--retain-device]\n"
    "                 [--clean-descriptors] [--retain-uids] [--clean-structured-content] [-v]\n"
    "                 INPUT... OUTPUT_DIR";

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
           "  --retain-uids            sets ANON_RETAIN_UIDS=true\n"
           "  --clean-structured-content  sets ANON_CLEAN_STRUCTURED_CONTENT=true\n"
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
        {"clean-descriptors", no_argument, NULL, 'c'}, {"retain-uids", no_argument, NULL, 'u'},
        {"clean-structured-content", no_argument, NULL, 's'}, {"help", no_argument, NULL, 'h'},
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
        case 'u': setenv("ANON_RETAIN_UIDS", "true", 1); break;
        case 's': setenv("ANON_CLEAN_STRUCTURED_CONTENT", "true", 1); break;
        case 'v': setenv("ANON_VERBOSE", "1", 1); break;
        case 'h': exit(help());
        default: die(100, "%s", usage);
        }
    }
    if (argc - optind < 2)
        die(100, "%s", usage);
}

/* ANON_JOBS, 0 meaning two a processor: a large file's write waits for
 * the disk (O_DIRECT, anonfile.c), and the other thread of its processor
 * works meanwhile (measured: doc/anon.md). */
static unsigned jobs_for(unsigned configured)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    if (configured)
        return configured;
    return cpus <= 0 ? 2 : cpus > 32 ? 64 : 2 * (unsigned)cpus;
}

/* DCMTK's data dictionary takes longer to load than the rest of the
 * start together: loaded on a thread of its own while the inputs are
 * walked, which needs no DICOM. */
static void *load_dictionary(void *status)
{
    *(cirr_dicom_status *)status = cirr_dicom_load_dictionary();
    return NULL;
}

int main(int argc, char **argv)
{
    static struct anon_conf conf;
    static struct anonrun run;
    char err[512];
    pthread_t dictionary;
    cirr_dicom_status loaded = CIRR_DICOM_OK;
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
    if (anonfile_mkdirs(run.out_dir) < 0)
        die_sys(111, "cannot create %s", run.out_dir);
    /* From here no error exits before the join: exit() would run DCMTK's
     * destructors under the loading thread. Without a private safelist
     * every private element goes whatever its VR: no private dictionary. */
    if (!conf.options.n_private_safelist)
        cirr_dicom_dictionary_skip_private();
    if (pthread_create(&dictionary, NULL, load_dictionary, &loaded) != 0)
        die(111, "cannot start a thread");
    /* 3. Each input: a file, or a folder walked in full; then, with the
     *    dictionary loaded, the workers. */
    for (int i = optind; i < argc - 1; i++)
        anonrun_gather(&run, argv[i]);
    pthread_join(dictionary, NULL);
    if (loaded != CIRR_DICOM_OK || cirr_dicom_init() != CIRR_DICOM_OK)
        die(111, "%s", loaded != CIRR_DICOM_OK ? "no DICOM data dictionary (set DCMDICTPATH)" : cirr_dicom_last_error());
    anonrun_all(&run, jobs_for(conf.jobs));
    /* 4. Everything written made durable at once, then the summary and the
     *    exit code it gives. */
    if (anonfile_flush(run.out_dir) < 0)
        die_sys(111, "cannot flush %s", run.out_dir);
    log_msg(LOG_INFO, NULL, "%lu written, %lu quarantined, %lu failed", run.counts.done, run.counts.quarantined,
            run.counts.failed);
    anonrun_free(&run);
    anon_conf_free(&conf);
    cirr_dicom_cleanup();
    return run.counts.failed ? 1 : run.counts.quarantined ? 2 : 0;
}
