"""cirr-mockpacs and cirr-mux against real DICOM peers on loopback."""
