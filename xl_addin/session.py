"""The add-in's state for one Excel session: policies loaded once, reloaded when a policy file changes.

Excel recalculates a function on every edit of its inputs, so a warm call must not read or check
files: the policy folder (its policy files, `scenarios/` and `regions/`) is looked at no more than
once per `interval` seconds, and everything derived from the policies (scenario overlays,
simulation results) is kept until a file changes.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any

from engine.policy.files import default_policy_dir
from engine.policy.policies import PolicySet, load_policies
from engine.policy.scenarios import BASELINE, with_scenario

_WATCHED = ("*.json", "scenarios/*.json", "regions/*.json")


def files_signature(files: list[Path]) -> tuple:
    """Names, modification times and sizes of files (None for a file that is gone)."""
    out = []
    for path in files:
        try:
            stat = path.stat()
            out.append((str(path), stat.st_mtime_ns, stat.st_size))
        except OSError:
            out.append((str(path), None, None))
    return tuple(out)


class Session:
    """Loaded policies and results derived from them, valid until a watched file changes."""

    def __init__(self, folder: Path | str | None = None, interval: float = 1.0,
                 clock: Callable[[], float] = time.monotonic, max_results: int = 16, max_cells: int = 100_000):
        self._folder = Path(folder) if folder is not None else None
        self.interval = interval
        self.clock = clock
        self.max_results = max_results
        self.max_cells = max_cells
        self._policies: PolicySet | None = None
        self._signature: tuple | None = None
        self._checked = float("-inf")
        self._results: OrderedDict[Hashable, Any] = OrderedDict()
        self._cells: dict[Hashable, Any] = {}
        self._watched: dict[Path, tuple] = {}
        self.loads = 0

    @property
    def folder(self) -> Path:
        """The policy folder: the one given, else $CAREPOLICY_POLICY or the bundled one."""
        return (self._folder or default_policy_dir()).resolve()

    def use(self, folder: Path | str | None) -> None:
        """Switch to another policy folder (None: the default); the next call loads it."""
        self._folder = Path(folder) if folder is not None else None
        self._forget()

    def _forget(self) -> None:
        self._policies, self._signature, self._checked = None, None, float("-inf")
        self._watched.clear()
        self._results.clear()
        self._cells.clear()

    def policies(self) -> PolicySet:
        """The policies of the folder; files are checked for changes at most once per interval."""
        now = self.clock()
        if self._policies is not None and now - self._checked < self.interval:
            return self._policies
        folder = self.folder
        files = sorted(p for pattern in _WATCHED for p in folder.glob(pattern)) if folder.is_dir() else []
        signature = files_signature(files)
        watched = {path: files_signature([path]) for path in self._watched}
        if self._policies is None or signature != self._signature or watched != self._watched \
                or self._policies.root != folder:
            self._results.clear()
            self._cells.clear()
            self._watched = watched
            self._policies = None
            self._policies = load_policies(folder)
            self._signature = signature
            self.loads += 1
        self._checked = now
        return self._policies

    def cached(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        """A large result (a scenario's policies, a simulation) computed once per key until a file changes.

        Only successful results are kept; the least recently used are dropped beyond `max_results`.
        """
        self.policies()
        if key in self._results:
            self._results.move_to_end(key)
            return self._results[key]
        value = compute()
        self._results[key] = value
        while len(self._results) > self.max_results:
            self._results.popitem(last=False)
        return value

    def remember(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        """A cell's result per arguments until a file changes: a warm call is a dictionary lookup.

        Only successful results are kept; beyond `max_cells` entries the memory starts afresh.
        """
        self.policies()
        try:
            return self._cells[key]
        except KeyError:
            pass
        value = compute()
        if len(self._cells) >= self.max_cells:
            self._cells.clear()
        self._cells[key] = value
        return value

    def scenario_policies(self, scenario: str | None) -> PolicySet:
        """The policies with a scenario applied: a bundled name or a scenario file path (None: baseline)."""
        policies = self.policies()
        if not scenario or scenario == BASELINE:
            return policies
        path = Path(scenario).resolve()
        if scenario.lower().endswith(".json") and path not in self._watched:
            self._watched[path] = files_signature([path])
        return self.cached(("scenario", scenario), lambda: with_scenario(policies, scenario))
