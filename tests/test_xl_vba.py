"""The add-in as Excel sees it: the VBA wrapper xlwings generates on "Import Functions", built on Linux.

On Windows, `xlwings.func` is `xlwings.udfs.xlfunc`, which records each function's arguments and
docs, and "Import Functions" writes a VBA module from them with `generate_vba_wrapper`. Here
xlwings.udfs is imported with the pywin32 modules it needs (pythoncom, pywintypes, win32com.client)
stubbed, the real decorators are put in place of the no-op ones of Linux, and the module is loaded
afresh under them.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import io
import re
import sys
import types
from pathlib import Path

import pytest
import xlwings as xw

import xl_addin.functions as functions

MODULE = "xl_addin.functions"
EXPECTED = {"CP_PARAM", "CP_SOURCE", "CP_FEE", "CP_COPAY", "CP_QUOTA", "CP_POLICIES", "CP_EVALUATE",
            "CP_CARE_BUDGET", "CP_SIMULATE", "CP_IMPACT", "CP_COMPARE"}
# VBA keywords and statements that cannot name a parameter.
VBA_RESERVED = {
    "and", "as", "boolean", "byref", "byte", "byval", "call", "case", "close", "const", "currency", "date", "debug",
    "decimal", "declare", "dim", "do", "double", "each", "else", "elseif", "empty", "end", "enum", "eqv", "erase",
    "error", "event", "exit", "false", "for", "friend", "function", "get", "global", "gosub", "goto", "if", "imp",
    "implements", "in", "input", "integer", "is", "let", "lib", "like", "line", "lock", "long", "loop", "lset", "me",
    "mod", "name", "new", "next", "not", "nothing", "null", "object", "on", "open", "option", "optional", "or",
    "paramarray", "preserve", "print", "private", "property", "public", "put", "raiseevent", "redim", "rem",
    "resume", "return", "rset", "seek", "select", "set", "single", "static", "step", "stop", "string", "sub", "then",
    "to", "true", "type", "typeof", "until", "variant", "wend", "while", "with", "write", "xor",
}
WINDOWS_ONLY = ("pythoncom", "pywintypes", "win32com", "win32com.client")


def _stub(name: str) -> types.ModuleType:
    module = types.ModuleType(name)
    module.CoInitialize = lambda: None  # pythoncom: the COM thread pool's initializer
    module.com_error = type("com_error", (Exception,), {})  # pywintypes
    module.Dispatch = lambda *args: None  # win32com.client
    return module


@pytest.fixture(scope="module")
def windows():
    """(xlwings.udfs, the function module decorated as on Windows)."""
    patch = pytest.MonkeyPatch()
    stubs = {name: _stub(name) for name in WINDOWS_ONLY}
    stubs["win32com"].client = stubs["win32com.client"]
    for name, stub in stubs.items():
        patch.setitem(sys.modules, name, stub)
    patch.delitem(sys.modules, "xlwings.udfs", raising=False)
    udfs = importlib.import_module("xlwings.udfs")
    patch.setattr(xw, "func", udfs.xlfunc)
    patch.setattr(xw, "arg", udfs.xlarg)
    patch.setattr(xw, "ret", udfs.xlret)
    spec = importlib.util.spec_from_file_location(f"{MODULE}_as_on_windows", functions.__file__)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    yield udfs, module
    patch.undo()
    sys.modules.pop("xlwings.udfs", None)


class Workbook:
    Name = "carepolicy-functions.xlsm"


@pytest.fixture(scope="module")
def vba(windows) -> str:
    udfs, module = windows
    out = io.StringIO()
    udfs.generate_vba_wrapper(MODULE, module, out, Workbook())
    return out.getvalue()


def _signatures(vba: str) -> dict[str, list[str]]:
    found = re.findall(r"^Function (\w+)\((.*)\)$", vba, flags=re.MULTILINE)
    return {name: [a.strip() for a in args.split(",")] if args else [] for name, args in found}


def test_every_function_is_exported_once(vba):
    names = re.findall(r"^Function (\w+)\(", vba, flags=re.MULTILINE)
    assert sorted(names) == sorted(EXPECTED)


def test_arguments_and_optional_markers_follow_the_python_signatures(vba, windows):
    _, module = windows
    for name, args in _signatures(vba).items():
        params = inspect.signature(getattr(module, name)).parameters.values()
        expected = [("Optional " if p.default is not inspect.Parameter.empty else "") + p.name for p in params]
        assert args == expected, name
        marks = [a.startswith("Optional ") for a in args]
        assert marks == sorted(marks), f"{name}: an Optional argument before a required one does not compile in VBA"


def test_optional_arguments_include_the_ones_the_issue_names(vba):
    sig = _signatures(vba)
    assert sig["CP_PARAM"] == ["path", "Optional on_date", "Optional scenario"]
    assert sig["CP_FEE"] == ["kind", "Optional leader", "Optional on_date"]
    assert sig["CP_COPAY"][:2] == ["birth_date_or_age", "kind"]
    assert {"Optional increased", "Optional first_session", "Optional on_date", "Optional setting"} <= set(sig["CP_COPAY"])
    assert sig["CP_QUOTA"][:3] == ["network", "care", "kind"]
    assert sig["CP_EVALUATE"][0] == "claims" and "Optional scenario" in sig["CP_EVALUATE"]
    assert sig["CP_CARE_BUDGET"][:3] == ["application_date", "setting", "proof"]
    assert {"Optional score", "Optional months"} <= set(sig["CP_CARE_BUDGET"])
    assert sig["CP_POLICIES"] == []


def test_argument_names_are_legal_vba_identifiers(vba):
    for name, args in _signatures(vba).items():
        for arg in args:
            ident = arg.removeprefix("Optional ")
            assert re.fullmatch(r"[A-Za-z]\w{0,254}", ident), (name, ident)
            assert ident.lower() not in VBA_RESERVED, f"{name}: argument {ident!r} is a VBA keyword"


def test_each_wrapper_calls_its_own_python_function(vba):
    for name, args in _signatures(vba).items():
        names = ", ".join(a.removeprefix("Optional ") for a in args)
        call = f'{name} = XLPy.CallUDF("{MODULE}", "{name}", Array({names}), ThisWorkbook, Application.Caller)'
        assert call in vba, name


def test_function_wizard_texts_are_written_and_fit(windows):
    udfs, module = windows
    for name in EXPECTED:
        info = getattr(module, name).__xlfunc__
        assert info["category"] == functions.CATEGORY
        doc = info["ret"]["doc"]
        assert doc == getattr(functions, name).__doc__ and 20 < len(doc) <= 255, name
        for arg in info["args"]:
            assert not arg["doc"].startswith("Positional argument"), f"{name}.{arg['name']} has no doc"
            assert len(arg["doc"]) <= 255, f"{name}.{arg['name']}: Excel cuts argument docs at 255 characters"


def test_conversion_options_are_ones_xlwings_can_apply(windows):
    from xlwings.conversion import accessors

    _, module = windows
    for name in EXPECTED:
        info = getattr(module, name).__xlfunc__
        for options in [a["options"] for a in info["args"]] + [info["ret"]["options"]]:
            assert options.get("convert") in accessors, (name, options)
            assert "expand" not in options, "native dynamic arrays spill by themselves; expand= is the legacy way"


def test_range_arguments_always_arrive_as_lists_of_rows(windows):
    _, module = windows
    args = {a["name"]: a["options"] for a in module.CP_EVALUATE.__xlfunc__["args"]}
    assert args["claims"].get("ndim") == 2


def test_functions_behave_the_same_under_the_windows_decorators(windows):
    _, module = windows
    assert module.CP_FEE("individual", None, 45444.0) == functions.CP_FEE("individual", None, 45444.0) == 81.74
    assert module.CP_FEE("indiv").startswith("CP error: kind:")


# -- the install: xlwings settings and the steps of install.ps1 -----------------------------------------

def test_configure_sets_interpreter_and_udf_modules_and_keeps_other_settings(tmp_path):
    from xl_addin import configure

    conf = tmp_path / ".xlwings" / "xlwings.conf"
    conf.parent.mkdir()
    conf.write_text('"INTERPRETER_WIN","C:\\old\\python.exe"\n"LICENSE_KEY","abc"\n"UDF MODULES","my_udfs"\n')
    python = tmp_path / "venv" / "Scripts" / "python.exe"
    python.parent.mkdir(parents=True)
    python.touch()
    assert configure.interpreter_for_excel(python) == python
    (python.parent / "pythonw.exe").touch()
    assert configure.interpreter_for_excel(python) == python.parent / "pythonw.exe"
    configure.configure(conf, python.parent / "pythonw.exe")
    settings = configure.read_config(conf)
    assert settings == {"INTERPRETER_WIN": str(python.parent / "pythonw.exe"), "LICENSE_KEY": "abc", "UDF MODULES": MODULE}
    lines = conf.read_text().splitlines()
    assert lines[-1] == f'"UDF MODULES","{MODULE}"' and all(re.fullmatch(r'"[A-Z_ ]+","[^"]*"', line) for line in lines)
    configure.configure(conf, python.parent / "pythonw.exe")
    assert configure.read_config(conf) == settings, "running the install twice changes nothing"


def test_configure_checks_the_module_as_excel_imports_it(tmp_path, capsys):
    from xl_addin import configure

    assert set(configure.exported_functions()) == EXPECTED
    conf = tmp_path / "xlwings.conf"
    assert configure.main(["--config", str(conf)]) == 0
    out = capsys.readouterr().out
    assert f"UDF Modules = {MODULE}" in out and f"exports {len(EXPECTED)} functions" in out
    assert configure.read_config(conf)["UDF MODULES"] == MODULE


def test_configure_reports_a_module_that_does_not_import(monkeypatch, tmp_path, capsys):
    from xl_addin import configure

    monkeypatch.setattr(configure, "UDF_MODULE", "xl_addin.no_such_module")
    assert configure.main(["--config", str(tmp_path / "xlwings.conf")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: xl_addin.no_such_module: expected an importable module, found ModuleNotFoundError")
    assert not (tmp_path / "xlwings.conf").exists(), "nothing is configured for a module Excel could not import"


def test_install_script_runs_the_steps_in_order():
    text = (Path(functions.__file__).parent / "install.ps1").read_text(encoding="utf-8")
    steps = ['"-m", "venv"', '"pip", "install", "-e"', '@("addin", "install")', '"-m", "xl_addin.configure"']
    positions = [text.find(step) for step in steps]
    assert -1 not in positions and positions == sorted(positions), dict(zip(steps, positions, strict=True))
    assert "$LASTEXITCODE" in text and '$ErrorActionPreference = "Stop"' in text, "a failed step stops the install"


def test_the_simulations_run_in_xlwings_threading_mode_and_the_rest_synchronously(vba, windows):
    _, module = windows
    modes = {name: getattr(module, name).__xlfunc__["async_mode"] for name in EXPECTED}
    assert {name for name, mode in modes.items() if mode} == {"CP_SIMULATE", "CP_IMPACT", "CP_COMPARE"}
    assert modes["CP_SIMULATE"] == modes["CP_IMPACT"] == modes["CP_COMPARE"] == "threading"
    for name in ("CP_SIMULATE", "CP_IMPACT", "CP_COMPARE"):  # the wrapper is the same VBA as for a synchronous function
        assert re.search(rf"Function {name}\(.*?\n.*?End Function", vba, flags=re.S)


def test_install_script_readme_and_package_agree_on_python_and_xlwings():
    root = Path(__file__).resolve().parents[1]
    script = (root / "xl_addin" / "install.ps1").read_text(encoding="utf-8")
    readme = (root / "xl_addin" / "README.md").read_text(encoding="utf-8")
    project = (root / "pyproject.toml").read_text(encoding="utf-8")
    assert 'requires-python = ">=3.11"' in project
    assert "sys.version_info >= (3, 11)" in script and "Python 3.11 or later" in script
    assert "Python 3.11 or later" in readme and "py -3.11" not in readme
    pinned = re.search(r'"xlwings==([\d.]+)"', project).group(1)
    assert xw.__version__ == pinned, "the installed xlwings is not the pinned one"
    assert f"xlwings {pinned}" in readme and "xlwings addin status" in readme
    assert "conda create" in readme
