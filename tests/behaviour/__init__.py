"""cirr-init, the real binary, as PID 1 and as subreaper."""
