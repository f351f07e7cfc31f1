"""Debian's Orthanc as a DICOM peer, with its own configuration on free
loopback ports: no authentication, no plugins, the modalities given."""
import json

from tests.support.dcmtk import NODELAY
from tests.support.ports import free_port
from tests.support.processes import Process


class Orthanc(Process):
    """.dicom and .http are its ports (dicom: a given one, else a free one);
    modalities: its DicomModalities, {name: [AET, host, port]}."""

    def __init__(self, tmp, aet="ORTHANC", dicom=None, modalities=None, config=None):
        self.http, self.dicom = free_port(), dicom or free_port()
        db = tmp / f"orthanc-{aet}"
        cfg = {"Name": aet.lower(), "DicomAet": aet, "DicomPort": self.dicom, "HttpPort": self.http,
               "StorageDirectory": str(db), "IndexDirectory": str(db), "RemoteAccessAllowed": False,
               "AuthenticationEnabled": False, "Plugins": [], "DicomModalities": modalities or {}}
        cfg.update(config or {})  # anything else a test sets (StableAge...)
        path = tmp / f"orthanc-{aet}.json"
        path.write_text(json.dumps(cfg))
        super().__init__(["/usr/sbin/Orthanc", str(path)], NODELAY, str(tmp / f"orthanc-{aet}.log"))
        self.wait_listening(60, (self.http, self.dicom))
