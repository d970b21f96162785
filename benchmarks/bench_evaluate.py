"""Benchmark: the vectorized and the reference claims evaluators in memory, and 10 million sessions' peak memory.

Targets (issue 3): the vectorized evaluator at least 2 million sessions per second on 1 million
generated sessions and at least 50 times the reference evaluator; 10 million sessions under 4 GiB.

The claims come from benchmarks/claims_generator.py, held in the dtypes of the normalized frame
(engine/claims/normalize.py): identifiers as text, code columns as categoricals; `--patient-text`
keeps patient ids as text too (then every run also factorizes them). The reference runs on the
complete claims of randomly drawn patients (about `--sample` rows), and both evaluators must agree
on them. Small frames measure the fixed cost of one call (Excel calls once per table). The
10-million run happens in a child process, so that its peak resident memory is its own: the
claims are generated in chunks of a million straight into compact columns.

    python benchmarks/bench_evaluate.py [--sessions 1000000] [--sample 30000] [--big 10000000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from machine import load, machine_line

sys.path.insert(0, str(Path(__file__).resolve().parent))
from claims_generator import generate_claims  # noqa: E402

from engine.evaluate.reference import evaluate_reference  # noqa: E402
from engine.evaluate.vectorized import evaluate_vectorized  # noqa: E402
from engine.policy.policies import load_policies  # noqa: E402

CODES = ("kind", "network", "care", "co_lead", "setting", "mutuality", "provider")
GiB = 2**30


def compact_claims(n: int, seed: int, patient_text: bool = False, chunk: int = 1_000_000) -> pd.DataFrame:
    """`n` generated claims in compact columns, made a chunk at a time; each chunk's ids get their own prefix."""
    parts: dict[str, list] = {}
    categories: dict[str, list] = {}
    patients: list[pa.Array] = []
    offset = 0
    for k, start in enumerate(range(0, n, chunk)):
        frame = generate_claims(min(chunk, n - start), seed + k)
        prefix = f"{k:02d}-" if n > chunk else ""
        for name in ("claim_id", "group_id"):
            ids = pa.array(frame.pop(name).to_numpy(object), pa.string())
            if prefix:
                ids = pc.if_else(pc.equal(ids, ""), ids, pc.binary_join_element_wise(prefix, ids, ""))
            parts.setdefault(name, []).append(ids)
        codes, uniques = pd.factorize(frame.pop("patient_id").to_numpy(object))
        patients.append(pa.array([prefix + u for u in uniques], pa.string()))
        parts.setdefault("patient", []).append(codes.astype(np.int32) + offset)
        offset += len(uniques)
        for name in CODES:
            cats = categories.setdefault(name, sorted(set(frame[name].unique())))
            coded = pd.Categorical(frame.pop(name), categories=cats)
            if coded.isna().any():
                raise SystemExit(f"{name}: a value outside {cats} in chunk {k}")
            parts.setdefault(name, []).append(coded.codes)
        frame.pop("invalid")
        frame["row"] += start
        for name, column in frame.items():
            parts.setdefault(name, []).append(column.to_numpy())
        del frame
    names = pa.concat_arrays(patients)
    patient = np.concatenate(parts.pop("patient"))
    out = {name: pd.arrays.ArrowStringArray(pa.chunked_array(parts.pop(name))) for name in ("claim_id", "group_id")}
    out["patient_id"] = (pd.arrays.ArrowStringArray(pa.chunked_array([names.take(pa.array(patient))])) if patient_text
                         else pd.Categorical.from_codes(patient, dtype=pd.CategoricalDtype(pd.Index(names, dtype="str"))))
    for name in CODES:
        out[name] = pd.Categorical.from_codes(np.concatenate(parts.pop(name)), categories=categories[name])
    for name in list(parts):
        out[name] = np.concatenate(parts.pop(name))
    out["invalid"] = np.full(n, "", dtype=object)
    order = ["row", "claim_id", "patient_id", "birth_date", "session_date", "kind", "network", "care",
             "increased_reimbursement", "group_id", "co_lead", "setting", "mutuality", "provider", "fee_charged",
             "earlier_sessions", "invalid"]
    return pd.DataFrame({k: pd.Series(out[k], copy=False) for k in order}, copy=False)


def best(run, repeat: int) -> float:
    """Best wall time of `repeat` runs, in seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def patients_sample(claims: pd.DataFrame, rows: int, seed: int) -> pd.DataFrame:
    """The complete claims of random patients, about `rows` rows (a group keeps only its sampled participants)."""
    ids = claims["patient_id"].to_numpy()
    uniques = pd.unique(ids)
    share = rows / len(claims)
    chosen = np.random.default_rng(seed).random(len(uniques)) < share
    picked = claims[pd.Series(ids).isin(uniques[chosen]).to_numpy()]
    return picked.reset_index(drop=True)


def same_results(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    for col in a.columns:
        left, right = a[col].to_numpy(), b[col].to_numpy()
        if col == "period_start":
            left, right = pd.to_datetime(left).astype(str), pd.to_datetime(right).astype(str)
        if list(left) != list(right):
            print(f"  column {col} differs")
            return False
    return True


def in_memory(args, policies) -> None:
    start = time.perf_counter()
    claims = compact_claims(args.sessions, args.seed, args.patient_text)
    print(f"{len(claims):,} sessions of {claims['patient_id'].nunique():,} patients generated in "
          f"{time.perf_counter() - start:.1f} s; frame {claims.memory_usage(deep=True).sum() / 2**20:.0f} MiB; "
          f"patient ids as {'text' if args.patient_text else 'categorical'}")
    evaluate_vectorized(claims.head(1000), policies)
    vec = best(lambda: evaluate_vectorized(claims, policies), args.repeat)
    vec_rate = len(claims) / vec
    print(f"vectorized: {vec:.3f} s best of {args.repeat} = {vec_rate / 1e6:.2f} M sessions/s  (target >= 2 M/s)")

    sample = patients_sample(claims, args.sample, args.seed)
    sample_results = evaluate_vectorized(sample, policies)
    ref_results, _ = evaluate_reference(sample, policies)
    agree = same_results(ref_results, sample_results)
    ref = best(lambda: evaluate_reference(sample, policies), args.reference_repeat)
    ref_rate = len(sample) / ref
    vec_sample = best(lambda: evaluate_vectorized(sample, policies), args.repeat)
    print(f"reference: {len(sample):,} sessions of {sample['patient_id'].nunique():,} patients in {ref:.2f} s "
          f"best of {args.reference_repeat} = {ref_rate:,.0f} sessions/s; results identical to the vectorized: "
          f"{'yes' if agree else 'NO'}")
    print(f"vectorized on the same sample: {len(sample) / vec_sample:,.0f} sessions/s")
    print(f"ratio vectorized (1M) / reference: {vec_rate / ref_rate:.0f}x  (target >= 50x)")

    calls = 200
    for n in (1, 10, 100):
        small = claims.head(n).copy()
        per_call = best(lambda frame=small: [evaluate_vectorized(frame, policies) for _ in range(calls)], args.repeat) / calls
        print(f"one call on {n:>3} rows: {per_call * 1000:.2f} ms")


def rss_now() -> float:
    """Current resident memory in bytes (Linux), else the peak so far."""
    try:
        return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def big(args) -> None:
    """The 10-million run (in a child process): frame size, time, evaluator allocations, process peak."""
    policies = load_policies()
    start = time.perf_counter()
    claims = compact_claims(args.big, args.seed, args.patient_text)
    made = time.perf_counter() - start
    print(f"{len(claims):,} sessions generated in {made:.1f} s; frame {claims.memory_usage(deep=True).sum() / GiB:.2f} GiB; "
          f"resident now {rss_now() / GiB:.2f} GiB, peak while generating "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / GiB:.2f} GiB")
    evaluate_vectorized(claims.head(1000), policies)
    start = time.perf_counter()
    results = evaluate_vectorized(claims, policies)
    took = time.perf_counter() - start
    size = results.memory_usage(deep=True).sum()
    del results
    tracemalloc.start()
    evaluate_vectorized(claims, policies)
    _, traced = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"evaluated in {took:.1f} s = {len(claims) / took / 1e6:.2f} M sessions/s; results {size / GiB:.2f} GiB; "
          f"allocations of one evaluation at their peak (tracemalloc, results included) {traced / GiB:.2f} GiB")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(f"process peak (generation, frame and evaluations): {peak / GiB:.2f} GiB  (target < 4 GiB)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=1_000_000)
    parser.add_argument("--sample", type=int, default=30_000, help="rows for the reference evaluator")
    parser.add_argument("--big", type=int, default=10_000_000, help="sessions of the peak-memory run (0: skip)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--reference-repeat", type=int, default=2)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--patient-text", action="store_true", help="patient ids as text rather than categorical")
    parser.add_argument("--only-big", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.only_big:
        big(args)
        return
    print(machine_line())
    in_memory(args, load_policies())
    if args.big:
        cmd = [sys.executable, __file__, "--only-big", "--big", str(args.big), "--seed", str(args.seed)]
        subprocess.run(cmd + (["--patient-text"] if args.patient_text else []), check=True)
    print(f"load at the end: {load()}")


if __name__ == "__main__":
    main()
