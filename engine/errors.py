"""User-facing errors: one line each, naming the file or row, what was expected and what was found."""

from __future__ import annotations

from dataclasses import dataclass


class CarePolicyError(Exception):
    """A mistake in the user's input; the CLI prints it without a traceback."""

    exit_code = 2


@dataclass(frozen=True)
class Problem:
    """One problem in one file, located by a JSON pointer (or a line and column)."""

    file: str
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.where}: {self.message}"


class PolicyError(CarePolicyError):
    """One or more problems in policy files."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))

    def __reduce__(self):
        """Rebuilt from its problems when it comes back from a worker process (not from its message)."""
        return type(self), (self.problems,)


class ResolveError(CarePolicyError):
    """A parameter path or date that the loaded policies cannot answer."""


class InputError(CarePolicyError):
    """A malformed claims file, argument or option value."""


def did_you_mean(name: str, known: list[str]) -> str:
    """A ' — did you mean …?' hint for an unknown name, or '' when nothing is close."""
    import difflib

    close = difflib.get_close_matches(name.lower(), [k.lower() for k in known], n=1, cutoff=0.6)
    if not close:
        return ""
    match = next(k for k in known if k.lower() == close[0])
    return f" — did you mean '{match}'?"
