"""The comparison workbook as a budget note: scenarios against the baseline, per region, with their sources.

Sheets, in order: Summary, Read me, Comparison, [Winners and losers], [Several years], [Sensitivity],
What-if, Scenarios, Parameters, Regions, Utilisation, Results (the bracketed ones when their table is
given). Results holds the engine's figures to the cent; Summary, Comparison and What-if are native
formulas over them, each stored with its computed value, so the workbook reads the same in a file
preview, pandas or openpyxl, and keeps working in Excel or LibreOffice without Python.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from engine.io.atomic import atomic_path
from engine.policy.scenarios import BASELINE
from engine.simulation.run import Simulation, national
from engine.simulation.sensitivity import Sensitivity
from workbooks.context import Context
from workbooks.differences import comparison_sheet
from workbooks.inputs import parameters_sheet, regions_sheet, scenarios_sheet, utilisation_sheet
from workbooks.labels import Labels
from workbooks.readme import readme_sheet
from workbooks.results import ResultsLayout, quoted, results_sheet
from workbooks.styles import Book
from workbooks.summary import summary_sheet
from workbooks.tornado import tornado_sheet
from workbooks.whatif import whatif_sheet
from workbooks.winners import winners_sheet
from workbooks.years import years_sheet

GENERATED = Path(__file__).resolve().parent / "generated"
DEFAULT_PATH = GENERATED / "comparison.xlsx"
ORDER = ("Summary", "Read me", "Comparison", "Winners and losers", "Several years", "Sensitivity", "What-if",
         "Scenarios", "Parameters", "Regions", "Utilisation", "Results")


Band = pd.DataFrame | Callable[[], pd.DataFrame | None] | None
"""A seed band (engine.simulation.band.band()), or a function that returns it once its seeds are done."""


def build_workbook(sim: Simulation, generated: dt.datetime | None = None, *, band: Band = None,
                   seeds: int = 1, lang: str = "en", impact: pd.DataFrame | None = None,
                   years: pd.DataFrame | None = None, sensitivity: Sensitivity | None = None) -> bytes:
    """The comparison workbook of a simulation, as the bytes of an .xlsx file.

    `band` is engine.simulation.band.band() over `seeds` seeds, shown on Summary when given, or a function
    that returns it (or None), called once, when every other sheet is written: the seeds of a band that
    run in other processes finish while this one writes the workbook. `impact`, an impact table by age
    band (scenario, age_band, patients, better_off, worse_off, ...), adds the Winners and losers sheet
    and the patients better and worse off on Summary. `years`, the long table of
    engine.simulation.years.simulate_years, adds the Several years sheet; `sensitivity`, a run of
    engine.simulation.sensitivity, the Sensitivity sheet with its tornado.
    """
    buffer = io.BytesIO()
    labels = Labels(lang)
    book = Book(buffer)
    generated = generated or dt.datetime.now().astimezone()
    ctx = Context(book, sim, labels, generated, seeds=seeds, impact=impact)
    layout = _layout(ctx)
    summary = book.sheet(labels("Summary"))  # the first sheet, written last (it shows the band)
    given = {"Winners and losers": impact, "Several years": years, "Sensitivity": sensitivity}
    readme_sheet(ctx, [labels(name) for name in ORDER if given.get(name, True) is not None])
    comparison_sheet(ctx, layout)
    if impact is not None:
        winners_sheet(ctx, impact)
    if years is not None:
        years_sheet(ctx, years)
    if sensitivity is not None:
        tornado_sheet(ctx, sensitivity)
    whatif_sheet(ctx, layout)
    scenarios_sheet(ctx)
    parameters_sheet(ctx)
    regions_sheet(ctx)
    utilisation_sheet(ctx)
    results_sheet(ctx)
    ctx.band = band() if callable(band) else band
    summary_sheet(ctx, layout, summary)
    book.wb.set_properties({"title": labels("Psychological care: scenario comparison {year}", year=sim.year),
                            "author": "carepolicy", "created": generated.replace(tzinfo=None)})
    book.close()
    return buffer.getvalue()


def _layout(ctx: Context) -> ResultsLayout:
    """Where the Results sheet (written last) will hold each column."""
    table = ctx.sim.results
    return ResultsLayout(quoted(ctx.labels("Results")), {n: i for i, n in enumerate(table.columns)}, 1, len(table), table)


def write_workbook(sim: Simulation, path: Path | str = DEFAULT_PATH, generated: dt.datetime | None = None, *,
                   band: Band = None, seeds: int = 1, lang: str = "en",
                   impact: pd.DataFrame | None = None, years: pd.DataFrame | None = None,
                   sensitivity: Sensitivity | None = None) -> Path:
    """Build and write the workbook atomically: the target is replaced only by a complete file."""
    data = build_workbook(sim, generated, band=band, seeds=seeds, lang=lang, impact=impact, years=years,
                          sensitivity=sensitivity)
    path = Path(path)
    with atomic_path(path) as tmp:
        Path(tmp).write_bytes(data)
    return path


def national_totals(sim: Simulation) -> pd.DataFrame:
    """Insurer cost and co-payments per scenario for all simulated regions, with the difference to the baseline."""
    totals = national(sim.results).set_index("scenario")[["insurer_cost", "patient_copay"]].round(2)
    totals["insurer_cost_vs_baseline"] = (totals["insurer_cost"] - totals.loc[BASELINE, "insurer_cost"]).round(2)
    totals["patient_copay_vs_baseline"] = (totals["patient_copay"] - totals.loc[BASELINE, "patient_copay"]).round(2)
    return totals
