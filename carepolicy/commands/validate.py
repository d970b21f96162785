"""`carepolicy validate [PATH ...]`: check policy files against their schema and the semantic rules."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(sub) -> None:
    p = sub.add_parser("validate", help="check policy files; exit 2 with one line per problem",
                       description="Check policy files: JSON syntax, the schema, then what a schema cannot say "
                                   "(periods, sources, ids, units, ranges). One line per valid file, or one line "
                                   "per problem with the file and JSON pointer and exit 2.")
    p.add_argument("paths", nargs="*", type=Path, help="files or folders (default: the bundled policy/)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from engine.policy.files import default_policy_dir, display
    from engine.policy.validation import validate

    reports = validate(args.paths or [default_policy_dir()])
    bad = [r for r in reports if r.problems]
    for r in reports:
        if r.problems:
            for problem in r.problems:
                print(problem, file=sys.stderr)
        else:
            print(f"{display(r.path)}: ok ({r.summary})")
    if bad:
        count = sum(len(r.problems) for r in bad)
        print(f"{count} problem(s) in {len(bad)} of {len(reports)} file(s)", file=sys.stderr)
        return 2
    print(f"{len(reports)} file(s) valid")
    return 0
