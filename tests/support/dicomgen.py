"""Small, valid CT instances for the DICOM, image and benchmark suites
(pydicom): one series per call, pixel data made without a per-byte loop so
that large sizes stay quick."""
import datetime
import os

from pydicom.dataset import FileDataset, FileMetaDataset
from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, generate_uid


def make_instances(folder, count, size=64, patient="MUX^TEST", patient_id="MUX1"):
    """Write count instances of one new series into folder (created if
    needed); returns their SOP Instance UIDs in file order."""
    os.makedirs(folder, exist_ok=True)
    study, series = generate_uid(), generate_uid()
    today = datetime.date.today().strftime("%Y%m%d")
    uids = []
    for i in range(count):
        meta = FileMetaDataset()
        meta.MediaStorageSOPClassUID = CTImageStorage
        meta.MediaStorageSOPInstanceUID = generate_uid()
        meta.TransferSyntaxUID = ExplicitVRLittleEndian
        ds = FileDataset(None, {}, file_meta=meta, preamble=b"\0" * 128)
        ds.SOPClassUID, ds.SOPInstanceUID = CTImageStorage, meta.MediaStorageSOPInstanceUID
        ds.StudyInstanceUID, ds.SeriesInstanceUID = study, series
        ds.PatientName, ds.PatientID, ds.Modality = patient, patient_id, "CT"
        ds.StudyDate = ds.SeriesDate = today
        ds.InstanceNumber, ds.SeriesNumber = i + 1, 1
        ds.Rows = ds.Columns = size
        ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
        ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
        n = size * size * 2
        ds.PixelData = (bytes((j * 7 + i) & 0xFF for j in range(256)) * (n // 256 + 1))[:n]
        ds.is_little_endian, ds.is_implicit_VR = True, False  # as the meta header says
        ds.save_as(os.path.join(folder, f"i{i:05d}.dcm"), write_like_original=False)
        uids.append(str(ds.SOPInstanceUID))
    return uids
