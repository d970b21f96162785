"""`python -m carepolicy`."""

from carepolicy.cli import main

raise SystemExit(main())
