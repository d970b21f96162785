"""`python -m carepolicy`."""

from carepolicy.cli import entry

raise SystemExit(entry())
