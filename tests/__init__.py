"""cirr's pytest suites (behaviour/, dicom/, images/, manuals/, system/) and
what they share (support/).

A package, so that every test module has a unique name (tests.dicom.conftest
is not tests.images.conftest) and imports its helpers as
`from tests.support.ports import free_port`: pytest puts the repository
root on sys.path because it is the first folder above without an
__init__.py, and `python3 -m pytest` run there does the same."""
