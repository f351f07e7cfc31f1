"""The benchmarks against the anchors (never part of `make test`). A
package, run from the repository root as `python3 -m bench.<name>`, so
that they import the tests' helpers (tests.support) as a package."""
