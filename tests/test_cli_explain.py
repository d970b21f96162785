"""`carepolicy explain CLAIMS CLAIM_ID`: the rule path of one claim from a claims file."""

from __future__ import annotations

from carepolicy.cli import main

CLAIMS = ("claim_id,patient_id,birth_date,session_date,kind,network,care,increased_reimbursement\n"
          "a1,p,1980-01-01,2027-02-01,individual,adults,first_line,no\n"
          "a2,p,1980-01-01,2027-03-01,individual,adults,first_line,no\n"
          "a3,p,1980-01-01,2027-03-01,individual,adults,first_line,no\n"
          "bad,q,1980-01-01,2027-03-01,solo,adults,first_line,no\n"
          "a1,r,1990-01-01,2027-04-01,individual,adults,first_line,no\n")


def explain(tmp_path, capsys, *argv: str) -> tuple[int, str, str]:
    (tmp_path / "c.csv").write_text(CLAIMS)
    code = main(["explain", str(tmp_path / "c.csv"), *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_explains_the_rule_path_with_parameters_and_sources(tmp_path, capsys):
    code, out, _ = explain(tmp_path, capsys, "a2")
    assert code == 0
    assert out.startswith("claim a2, row 2: patient p, 2027-03-01, individual, adults network, first_line\n")
    assert "scheme riziv-psy-2021: covered" in out
    assert "  - age 47 on 2027-03-01: within the adults band (15 and over)\n" in out
    assert "co-payment rule 'individual'" in out and "patient co-payment EUR 11.00" in out
    assert "riziv-psy-2021.copayment.rules.individual.amount = EUR 11.00" in out
    assert "sources:\n  seed-" in out


def test_refused_and_invalid_claims_say_why(tmp_path, capsys):
    code, out, _ = explain(tmp_path, capsys, "a3")
    assert code == 0 and "not covered: one_session_per_day" in out
    code, out, _ = explain(tmp_path, capsys, "bad")
    assert code == 3  # as evaluate: the claim is malformed
    assert out.splitlines()[-1] == "not evaluated: invalid: kind: expected individual|group, found 'solo'"


def test_a_repeated_claim_id_explains_the_first_row_and_says_so(tmp_path, capsys):
    code, out, _ = explain(tmp_path, capsys, "a1")
    assert code == 0
    assert out.splitlines()[:2] == ["claim a1, row 1: patient p, 2027-02-01, individual, adults network, first_line",
                                    "the claim id is repeated on row 5, which evaluate marks invalid; this is row 1"]


def test_scenario_values_are_shown_with_their_assumed_source(tmp_path, capsys):
    code, out, _ = explain(tmp_path, capsys, "a2", "--scenario", "copay-15")
    assert code == 0 and "patient co-payment EUR 15.00" in out
    assert "riziv-psy-2021.copayment.rules.individual.amount = EUR 15.00 [from 2027-01-01, source scenario-hypothesis (assumed)]" in out


def test_unknown_claim_id_suggests_the_closest(tmp_path, capsys):
    code, out, err = explain(tmp_path, capsys, "a22")
    assert code == 2 and out == ""
    assert "found 'a22' — did you mean 'a2'?" in err
