/* get_client: a test helper for lib/dicom's SCU calls.
 *
 *   get_client HOST PORT CALLED_AET STUDY_UID
 *       C-GET a study: one line per instance received (its SOP Instance
 *       UID), then "completed N failed M status 0xSSSS".
 *   get_client --store HOST PORT CALLED_AET FILE...
 *       store the files over one association: "stored N failed M". */
#include "cirr_dicom.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint16_t got(cirr_dicom_dataset *ds, void *ud)
{
    char uid[80];
    (void)ud;
    if (cirr_dicom_get_string(ds, CIRR_TAG(0x0008, 0x0018), uid, sizeof uid) != CIRR_DICOM_OK)
        return 0xA900;
    printf("%s\n", uid);
    return 0x0000;
}

static int store(int argc, char **argv)
{
    cirr_dicom_peer_config pc = {argv[2], (unsigned)atoi(argv[3]), argv[4], "STORECLIENT", 30, 60, 0};
    unsigned stored, failed;
    if (cirr_dicom_scu_store_files(&pc, (const char *const *)argv + 5, (size_t)(argc - 5), &stored, &failed) !=
        CIRR_DICOM_OK) {
        fprintf(stderr, "get_client: %s\n", cirr_dicom_last_error());
        return 111;
    }
    printf("stored %u failed %u\n", stored, failed);
    return failed ? 1 : 0;
}

int main(int argc, char **argv)
{
    if (argc > 5 && !strcmp(argv[1], "--store")) {
        if (cirr_dicom_init() != CIRR_DICOM_OK)
            return 111;
        int rc = store(argc, argv);
        cirr_dicom_cleanup();
        return rc;
    }
    if (argc != 5) {
        fprintf(stderr, "usage: get_client HOST PORT CALLED_AET STUDY_UID\n");
        return 100;
    }
    if (cirr_dicom_init() != CIRR_DICOM_OK)
        return 111;
    const char *storage[] = {"1.2.840.10008.5.1.4.1.1.2", "1.2.840.10008.5.1.4.1.1.4",
                             "1.2.840.10008.5.1.4.1.1.1", NULL};
    cirr_dicom_peer_config pc = {argv[1], (unsigned)atoi(argv[2]), argv[3], "GETCLIENT", 30, 60, 0};
    cirr_dicom_scu *scu;
    if (cirr_dicom_scu_open_get(&pc, storage, &scu) != CIRR_DICOM_OK) {
        fprintf(stderr, "get_client: %s\n", cirr_dicom_last_error());
        return 111;
    }
    cirr_dicom_dataset *q;
    cirr_dicom_dataset_new(&q);
    cirr_dicom_set_string(q, CIRR_TAG(0x0008, 0x0052), "STUDY");
    cirr_dicom_set_string(q, CIRR_TAG(0x0020, 0x000D), argv[4]);
    unsigned completed, failed;
    uint16_t status;
    cirr_dicom_status s = cirr_dicom_scu_get(scu, "1.2.840.10008.5.1.4.1.2.2.3", q, got, NULL, &completed,
                                             &failed, &status);
    printf("completed %u failed %u status 0x%04x\n", completed, failed, status);
    cirr_dicom_dataset_free(q);
    cirr_dicom_scu_close(scu);
    cirr_dicom_cleanup();
    if (s != CIRR_DICOM_OK) {
        fprintf(stderr, "get_client: %s\n", cirr_dicom_last_error());
        return 1;
    }
    return 0;
}
