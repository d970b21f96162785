"""The example workbook of the Excel functions: sample inputs with CP_ formulas beside them.

    python -m workbooks.example [OUTPUT]   (default workbooks/examples/carepolicy-functions.xlsx)

Each formula is stored with what the function returned when the file was built (the functions are
called here, in Python, on the same inputs), so the workbook reads sensibly before the add-in is
installed. Table functions are written as array formulas over the range their result fills, because
a plain formula in a file written without Excel would open as `=@CP_…`, showing only the first cell.
In Excel 365 an analyst may replace one by a plain formula, which spills. Recalculating without the
add-in shows #NAME? (xl_addin/README.md says how to import the functions). LibreOffice recalculates
array formulas on load whatever its settings, so it shows #NAME? for the tables (the Read me says so).
"""

from __future__ import annotations

import datetime as dt
import io
import sys
from dataclasses import dataclass
from pathlib import Path

import xl_addin.functions as fx
from engine.claims.contract import RESULT_COLUMNS as CLAIM_COLUMNS
from engine.io.atomic import atomic_path
from workbooks.styles import BOLD, DATE, HEADING, INPUT, NOTE, TITLE, WRAP, Book, Sheet, cell, column

OUTPUT = Path(__file__).resolve().parent / "examples" / "carepolicy-functions.xlsx"
ON = dt.datetime(2024, 6, 1)
BUILT = dt.datetime(2024, 6, 1)
"""The creation time stored in the file, so that building it twice gives the same bytes."""
CLAIMS = [
    ["claim_id", "patient_id", "birth_date", "session_date", "kind", "network", "care", "increased_reimbursement",
     "group_id", "co_lead", "setting", "mutuality", "provider", "fee_charged"],
    ["C001", "P01", dt.datetime(1990, 3, 14), dt.datetime(2024, 6, 3), "individual", "adults", "first_line", False],
    ["C002", "P01", dt.datetime(1990, 3, 14), dt.datetime(2024, 6, 17), "individual", "adults", "first_line", False],
    ["C003", "P02", dt.datetime(1975, 11, 2), dt.datetime(2024, 6, 4), "individual", "adults", "specialised", True],
    ["C004", "P03", dt.datetime(2009, 1, 20), dt.datetime(2024, 6, 5), "individual", "children", "first_line", False],
    ["C005", "P04", dt.datetime(2008, 5, 9), dt.datetime(2024, 6, 6), "individual", "children", "first_line", False,
     None, None, "clb_employed"],
    ["C006", "P05", dt.datetime(1988, 7, 30), dt.datetime(2024, 6, 7), "group", "adults", "first_line", False, "G1", "other"],
    ["C007", "P06", dt.datetime(1993, 2, 11), dt.datetime(2024, 6, 7), "group", "adults", "first_line", False, "G1", "other"],
    ["C008", "P07", dt.datetime(1983, 9, 5), dt.datetime(2024, 6, 10), "individual", None, None, False,
     None, None, None, "cm", "psychotherapist", 60],
    ["C009", "P07", dt.datetime(1983, 9, 5), dt.datetime(2024, 6, 10), "individual", None, None, False,
     None, None, None, "cm", "psychotherapist", 60],
]


@dataclass(frozen=True)
class Ref:
    """A cell reference as a formula argument, with the value the cell holds."""

    address: str
    value: object


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


def call(name: str, *args):
    """What the function returns for these arguments, as Excel would pass them (references by their values)."""
    while args and args[-1] is None:
        args = args[:-1]
    return getattr(fx, name)(*(a.value if isinstance(a, Ref) else a for a in args))


def put_call(sheet: Sheet, row: int, col: int, name: str, *args) -> None:
    """A formula with its sample result: one cell for a value, an array formula over the rows × columns of a table."""
    text, result = formula(name, *args), call(name, *args)
    if not isinstance(result, list):
        sheet.ws.write_formula(row, col, text, _format(sheet, result), _plain(result))
        return
    last_row, last_col = row + len(result) - 1, col + max(len(r) for r in result) - 1
    sheet.ws.write_array_formula(row, col, last_row, last_col, text, _format(sheet, result[0][0]), _plain(result[0][0]))
    for i, values in enumerate(result):
        for j, value in enumerate(values):
            if i or j:
                sheet.value(row + i, col + j, value, DATE if isinstance(value, dt.date) else None)


def _plain(value):
    if isinstance(value, dt.date):
        return (dt.datetime(value.year, value.month, value.day) - dt.datetime(1899, 12, 30)).days
    return "" if value is None else value


def _format(sheet: Sheet, value):
    return sheet.book.format(num_format=DATE if isinstance(value, dt.date) else None)


def _inputs(sheet: Sheet, rows: list[tuple[str, object]], first: int = 2) -> dict[str, Ref]:
    """Labelled yellow input cells in A:B from row `first` (zero-based); returns their references by label."""
    refs = {}
    for i, (label, value) in enumerate(rows, start=first):
        sheet.text(i, 0, label, BOLD)
        sheet.value(i, 1, value, DATE if isinstance(value, dt.date) else None, INPUT)
        refs[label] = Ref(cell(i, 1, absolute=True), value)
    return refs


def _lookups(sheet: Sheet) -> None:
    sheet.text(0, 0, "Single values: a parameter, its source, a fee, a co-payment, a quota", TITLE)
    ref = _inputs(sheet, [("session date", ON), ("birth date", dt.datetime(1990, 3, 14)), ("increased reimbursement", False),
                          ("scenario", "copay-15")])
    path = "riziv-psy-2021.tariff.rows.individual.fee"
    copay_path = "riziv-psy-2021.copayment.rules.individual.amount"
    rows = [
        ("individual fee on the session date", "CP_PARAM", path, ref["session date"]),
        ("where it comes from", "CP_SOURCE", path, ref["session date"]),
        ("individual co-payment in 2027 under the scenario", "CP_PARAM", copay_path, dt.datetime(2027, 6, 1), ref["scenario"]),
        ("group fee, co-leader 'other'", "CP_FEE", "group", "other", ref["session date"]),
        ("co-payment, individual session", "CP_COPAY", ref["birth date"], "individual", ref["increased reimbursement"],
         None, ref["session date"]),
        ("co-payment, first session of a period", "CP_COPAY", ref["birth date"], "individual",
         ref["increased reimbursement"], True, ref["session date"]),
        ("co-payment, typo in the kind (an error in the cell)", "CP_COPAY", 30, "indivdual", None, None, ref["session date"]),
    ]
    for i, (label, name, *args) in enumerate(rows, start=8):
        sheet.text(i, 0, label)
        put_call(sheet, i, 1, name, *args)
    sheet.text(17, 0, "Quota of first-line individual sessions for adults, per bundle", HEADING)
    put_call(sheet, 18, 0, "CP_QUOTA", "adults", "first_line", "individual", ref["session date"])
    top = 20 + len(call("CP_QUOTA", "adults", "first_line", "individual", ref["session date"]))
    sheet.text(top, 0, "The loaded policy files", HEADING)
    put_call(sheet, top + 1, 0, "CP_POLICIES")
    sheet.set_width(0, 52)
    sheet.set_width(1, 24)


def _claims(sheet: Sheet) -> None:
    width = len(CLAIMS[0])
    for r, row in enumerate(CLAIMS):
        for c in range(width):
            value = row[c] if c < len(row) else None
            if r == 0:
                sheet.text(r, c, value, BOLD)
            else:
                sheet.value(r, c, value, DATE if isinstance(value, dt.date) else None, INPUT)
    first = width + 1
    claims = Ref(f"A1:{column(width - 1)}{len(CLAIMS)}", [[*row, *[None] * (width - len(row))] for row in CLAIMS])
    put_call(sheet, 0, first, "CP_EVALUATE", claims)
    for c in range(first + len(CLAIM_COLUMNS)):
        sheet.set_width(c, 13)
    sheet.set_width(first + CLAIM_COLUMNS.index("reason"), 40)


def _care_budget(sheet: Sheet) -> None:
    sheet.text(0, 0, "Flemish care budget: the payment schedule of one application", TITLE)
    ref = _inputs(sheet, [("application date", dt.datetime(2024, 1, 15)), ("setting", "home"), ("proof", "belrai"),
                          ("score", 14), ("months", 12)])
    put_call(sheet, 2, 3, "CP_CARE_BUDGET", *ref.values())
    sheet.set_width(0, 20)
    sheet.set_width(1, 14)
    sheet.set_width(5, 13)


def _simulation(sheet: Sheet) -> None:
    sheet.text(0, 0, "Budget simulation (one region runs in under a second; all regions take a few seconds)", TITLE)
    ref = _inputs(sheet, [("scenario", "copay-15"), ("year", 2027), ("region", "luxemburg"),
                          ("compare", "copay-15, index-2pct"), ("regions", "luxemburg, namen"), ("metric", "insurer_cost")])
    sheet.text(9, 0, "CP_SIMULATE: one scenario, the chosen region", HEADING)
    put_call(sheet, 10, 0, "CP_SIMULATE", ref["scenario"], ref["year"], ref["region"])
    sheet.text(13, 0, "CP_COMPARE: the metric per region (rows) and scenario (columns), with the total", HEADING)
    put_call(sheet, 14, 0, "CP_COMPARE", ref["compare"], ref["metric"], ref["year"], ref["regions"])
    sheet.set_width(0, 16)


def _read_me(sheet: Sheet) -> None:
    lines = [
        ("carepolicy functions: examples", TITLE),
        ("Every yellow cell is an input; the formulas beside them call the carepolicy functions through xlwings.", None),
        ("Each formula cell shows the sample result stored when this file was built. Until the functions are imported, "
         "recalculating shows #NAME?. To import them (once per workbook):", None),
        ("1. run xl_addin\\install.ps1 once (see xl_addin/README.md);", None),
        ("2. save this workbook as an Excel Macro-Enabled Workbook (.xlsm);", None),
        ("3. in the VBA editor (Alt+F11), Tools > References: tick xlwings;", None),
        ("4. on the xlwings tab, click Import Functions; then Ctrl+Alt+F9 recalculates everything.", None),
        ("A mistake in an input shows as one line in the cell, starting with 'CP error:'.", NOTE),
        ("Table results are array formulas over a fixed range; in Excel 365 a plain formula spills by itself.", NOTE),
        ("LibreOffice cannot run these functions. It shows the stored result of every single-value formula, but it "
         "recalculates array formulas whenever it opens a file (whatever its Recalculation on File Load setting), so "
         "the tables show #NAME? there.", NOTE),
    ]
    for i, (text, style) in enumerate(lines):
        sheet.text(i, 0, text, style, WRAP)
    sheet.set_width(0, 110)


def build(target: Path = OUTPUT) -> Path:
    """Write the example workbook (atomically) and return its path."""
    buffer = io.BytesIO()
    book = Book(buffer)
    for title, fill in (("Read me", _read_me), ("Lookups", _lookups), ("Claims", _claims), ("Care budget", _care_budget),
                        ("Simulation", _simulation)):
        fill(book.sheet(title))
    book.wb.set_properties({"title": "carepolicy functions: examples", "author": "carepolicy", "created": BUILT})
    book.close()
    with atomic_path(target) as tmp:
        Path(tmp).write_bytes(buffer.getvalue())
    return target


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    print(f"wrote {build(Path(args[0]) if args else OUTPUT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
