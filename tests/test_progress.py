"""Progress bars: drawn on a terminal only, after 2 s, never with --quiet; evaluate reports its stages in order."""

from __future__ import annotations

import io
import sys

import pytest

from carepolicy import progress
from engine.claims.write import write_claims
from engine.evaluate.pipeline import evaluate_file
from tests.test_cli_evaluate import generate_claims


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(("tty", "quiet", "drawn"), [(True, False, True), (True, True, False), (False, False, False)])
def test_a_bar_is_drawn_on_a_terminal_only_and_never_when_quiet(monkeypatch, tty, quiet, drawn):
    err = _Terminal() if tty else io.StringIO()
    monkeypatch.setattr(sys, "stderr", err)
    monkeypatch.setattr(progress, "DELAY", 0)
    monkeypatch.setattr(progress, "REDRAW", 0)
    show = progress.stage_bar("evaluate", quiet)
    for stage, fraction in [("reading", 0), ("evaluating", 0.5), ("writing", 0.8), ("done", 1)]:
        show(stage, fraction)
    text = err.getvalue()
    assert ("evaluate: writing" in text and "80%" in text) is drawn
    assert (text != "") is drawn


def test_a_run_shorter_than_the_delay_draws_nothing(monkeypatch):
    err = _Terminal()
    monkeypatch.setattr(sys, "stderr", err)
    show = progress.progress_bar("simulating 2027")
    for fraction in (0.25, 0.5, 1.0):
        show(fraction)
    assert err.getvalue() == ""


@pytest.mark.parametrize("chunk_rows", [None, 150])
def test_evaluate_reports_its_stages_in_order(tmp_path, policies, chunk_rows):
    write_claims(generate_claims(600, seed=2), tmp_path / "c.csv")
    told = []
    evaluate_file(tmp_path / "c.csv", tmp_path / "r.xlsx", policies, chunk_rows=chunk_rows,
                  progress=lambda stage, fraction: told.append((stage, fraction)))
    fractions = [f for _, f in told]
    assert fractions == sorted(fractions) and told[-1] == ("done", 1) and told[0][1] == 0
    stages = list(dict.fromkeys(s for s, _ in told))
    if chunk_rows is None:
        assert stages == ["reading", "normalizing", "evaluating", "writing", "done"]
    else:
        assert stages[0] == "reading" and stages[1].startswith("chunk 1 of ") and stages[-2:] == ["writing", "done"]
