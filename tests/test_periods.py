"""Explicit periods: every loaded entry carries its end, and a scenario overlay keeps one value in force per day."""

from __future__ import annotations

import datetime as dt
from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st

from carepolicy.cli import main
from engine.policy.dated import DatedValue
from engine.policy.scenarios import Change, overlay

D = dt.date.fromisoformat
FEE = "riziv-psy-2021.tariff.rows.individual.fee"
FIRST = D("2020-01-01")


def test_entries_end_the_day_before_the_next_starts(policies):
    entries = policies.dated(FEE).entries
    assert [(e.start, e.end) for e in entries] == [(D("2021-09-01"), D("2022-12-31")), (D("2023-01-01"), None)]


def test_the_last_entry_ends_with_its_version():
    history = [{"from": "2021-01-01", "value": 1, "source": "s", "status": "assumed"},
               {"from": "2022-01-01", "value": 2, "source": "s", "status": "assumed"}]
    dated = DatedValue.from_json("p", {"unit": "EUR", "history": history}, until=D("2023-06-30"))
    assert [e.end for e in dated.entries] == [D("2021-12-31"), D("2023-06-30")]


def test_a_factor_leaves_the_past_and_keeps_one_value_in_force(capsys):
    assert main(["value", FEE, "2022-06-01", "--scenario", "index-2pct"]) == 0
    assert "= EUR 75.00 [from 2021-09-01 to 2022-12-31, source seed-004]" in capsys.readouterr().out
    assert main(["value", FEE, "2026-12-31", "--scenario", "index-2pct"]) == 0
    assert "= EUR 81.74 [from 2023-01-01 to 2026-12-31, source seed-002 (assumed)]" in capsys.readouterr().out
    assert main(["value", FEE, "2027-06-01", "--scenario", "index-2pct"]) == 0
    assert "= EUR 83.37 [from 2027-01-01, source scenario-hypothesis (assumed)]" in capsys.readouterr().out


def test_value_names_the_indexed_fee_a_simulation_of_the_year_prices_with(capsys):
    """The projection indexes fees for simulated years (2 % a year from 2026): value says so beside the policy's own."""
    assert main(["value", FEE, "2027-06-01"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith(f"{FEE} = EUR 81.74 [from 2023-01-01")
    assert lines[-1] == ("  simulate, impact and compare use EUR 85.04 on this date: the projection projection-be indexes "
                         "fees by 2.0% a year from 2026 (assumed, source project-reading)")
    assert main(["value", FEE, "2025-06-01"]) == 0
    assert "simulate" not in capsys.readouterr().out  # before the indexation starts: the policy's own value


def _in_force(dated: DatedValue, day: dt.date) -> list:
    return [e for e in dated.entries if e.start <= day and (e.end is None or day <= e.end)]


@st.composite
def histories(draw):
    """A dated value of 1-6 entries with explicit or implied ends, and a version end or none."""
    gaps = draw(st.lists(st.integers(1, 400), min_size=1, max_size=6))
    starts = [FIRST + dt.timedelta(days=sum(gaps[:i])) for i in range(len(gaps))]
    history = [{"from": s.isoformat(), "value": draw(st.integers(0, 500)), "source": "s", "status": "confirmed"}
               for s in starts]
    until = draw(st.none() | st.integers(0, 400).map(lambda n: starts[-1] + dt.timedelta(days=n)))
    return DatedValue.from_json("p", {"unit": "EUR", "history": history}, until=until)


@st.composite
def changes(draw, dated: DatedValue):
    last = dated.entries[-1].end or dated.entries[-1].start + dt.timedelta(days=500)
    span = (last - dated.entries[0].start).days
    start = dated.entries[0].start + dt.timedelta(days=draw(st.integers(0, span)))
    end = draw(st.none() | st.integers(0, (last - start).days).map(lambda n: start + dt.timedelta(days=n)))
    factor = draw(st.none() | st.sampled_from([0.5, 1.02, 2.0]))
    value = None if factor is not None else draw(st.integers(0, 500))
    return Change(0, "p", start, end, value, factor, None, "EUR", source="h", status="assumed")


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_an_overlay_keeps_one_entry_in_force_and_the_past_untouched(data):
    dated = data.draw(histories())
    change = data.draw(changes(dated))
    after = overlay(dated, change, "t")
    assert all(a.end is not None and a.end + dt.timedelta(days=1) == b.start
               for a, b in pairwise(after.entries))
    assert after.entries[0].start == dated.entries[0].start and after.entries[-1].end == dated.entries[-1].end
    last = dated.entries[-1].end or dated.entries[-1].start + dt.timedelta(days=600)
    day = dated.entries[0].start
    while day <= last:
        old, new = _in_force(dated, day), _in_force(after, day)
        assert len(old) == 1 and len(new) == 1, day
        inside = change.start <= day and (change.end is None or day <= change.end)
        expected = (old[0].value * change.factor if change.factor is not None else change.value) if inside \
            else old[0].value
        assert new[0].value == expected, day
        day += dt.timedelta(days=1)
