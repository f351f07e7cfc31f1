/* cirr_dicom_tags.h: named DICOM tags, so that no raw tag number appears
 * outside lib/dicom and tests.
 *
 * Each name is CIRR_TAG_ followed by the attribute's keyword from the DICOM
 * standard, PS3.6 "Registry of DICOM Data Elements", written in upper snake
 * case: StudyInstanceUID becomes CIRR_TAG_STUDY_INSTANCE_UID, PatientID
 * CIRR_TAG_PATIENT_ID. The comment after each one gives the keyword as
 * spelled in PS3.6 (and in DCMTK's DCM_<Keyword> constants), for looking it
 * up. Only tags the code uses are listed; add one in tag order when needed.
 *
 * A tag is a uint32_t, group in the high 16 bits, element in the low 16.
 * Pure preprocessor: usable from C and C++. cirr_dicom.h includes it. */
#ifndef CIRR_DICOM_TAGS_H
#define CIRR_DICOM_TAGS_H

#include <stdint.h>

#define CIRR_TAG(group, element) ((uint32_t)(((uint32_t)(group) << 16) | (uint16_t)(element)))

#define CIRR_TAG_SPECIFIC_CHARACTER_SET             CIRR_TAG(0x0008, 0x0005) /* SpecificCharacterSet */
#define CIRR_TAG_IMAGE_TYPE                         CIRR_TAG(0x0008, 0x0008) /* ImageType */
#define CIRR_TAG_SOP_CLASS_UID                      CIRR_TAG(0x0008, 0x0016) /* SOPClassUID */
#define CIRR_TAG_SOP_INSTANCE_UID                   CIRR_TAG(0x0008, 0x0018) /* SOPInstanceUID */
#define CIRR_TAG_STUDY_DATE                         CIRR_TAG(0x0008, 0x0020) /* StudyDate */
#define CIRR_TAG_SERIES_DATE                        CIRR_TAG(0x0008, 0x0021) /* SeriesDate */
#define CIRR_TAG_CONTENT_DATE                       CIRR_TAG(0x0008, 0x0023) /* ContentDate */
#define CIRR_TAG_STUDY_TIME                         CIRR_TAG(0x0008, 0x0030) /* StudyTime */
#define CIRR_TAG_CONTENT_TIME                       CIRR_TAG(0x0008, 0x0033) /* ContentTime */
#define CIRR_TAG_ACCESSION_NUMBER                   CIRR_TAG(0x0008, 0x0050) /* AccessionNumber */
#define CIRR_TAG_QUERY_RETRIEVE_LEVEL               CIRR_TAG(0x0008, 0x0052) /* QueryRetrieveLevel */
#define CIRR_TAG_MODALITY                           CIRR_TAG(0x0008, 0x0060) /* Modality */
#define CIRR_TAG_MODALITIES_IN_STUDY                CIRR_TAG(0x0008, 0x0061) /* ModalitiesInStudy */
#define CIRR_TAG_PRESENTATION_INTENT_TYPE           CIRR_TAG(0x0008, 0x0068) /* PresentationIntentType */
#define CIRR_TAG_MANUFACTURER                       CIRR_TAG(0x0008, 0x0070) /* Manufacturer */
#define CIRR_TAG_INSTITUTION_NAME                   CIRR_TAG(0x0008, 0x0080) /* InstitutionName */
#define CIRR_TAG_REFERRING_PHYSICIAN_NAME           CIRR_TAG(0x0008, 0x0090) /* ReferringPhysicianName */
#define CIRR_TAG_CODE_VALUE                         CIRR_TAG(0x0008, 0x0100) /* CodeValue */
#define CIRR_TAG_CODING_SCHEME_DESIGNATOR           CIRR_TAG(0x0008, 0x0102) /* CodingSchemeDesignator */
#define CIRR_TAG_CODE_MEANING                       CIRR_TAG(0x0008, 0x0104) /* CodeMeaning */
#define CIRR_TAG_STATION_NAME                       CIRR_TAG(0x0008, 0x1010) /* StationName */
#define CIRR_TAG_STUDY_DESCRIPTION                  CIRR_TAG(0x0008, 0x1030) /* StudyDescription */
#define CIRR_TAG_SERIES_DESCRIPTION                 CIRR_TAG(0x0008, 0x103E) /* SeriesDescription */
#define CIRR_TAG_MANUFACTURER_MODEL_NAME            CIRR_TAG(0x0008, 0x1090) /* ManufacturerModelName */
#define CIRR_TAG_ANATOMIC_REGION_SEQUENCE           CIRR_TAG(0x0008, 0x2218) /* AnatomicRegionSequence */
#define CIRR_TAG_PATIENT_NAME                       CIRR_TAG(0x0010, 0x0010) /* PatientName */
#define CIRR_TAG_PATIENT_ID                         CIRR_TAG(0x0010, 0x0020) /* PatientID */
#define CIRR_TAG_PATIENT_BIRTH_DATE                 CIRR_TAG(0x0010, 0x0030) /* PatientBirthDate */
#define CIRR_TAG_PATIENT_SEX                        CIRR_TAG(0x0010, 0x0040) /* PatientSex */
#define CIRR_TAG_BODY_PART_EXAMINED                 CIRR_TAG(0x0018, 0x0015) /* BodyPartExamined */
#define CIRR_TAG_SCANNING_SEQUENCE                  CIRR_TAG(0x0018, 0x0020) /* ScanningSequence */
#define CIRR_TAG_SEQUENCE_VARIANT                   CIRR_TAG(0x0018, 0x0021) /* SequenceVariant */
#define CIRR_TAG_SCAN_OPTIONS                       CIRR_TAG(0x0018, 0x0022) /* ScanOptions */
#define CIRR_TAG_MR_ACQUISITION_TYPE                CIRR_TAG(0x0018, 0x0023) /* MRAcquisitionType */
#define CIRR_TAG_SLICE_THICKNESS                    CIRR_TAG(0x0018, 0x0050) /* SliceThickness */
#define CIRR_TAG_KVP                                CIRR_TAG(0x0018, 0x0060) /* KVP */
#define CIRR_TAG_REPETITION_TIME                    CIRR_TAG(0x0018, 0x0080) /* RepetitionTime */
#define CIRR_TAG_ECHO_TIME                          CIRR_TAG(0x0018, 0x0081) /* EchoTime */
#define CIRR_TAG_MAGNETIC_FIELD_STRENGTH            CIRR_TAG(0x0018, 0x0087) /* MagneticFieldStrength */
#define CIRR_TAG_ECHO_TRAIN_LENGTH                  CIRR_TAG(0x0018, 0x0091) /* EchoTrainLength */
#define CIRR_TAG_DEVICE_SERIAL_NUMBER               CIRR_TAG(0x0018, 0x1000) /* DeviceSerialNumber */
#define CIRR_TAG_IMAGER_PIXEL_SPACING               CIRR_TAG(0x0018, 0x1164) /* ImagerPixelSpacing */
#define CIRR_TAG_POSITIONER_TYPE                    CIRR_TAG(0x0018, 0x1508) /* PositionerType */
#define CIRR_TAG_PATIENT_POSITION                   CIRR_TAG(0x0018, 0x5100) /* PatientPosition */
#define CIRR_TAG_VIEW_POSITION                      CIRR_TAG(0x0018, 0x5101) /* ViewPosition */
#define CIRR_TAG_DETECTOR_TYPE                      CIRR_TAG(0x0018, 0x7004) /* DetectorType */
#define CIRR_TAG_STUDY_INSTANCE_UID                 CIRR_TAG(0x0020, 0x000D) /* StudyInstanceUID */
#define CIRR_TAG_SERIES_INSTANCE_UID                CIRR_TAG(0x0020, 0x000E) /* SeriesInstanceUID */
#define CIRR_TAG_STUDY_ID                           CIRR_TAG(0x0020, 0x0010) /* StudyID */
#define CIRR_TAG_SERIES_NUMBER                      CIRR_TAG(0x0020, 0x0011) /* SeriesNumber */
#define CIRR_TAG_ACQUISITION_NUMBER                 CIRR_TAG(0x0020, 0x0012) /* AcquisitionNumber */
#define CIRR_TAG_INSTANCE_NUMBER                    CIRR_TAG(0x0020, 0x0013) /* InstanceNumber */
#define CIRR_TAG_PATIENT_ORIENTATION                CIRR_TAG(0x0020, 0x0020) /* PatientOrientation */
#define CIRR_TAG_IMAGE_POSITION_PATIENT             CIRR_TAG(0x0020, 0x0032) /* ImagePositionPatient */
#define CIRR_TAG_IMAGE_ORIENTATION_PATIENT          CIRR_TAG(0x0020, 0x0037) /* ImageOrientationPatient */
#define CIRR_TAG_FRAME_OF_REFERENCE_UID             CIRR_TAG(0x0020, 0x0052) /* FrameOfReferenceUID */
#define CIRR_TAG_LATERALITY                         CIRR_TAG(0x0020, 0x0060) /* Laterality */
#define CIRR_TAG_IMAGE_LATERALITY                   CIRR_TAG(0x0020, 0x0062) /* ImageLaterality */
#define CIRR_TAG_POSITION_REFERENCE_INDICATOR       CIRR_TAG(0x0020, 0x1040) /* PositionReferenceIndicator */
#define CIRR_TAG_SLICE_LOCATION                     CIRR_TAG(0x0020, 0x1041) /* SliceLocation */
#define CIRR_TAG_NUMBER_OF_STUDY_RELATED_SERIES     CIRR_TAG(0x0020, 0x1206) /* NumberOfStudyRelatedSeries */
#define CIRR_TAG_NUMBER_OF_STUDY_RELATED_INSTANCES  CIRR_TAG(0x0020, 0x1208) /* NumberOfStudyRelatedInstances */
#define CIRR_TAG_NUMBER_OF_SERIES_RELATED_INSTANCES CIRR_TAG(0x0020, 0x1209) /* NumberOfSeriesRelatedInstances */
#define CIRR_TAG_SAMPLES_PER_PIXEL                  CIRR_TAG(0x0028, 0x0002) /* SamplesPerPixel */
#define CIRR_TAG_PHOTOMETRIC_INTERPRETATION         CIRR_TAG(0x0028, 0x0004) /* PhotometricInterpretation */
#define CIRR_TAG_ROWS                               CIRR_TAG(0x0028, 0x0010) /* Rows */
#define CIRR_TAG_COLUMNS                            CIRR_TAG(0x0028, 0x0011) /* Columns */
#define CIRR_TAG_PIXEL_SPACING                      CIRR_TAG(0x0028, 0x0030) /* PixelSpacing */
#define CIRR_TAG_BITS_ALLOCATED                     CIRR_TAG(0x0028, 0x0100) /* BitsAllocated */
#define CIRR_TAG_BITS_STORED                        CIRR_TAG(0x0028, 0x0101) /* BitsStored */
#define CIRR_TAG_HIGH_BIT                           CIRR_TAG(0x0028, 0x0102) /* HighBit */
#define CIRR_TAG_PIXEL_REPRESENTATION               CIRR_TAG(0x0028, 0x0103) /* PixelRepresentation */
#define CIRR_TAG_BURNED_IN_ANNOTATION               CIRR_TAG(0x0028, 0x0301) /* BurnedInAnnotation */
#define CIRR_TAG_PIXEL_INTENSITY_RELATIONSHIP       CIRR_TAG(0x0028, 0x1040) /* PixelIntensityRelationship */
#define CIRR_TAG_PIXEL_INTENSITY_RELATIONSHIP_SIGN  CIRR_TAG(0x0028, 0x1041) /* PixelIntensityRelationshipSign */
#define CIRR_TAG_WINDOW_CENTER                      CIRR_TAG(0x0028, 0x1050) /* WindowCenter */
#define CIRR_TAG_WINDOW_WIDTH                       CIRR_TAG(0x0028, 0x1051) /* WindowWidth */
#define CIRR_TAG_RESCALE_INTERCEPT                  CIRR_TAG(0x0028, 0x1052) /* RescaleIntercept */
#define CIRR_TAG_RESCALE_SLOPE                      CIRR_TAG(0x0028, 0x1053) /* RescaleSlope */
#define CIRR_TAG_RESCALE_TYPE                       CIRR_TAG(0x0028, 0x1054) /* RescaleType */
#define CIRR_TAG_LOSSY_IMAGE_COMPRESSION            CIRR_TAG(0x0028, 0x2110) /* LossyImageCompression */
#define CIRR_TAG_ACQUISITION_CONTEXT_SEQUENCE       CIRR_TAG(0x0040, 0x0555) /* AcquisitionContextSequence */
#define CIRR_TAG_PRESENTATION_LUT_SHAPE             CIRR_TAG(0x2050, 0x0020) /* PresentationLUTShape */

#endif
