# lib/: the helpers every program links (libcirr), and lib/dicom, the C API
# over DCMTK (the only C++), linked by the programs whose toolchain is dicom.
LIBCIRR_SRC  := $(wildcard lib/*.c)
LIBDICOM_SRC := $(wildcard lib/dicom/*.cc)
