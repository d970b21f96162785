"""Realistic synthetic claims for benchmarks and smoke tests, in the normalized frame of engine/claims/contract.py.

The mix: most patients have 1–10 sessions and some 11–26 (at or over the quotas); both network
types, with ages mostly inside their bands, 15–23-year-olds in both and a few outside; dates over
2022–2026; about a fifth with increased reimbursement; a few CLB settings (children's networks);
group sessions of 3–10 participants sharing a group_id and a date, some with a co-lead; a share of
CM patients outside the convention (psychotherapists and clinical sexologists, fees 50–90, some
with earlier reimbursed sessions); and a few duplicate same-day sessions. Rows are ordered by
session date, as in an export, so a patient's rows are scattered through the file.

    python benchmarks/claims_generator.py 1000000 benchmarks/out/claims_1m.csv [--seed 7]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

FIRST_DAY = np.datetime64("2022-01-01", "D")
LAST_DAY = np.datetime64("2026-12-31", "D")
KINDS = np.array(["individual", "group"], dtype=object)
NETWORKS = np.array(["", "children", "adults"], dtype=object)
CARES = np.array(["", "first_line", "specialised"], dtype=object)
SETTINGS = np.array(["standard", "clb_location", "clb_employed"], dtype=object)
CO_LEADS = np.array(["", "psychologist", "doctor", "other"], dtype=object)
PROVIDERS = np.array(["", "psychotherapist", "clinical_sexologist"], dtype=object)
MUTUALITIES = np.array(["cm", "solidaris", "helan", "partena", "ocm"], dtype=object)

SHARE_OUTSIDE = 0.12  # patients with CM sessions outside the convention
SHARE_HEAVY = 0.14  # patients with 11–26 sessions
SHARE_GROUP = 0.12  # convention sessions held in a group
SHARE_SAME_DAY = 0.004  # sessions on the same day as the patient's previous one


def _ids(prefix: str, numbers: np.ndarray, width: int) -> np.ndarray:
    """Identifiers like C00000042 as an object array; digits are laid out with numpy, not formatted one by one."""
    numbers = np.asarray(numbers, dtype=np.int64)
    width = max(width, len(str(int(numbers.max()))) if len(numbers) else width)
    size = len(prefix) + width
    chars = np.empty((len(numbers), size), np.uint8)
    chars[:, : len(prefix)] = np.frombuffer(prefix.encode(), np.uint8)
    rest = numbers.copy()
    for k in range(size - 1, len(prefix) - 1, -1):
        chars[:, k] = 48 + rest % 10
        rest //= 10
    offsets = np.arange(0, (len(numbers) + 1) * size, size, dtype=np.int32)
    text = pa.StringArray.from_buffers(len(numbers), pa.py_buffer(offsets), pa.py_buffer(chars))
    return text.to_numpy(zero_copy_only=False)


def _frame(columns: dict[str, np.ndarray]) -> pd.DataFrame:
    """A frame keeping object arrays as object columns (no string-dtype inference, which is slow)."""
    return pd.DataFrame({name: pd.Series(values, dtype=values.dtype, copy=False)
                         for name, values in columns.items()}, copy=False)


def _sessions_per_patient(rng: np.random.Generator, n_sessions: int) -> np.ndarray:
    """Session counts per patient adding up to exactly n_sessions."""
    counts: list[np.ndarray] = []
    total = 0
    while total < n_sessions:
        m = max(16, (n_sessions - total) // 5)
        light = np.minimum(rng.geometric(0.22, m), 10)
        heavy = rng.integers(11, 27, m)
        c = np.where(rng.random(m) < SHARE_HEAVY, heavy, light)
        counts.append(c)
        total += int(c.sum())
    c = np.concatenate(counts)
    end = int(np.searchsorted(np.cumsum(c), n_sessions))
    c = c[: end + 1].copy()
    c[-1] -= int(c.sum()) - n_sessions
    return c[c > 0]


def _ages(rng: np.random.Generator, network: np.ndarray, outside: np.ndarray) -> np.ndarray:
    """Age in years at the first session: mostly inside the network type's band, a few outside."""
    n = len(network)
    u = rng.random(n)
    children = np.select([u < 0.80, u < 0.97], [rng.integers(4, 15, n), rng.integers(15, 24, n)],
                         rng.integers(24, 28, n))
    adults = np.select([u < 0.18, u < 0.97], [rng.integers(15, 24, n), rng.integers(24, 80, n)],
                       rng.integers(11, 15, n))
    age = np.where(network == 0, children, adults)
    return np.where(outside, rng.integers(12, 70, n), age)


def _groups(rng: np.random.Generator, rows: np.ndarray, day: np.ndarray, network: np.ndarray):
    """Split group rows (ordered by network type and date) into groups of 3–10 sharing a date.

    Returns the group number per row (-1 for rows left over, which become individual sessions),
    the group dates and the co-lead of each group.
    """
    order = rows[np.lexsort((day[rows], network[rows]))]
    m = len(order)
    sizes = rng.integers(3, 11, m // 3 + 1)
    ends = np.cumsum(sizes)
    k = int(np.searchsorted(ends, m, side="right"))
    number = np.full(m, -1, np.int64)
    if k:
        number[: ends[k - 1]] = np.repeat(np.arange(k), sizes[:k])
    group_of = np.full(len(day), -1, np.int64)
    group_of[order] = number
    firsts = np.r_[0, ends[: k - 1]] if k else np.zeros(0, np.int64)
    group_day = day[order[firsts]] if k else np.zeros(0, day.dtype)
    lead = rng.choice(len(CO_LEADS), k, p=[0.5, 0.25, 0.1, 0.15])
    return group_of, group_day, lead


def generate_claims(n_sessions: int, seed: int = 0) -> pd.DataFrame:
    """`n_sessions` synthetic claims as a normalized claims frame (every row valid), reproducible by seed."""
    if n_sessions < 0:
        raise ValueError(f"n_sessions must be 0 or more, found {n_sessions}")
    rng = np.random.default_rng(seed)
    counts = _sessions_per_patient(rng, n_sessions) if n_sessions else np.zeros(0, np.int64)
    p = len(counts)

    outside = rng.random(p) < SHARE_OUTSIDE
    network = (rng.random(p) < 0.6).astype(np.int64)  # 0 children, 1 adults
    age = _ages(rng, network, outside)
    care = (rng.random(p) < 0.3).astype(np.int64)
    setting = np.where((network == 0) & ~outside, rng.choice(3, p, p=[0.96, 0.02, 0.02]), 0)
    increased = rng.random(p) < 0.21
    mutuality = rng.choice(len(MUTUALITIES), p, p=[0.42, 0.28, 0.12, 0.1, 0.08])
    mutuality[outside] = 0
    provider = rng.choice(2, p, p=[0.85, 0.15])
    earlier = np.where(outside & (rng.random(p) < 0.2), rng.integers(5, 24, p), 0)
    patient_number = rng.permutation(p) + 1

    # session dates: a start per patient, then gaps of about a week to a month, sometimes longer
    n = n_sessions
    patient = np.repeat(np.arange(p), counts)
    gap = rng.integers(5, 36, n)
    gap = np.where(rng.random(n) < 0.05, rng.integers(60, 220, n), gap)
    gap = np.where(rng.random(n) < SHARE_SAME_DAY, 0, gap)
    starts = np.r_[0, np.cumsum(counts)[:-1]] if p else np.zeros(0, np.int64)
    gap[starts] = 0
    offset = np.cumsum(gap)
    offset -= np.repeat(offset[starts], counts) if p else offset
    span = np.maximum.reduceat(offset, starts) if p else np.zeros(0, np.int64)
    room = np.maximum((LAST_DAY - FIRST_DAY).astype(np.int64) - span, 0)
    first = FIRST_DAY + (rng.random(p) * (room + 1)).astype(np.int64)
    day = first[patient] + offset

    years = age + rng.random(p)
    birth = first - np.round(years * 365.2425).astype(np.int64)

    # sessions: care type flips now and then; convention sessions are sometimes held in groups
    sess_care = care[patient] ^ (rng.random(n) < 0.08)
    group_rows = np.flatnonzero(~outside[patient] & (rng.random(n) < SHARE_GROUP))
    group_of, group_day, lead = _groups(rng, group_rows, day, network[patient])
    in_group = group_of >= 0
    day = np.where(in_group, group_day[np.maximum(group_of, 0)] if len(group_day) else day, day)

    # everything is numeric until the rows are in date order; text is made once, at the end
    order = np.argsort((day - FIRST_DAY).astype(np.int16), kind="stable")  # a radix sort on 16 bits
    patient, day, in_group, group_of = patient[order], day[order], in_group[order], group_of[order]
    sess_care = sess_care[order].astype(np.int64)
    out_row = outside[patient]
    group_ids = np.full(n, "", dtype=object)
    group_ids[in_group] = _ids("G", np.arange(1, len(lead) + 1), 6)[group_of[in_group]]
    co_lead = np.zeros(n, np.int64)
    co_lead[in_group] = lead[group_of[in_group]]
    fee = np.where(out_row, rng.integers(100, 181, n) / 2, np.nan)
    return _frame({
        "row": np.arange(1, n + 1, dtype=np.int64),
        "claim_id": _ids("C", np.arange(1, n + 1), 8),
        "patient_id": _ids("P", patient_number, 7)[patient],
        "birth_date": birth[patient].astype("datetime64[ns]"),
        "session_date": day.astype("datetime64[ns]"),
        "kind": KINDS[in_group.astype(np.int64)],
        "network": NETWORKS[np.where(out_row, 0, network[patient] + 1)],
        "care": CARES[np.where(out_row, 0, sess_care + 1)],
        "increased_reimbursement": increased[patient],
        "group_id": group_ids,
        "co_lead": CO_LEADS[co_lead],
        "setting": SETTINGS[setting[patient]],
        "mutuality": MUTUALITIES[mutuality[patient]],
        "provider": PROVIDERS[np.where(out_row, provider[patient] + 1, 0)],
        "fee_charged": fee,
        "earlier_sessions": earlier[patient].astype(np.int64),
        "invalid": np.full(n, "", dtype=object),
    })


def main(argv: list[str] | None = None) -> int:
    """Write N generated claims to a .csv, .parquet or .xlsx file."""
    from engine.claims.write import write_claims
    from engine.errors import CarePolicyError

    parser = argparse.ArgumentParser(description="Write synthetic claims for benchmarks.")
    parser.add_argument("n", type=int, help="number of sessions")
    parser.add_argument("out", type=Path, help="output file (.csv, .parquet or .xlsx)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    start = time.perf_counter()
    frame = generate_claims(args.n, args.seed)
    made = time.perf_counter()
    try:
        write_claims(frame, args.out)
    except CarePolicyError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    done = time.perf_counter()
    print(f"{args.n} claims of {frame['patient_id'].nunique()} patients: generated in {made - start:.2f} s, "
          f"written to {args.out} in {done - made:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
