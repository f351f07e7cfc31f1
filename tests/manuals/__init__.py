"""Each program's --help against its manual."""
