"""Evaluate a claims file into a results file: in memory, or in patient-complete chunks when it is large.

Chunked evaluation keeps every patient's claims together and the output in input order:

1. the file is read in batches and normalized; each row is spilled (Arrow IPC, in a temporary
   folder beside the output) to partition `hash(patient_id) % K`; claim-id hashes and the few
   columns of group rows are kept;
2. repeated claim ids (hash candidates, then checked exactly) and inconsistent groups are marked
   over the whole file, as the in-memory path does;
3. a group session's fee is shared among its covered participants, whose coverage depends on
   their own history: so a partition also receives, as guests, every claim of the other
   participants of its patients' groups. Guests are evaluated with their full history and their
   results discarded; every row's result comes from its own patient's partition;
4. results are spilled to row-range buckets, which are sorted and written in order.

Chunked and in-memory runs give identical output (tests/test_cli_evaluate.py).
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from engine.claims.normalize import duplicate_problems, mark_duplicates, normalize, string_buffers
from engine.claims.read import check_input, claims_batches, claims_format, estimated_rows, read_claims_table
from engine.claims.write import ResultsWriter
from engine.errors import InputError
from engine.evaluate import summary as tally
from engine.evaluate.groups import group_problems
from engine.evaluate.plan import ReadAhead, chunk_rows_for
from engine.evaluate.summary import Tally
from engine.evaluate.vectorized import evaluate_vectorized
from engine.io.atomic import temporary_folder
from engine.io.spill import Streams
from engine.policy.files import display
from engine.policy.policies import PolicySet, load_policies
from engine.policy.rules import rules_of

GROUP_COLUMNS = ["row", "kind", "group_id", "session_date", "co_lead", "invalid"]
WRITE_ROWS = {".xlsx": 1 << 16, ".csv": 1 << 17, ".parquet": 1 << 17}
"""Results are written in slices of this many rows, so that a long write shows its progress."""
Progress = Callable[[str, float], None]


@dataclass
class Summary:
    """Counts of an evaluation and its tally (rows and amounts by month, scheme and outcome), for the command's report."""

    rows: int = 0
    covered: int = 0
    invalid: int = 0
    refused: Counter = field(default_factory=Counter)
    chunks: int = 1
    largest_chunk: int = 0
    seconds: dict[str, float] = field(default_factory=Counter)
    tally: Tally = field(default_factory=Tally)

    def add(self, results: pd.DataFrame, session_dates: np.ndarray) -> None:
        """Count one block of results (with `row`) and the session dates of its rows."""
        self.tally.add(results, session_dates)
        self.rows += len(results)
        covered = results["covered"].to_numpy(bool)
        self.covered += int(covered.sum())
        reason = tally.categorical(results["reason"])
        refused = reason.codes[~covered]
        counts = np.bincount(refused[refused >= 0], minlength=len(reason.categories))
        if (refused < 0).any():  # a refusal without a reason would be a defect: shown, never dropped
            self.refused["(no reason)"] += int((refused < 0).sum())
        for code in pd.unique(refused[refused >= 0]):  # in order of first appearance, as ties are listed
            text = str(reason.categories[code])
            if text.startswith("invalid:"):
                self.invalid += int(counts[code])
            else:
                self.refused[text] += int(counts[code])


def evaluate_file(claims: Path, out: Path, policies: PolicySet, chunk_rows: int | None = None,
                  memory: int | None = None, keep_input: bool = False, csv_dialect: str = "excel",
                  progress: Progress | None = None, ahead: ReadAhead | None = None) -> Summary:
    """Evaluate a claims file and write its results; in chunks of about `chunk_rows` rows when given,
    or when the file would not fit in `memory` bytes (default: half the available memory).
    `keep_input` adds the input's columns to the results. A CSV output uses `csv_dialect`
    (engine.claims.write.CSV_DIALECTS). `progress(stage, fraction)` is told the stage under way and
    the fraction of the run done, for a progress bar. `ahead`: the same claims file already being read
    (engine.evaluate.plan.read_ahead, which found that the run is in memory)."""
    claims, out = Path(claims), Path(out)
    suffix = check_input(claims)
    claims_format(out, "results")
    if out.resolve() == claims.resolve():
        raise InputError(f"{display(out)}: expected a results file other than the claims file, found the same path")
    if chunk_rows is not None and chunk_rows < 1:
        raise InputError(f"--chunk-rows: expected a number of rows of 1 or more, found {chunk_rows}")
    if ahead is not None and ahead.claims != claims:
        raise ValueError(f"read ahead {ahead.claims}, asked to evaluate {claims}")
    if ahead is None:
        chunk_rows = chunk_rows_for(claims, suffix, chunk_rows, memory)
    if ahead is not None or chunk_rows is None or suffix == ".xlsx":
        return _in_memory(claims, out, policies, keep_input, csv_dialect, progress, ahead)
    return _chunked(claims, out, policies, chunk_rows, keep_input, csv_dialect, progress)


def read_normalized(claims: Path, policies: PolicySet | None = None) -> pd.DataFrame:
    """A whole claims file as the normalized frame, repeated claim ids marked; `network`, `care`, `co_lead` and
    `setting` are checked against what `policies` declare (default: the bundled folder)."""
    return normalized(read_claims_table(Path(claims)), policies)


def normalized(table: pa.Table, policies: PolicySet | None = None) -> pd.DataFrame:
    """A whole claims table (text columns with canonical names) as the normalized frame, repeated claim ids marked;
    `network`, `care`, `co_lead` and `setting` are checked against what `policies` declare (default: the bundled
    folder)."""
    return mark_duplicates(normalize(table, declared(policies)))


def declared(policies: PolicySet | None) -> dict[str, tuple[str, ...]]:
    """The network types, care types, leaders and settings a claim may name under `policies` (default: the bundled
    folder), by claims column."""
    rules = rules_of(policies if policies is not None else load_policies())
    return {"network": rules.network_types, "care": rules.care_types, "co_lead": rules.leaders,
            "setting": rules.settings}


def evaluate_frame(frame: pd.DataFrame, policies: PolicySet, rows: int | None = None) -> pd.DataFrame:
    """The results of a normalized frame's first `rows` rows (default all; the others are guests that complete
    their groups), each result headed by its claims row number."""
    results = evaluate_vectorized(frame, policies).iloc[:rows]
    results.insert(0, "row", frame["row"].to_numpy()[:rows])
    return results


def _in_memory(claims: Path, out: Path, policies: PolicySet, keep_input: bool, csv_dialect: str,
               progress: Progress | None, ahead: ReadAhead | None = None) -> Summary:
    summary = Summary()
    clock = _Clock(summary, progress)
    clock.tell("reading", 0)
    table = ahead.table() if ahead is not None else read_claims_table(claims)  # read ahead: what is left of it
    clock.lap("read")
    clock.tell("normalizing", 0.3)
    frame = normalized(table, policies)
    del table
    clock.lap("normalize")
    clock.tell("evaluating", 0.45)
    results = evaluate_frame(frame, policies)
    session_dates = frame["session_date"].to_numpy()
    del frame
    clock.lap("evaluate")
    summary.add(results, session_dates)
    with ResultsWriter(out, claims if keep_input else None, csv_dialect) as writer:
        step = WRITE_ROWS[out.suffix.lower()]
        for start in range(0, len(results), step):  # in slices, so that a long write shows its progress
            clock.tell("writing", 0.6 + 0.4 * start / len(results))
            writer.write(results.iloc[start: start + step])
        if not len(results):
            writer.write(results)
        _add_summary(writer, summary)
    clock.lap("write")
    clock.tell("done", 1)
    return summary


def _add_summary(writer: ResultsWriter, summary: Summary) -> None:
    """The rows and amounts by month, scheme and outcome as a second sheet of an .xlsx results file."""
    if writer.suffix == ".xlsx":
        writer.add_sheet(tally.SHEET, tally.in_euros(summary.tally.table()), tally.AMOUNTS)


class _Clock:
    """Seconds per stage into the summary; the stage under way and the fraction done to `progress`."""

    def __init__(self, summary: Summary, progress: Progress | None = None):
        self.summary, self.last, self.progress = summary, time.perf_counter(), progress

    def tell(self, stage: str, fraction: float) -> None:
        if self.progress is not None:
            self.progress(stage, min(1.0, fraction))

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.summary.seconds[name] += now - self.last
        self.last = now


def string_hashes(array: pa.Array) -> np.ndarray:
    """A 64-bit hash of each string of an Arrow string array (polynomial over the bytes, then mixed)."""
    data, offsets = string_buffers(array)
    n = len(offsets) - 1
    length = np.diff(offsets).astype(np.int64)
    total = int(length.sum())
    within = np.arange(total, dtype=np.int64) - np.repeat(offsets[:-1] - offsets[0], length)
    powers = np.cumprod(np.full(max(1, int(length.max(initial=0))), 0x100000001B3, np.uint64), dtype=np.uint64)
    contributions = data[offsets[0]: offsets[-1]].astype(np.uint64) * powers[within]
    h = np.zeros(n, np.uint64)
    filled = np.flatnonzero(length > 0)
    if total:
        h[filled] = np.add.reduceat(contributions, (offsets[:-1] - offsets[0])[filled])
    h ^= length.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    h ^= h >> np.uint64(31)
    h *= np.uint64(0xBF58476D1CE4E5B9)
    h ^= h >> np.uint64(29)
    return h


def _to_arrow(frame: pd.DataFrame) -> pa.Table:
    """A normalized frame (or results) as an Arrow table; categoricals become plain text (decoded by Arrow)."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    for i, column in enumerate(table.columns):
        if pa.types.is_dictionary(column.type):
            table = table.set_column(i, table.field(i).name, column.cast(column.type.value_type))
    return table


def _to_frame(table: pa.Table) -> pd.DataFrame:
    frame = table.to_pandas()
    if "invalid" in frame:
        frame["invalid"] = frame["invalid"].to_numpy(object)
    return frame


def _chunked(claims: Path, out: Path, policies: PolicySet, chunk_rows: int, keep_input: bool, csv_dialect: str,
             progress: Progress | None) -> Summary:
    summary = Summary()
    clock = _Clock(summary, progress)
    expected = estimated_rows(claims)
    k = max(2, math.ceil(expected / chunk_rows))
    with temporary_folder(out) as folder:
        home, guests, buckets = Streams(folder, "home"), Streams(folder, "guest"), Streams(folder, "results")
        claim_hashes, group_rows = [], []
        n = 0
        for table in claims_batches(claims, chunk_rows):
            clock.lap("read")
            clock.tell("reading", 0.3 * n / max(1, expected))
            frame = normalize(table, declared(policies), first_row=n + 1)
            n += len(frame)
            claim_hashes.append(string_hashes(table_ids(frame, "claim_id")))
            patient = string_hashes(table_ids(frame, "patient_id"))
            groups = frame.loc[(frame["kind"] == "group").to_numpy(), GROUP_COLUMNS].copy()
            groups["patient"] = patient[groups.index.to_numpy()]
            group_rows.append(groups)
            spilled = _to_arrow(frame).append_column("_patient", pa.array(patient))
            home.split(spilled, (patient % np.uint64(k)).astype(np.int64))
            clock.lap("normalize")
        home.close()
        flags = _duplicate_flags(np.concatenate(claim_hashes or [np.zeros(0, np.uint64)]), home, k)
        groups = pd.concat(group_rows, ignore_index=True) if group_rows else pd.DataFrame(columns=[*GROUP_COLUMNS, "patient"])
        groups["invalid"] = _flagged(groups["row"].to_numpy(np.int64), groups["invalid"].to_numpy(object), flags)
        problems = group_problems(groups).to_numpy(object)
        flags = _merge_flags(flags, groups["row"].to_numpy(np.int64)[problems != ""], problems[problems != ""])
        _copy_guests(groups, home, guests, k)
        clock.lap("normalize")
        for part in range(k):
            clock.tell(f"chunk {part + 1} of {k}", 0.3 + 0.4 * part / k)
            own_rows, guest_rows = home.read(part), guests.read(part)
            if own_rows is None:
                continue
            tables = [own_rows] if guest_rows is None else [own_rows, guest_rows]
            own = own_rows.num_rows
            summary.largest_chunk = max(summary.largest_chunk, sum(t.num_rows for t in tables))
            frame = _to_frame(pa.concat_tables(tables).drop_columns(["_patient"]))
            frame["invalid"] = _flagged(frame["row"].to_numpy(np.int64), frame["invalid"].to_numpy(object), flags)
            clock.lap("read")
            results = evaluate_frame(frame, policies, own)
            clock.lap("evaluate")
            summary.add(results, frame["session_date"].to_numpy()[:own])
            buckets.split(_to_arrow(results), (results["row"].to_numpy() - 1) // chunk_rows)
            clock.lap("write")
        buckets.close()
        with ResultsWriter(out, claims if keep_input else None, csv_dialect) as writer:
            for bucket in range(math.ceil(n / chunk_rows)):
                clock.tell("writing", 0.7 + 0.3 * bucket / math.ceil(n / chunk_rows))
                table = buckets.read(bucket)
                if table is not None:
                    writer.write(_to_frame(table).sort_values("row", kind="stable"))
            _add_summary(writer, summary)
        clock.lap("write")
    clock.tell("done", 1)
    summary.chunks = k
    return summary


def table_ids(frame: pd.DataFrame, name: str) -> pa.Array:
    """An identifier column of a normalized frame as an Arrow string array."""
    return pa.array(frame[name].array, pa.string())


def _duplicate_flags(hashes: np.ndarray, home: Streams, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(rows, messages) of repeated claim ids: rows whose hash repeats are read back and compared exactly."""
    order = np.argsort(hashes, kind="stable")
    sorted_hashes = hashes[order]
    same = sorted_hashes[1:] == sorted_hashes[:-1]
    repeated = np.zeros(len(hashes), bool)
    repeated[order[1:][same]] = True
    repeated[order[:-1][same]] = True
    candidates = np.flatnonzero(repeated) + 1
    if not len(candidates):
        return np.zeros(0, np.int64), np.zeros(0, object)
    pieces = []
    for part in range(k):
        table = home.read(part)
        if table is not None:
            rows = table.column("row").to_numpy()
            pieces.append(table.select(["row", "claim_id", "invalid"]).filter(pa.array(np.isin(rows, candidates))))
    table = pa.concat_tables(pieces).sort_by("row")
    rows = table.column("row").to_numpy()
    problems = duplicate_problems(table.column("claim_id").combine_chunks().cast(pa.string()), rows,
                                  table.column("invalid").to_numpy(zero_copy_only=False).astype(object))
    return rows[problems != ""], problems[problems != ""]


def _merge_flags(flags: tuple[np.ndarray, np.ndarray], rows: np.ndarray, messages: np.ndarray):
    all_rows = np.concatenate([flags[0], rows])
    order = np.argsort(all_rows, kind="stable")
    return all_rows[order], np.concatenate([flags[1], messages])[order]


def _flagged(rows: np.ndarray, invalid: np.ndarray, flags: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """`invalid` with the file-wide flags (repeated ids, inconsistent groups) on rows still valid."""
    flag_rows, messages = flags
    if not len(flag_rows):
        return invalid
    at = np.minimum(np.searchsorted(flag_rows, rows), len(flag_rows) - 1)
    hit = (flag_rows[at] == rows) & (invalid == "")
    out = invalid.copy()
    out[hit] = messages[at[hit]]
    return out


def _copy_guests(groups: pd.DataFrame, home: Streams, guests: Streams, k: int) -> None:
    """Copy every claim of a group participant to the partitions of the group's other participants."""
    members = groups.loc[groups["group_id"].astype(str) != "", ["group_id", "patient"]].drop_duplicates()
    if members.empty:
        return
    members["part"] = (members["patient"].to_numpy(np.uint64) % np.uint64(k)).astype(np.int64)
    parts = members[["group_id", "part"]].drop_duplicates()
    needs = members[["group_id", "patient"]].merge(parts, on="group_id")[["patient", "part"]].drop_duplicates()
    needs = needs[(needs["patient"].to_numpy(np.uint64) % np.uint64(k)).astype(np.int64) != needs["part"].to_numpy()]
    if needs.empty:
        return
    wanted = np.unique(needs["patient"].to_numpy(np.uint64))
    for part in range(k):
        table = home.read(part)
        if table is None:
            continue
        patient = table.column("_patient").to_numpy()
        hit = np.flatnonzero(np.isin(patient, wanted))
        if not len(hit):
            continue
        rows = pd.DataFrame({"at": hit, "patient": patient[hit]}).merge(needs, on="patient")
        guests.split(table.take(pa.array(rows["at"].to_numpy())), rows["part"].to_numpy(np.int64))
    guests.close()
