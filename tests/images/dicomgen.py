"""Small, valid CT instances for store tests (pydicom)."""
import datetime
import os

from pydicom.dataset import FileDataset, FileMetaDataset
from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, generate_uid


def make_study(folder, count, patient="CIRR^TEST", size=64):
    """Write count instances of one series; returns their SOP Instance UIDs."""
    os.makedirs(folder, exist_ok=True)
    study, series = generate_uid(), generate_uid()
    uids = []
    for i in range(count):
        meta = FileMetaDataset()
        meta.MediaStorageSOPClassUID = CTImageStorage
        meta.MediaStorageSOPInstanceUID = generate_uid()
        meta.TransferSyntaxUID = ExplicitVRLittleEndian
        ds = FileDataset(None, {}, file_meta=meta, preamble=b"\0" * 128)
        ds.SOPClassUID, ds.SOPInstanceUID = CTImageStorage, meta.MediaStorageSOPInstanceUID
        ds.StudyInstanceUID, ds.SeriesInstanceUID = study, series
        ds.PatientName, ds.PatientID = patient, "MRN0001"
        ds.StudyDate = ds.SeriesDate = datetime.date.today().strftime("%Y%m%d")
        ds.Modality, ds.InstanceNumber, ds.SeriesNumber = "CT", i + 1, 1
        ds.Rows = ds.Columns = size
        ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
        ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 0
        ds.PixelData = bytes((j + i) & 0xFF for j in range(size * size * 2))
        ds.is_little_endian, ds.is_implicit_VR = True, False
        ds.save_as(os.path.join(folder, f"ct{i:04d}.dcm"), write_like_original=False)
        uids.append(ds.SOPInstanceUID)
    return uids
