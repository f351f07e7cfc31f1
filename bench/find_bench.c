/* find_bench: C-FIND latency against a PACS, over one association (so that
 * process start-up does not count): N study-level queries by a 7-day date
 * range (default 7 days) and N by PatientID, each timed from request to final response.
 *
 *   find_bench HOST PORT AET N PATIENTS END_DATE(YYYYMMDD) DAYS */
#include "cirr_dicom.h"
#include "clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int count_match(const cirr_dicom_dataset *m, void *ud)
{
    (void)m;
    ++*(unsigned *)ud;
    return 0;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void report(const char *what, double *t, unsigned n, unsigned matches)
{
    qsort(t, n, sizeof *t, cmp);
    printf("%s\t%.2f\t%.2f\t%.2f\t%.1f\n", what, t[n / 2] * 1000, t[n * 95 / 100] * 1000, t[n - 1] * 1000,
           (double)matches / n);
}

static void ymd_add(unsigned ymd, int days, char *out)
{
    struct tm tm = {0};
    tm.tm_year = (int)(ymd / 10000) - 1900;
    tm.tm_mon = (int)(ymd / 100 % 100) - 1;
    tm.tm_mday = (int)(ymd % 100) + days;
    time_t t = timegm(&tm);
    gmtime_r(&t, &tm);
    strftime(out, 9, "%Y%m%d", &tm);
}

int main(int argc, char **argv)
{
    if (argc != 8 && argc != 9) {
        fprintf(stderr, "usage: find_bench HOST PORT AET N PATIENTS END_DATE DAYS [WINDOW_DAYS]\n");
        return 100;
    }
    unsigned n = (unsigned)atoi(argv[4]), patients = (unsigned)atoi(argv[5]), end = (unsigned)atoi(argv[6]);
    int days = atoi(argv[7]), window = argc == 9 ? atoi(argv[8]) : 7;
    if (cirr_dicom_init() != CIRR_DICOM_OK)
        return 111;
    const char *classes[] = {"1.2.840.10008.5.1.4.1.2.2.1", NULL};
    cirr_dicom_peer_config pc = {argv[1], (unsigned)atoi(argv[2]), argv[3], "BENCH", 30, 120, 0};
    cirr_dicom_scu *scu;
    if (cirr_dicom_scu_open(&pc, classes, NULL, &scu) != CIRR_DICOM_OK) {
        fprintf(stderr, "find_bench: %s\n", cirr_dicom_last_error());
        return 111;
    }
    double *t = malloc(n * sizeof *t);
    srand(1);
    for (int kind = 0; kind < 2; kind++) {
        unsigned total = 0;
        for (unsigned q = 0; q < n; q++) {
            cirr_dicom_dataset *ds;
            if (cirr_dicom_dataset_new(&ds) != CIRR_DICOM_OK) {
                fprintf(stderr, "find_bench: %s\n", cirr_dicom_last_error());
                return 111;
            }
            cirr_dicom_set_string(ds, CIRR_TAG_QUERY_RETRIEVE_LEVEL, "STUDY");
            cirr_dicom_set_string(ds, CIRR_TAG_STUDY_INSTANCE_UID, "");
            cirr_dicom_set_string(ds, CIRR_TAG_PATIENT_NAME, "");
            cirr_dicom_set_string(ds, CIRR_TAG_MODALITIES_IN_STUDY, "");
            char value[32], from[9], to[9];
            if (kind == 0) {
                int start = -(rand() % (days - 7));
                ymd_add(end, start - window + 1, from);
                ymd_add(end, start, to);
                snprintf(value, sizeof value, "%s-%s", from, to);
                cirr_dicom_set_string(ds, CIRR_TAG_STUDY_DATE, value);
                cirr_dicom_set_string(ds, CIRR_TAG_PATIENT_ID, "");
            } else {
                snprintf(value, sizeof value, "MRN%08u", 1 + (unsigned)rand() % patients);
                cirr_dicom_set_string(ds, CIRR_TAG_PATIENT_ID, value);
                cirr_dicom_set_string(ds, CIRR_TAG_STUDY_DATE, "");
            }
            uint16_t status;
            double t0 = clock_mono_s();
            if (cirr_dicom_scu_find(scu, classes[0], ds, count_match, &total, &status) != CIRR_DICOM_OK) {
                fprintf(stderr, "find_bench: %s\n", cirr_dicom_last_error());
                return 111;
            }
            t[q] = clock_mono_s() - t0;
            cirr_dicom_dataset_free(ds);
        }
        char what[64];
        snprintf(what, sizeof what, "date range (%d day%s)", window, window == 1 ? "" : "s");
        report(kind == 0 ? what : "PatientID", t, n, total);
    }
    cirr_dicom_scu_close(scu);
    free(t);
    cirr_dicom_cleanup();
    return 0;
}
