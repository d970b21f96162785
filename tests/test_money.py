"""Money in whole cents: one conversion, one rounding rule (half up), and both evaluators equal to the cent.

The rule is the reading `rounding` of policy/readings.md. The property tests take fees up to the
documented largest amount and percentages that leave half cents.
"""

from __future__ import annotations

import json
import shutil
from fractions import Fraction

import numpy as np
import pytest
from claims_factory import claims_frame
from conftest import POLICY_DIR
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from policy_folders import BENEFIT, add_mutuality, history
from test_differential import same

from engine.evaluate.reference import evaluate_reference
from engine.evaluate.vectorized import evaluate_vectorized
from engine.limits import limits
from engine.money import cents, percent_of, rounded
from engine.policy.policies import load_policies
from engine.policy.validation import validate

LARGEST = limits().largest_amount_eur * 100  # cents
PERCENTS = {"cm": 50.0, "north": 12.5, "south": 33.33, "east": 0.5}


def half_up(value: Fraction) -> int:
    return int(value + Fraction(1, 2)) if value >= 0 else -int(-value + Fraction(1, 2))


@pytest.mark.parametrize(("euros", "expected"), [
    ("75.50", 7550), ("75,5", 7550), ("75.505", 7551), ("75.504999", 7550), ("0.005", 1), ("0.004", 0),
    ("100000", 10_000_000), (75.505, 7551), (1.005, 101), (0.125, 13), (2.675, 268), (76.50000000000001, 7650),
    (81.74, 8174), (0, 0), (3, 300),
])
def test_cents_rounds_half_up_from_the_written_amount(euros, expected):
    assert cents(euros) == expected


@pytest.mark.parametrize(("value", "decimals", "expected"), [(0.125, 2, 0.13), (83.3748, 2, 83.37), (76.50000000000001, 2, 76.5),
                                                           (2.5, 0, 3), (3.5, 0, 4), (81.74 * 1.02, 2, 83.37)])
def test_a_scenario_rounds_its_product_by_the_same_rule(value, decimals, expected):
    assert rounded(value, decimals) == expected and type(rounded(value, decimals)) is type(expected)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(0, LARGEST * 10), min_size=1, max_size=50))
def test_cents_of_an_array_equals_cents_of_each_amount(thousandths):
    euros = [t / 1000 for t in thousandths]  # amounts with three decimals: a third of them end in 5
    assert cents(np.array(euros)).tolist() == [cents(e) for e in euros] == [half_up(Fraction(t, 10)) for t in thousandths]


def test_cents_of_an_array_counts_no_amount_as_zero():
    assert cents(np.array([np.nan, 12.34])).tolist() == [0, 1234]


@settings(max_examples=500, deadline=None)
@given(st.integers(0, LARGEST), st.sampled_from([50, 12.5, 33.33, 0.5, 7.25, 99.99, 100, 0]))
def test_percent_of_rounds_half_a_cent_up_exactly(amount, percent):
    expected = half_up(Fraction(amount) * Fraction(str(percent)) / 100)
    assert percent_of(amount, percent) == expected
    assert percent_of(np.array([amount]), np.array([percent])).tolist() == [expected]


def test_a_half_cent_goes_up_even_at_the_largest_amount():
    assert percent_of(1, 50) == 1 and percent_of(3, 50) == 2 and percent_of(LARGEST - 1, 50) == LARGEST // 2
    assert percent_of(LARGEST - 4, 12.5) == 1_250_000 and percent_of(LARGEST - 5, 12.5) == 1_249_999  # .5 and .375


@pytest.fixture(scope="module")
def halves(tmp_path_factory):
    """The bundled folder with every benefit a percentage of the fee (no flat amount, a cap at the largest
    amount), under four mutualities whose percentages leave half cents."""
    folder = tmp_path_factory.mktemp("halves") / "policy"
    shutil.copytree(POLICY_DIR, folder)
    doc = json.loads((folder / BENEFIT).read_text(encoding="utf-8"))
    for benefit in doc["benefits"]:
        benefit["percent_of_fee"]["history"] = history(("2018-01-01", PERCENTS["cm"]))
        benefit["cap"]["history"] = history(("2018-01-01", LARGEST / 100))
        if "flat" in benefit:
            benefit["flat"]["history"] = history(("2018-01-01", None))
    (folder / BENEFIT).write_text(json.dumps(doc, indent=2), encoding="utf-8")
    for mutuality in ("north", "south", "east"):
        add_mutuality(folder, mutuality, lifetime_cap=24, gap_months=3, percent=PERCENTS[mutuality])
    assert [p for report in validate([folder]) for p in report.problems] == []
    return load_policies(folder)


def fee_text(amount: int, extra: int) -> str:
    """An amount in cents as a claims file writes it, sometimes with a third decimal (read half up)."""
    text = f"{amount // 100}.{amount % 100:02d}"
    return text + str(extra) if extra is not None and amount < LARGEST else text


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.one_of(st.integers(LARGEST - 2_000, LARGEST), st.integers(0, LARGEST)),
                          st.one_of(st.none(), st.integers(0, 9)),
                          st.sampled_from(sorted(PERCENTS)), st.integers(15, 60), st.booleans()),
                min_size=1, max_size=25))
def test_both_evaluators_pay_the_same_cents_near_the_largest_amount(halves, sessions):
    rows = [{"claim_id": f"c{i:02d}", "patient_id": f"p{i}", "birth_date": f"{2024 - age}-01-01",
             "session_date": "2024-03-01", "kind": "individual", "increased_reimbursement": increased,
             "mutuality": mutuality, "provider": "psychotherapist", "fee_charged": fee_text(amount, extra)}
            for i, (amount, extra, mutuality, age, increased) in enumerate(sessions)]
    frame = claims_frame(rows)
    assert (frame["invalid"] == "").all()
    ref, _ = evaluate_reference(frame, halves)
    out = evaluate_vectorized(frame, halves)
    same(ref, out)
    for row, (amount, extra, mutuality, _, _) in zip(out.itertuples(), sessions, strict=True):
        fee = amount + (1 if extra is not None and extra >= 5 and amount < LARGEST else 0)
        assert round(row.provider_fee * 100) == fee
        assert round(row.supplement_amount * 100) == half_up(Fraction(fee) * Fraction(str(PERCENTS[mutuality])) / 100)
