"""The stack files, ci/pin-digests, and the stacks on a single-node swarm."""
