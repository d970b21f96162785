"""The claims file read in a thread while the engine is imported and the policies load: only for a run in memory
of a .csv or .parquet file, the same results as a plain read, and the same errors at the same moment."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from carepolicy.cli import main
from engine.claims.write import write_claims
from engine.errors import InputError
from engine.evaluate import plan
from engine.evaluate.pipeline import evaluate_file

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from claims_generator import generate_claims  # noqa: E402


@pytest.fixture
def claims(tmp_path) -> Path:
    write_claims(generate_claims(300, seed=4), tmp_path / "c.csv")
    return tmp_path / "c.csv"


def test_only_a_csv_or_parquet_run_in_memory_is_read_ahead(tmp_path, claims):
    write_claims(generate_claims(20, seed=4), tmp_path / "c.xlsx")
    write_claims(generate_claims(20, seed=4), tmp_path / "c.parquet")
    assert isinstance(plan.read_ahead(claims), plan.ReadAhead)
    assert isinstance(plan.read_ahead(tmp_path / "c.parquet"), plan.ReadAhead)
    assert plan.read_ahead(tmp_path / "c.xlsx") is None  # read with the GIL held: nothing would overlap
    assert plan.read_ahead(claims, chunk_rows=100) is None
    assert plan.read_ahead(claims, memory=1000) is None  # would not fit: chunked
    assert plan.read_ahead(tmp_path / "missing.csv") is None  # evaluate_file says what is wrong


def test_results_read_ahead_are_the_results_read_plainly(tmp_path, claims, policies):
    plain = evaluate_file(claims, tmp_path / "plain.csv", policies)
    ahead = evaluate_file(claims, tmp_path / "ahead.csv", policies, ahead=plan.read_ahead(claims))
    assert (tmp_path / "ahead.csv").read_bytes() == (tmp_path / "plain.csv").read_bytes()
    assert ahead.tally.table().equals(plain.tally.table())


def test_a_file_read_ahead_is_evaluated_in_memory_even_if_memory_shrank(tmp_path, claims, policies):
    summary = evaluate_file(claims, tmp_path / "r.csv", policies, memory=1000, ahead=plan.read_ahead(claims))
    assert summary.chunks == 1 and summary.rows == 300


def test_an_error_reading_ahead_is_told_as_reading_tells_it(tmp_path, capsys):
    (tmp_path / "c.csv").write_text("claim_id,patient_id,birth_date,session_date,kind\nC1,P1,1990-01-01,2024-01-01\n")
    ahead = plan.read_ahead(tmp_path / "c.csv")
    assert ahead is not None
    with pytest.raises(InputError) as raised:
        ahead.table()
    assert str(raised.value) == (f"{tmp_path / 'c.csv'}: line 2: expected 5 fields as in the header, found 4: "
                                 "'C1,P1,1990-01-01,2024-01-01'")
    assert main(["evaluate", str(tmp_path / "c.csv"), "-o", str(tmp_path / "r.csv")]) == 2
    err = capsys.readouterr().err
    assert err.strip().endswith("line 2: expected 5 fields as in the header, found 4: 'C1,P1,1990-01-01,2024-01-01'")
    assert "Traceback" not in err and not (tmp_path / "r.csv").exists()


def test_a_scenario_error_is_still_told_before_a_claims_error(tmp_path, capsys):
    (tmp_path / "c.csv").write_text("claim_id,patient_id,birth_date,session_date,kind\nC1,P1,1990-01-01,2024-01-01\n")
    assert main(["evaluate", str(tmp_path / "c.csv"), "-o", str(tmp_path / "r.csv"), "-s", "copay-51"]) == 2
    err = capsys.readouterr().err
    assert "copay-51" in err and "expected 5 fields" not in err and "Traceback" not in err
