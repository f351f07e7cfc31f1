"""ci: setting up a machine (bootstrap, sysroot), the demos (demo.py,
demo-init) and release tools (pin-digests).

A package so that the Python shared with tests/ is imported, not found
through sys.path edits: run from the repository root, `python3 -m ci.demo`
and `python3 -m pytest` both import ci.swarm."""
