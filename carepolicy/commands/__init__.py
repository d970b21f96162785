"""Sub-commands of `carepolicy`; each module has `register(subparsers)`."""
