"""Hostile or impossible input to the policy side: nothing fetched, nothing quoted, limits named, one line, exit 2."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from carepolicy.cli import main
from engine.claims.read import read_claims_table
from engine.evaluate.pipeline import normalized


@pytest.fixture
def folder(policy_copy: Path, monkeypatch) -> Path:
    monkeypatch.chdir(policy_copy.parent)
    return policy_copy


def one_error(capsys, args: list[str]) -> str:
    """The single error line of a command that exits 2."""
    code = main(args)
    out, err = capsys.readouterr()
    assert code == 2, out + err
    assert "Traceback" not in err
    return err.strip()


def test_a_schema_reference_to_a_server_is_never_fetched(folder, capsys):
    requests = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the name http.server calls
            requests.append(self.path)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/evil.json"
        schema = folder / "schema" / "policy-1.0.schema.json"
        data = json.loads(schema.read_text(encoding="utf-8"))
        data["$defs"]["date"] = {"$ref": url}
        schema.write_text(json.dumps(data), encoding="utf-8")
        code = main(["validate", "policy"])
        err = capsys.readouterr().err
    finally:
        server.shutdown()
        server.server_close()
    assert code == 2 and requests == []
    assert (f"policy/schema/policy-1.0.schema.json: /$defs/date/$ref: expected a reference within the bundled "
            f"schemas, found '{url}' (schemas are never fetched)") in err.splitlines()


def test_a_file_reference_outside_the_schemas_is_refused(folder, capsys, tmp_path):
    outside = tmp_path / "outside.json"
    outside.write_text('{"type": "string"}', encoding="utf-8")
    schema = folder / "schema" / "scenario-1.0.schema.json"
    data = json.loads(schema.read_text(encoding="utf-8"))
    data["$defs"]["text"] = {"$ref": outside.as_uri()}
    schema.write_text(json.dumps(data), encoding="utf-8")
    assert main(["validate", "policy"]) == 2
    assert (f"policy/schema/scenario-1.0.schema.json: /$defs/text/$ref: expected a reference within the bundled "
            f"schemas, found '{outside.as_uri()}' (schemas are never fetched)") in capsys.readouterr().err.splitlines()


def test_a_loosened_schema_copy_is_named_and_not_used(folder, capsys):
    (folder / "schema" / "policy-1.0.schema.json").write_text('{"type": "object"}', encoding="utf-8")
    tariff = folder / "riziv-psy-2021.json"
    tariff.write_text(tariff.read_text(encoding="utf-8").replace('"value": 75.0', '"value": "free"', 1), encoding="utf-8")
    assert main(["validate", "policy"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert ("policy/schema/policy-1.0.schema.json: /: expected a copy of the bundled schema (documents are checked "
            "against the bundled schemas), found a changed or unknown schema") in err
    assert 'policy/riziv-psy-2021.json: /tariff/rows/0/fee/history/0/value: expected number, found a string "free"' in err


def test_a_scenario_that_is_not_json_is_named_not_quoted(folder, capsys, tmp_path):
    secret = tmp_path / "shadow"
    secret.write_text("root:$6$s3cretHash:19000:0:99999:7:::\n", encoding="utf-8")
    line = one_error(capsys, ["value", "riziv-psy-2021.tariff.rows.individual.fee", "2024-01-01",
                              "--scenario", str(secret)])
    assert "s3cret" not in line and "root" not in line
    assert line.endswith("shadow: line 1 column 1: expected valid JSON (Expecting value), found something else there")


def scenario(folder: Path, change: dict) -> str:
    path = folder / "scenarios" / "hostile.json"
    path.write_text(json.dumps({"$schema": "../schema/scenario-1.0.schema.json", "id": "hostile", "kind": "scenario",
                                "title": "t", "description": "d", "utilisation": [],
                                "changes": [{"path": "riziv-psy-2021.tariff.rows.individual.fee", "from": "2027-01-01",
                                             "unit": "EUR", "source": "scenario-hypothesis", "status": "assumed",
                                             **change}]}), encoding="utf-8")
    return str(path)


@pytest.mark.parametrize(("change", "message"), [
    ({"value": 1e300}, "/changes/0/value: expected a number of at most 999,999,999,999,999 (the largest number "
                       "carepolicy reads), found 1e+300"),
    ({"value": 1e6}, "/changes/0/value: expected a number <= 100000 (a scenario value, within the largest amount), "
                     "found a number 1000000.0"),
    ({"factor": 1000}, "/changes/0/factor: expected a number <= 10 (a scenario factor), found a number 1000"),
    ({"value": 80, "to": "9999-12-31"}, "/changes/0/to: expected a date from 1900-01-01 to 2199-12-31 (the dates "
                                        "carepolicy supports), found 9999-12-31"),
], ids=["value-1e300", "value-1e6", "factor-1000", "to-9999"])
def test_a_scenario_beyond_the_limits_is_refused(folder, capsys, change, message):
    path = scenario(folder, change)
    claims = folder.parent / "claims.csv"
    claims.write_text("claim_id,patient_id,birth_date,session_date,kind\na,p1,1990-01-01,2027-03-01,individual\n",
                      encoding="utf-8")
    line = one_error(capsys, ["evaluate", str(claims), "-o", str(folder.parent / "out.csv"), "--scenario", path,
                              "--policy", str(folder)])
    assert line == f"policy/scenarios/hostile.json: {message}"


def test_a_history_of_a_million_entries_is_refused_up_front(folder, capsys):
    entry = '{"from": "2021-09-01", "value": 75.0, "source": "seed-004", "status": "confirmed"}, '
    tariff = folder / "riziv-psy-2021.json"
    text = tariff.read_text(encoding="utf-8")
    start = text.index('"history": [', text.index('"fee"')) + len('"history": [')
    tariff.write_text(text[:start] + entry * 1_000_000 + text[start:], encoding="utf-8")
    line = one_error(capsys, ["validate", "policy/riziv-psy-2021.json"]).splitlines()[0]
    assert line.startswith("policy/riziv-psy-2021.json: /: expected a file of at most 5,000,000 bytes "
                           "(the limit of carepolicy), found ")


@pytest.mark.parametrize(("option", "message"), [
    (["--months", "100000000"], "error: months: expected at most 1924 (a schedule ends by 2199-12-31, the last date "
                                "carepolicy supports), found 100000000"),
    (["--application-date", "9999-08-01"], "error: application date: expected a date from 1900-01-01 to 2199-12-31 "
                                           "(the dates carepolicy supports), found 9999-08-01"),
])
def test_care_budget_beyond_the_supported_dates(capsys, option, message):
    args = {"--application-date": "2039-08-05", "--setting": "home", "--proof": "belrai", "--score": "13"}
    args.update(dict(zip(option[::2], option[1::2], strict=True)))
    assert one_error(capsys, ["care-budget", *[x for kv in args.items() for x in kv]]) == message


def test_claim_amounts_and_dates_beyond_the_limits_are_invalid_rows(tmp_path):
    path = tmp_path / "claims.csv"
    path.write_text("claim_id,patient_id,birth_date,session_date,kind,fee_charged\n"
                    "a,p1,1677-09-22,2023-03-01,individual,\n"
                    "b,p2,1990-01-01,2023-03-01,individual,12345678901234567\n"
                    "c,p3,1990-01-01,2023-03-01,individual,9007199254740993\n"
                    "d,p4,1990-01-01,2023-03-01,individual,100000.00\n", encoding="utf-8")
    frame = normalized(read_claims_table(path))
    limit = "invalid: fee_charged: expected an amount of at most 100,000 (the largest amount carepolicy takes), found"
    assert list(frame["invalid"]) == [
        "invalid: birth_date: expected a date from 1900-01-01 to 2199-12-31 (the dates carepolicy supports), "
        "found '1677-09-22'",
        f"{limit} '12345678901234567'", f"{limit} '9007199254740993'", ""]
    assert frame.loc[3, "fee_charged"] == 100000.0
