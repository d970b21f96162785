"""The comparison workbook: scenarios against the baseline, per region, with their parameters and sources.

Sheets, in order: Read me, Scenarios, Parameters, Regions, Utilisation, Results, Comparison, What-if. Results holds
the engine's figures; Comparison and What-if are native formulas over them, so the workbook keeps
working in Excel or LibreOffice without Python.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
from openpyxl import Workbook

from engine.io.atomic import atomic_path
from engine.policy.scenarios import BASELINE
from engine.simulation.run import Simulation, national
from workbooks.inputs import parameters_sheet, regions_sheet, scenarios_sheet, utilisation_sheet
from workbooks.readme import readme_sheet
from workbooks.results import comparison_sheet, results_sheet
from workbooks.whatif import whatif_sheet

GENERATED = Path(__file__).resolve().parent / "generated"
DEFAULT_PATH = GENERATED / "comparison.xlsx"


def build_workbook(sim: Simulation, generated: dt.datetime | None = None) -> Workbook:
    """The comparison workbook of a simulation, in memory."""
    wb = Workbook()
    readme_sheet(wb, sim, generated or dt.datetime.now().astimezone())
    scenarios_sheet(wb, sim)
    parameters_sheet(wb, sim)
    regions_sheet(wb, sim)
    utilisation_sheet(wb, sim)
    layout = results_sheet(wb, sim)
    comparison_sheet(wb, sim, layout)
    whatif_sheet(wb, sim, layout)
    wb.properties.title = f"Psychological care: scenario comparison {sim.year}"
    wb.properties.creator = "carepolicy"
    return wb


def write_workbook(sim: Simulation, path: Path | str = DEFAULT_PATH, generated: dt.datetime | None = None) -> Path:
    """Build and write the workbook atomically: the target is replaced only by a complete file."""
    wb = build_workbook(sim, generated)
    path = Path(path)
    with atomic_path(path) as tmp:
        wb.save(tmp)
    return path


def national_totals(sim: Simulation) -> pd.DataFrame:
    """Insurer cost and co-payments per scenario for all simulated regions, with the difference to the baseline."""
    totals = national(sim.results).set_index("scenario")[["insurer_cost", "patient_copay"]].round(2)
    totals["insurer_cost_vs_baseline"] = (totals["insurer_cost"] - totals.loc[BASELINE, "insurer_cost"]).round(2)
    totals["patient_copay_vs_baseline"] = (totals["patient_copay"] - totals.loc[BASELINE, "patient_copay"]).round(2)
    return totals
