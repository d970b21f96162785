"""`carepolicy evaluate`: exit codes 0/3/2, no traceback on user errors, chunked runs equal in-memory runs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import engine.evaluate.pipeline as claims_evaluate
from carepolicy.cli import main
from engine.claims.write import write_claims

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from claims_generator import generate_claims  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
ADULT = "claim_id,patient_id,birth_date,session_date,kind,network,care\n"


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def messy_claims(n: int = 3000, seed: int = 11) -> pd.DataFrame:
    """Generated claims with a repeated claim id, a malformed row and an inconsistent group, far apart."""
    frame = generate_claims(n, seed=seed)
    frame.loc[n - 5, "claim_id"] = frame.loc[7, "claim_id"]
    frame.loc[n // 2, "session_date"] = frame.loc[n // 2, "birth_date"] - pd.Timedelta(days=1)
    group_rows = frame.index[frame["group_id"] != ""]
    first = frame.loc[group_rows[0], "group_id"]
    last = frame.index[frame["group_id"] == first][-1]
    frame.loc[last, "co_lead"] = "other" if frame.loc[last, "co_lead"] != "other" else "doctor"
    return frame


def test_all_valid_rows_exit_0_with_a_summary(tmp_path, capsys):
    write_claims(generate_claims(500, seed=3), tmp_path / "c.csv")
    code, out, err = run(capsys, "evaluate", tmp_path / "c.csv", "-o", tmp_path / "r.xlsx")
    assert code == 0, err
    assert "500 rows" in out and "covered" in out and "invalid 0" in out and "totals of covered sessions: insurer EUR " in out
    assert (tmp_path / "r.xlsx").is_file()


def test_malformed_rows_exit_3_and_are_in_the_output(tmp_path, capsys):
    write_claims(messy_claims(600), tmp_path / "c.parquet")
    code, out, err = run(capsys, "evaluate", tmp_path / "c.parquet", "-o", tmp_path / "r.csv")
    assert code == 3
    results = pd.read_csv(tmp_path / "r.csv", dtype=str, keep_default_na=False)
    invalid = results[results["reason"].str.startswith("invalid:")]
    assert len(results) == 600 and (invalid["covered"] == "false").all()
    assert {r.split(":")[1].strip() for r in invalid["reason"]} == {"claim_id", "session_date", "group_id"}
    assert f"invalid {len(invalid)}" in out and "malformed row(s)" in err
    assert results["row"].tolist() == [str(i) for i in range(1, 601)]


@pytest.mark.parametrize(("argv", "message"), [
    (["evaluate", "{tmp}/missing.csv", "-o", "{tmp}/r.csv"], "missing.csv: expected a claims file, found nothing"),
    (["evaluate", "{tmp}/c.txt", "-o", "{tmp}/r.csv"], "c.txt: expected a claims file ending in .csv, .parquet, .xlsx"),
    (["evaluate", "{tmp}/c.csv", "-o", "{tmp}/r.json"], "r.json: expected a results file ending in .csv"),
    (["evaluate", "{tmp}/c.csv", "-o", "{tmp}/c.csv"], "expected a results file other than the claims file"),
    (["evaluate", "{tmp}/c.csv", "-o", "{tmp}/r.csv", "--scenario", "copay15"], "did you mean 'copay-15'?"),
    (["evaluate", "{tmp}/c.csv", "-o", "{tmp}/r.csv", "--chunk-rows", "0"], "--chunk-rows: expected a number"),
    (["evaluate", "{tmp}/bad.csv", "-o", "{tmp}/r.csv"], "bad.csv: header: missing required column 'kind'"),
    (["explain", "{tmp}/c.csv", "c00000001"], "did you mean 'C00000001'?"),
])
def test_user_errors_exit_2_with_one_clear_line(tmp_path, capsys, argv, message):
    write_claims(generate_claims(20, seed=1), tmp_path / "c.csv")
    (tmp_path / "c.txt").write_text("x")
    (tmp_path / "bad.csv").write_text("claim_id,patient_id,birth_date,session_date\n")
    code, out, err = run(capsys, *[a.format(tmp=tmp_path) for a in argv])
    assert code == 2
    assert message in err and "Traceback" not in err and out == ""
    assert not (tmp_path / "r.csv").exists()


def test_the_installed_command_prints_no_traceback(tmp_path):
    (tmp_path / "c.csv").write_text("claim_id,patient,birth_date,session_date,kind\n")
    done = subprocess.run([sys.executable, "-m", "carepolicy", "evaluate", str(tmp_path / "c.csv"), "-o",
                           str(tmp_path / "r.csv")], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "missing required column 'patient_id' — did you mean 'patient'?" in done.stderr


def test_scenario_changes_the_results(tmp_path, capsys):
    (tmp_path / "c.csv").write_text(ADULT + "a,p,1980-01-01,2027-02-01,individual,adults,first_line\n"
                                            "b,p,1980-01-01,2027-03-01,individual,adults,first_line\n")
    copays = {}
    for scenario in ("baseline", "copay-15"):
        code, out, _ = run(capsys, "evaluate", tmp_path / "c.csv", "-o", tmp_path / f"{scenario}.csv",
                           "--scenario", scenario)
        assert code == 0 and f"(scenario {scenario})" in out
        copays[scenario] = pd.read_csv(tmp_path / f"{scenario}.csv", dtype=str)["patient_copay"].tolist()
    assert copays["baseline"][0] == copays["copay-15"][0] == "0.00"
    assert copays["copay-15"][1] == "15.00" and copays["baseline"][1] != "15.00"


def group_with_a_refused_participant(results: pd.DataFrame, claims: pd.DataFrame) -> bool:
    """Whether some group's fee is shared by covered participants while another participant is refused."""
    merged = claims[["group_id"]].join(results[["covered"]])
    per_group = merged[merged["group_id"] != ""].groupby("group_id")["covered"].agg(["sum", "count"])
    return bool(((per_group["sum"] >= 2) & (per_group["sum"] < per_group["count"])).any())


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_chunked_run_equals_in_memory_run(tmp_path, capsys, suffix):
    claims = messy_claims()
    write_claims(claims, tmp_path / f"c{suffix}")
    code, out, _ = run(capsys, "evaluate", tmp_path / f"c{suffix}", "-o", tmp_path / "memory.csv")
    assert code == 3 and "chunks" not in out
    code, out, _ = run(capsys, "evaluate", tmp_path / f"c{suffix}", "-o", tmp_path / "chunked.csv", "--chunk-rows", "400")
    assert code == 3 and "patient-complete chunks" in out
    assert (tmp_path / "chunked.csv").read_bytes() == (tmp_path / "memory.csv").read_bytes()
    results = pd.read_csv(tmp_path / "memory.csv", dtype={"claim_id": str})
    assert group_with_a_refused_participant(results, claims)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_chunks_need_the_other_group_participants_as_guests(tmp_path, capsys, monkeypatch):
    """Without the guests, shares of groups spread over chunks come out wrong: the test above can fail."""
    write_claims(messy_claims(), tmp_path / "c.csv")
    run(capsys, "evaluate", tmp_path / "c.csv", "-o", tmp_path / "memory.csv")
    monkeypatch.setattr(claims_evaluate, "_copy_guests", lambda *args: None)
    run(capsys, "evaluate", tmp_path / "c.csv", "-o", tmp_path / "chunked.csv", "--chunk-rows", "400")
    assert (tmp_path / "chunked.csv").read_bytes() != (tmp_path / "memory.csv").read_bytes()


def test_a_small_memory_budget_switches_to_chunks(tmp_path, capsys):
    write_claims(generate_claims(2000, seed=4), tmp_path / "c.csv")
    code, out, _ = run(capsys, "evaluate", tmp_path / "c.csv", "-o", tmp_path / "memory.parquet")
    assert code == 0 and "chunks" not in out
    code, out, _ = run(capsys, "evaluate", tmp_path / "c.csv", "-o", tmp_path / "chunked.parquet", "--memory", "1")
    assert code == 0 and "patient-complete chunks" in out
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "memory.parquet"), pd.read_parquet(tmp_path / "chunked.parquet"))


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".xlsx"])
def test_a_file_with_a_header_and_no_rows_gives_an_empty_result(tmp_path, capsys, suffix):
    claims = tmp_path / f"empty{suffix}"
    write_claims(generate_claims(10, seed=1).iloc[0:0], claims)
    code, out, err = run(capsys, "evaluate", str(claims), "-o", str(tmp_path / "out.csv"))
    assert (code, err) == (0, "")
    assert pd.read_csv(tmp_path / "out.csv").empty
    assert "0 rows" in out


def test_more_rows_than_a_sheet_holds_are_refused_and_no_workbook_is_left(tmp_path, capsys, monkeypatch):
    from engine.claims import write as claims_write

    monkeypatch.setattr(claims_write, "XLSX_DATA_ROWS", 3)
    claims = tmp_path / "c.csv"
    claims.write_text("claim_id,patient_id,birth_date,session_date,kind,network,care\n"
                      + "".join(f"c{i},p{i},1990-01-01,2024-03-0{i + 1},individual,adults,first_line\n" for i in range(4)))
    assert main(["evaluate", str(claims), "-o", str(tmp_path / "r.xlsx")]) == 2
    assert capsys.readouterr().err.strip().endswith(
        "r.xlsx: expected at most 3 result rows, the most a sheet holds under its header, found more; "
        "write .csv or .parquet instead")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.csv"]
    assert main(["evaluate", str(claims), "-o", str(tmp_path / "r.csv")]) == 0
