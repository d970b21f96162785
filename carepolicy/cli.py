"""The `carepolicy` command: one sub-command per module in carepolicy/commands.

Command modules import only the standard library and carepolicy.options at their top, and the
engine inside `run`, so that `carepolicy --help` starts without loading pandas.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import importlib
import os
import signal
import sys
from collections.abc import Iterator

import carepolicy.commands

ORDER = ["compare", "simulate", "impact", "evaluate", "explain", "care-budget", "value", "list", "validate"]


def command_names() -> list[str]:
    """Every sub-command module, in the order a new user needs them."""
    folder = carepolicy.commands.__path__[0]
    found = [n[:-3].replace("_", "-") for n in os.listdir(folder) if n.endswith(".py") and not n.startswith("_")]
    return sorted(found, key=lambda n: (ORDER.index(n) if n in ORDER else len(ORDER), n))


class _Parser(argparse.ArgumentParser):
    """An argument parser whose mistakes are one line, like every other user error."""

    def error(self, message: str):
        self.exit(2, f"error: {message} (see: {self.prog} --help)\n")


class _Version(argparse.Action):
    """--version: the installed package's version, looked up only when asked."""

    def __init__(self, option_strings, dest, **kwargs):
        super().__init__(option_strings, dest, nargs=0, help="show the version and exit")

    def __call__(self, parser, namespace, values, option_string=None):
        from importlib.metadata import version

        print(f"carepolicy {version('carepolicy')}")
        parser.exit(0)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every sub-command registered."""
    parser = _Parser(
        prog="carepolicy",
        description="Policy-as-data for Belgian psychological care: validate, evaluate, simulate, compare.")
    parser.add_argument("--version", action=_Version)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in command_names():
        module = importlib.import_module(f"carepolicy.commands.{name.replace('-', '_')}")
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one sub-command; user errors print one line per problem and exit non-zero, never a traceback.

    Output piped into a program that stops reading (`| head -3`) ends the command quietly with 0.
    """
    args = build_parser().parse_args(argv)
    try:
        code = _run(args)
        sys.stdout.flush()
        return code
    except BrokenPipeError:
        # The reader has gone: later writes (and the interpreter's final flush) go to /dev/null.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0


def entry() -> int:
    """The `carepolicy` program (its console script and `python -m carepolicy`): `main`, then a quick exit.

    Once a command has returned, its files are written and closed. Python would then tear down every
    module it loaded (pandas, pyarrow, the engine) object by object, a tenth of a second or more after
    a large run. The process ends instead once the worker threads are joined and the exit handlers
    (temporary folders, worker pools) have run, which Python does first.
    """
    returned: list[int] = []
    atexit.register(_leave, returned)  # registered first, so it runs after every other exit handler
    returned.append(main())
    return returned[0]


def _leave(returned: list[int]) -> None:
    """End the process with the command's exit code, streams flushed; nothing to do if the command did not return."""
    if not returned:  # argparse's exit, or a defect's traceback: Python ends as usual
        return
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe: nobody is reading any more
            stream.flush()
    os._exit(returned[0])


def _run(args: argparse.Namespace) -> int:
    from engine.allocator import keep_freed_memory
    from engine.errors import CarePolicyError, PolicyError

    keep_freed_memory()

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
