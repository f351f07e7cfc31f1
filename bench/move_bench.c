/* move_bench: studies moved one after the other over one held association,
 * as a long-running caller (a collection pull, a watcher) asks for them, so
 * that a caller's process start-up does not count against the way it asks.
 * Prints the seconds from the first C-MOVE request to the last final
 * response, and exits non-zero when a move fails or reports failures.
 *
 *   move_bench HOST PORT AET DESTINATION STUDY_UID... */
#include "cirr_dicom.h"
#include "clock.h"

#include <stdio.h>
#include <stdlib.h>

#define STUDY_ROOT_MOVE "1.2.840.10008.5.1.4.1.2.2.2"

int main(int argc, char **argv)
{
    if (argc < 6) {
        fprintf(stderr, "usage: move_bench HOST PORT AET DESTINATION STUDY_UID...\n");
        return 100;
    }
    if (cirr_dicom_init() != CIRR_DICOM_OK)
        return 111;
    const char *classes[] = {STUDY_ROOT_MOVE, NULL};
    cirr_dicom_peer_config pc = {argv[1], (unsigned)atoi(argv[2]), argv[3], "BENCH", 30, 600, 0};
    cirr_dicom_scu *scu;
    if (cirr_dicom_scu_open(&pc, classes, NULL, &scu) != CIRR_DICOM_OK) {
        fprintf(stderr, "move_bench: %s\n", cirr_dicom_last_error());
        return 111;
    }
    int rc = 0;
    double t0 = clock_mono_s();
    for (int i = 5; i < argc && rc == 0; i++) {
        cirr_dicom_dataset *q;
        if (cirr_dicom_dataset_new(&q) != CIRR_DICOM_OK) {
            fprintf(stderr, "move_bench: %s\n", cirr_dicom_last_error());
            rc = 111;
            break;
        }
        cirr_dicom_set_string(q, CIRR_TAG_QUERY_RETRIEVE_LEVEL, "STUDY");
        cirr_dicom_set_string(q, CIRR_TAG_STUDY_INSTANCE_UID, argv[i]);
        unsigned completed = 0, failed = 0;
        uint16_t status = 0;
        if (cirr_dicom_scu_move(scu, STUDY_ROOT_MOVE, q, argv[4], &completed, &failed, &status) != CIRR_DICOM_OK) {
            fprintf(stderr, "move_bench: %s: %s\n", argv[i], cirr_dicom_last_error());
            rc = 111;
        } else if (status != 0 || failed) {
            fprintf(stderr, "move_bench: %s: status 0x%04x, %u completed, %u failed\n", argv[i], status, completed,
                    failed);
            rc = 1;
        }
        cirr_dicom_dataset_free(q);
    }
    double dt = clock_mono_s() - t0;
    cirr_dicom_scu_close(scu);
    cirr_dicom_cleanup();
    if (rc == 0)
        printf("%.4f\n", dt);
    return rc;
}
