"""Where things are: the repository, its stack files, the references
beside it (../shared/reference), and what the build made."""
import os

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
STACKS = os.path.join(REPO, "stacks")
REFERENCE = os.path.join(os.path.dirname(REPO), "shared", "reference")


def built(variable, name):
    """The path in environment variable (the Makefile sets one per program),
    else build/name in the repository."""
    return os.environ.get(variable) or os.path.join(REPO, "build", name)
