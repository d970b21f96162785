"""The `carepolicy` command: one sub-command per module in carepolicy/commands."""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import pkgutil
import signal
import sys
from collections.abc import Iterator

import carepolicy.commands
from engine.errors import CarePolicyError, PolicyError

ORDER = ["compare", "simulate", "impact", "evaluate", "explain", "care-budget", "value", "validate"]


def command_names() -> list[str]:
    """Every sub-command module, in the order a new user needs them."""
    found = [m.name.replace("_", "-") for m in pkgutil.iter_modules(carepolicy.commands.__path__)]
    return sorted(found, key=lambda n: (ORDER.index(n) if n in ORDER else len(ORDER), n))


class _Parser(argparse.ArgumentParser):
    """An argument parser whose mistakes are one line, like every other user error."""

    def error(self, message: str):
        self.exit(2, f"error: {message} (see: {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every sub-command registered."""
    parser = _Parser(
        prog="carepolicy",
        description="Policy-as-data for Belgian psychological care: validate, evaluate, simulate, compare.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in command_names():
        module = importlib.import_module(f"carepolicy.commands.{name.replace('-', '_')}")
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one sub-command; user errors print one line per problem and exit non-zero, never a traceback."""
    args = build_parser().parse_args(argv)
    try:
        with _terminate_as_interrupt():
            return args.run(args)
    except CarePolicyError as exc:
        for line in str(exc).splitlines():  # a policy file's problems name their file, as validate prints them
            print(line if isinstance(exc, PolicyError) or line.startswith("error") else f"error: {line}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130



@contextlib.contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM ends a run like Ctrl-C: temporary files are removed and the previous output stays."""
    pid = os.getpid()

    def handle(signum, frame) -> None:
        if os.getpid() != pid:  # a forked worker ends as it would have
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGTERM)
            return
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, handle)
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
