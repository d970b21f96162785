"""The example workbook of the Excel functions: sample inputs with CP_ formulas beside them.

    python -m workbooks.example [OUTPUT]   (default workbooks/examples/carepolicy-functions.xlsx)

Table functions are written as array formulas over the range their result fills (sized from the
engine), because a plain formula in a file written without Excel would open as `=@CP_…`, showing
only the first cell. In Excel 365 an analyst may replace one by a plain formula, which spills.
The formulas show #NAME? until the functions are imported (xl_addin/README.md).
"""

from __future__ import annotations

import datetime as dt
import sys
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.formula import ArrayFormula
from openpyxl.worksheet.worksheet import Worksheet

from engine.claims.contract import RESULT_COLUMNS as CLAIM_COLUMNS
from engine.evaluate.care_budget import OUTPUT_COLUMNS as BUDGET_COLUMNS
from engine.evaluate.lookups import quota
from engine.io.atomic import atomic_path
from engine.policy.policies import PolicySet, load_policies
from engine.simulation.run import RESULT_COLUMNS as SIMULATION_COLUMNS
from workbooks.styles import BOLD, DATE, HEADING_FONT, INPUT_FILL, NOTE_FONT, TITLE_FONT, WRAP

OUTPUT = Path(__file__).resolve().parent / "examples" / "carepolicy-functions.xlsx"
POLICY_COLUMNS = 8  # id, kind, title, version, valid_from, valid_to, file, dated_values
ON = dt.date(2024, 6, 1)
CLAIMS = [
    ["claim_id", "patient_id", "birth_date", "session_date", "kind", "network", "care", "increased_reimbursement",
     "group_id", "co_lead", "setting", "mutuality", "provider", "fee_charged"],
    ["C001", "P01", dt.date(1990, 3, 14), dt.date(2024, 6, 3), "individual", "adults", "first_line", False],
    ["C002", "P01", dt.date(1990, 3, 14), dt.date(2024, 6, 17), "individual", "adults", "first_line", False],
    ["C003", "P02", dt.date(1975, 11, 2), dt.date(2024, 6, 4), "individual", "adults", "specialised", True],
    ["C004", "P03", dt.date(2009, 1, 20), dt.date(2024, 6, 5), "individual", "children", "first_line", False],
    ["C005", "P04", dt.date(2008, 5, 9), dt.date(2024, 6, 6), "individual", "children", "first_line", False,
     None, None, "clb_employed"],
    ["C006", "P05", dt.date(1988, 7, 30), dt.date(2024, 6, 7), "group", "adults", "first_line", False, "G1", "other"],
    ["C007", "P06", dt.date(1993, 2, 11), dt.date(2024, 6, 7), "group", "adults", "first_line", False, "G1", "other"],
    ["C008", "P07", dt.date(1983, 9, 5), dt.date(2024, 6, 10), "individual", None, None, False,
     None, None, None, "cm", "psychotherapist", 60],
    ["C009", "P07", dt.date(1983, 9, 5), dt.date(2024, 6, 10), "individual", None, None, False,
     None, None, None, "cm", "psychotherapist", 60],
]


@dataclass(frozen=True)
class Ref:
    """A cell reference as a formula argument."""

    address: str


def _argument(value) -> str:
    if value is None:
        return ""
    if isinstance(value, Ref):
        return value.address
    if isinstance(value, dt.date):
        return f"DATE({value.year},{value.month},{value.day})"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, str):
        return '"' + value.replace('"', '""') + '"'
    return repr(value)


def formula(name: str, *args) -> str:
    """An Excel formula calling one function; None leaves an optional argument out."""
    while args and args[-1] is None:
        args = args[:-1]
    return f"={name}({','.join(_argument(a) for a in args)})"


def put_array(ws: Worksheet, anchor: str, text: str, rows: int, columns: int) -> None:
    """An array formula over the rows × columns starting at `anchor`."""
    col, row = ws[anchor].column, ws[anchor].row
    ref = f"{anchor}:{get_column_letter(col + columns - 1)}{row + rows - 1}"
    ws[anchor] = ArrayFormula(ref, text)


def _inputs(ws: Worksheet, rows: list[tuple[str, object]], first: int = 3) -> dict[str, Ref]:
    """Labelled input cells in A:B from row `first`; returns their references by label."""
    refs = {}
    for i, (label, value) in enumerate(rows, start=first):
        ws.cell(i, 1, label).font = BOLD
        cell = ws.cell(i, 2, value)
        cell.fill = INPUT_FILL
        if isinstance(value, dt.date):
            cell.number_format = DATE
        refs[label] = Ref(f"$B${i}")
    return refs


def _lookups(ws: Worksheet, policies: PolicySet) -> None:
    ws["A1"] = "Single values: a parameter, its source, a fee, a co-payment, a quota"
    ws["A1"].font = TITLE_FONT
    ref = _inputs(ws, [("session date", ON), ("birth date", dt.date(1990, 3, 14)), ("increased reimbursement", False),
                       ("scenario", "copay-15")])
    path = "riziv-psy-2021.tariff.rows.individual.fee"
    copay_path = "riziv-psy-2021.copayment.rules.individual.amount"
    rows = [
        ("individual fee on the session date", formula("CP_PARAM", path, ref["session date"])),
        ("where it comes from", formula("CP_SOURCE", path, ref["session date"])),
        ("individual co-payment in 2027 under the scenario", formula("CP_PARAM", copay_path, dt.date(2027, 6, 1), ref["scenario"])),
        ("group fee, co-leader 'other'", formula("CP_FEE", "group", "other", ref["session date"])),
        ("co-payment, individual session", formula("CP_COPAY", ref["birth date"], "individual", ref["increased reimbursement"],
                                                   None, ref["session date"])),
        ("co-payment, first session of a period", formula("CP_COPAY", ref["birth date"], "individual",
                                                          ref["increased reimbursement"], True, ref["session date"])),
        ("co-payment, typo in the kind (an error in the cell)", formula("CP_COPAY", 30, "indivdual", None, None, ref["session date"])),
    ]
    for i, (label, text) in enumerate(rows, start=9):
        ws.cell(i, 1, label)
        ws.cell(i, 2, text)
    ws["A18"] = "Quota of first-line individual sessions for adults, per bundle"
    ws["A18"].font = HEADING_FONT
    caps = quota(policies, "adults", "first_line", "individual", ON)
    put_array(ws, "A19", formula("CP_QUOTA", "adults", "first_line", "individual", ref["session date"]), len(caps) + 1, 2)
    top = 21 + len(caps)
    ws.cell(top, 1, "The loaded policy files").font = HEADING_FONT
    put_array(ws, f"A{top + 1}", formula("CP_POLICIES"), len(policies.docs) + 1, POLICY_COLUMNS)
    ws.column_dimensions["A"].width = 52
    ws.column_dimensions["B"].width = 24


def _claims(ws: Worksheet) -> None:
    width = len(CLAIMS[0])
    for r, row in enumerate(CLAIMS, start=1):
        for c, value in enumerate(row, start=1):
            cell = ws.cell(r, c, value)
            if r == 1:
                cell.font = BOLD
            elif isinstance(value, dt.date):
                cell.number_format = DATE
    first = width + 2
    anchor = f"{get_column_letter(first)}1"
    claims = f"A1:{get_column_letter(width)}{len(CLAIMS)}"
    put_array(ws, anchor, f"=CP_EVALUATE({claims})", len(CLAIMS), len(CLAIM_COLUMNS))
    period = first + CLAIM_COLUMNS.index("period_start")
    for r in range(2, len(CLAIMS) + 1):
        ws.cell(r, period).number_format = DATE
    for c in range(1, first + len(CLAIM_COLUMNS)):
        ws.column_dimensions[get_column_letter(c)].width = 13
    ws.column_dimensions[get_column_letter(first + CLAIM_COLUMNS.index("reason"))].width = 40


def _care_budget(ws: Worksheet) -> None:
    ws["A1"] = "Flemish care budget: the payment schedule of one application"
    ws["A1"].font = TITLE_FONT
    months = 12
    ref = _inputs(ws, [("application date", dt.date(2024, 1, 15)), ("setting", "home"), ("proof", "belrai"),
                       ("score", 14), ("months", months)])
    put_array(ws, "D3", formula("CP_CARE_BUDGET", *ref.values()), months + 1, len(BUDGET_COLUMNS))
    for r in range(4, months + 4):
        ws.cell(r, 6).number_format = DATE
    ws.column_dimensions["A"].width = 20
    ws.column_dimensions["B"].width = 14
    ws.column_dimensions["F"].width = 13


def _simulation(ws: Worksheet) -> None:
    ws["A1"] = "Budget simulation (one region runs in under a second; all regions take a few seconds)"
    ws["A1"].font = TITLE_FONT
    ref = _inputs(ws, [("scenario", "copay-15"), ("year", 2027), ("region", "luxemburg"),
                       ("compare", "copay-15, index-2pct"), ("regions", "luxemburg, namen"), ("metric", "insurer_cost")])
    ws["A10"] = "CP_SIMULATE: one scenario, the chosen region"
    ws["A10"].font = HEADING_FONT
    put_array(ws, "A11", formula("CP_SIMULATE", ref["scenario"], ref["year"], ref["region"]), 2, len(SIMULATION_COLUMNS))
    ws["A14"] = "CP_COMPARE: the metric per region (rows) and scenario (columns), with the total"
    ws["A14"].font = HEADING_FONT
    put_array(ws, "A15", formula("CP_COMPARE", ref["compare"], ref["metric"], ref["year"], ref["regions"]), 4, 4)
    ws.column_dimensions["A"].width = 16


def _read_me(ws: Worksheet) -> None:
    lines = [
        ("carepolicy functions: examples", TITLE_FONT),
        ("Every yellow cell is an input; the formulas beside them call the carepolicy functions through xlwings.", None),
        ("Until the functions are imported, the formula cells show #NAME?. To import them (once per workbook):", None),
        ("1. run xl_addin\\install.ps1 once (see xl_addin/README.md);", None),
        ("2. save this workbook as an Excel Macro-Enabled Workbook (.xlsm);", None),
        ("3. in the VBA editor (Alt+F11), Tools > References: tick xlwings;", None),
        ("4. on the xlwings tab, click Import Functions; then Ctrl+Alt+F9 recalculates everything.", None),
        ("A mistake in an input shows as one line in the cell, starting with 'CP error:'.", NOTE_FONT),
        ("Table results are array formulas over a fixed range; in Excel 365 a plain formula spills by itself.", NOTE_FONT),
    ]
    for i, (text, font) in enumerate(lines, start=1):
        cell = ws.cell(i, 1, text)
        cell.alignment = WRAP
        if font:
            cell.font = font
    ws.column_dimensions["A"].width = 110


def build(target: Path = OUTPUT, policies: PolicySet | None = None) -> Path:
    """Write the example workbook (atomically) and return its path."""
    policies = policies or load_policies()
    book = Workbook()
    _read_me(book.active)
    book.active.title = "Read me"
    for title, fill in (("Lookups", lambda ws: _lookups(ws, policies)), ("Claims", _claims),
                        ("Care budget", _care_budget), ("Simulation", _simulation)):
        fill(book.create_sheet(title))
    with atomic_path(target) as tmp:
        book.save(tmp)
    return target


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    print(f"wrote {build(Path(args[0]) if args else OUTPUT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
