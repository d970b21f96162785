"""Explanations: the rule path of one claim in plain words, with every parameter and its source."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from engine.errors import InputError, did_you_mean
from engine.evaluate.reference import evaluate_reference
from engine.policy.policies import PolicySet
from engine.quantities import euros


def related_rows(claims: pd.DataFrame, claim_id: str) -> pd.DataFrame:
    """The claims that decide one claim's outcome: its patient's, plus its group's participants'."""
    hit = claims.index[claims["claim_id"] == claim_id]
    if not len(hit):
        known = claims["claim_id"].astype(str).head(5000).tolist()
        raise InputError(f"claim_id: expected a claim id of the file, found {claim_id!r}{did_you_mean(claim_id, known)}")
    row = claims.loc[hit[0]]
    patients = {row["patient_id"]}
    if row["group_id"]:
        patients |= set(claims.loc[claims["group_id"] == row["group_id"], "patient_id"])
    return claims[claims["patient_id"].isin(patients)]


@dataclass(frozen=True)
class Explanation:
    """The account of one claim, and whether the claim was valid (evaluate's exit code 3 when not)."""

    text: str
    valid: bool


def explain(claims: pd.DataFrame, claim_id: str, policies: PolicySet) -> Explanation:
    """A plain-words account of how the engine settled one claim (the first row with that claim id)."""
    rows = related_rows(claims, claim_id)
    results, outcomes = evaluate_reference(rows, policies)
    i = rows.index[rows["claim_id"] == claim_id][0]
    claim, result = rows.loc[i], results.loc[i]
    lines = [f"claim {claim_id}, row {claim['row']}: patient {claim['patient_id']}, {_day(claim['session_date'])}, "
             f"{claim['kind']}" + (f", {claim['network']} network, {claim['care']}" if claim["network"] else
                                   f", outside the convention ({claim['mutuality'] or 'no mutuality'}, "
                                   f"{claim['provider'] or 'no provider'})")]
    again = claims.loc[claims["claim_id"] == claim_id, "row"].tolist()[1:]
    if again:
        lines.append(f"the claim id is repeated on row{'s' if len(again) > 1 else ''} {', '.join(map(str, again))}, "
                     f"which evaluate marks invalid; this is row {claim['row']}")
    if result["reason"].startswith("invalid:"):
        return Explanation("\n".join([*lines, f"not evaluated: {result['reason']}"]), valid=False)
    verdict = "covered" if result["covered"] else f"not covered: {result['reason']}"
    lines.append(f"scheme {result['scheme'] or '(none)'}: {verdict}")
    outcome = outcomes[i]
    lines += [f"  - {step}" for step in outcome.steps]
    lines.append("amounts: " + ", ".join(
        f"{label} {euros(result[col])}" for col, label in [
            ("provider_fee", "provider fee"), ("patient_copay", "patient co-payment"),
            ("insurer_amount", "insurer"), ("care_path_fee", "care-path fee"),
            ("supplement_amount", "mutuality supplement"), ("patient_pays", "patient pays")]))
    used = list(dict.fromkeys(outcome.used))
    if used:
        lines.append("parameters used:")
        lines += [f"  {r.describe()}" for r in used]
        lines.append("sources:")
        for key in dict.fromkeys(r.source for r in used):
            source = policies.sources.get(key, {})
            where = source.get("document") or source.get("where") or ""
            lines.append(f"  {key}: {source.get('title', '?')} ({source.get('publisher', '?')}{', ' + where if where else ''})")
    return Explanation("\n".join(lines), valid=True)


def _day(value) -> str:
    return str(pd.Timestamp(value).date()) if pd.notna(value) else "(no date)"
