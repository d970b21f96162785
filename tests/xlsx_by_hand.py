"""Minimal .xlsx files written by hand with zipfile, so that a test controls every byte of the XML."""

from __future__ import annotations

import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

from engine.io.xlsx import column_letter

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
DOC = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>')
PACKAGE_RELS = (f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{RELS}"><Relationship Id="rId1" '
                f'Type="{DOC}/officeDocument" Target="xl/workbook.xml"/></Relationships>')
WORKBOOK = (f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN}" xmlns:r="{DOC}"><sheets>'
            f'<sheet name="claims" sheetId="1" r:id="rId1"/></sheets></workbook>')
WORKBOOK_RELS = (f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{RELS}"><Relationship Id="rId1" '
                 f'Type="{DOC}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>')


def sheet_xml(rows: list[list[str]], dimension: str = "A1", prolog: str = "", raw: bool = False) -> str:
    """A worksheet of inline-string cells; `raw` puts values in unescaped (for entity references)."""
    body = "".join(
        f'<row r="{i + 1}">' + "".join(
            f'<c r="{column_letter(j)}{i + 1}" t="inlineStr"><is><t>{v if raw else escape(v)}</t></is></c>'
            for j, v in enumerate(row)) + "</row>"
        for i, row in enumerate(rows))
    return (f'<?xml version="1.0" encoding="UTF-8"?>{prolog}<worksheet xmlns="{MAIN}"><dimension ref="{dimension}"/>'
            f"<sheetData>{body}</sheetData></worksheet>")


def write_book(path: Path, sheet: str | bytes) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", PACKAGE_RELS)
        archive.writestr("xl/workbook.xml", WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        archive.writestr("xl/worksheets/sheet1.xml", sheet)
    return path
