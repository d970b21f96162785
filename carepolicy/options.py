"""Options shared by the commands, read the same way everywhere.

- `-s/--scenario` and `-r/--region` are repeatable and take comma-separated lists (`-s a,b -s c`);
  unknown names get a "did you mean" from the engine, which knows the names.
- Numbers take a decimal point or a decimal comma (`--score 5,5`), as claims files do: read them
  with engine.cells.read_decimal, dates with engine.cells.read_date (through `day_value`).
- `-o` naming an existing folder is refused as such.
- `--quiet` turns the progress bars off (they are drawn on a terminal only anyway).

Only the standard library and engine.cells are imported here, so that `--help` stays fast.
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from engine.cells import DATE_HELP, read_date


class Names(argparse.Action):
    """A repeatable option whose values may be comma-separated lists; blanks are dropped."""

    def __call__(self, parser, namespace, values, option_string=None):
        names = list(getattr(namespace, self.dest, None) or [])
        names += [part.strip() for part in str(values).split(",") if part.strip()]
        setattr(namespace, self.dest, names)


def add_scenarios(parser: argparse.ArgumentParser, help: str) -> None:
    """`-s/--scenario NAME[,NAME]`, repeatable; collected in `args.scenario` (a list)."""
    parser.add_argument("-s", "--scenario", action=Names, default=[], metavar="NAME", help=help)


def add_regions(parser: argparse.ArgumentParser) -> None:
    """`-r/--region NAME[,NAME]`, repeatable; collected in `args.region` (a list)."""
    parser.add_argument("-r", "--region", action=Names, default=[], metavar="NAME",
                        help="limit to these regions: ids or names, comma-separated or repeated (see: carepolicy list regions)")


def add_policy(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--policy", metavar="FOLDER", help="policy folder (default: the bundled policy/)")


def add_quiet(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-q", "--quiet", action="store_true", help="draw no progress bar (one is drawn on a terminal only)")


def one_scenario(args: argparse.Namespace) -> str | None:
    """The single scenario a command applies, or None; several are a mistake."""
    from engine.errors import InputError

    if len(args.scenario) > 1:
        raise InputError(f"--scenario: expected one scenario for {args.command}, found {len(args.scenario)}: "
                         f"{', '.join(args.scenario)}")
    return args.scenario[0] if args.scenario else None


def workbook_file(text: str) -> Path:
    """An argparse type: the workbook to write (.xlsx); an existing folder is refused as such."""
    return output_file(text, "comparison.xlsx")


def day_value(text: str, name: str) -> dt.date:
    """A date argument YYYY-MM-DD or DD/MM/YYYY; `name: expected …, found …` otherwise."""
    from engine.errors import InputError

    value = read_date(text)
    if value is None:
        raise InputError(f"{name}: expected {DATE_HELP}, found {text!r}")
    return value


def output_file(text: str, example: str = "results.csv") -> Path:
    """An argparse type: a file to write; an existing folder is refused as such."""
    path = Path(text)
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{text}: expected a file to write, such as {Path(text) / example}, "
                                         f"found an existing folder")
    return path
