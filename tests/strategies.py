"""Hypothesis strategies for claims: small patients with dense histories that reach the caps."""

from __future__ import annotations

import datetime as dt

from claims_factory import claims_frame
from hypothesis import strategies as st

START = dt.date(2021, 6, 1)


MUTUALITIES = ("cm", "cm", "other")
CARES = ("first_line", "specialised")


@st.composite
def patient_claims(draw, pid: str, mutualities: tuple[str, ...] = MUTUALITIES, cares: tuple[str, ...] = CARES) -> list[dict]:
    """One patient's claims: convention sessions (both network types) and mutuality sessions."""
    birth = START - dt.timedelta(days=draw(st.integers(10 * 365, 40 * 365)))
    n = draw(st.integers(1, 30))
    rows = []
    day = START + dt.timedelta(days=draw(st.integers(0, 1500)))
    for i in range(n):
        day += dt.timedelta(days=draw(st.sampled_from([0, 1, 7, 14, 30, 60, 120, 200])))
        outside = draw(st.integers(0, 9)) == 0
        row = {"claim_id": f"{pid}-{i:02d}", "patient_id": pid, "birth_date": birth.isoformat(),
               "session_date": day.isoformat(),
               "kind": draw(st.sampled_from(["individual", "individual", "group"])),
               "increased_reimbursement": draw(st.booleans()),
               "setting": draw(st.sampled_from(["standard"] * 8 + ["clb_location", "clb_employed"]))}
        if outside:
            row |= {"kind": "individual", "mutuality": draw(st.sampled_from(mutualities)),
                    "provider": draw(st.sampled_from(["psychotherapist", "clinical_sexologist", "coach"])),
                    "fee_charged": float(draw(st.sampled_from([0, 9.99, 45, 60.5, 75, 90]))),
                    "earlier_sessions": draw(st.sampled_from([0, 0, 10, 23, 24]))}
        else:
            row |= {"network": draw(st.sampled_from(["children", "adults"])),
                    "care": draw(st.sampled_from(cares))}
            if row["kind"] == "group":
                row |= {"group_id": f"G{day.isoformat()}-{draw(st.integers(0, 2))}",
                        "co_lead": draw(st.sampled_from(["", "psychologist", "doctor", "other"]))}
        rows.append(row)
    return rows


@st.composite
def claims_frames(draw, max_patients: int = 12, mutualities: tuple[str, ...] = MUTUALITIES, cares: tuple[str, ...] = CARES,
                  policies=None):
    """A normalized claims frame of several patients (care types `cares`, checked against `policies`, default the
    bundled folder); group rows of one group agree on co_lead."""
    n = draw(st.integers(1, max_patients))
    rows = [r for i in range(n) for r in draw(patient_claims(f"p{i}", mutualities, cares))]
    co_lead: dict[str, str] = {}
    for r in rows:
        if r.get("group_id"):
            r["co_lead"] = co_lead.setdefault(r["group_id"], r["co_lead"])
    return claims_frame(rows, policies)


@st.composite
def benefit_claims(draw, max_patients: int = 8):
    """Claims outside the convention only, dense enough to reach the limits a year and in a lifetime."""
    rows = []
    for p in range(draw(st.integers(1, max_patients))):
        birth = START - dt.timedelta(days=draw(st.integers(10 * 365, 40 * 365)))
        day = START + dt.timedelta(days=draw(st.integers(0, 1500)))
        mutuality = draw(st.sampled_from(["cm", "solidaris", "lm", "helan", "other"]))
        for i in range(draw(st.integers(1, 30))):
            day += dt.timedelta(days=draw(st.sampled_from([0, 1, 7, 14, 30, 100])))
            rows.append({"claim_id": f"p{p}-{i:02d}", "patient_id": f"p{p}", "birth_date": birth.isoformat(),
                         "session_date": day.isoformat(), "kind": "individual",
                         "increased_reimbursement": draw(st.booleans()), "mutuality": mutuality,
                         "provider": draw(st.sampled_from(["psychotherapist", "psychologist", "orthopedagogue", "coach"])),
                         "fee_charged": float(draw(st.sampled_from([0, 9.99, 15, 45, 60.5, 75]))),
                         "earlier_sessions": draw(st.sampled_from([0, 0, 23]))})
    return claims_frame(rows)
