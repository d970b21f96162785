"""What a workbook is built from: the simulation, the language, and the optional tables beside it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd

from engine.policy.scenarios import BASELINE
from engine.simulation.run import Simulation, national
from workbooks.labels import Labels
from workbooks.styles import Book


@dataclass
class Context:
    """The simulation and everything else a sheet may show; `band` is the seed band (engine.simulation.band)."""

    book: Book
    sim: Simulation
    labels: Labels
    generated: dt.datetime
    band: pd.DataFrame | None = None
    seeds: int = 1
    impact: pd.DataFrame | None = None
    nation: pd.DataFrame = field(init=False)

    def __post_init__(self) -> None:
        self.nation = national(self.sim.results).set_index("scenario")

    @property
    def scenarios(self) -> list[str]:
        return [s.id for s in self.sim.scenarios]

    @property
    def others(self) -> list[str]:
        """The scenarios other than the baseline."""
        return [s for s in self.scenarios if s != BASELINE]

    def region_name(self, region: str) -> str:
        """A region's display name in the workbook's language."""
        return self.sim.regions.regions[region].name(self.labels.lang)

    def metric_label(self, name: str, part: str = "label") -> str:
        """A result column's label (or `part` "description") in the workbook's language."""
        metric = self.sim.metrics[name]
        return self.labels(getattr(metric, part), **metric.values(self.labels.lang))

    def change(self, scenario: str, metric: str) -> float:
        """A national total's difference to the baseline."""
        return float(self.nation.loc[scenario, metric] - self.nation.loc[BASELINE, metric])
