"""What the suites share, imported as tests.support.<module>:

  paths            the repository, its stacks, the references beside it,
                   and the programs under test (CIRR_* variables)
  ports, waiting   free loopback ports, waiting for a port or a condition
  processes        a started program with its log, stopped afterwards;
                   the ASan/UBSan report check
  cirr_init        cirr-init in a private folder (Box, Run), flag probes
  mockpacs, mux    cirr-mockpacs and cirr-mux on free ports
  dcmtk            DCMTK's tools as peers (TCP_NODELAY), findscu answers
  dicomgen         the CT instances every suite and benchmark sends
  postgres         a throw-away PostgreSQL 15 cluster (a real server)
  containers       the Docker CLI, and what a test made, removed after it
  rawscu           a C-STORE client on plain sockets, for datasets DCMTK's
                   tools refuse to send (empty, without UIDs)
  powercut         a FUSE file system that keeps only what was made durable
                   (fsynced data and names) and can simulate a power cut
  stacks           the stack files' example environment

Test doubles, named as such (real ones are unreachable here):
  http_double      an HTTP(S) endpoint with settable status and Basic auth
  registry_double  a container registry (Registry HTTP API v2)

Fixtures stay in each suite's conftest.py; everything a test module or a
benchmark imports is here."""
