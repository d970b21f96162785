"""Headless LibreOffice for tests: recalculate a workbook, or render it to PDF.

Each call uses a private user profile, so that parallel runs do not clash, configured to recalculate
every formula of an .xlsx file on load (not only those without a cached value).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

REQUIRE = "CAREPOLICY_REQUIRE_LIBREOFFICE"
TIMEOUT = 180

# Tools > Options > Calc > Formula > Recalculation on file load: 0 = always, 1 = never (for Excel 2007+ and ODF files).
_PROFILE = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="ODFRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""


def soffice() -> str:
    """The soffice executable; skips the test when missing, or fails when $CAREPOLICY_REQUIRE_LIBREOFFICE=1."""
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found:
        return found
    message = "LibreOffice (soffice) is not installed: the workbook recalculation tests need libreoffice-calc-nogui"
    if os.environ.get(REQUIRE) == "1":
        pytest.fail(f"{message}, and {REQUIRE}=1 requires them")
    pytest.skip(message)


def convert(source: Path, target_format: str, outdir: Path, recalculate_all: bool = True) -> Path:
    """Open `source` in headless LibreOffice (recalculating every formula, or as an analyst's LibreOffice set to never
    recalculate on load) and save it as `target_format` in `outdir`."""
    outdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="carepolicy-lo-") as profile:
        user = Path(profile) / "user"
        user.mkdir()
        profile_text = _PROFILE if recalculate_all else _PROFILE.replace("<value>0</value>", "<value>1</value>")
        (user / "registrymodifications.xcu").write_text(profile_text, encoding="utf-8")
        command = [soffice(), f"-env:UserInstallation={Path(profile).as_uri()}", "--headless", "--norestore",
                   "--convert-to", target_format, "--outdir", str(outdir), str(source)]
        done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT, check=False)
    suffix = target_format.split(":")[0]
    out = outdir / f"{source.stem}.{suffix}"
    per_sheet = list(outdir.glob(f"{source.stem}-*.{suffix}"))  # CSV of every sheet (filter option -1): one file each
    if done.returncode != 0 or not (out.is_file() or per_sheet):
        raise RuntimeError(f"LibreOffice could not convert {source.name} to {target_format} "
                           f"(exit {done.returncode}): {done.stderr.strip() or done.stdout.strip()}")
    return out


def recalculate(source: Path, outdir: Path) -> Path:
    """A copy of an .xlsx workbook recalculated by LibreOffice, with every formula's value cached."""
    return convert(source, "xlsx", outdir)
