"""The images built by `make images`, under Docker."""
