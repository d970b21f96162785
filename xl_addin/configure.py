"""The Python half of the Windows install (install.ps1 runs it): tell xlwings which interpreter and
which function module to use, check that the module imports, and optionally prepare a workbook.

    python -m xl_addin.configure                     # write ~/.xlwings/xlwings.conf, check the module
    python -m xl_addin.configure --workbook book.xlsx  # also: save as .xlsm, reference xlwings, import functions

A `#NAME?` in Excel usually means one of these steps did not happen; each prints what it did.
"""

from __future__ import annotations

import argparse
import importlib
import re
import sys
from pathlib import Path

from engine.errors import CarePolicyError, InputError
from engine.io.atomic import atomic_path

UDF_MODULE = "xl_addin.functions"
CONFIG_FILE = Path.home() / ".xlwings" / "xlwings.conf"
_LINE = re.compile(r'"([^"]*)"')


def read_config(path: Path) -> dict[str, str]:
    """The settings of an xlwings.conf file ("KEY","value" per line), keys as written; {} when absent."""
    if not path.is_file():
        return {}
    settings = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        values = _LINE.findall(line)
        if len(values) >= 2:
            settings[values[0]] = values[1]
    return settings


def write_config(path: Path, settings: dict[str, str]) -> None:
    """Write settings in xlwings' format; keys are upper case, values cannot hold a double quote."""
    for key, value in settings.items():
        if '"' in key or '"' in value:
            raise InputError(f"{path}: {key}: expected a value without double quotes, found {value!r}")
    with atomic_path(path) as tmp:
        tmp.write_text("".join(f'"{key.upper()}","{value}"\n' for key, value in settings.items()), encoding="utf-8")


def interpreter_for_excel(executable: Path) -> Path:
    """pythonw.exe beside the interpreter when there is one (no console window), else the interpreter."""
    windowless = executable.with_name("pythonw.exe")
    return windowless if windowless.is_file() else executable


def configure(path: Path, interpreter: Path) -> dict[str, str]:
    """Point xlwings at `interpreter` and at the function module; other settings are kept."""
    settings = {key.upper(): value for key, value in read_config(path).items()}
    settings["INTERPRETER_WIN"] = str(interpreter)
    settings["UDF MODULES"] = UDF_MODULE
    write_config(path, settings)
    return settings


def exported_functions() -> list[str]:
    """The CP_ functions of the UDF module, imported as Excel will import it."""
    try:
        module = importlib.import_module(UDF_MODULE)
    except Exception as exc:  # any import failure is what Excel would show as #NAME? in every cell
        raise InputError(f"{UDF_MODULE}: expected an importable module, found {type(exc).__name__}: {exc}") from None
    return sorted(name for name in vars(module) if name.startswith("CP_"))


def prepare_workbook(path: Path) -> Path:
    """Save a workbook as .xlsm beside it, reference the xlwings add-in and import the functions (Windows Excel)."""
    import xlwings as xw
    from xlwings.udfs import import_udfs

    book = xw.Book(str(path))
    target = path.with_suffix(".xlsm")
    if path.suffix.lower() != ".xlsm":
        book.save(str(target))
    project = book.api.VBProject
    if not any(ref.Name == "xlwings" for ref in project.References):
        project.References.AddFromFile(str(Path(book.app.startup_path) / "xlwings.xlam"))
    import_udfs(UDF_MODULE, book.api)
    book.save()
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m xl_addin.configure", description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", type=Path, default=CONFIG_FILE, help=f"xlwings user settings (default {CONFIG_FILE})")
    parser.add_argument("--workbook", type=Path, help="a workbook to prepare for the functions (needs Excel on Windows)")
    args = parser.parse_args(argv)
    try:
        names = exported_functions()
        settings = configure(args.config, interpreter_for_excel(Path(sys.executable)))
        print(f"xlwings settings in {args.config}: Interpreter = {settings['INTERPRETER_WIN']}, "
              f"UDF Modules = {settings['UDF MODULES']}")
        print(f"{UDF_MODULE} imports and exports {len(names)} functions: {', '.join(names)}")
        if args.workbook:
            print(f"prepared {prepare_workbook(args.workbook.resolve())}: xlwings reference set, functions imported")
    except CarePolicyError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())
