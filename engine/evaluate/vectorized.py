"""The vectorized bulk evaluator: the reference evaluator's semantics over numpy arrays.

The claims of one scheme are laid out step-major: sorted by patient, date and claim id, then
every patient's first claim, then every second claim, and so on, with patients in order of falling
claim count. The patients still active at step k are then a prefix of the per-patient state
arrays and their k-th claims a contiguous slice, so a step is a few array operations on slices,
with no gathering by patient. Quota bundles become a transition table over the count vectors a
period can hold. Dated values are resolved once per epoch (a stretch of days in which no dated
value of the policy set changes) and gathered per claim. Amounts are whole cents until the
result frame.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import weakref
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from engine.claims.contract import REASONS, RESULT_COLUMNS
from engine.dates import add_months_days, ages_on, civil
from engine.errors import ResolveError
from engine.evaluate.groups import MISSING_GROUP, inconsistent_groups, share_cents
from engine.money import percent_of
from engine.policy.conditions import Coded, leaves, mask
from engine.policy.fields import context
from engine.policy.policies import PolicySet
from engine.policy.rules import CATEGORIES, Convention, Priced, Rules, Supplementary, rules_of

TEXT_FIELDS = ("kind", "network", "care", "setting", "co_lead", "mutuality", "provider")
NO_DAY = np.iinfo(np.int32).min  # "no date" in int32 day numbers
NO_LIMIT = np.iinfo(np.int64).max // 4  # cents: no limit a year
R = {name: i + 1 for i, name in enumerate(REASONS)}  # reason codes; 0 is "" (covered)


def _cents(values: np.ndarray) -> np.ndarray:
    return np.round(values * 100).astype(np.int64)


def _as_dates(days: np.ndarray) -> np.ndarray:
    """int32 day numbers as datetime64[D]."""
    return days.astype(np.int64).view("datetime64[D]")


def _day_numbers(column: pd.Series) -> np.ndarray:
    """Dates as int32 days since 1970-01-01 (NaT becomes NO_DAY)."""
    days = column.to_numpy().astype("datetime64[D]").view(np.int64)
    return np.maximum(days, NO_DAY).astype(np.int32)


def _coded(column: pd.Series, rows: np.ndarray | None = None) -> Coded:
    """A text column (or some of its rows) as codes: categoricals as they are, other columns factorized."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        codes = column.array.codes
        return Coded(codes if rows is None else codes[rows], column.dtype.categories.to_numpy(dtype=object))
    values = column.array
    if rows is not None:  # pandas takes slowly from chunked arrow arrays; arrow itself does not
        values = (pd.arrays.ArrowStringArray(values.__arrow_array__().take(rows))
                  if isinstance(values, pd.arrays.ArrowStringArray) else values.take(rows))
    codes, uniques = pd.factorize(values)
    small = np.int8 if len(uniques) < 127 else np.int32
    return Coded(codes.astype(small), np.asarray(uniques, dtype=object))


def _ages(birth: np.ndarray, days: np.ndarray) -> np.ndarray:
    """Age in whole years on each day (int32 day numbers): the one age computation of engine.dates."""
    return ages_on(_as_dates(birth), _as_dates(days)).astype(np.int16)


def _per_day(days: np.ndarray, fn, axis: int = 0) -> np.ndarray:
    """fn(days), computed once per distinct day when the days span fewer dates than there are rows."""
    if not len(days):
        return fn(days)
    first = int(days.min())
    span = int(days.max()) - first + 1
    if span >= len(days):
        return fn(days)
    return np.take(fn(np.arange(first, first + span, dtype=np.int32)), days - first, axis=axis)


# -- dated values per epoch ------------------------------------------------------------------------

class Epochs:
    """Every dated value of a policy set resolved once per epoch; cached per policy set."""

    def __init__(self, policies: PolicySet):
        self.policies = policies
        entries = [e for v in policies.values.values() for e in v.entries]
        edges = [e.start for e in entries] + [e.end + dt.timedelta(days=1) for e in entries if e.end]
        self.bounds = np.unique(np.array(edges, "datetime64[D]").astype(np.int32))
        # one day inside each epoch: epoch 0 lies before every history
        self.first = _as_dates(np.r_[self.bounds[0] - 1, self.bounds].astype(np.int32))
        self.tables: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def of(self, days: np.ndarray) -> np.ndarray:
        """The epoch of each day (int32 day numbers)."""
        return np.searchsorted(self.bounds, days, side="right").astype(np.int16)

    def table(self, path: str) -> tuple[np.ndarray, np.ndarray]:
        """(value per epoch, NaN where null or undefined; whether the value is defined on the epoch)."""
        if path not in self.tables:
            dated = self.policies.dated(path)
            values, defined = np.full(len(self.first), np.nan), np.zeros(len(self.first), bool)
            for e, day in enumerate(self.first):
                try:
                    values[e:e + 1] = dated.on_dates(day[None])
                    defined[e] = True
                except ResolveError:
                    pass
            self.tables[path] = values, defined
        return self.tables[path]


_epochs: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def epochs_of(policies: PolicySet) -> Epochs:
    if policies not in _epochs:
        _epochs[policies] = Epochs(policies)
    return _epochs[policies]


class Dated:
    """Dated values on the dates of a set of claims (one element per claim)."""

    def __init__(self, epochs: Epochs, days: np.ndarray):
        self.epochs, self.days = epochs, days
        self.epoch = _per_day(days, epochs.of)
        self.used = np.bincount(self.epoch, minlength=len(epochs.first)) > 0

    def per_epoch(self, path: str) -> np.ndarray:
        """The value on each epoch; a ResolveError, as from DatedValue.on_dates, if a claim's date has none."""
        values, defined = self.epochs.table(path)
        if not defined[self.used].all():
            self.epochs.policies.dated(path).on_dates(_as_dates(self.days))  # raises with the first such date
        return values

    def take(self, rows: np.ndarray) -> Dated:
        """The same values on some of the claims."""
        part = Dated.__new__(Dated)
        part.epochs, part.days, part.epoch, part.used = self.epochs, self.days[rows], self.epoch[rows], self.used
        return part

    def on_epochs(self, epochs: np.ndarray) -> Dated:
        """Values for one row per given epoch (for rules evaluated once per combination of values)."""
        part = Dated.__new__(Dated)
        part.epochs, part.days, part.epoch, part.used = self.epochs, self.days, epochs, self.used
        return part

    def __call__(self, path: str) -> np.ndarray:
        return self.per_epoch(path)[self.epoch]

    def cents(self, path: str) -> np.ndarray:
        return _cents(np.nan_to_num(self.per_epoch(path)))[self.epoch]


# -- the claims as arrays ----------------------------------------------------------------------------

class Claims:
    """The normalized claims frame as arrays: integer patients and days, coded text."""

    def __init__(self, frame: pd.DataFrame):
        self.frame = frame
        patient = frame["patient_id"]
        self.patient = (patient.array.codes if isinstance(patient.dtype, pd.CategoricalDtype)
                        else pd.factorize(patient)[0].astype(np.int32))
        self.day = _day_numbers(frame["session_date"])
        self.birth = _day_numbers(frame["birth_date"])
        self.text = {f: _coded(frame[f]) for f in TEXT_FIELDS}
        self.increased = frame["increased_reimbursement"].to_numpy(bool)
        self.group = np.full(len(frame), -1, np.int32)  # group codes of valid group sessions (set with the invalid rows)
        self.fee_charged = frame["fee_charged"].to_numpy(float)
        self.earlier = frame["earlier_cm_sessions"].to_numpy(np.int64)
        ids = frame["claim_id"].array
        self.claim_ids = ids.__arrow_array__() if isinstance(ids, pd.arrays.ArrowStringArray) else ids  # taken from fast

    def ids(self, rows: np.ndarray) -> np.ndarray:
        """The claim ids of some rows, in their own type (as the reference sorts them)."""
        if isinstance(self.claim_ids, pa.ChunkedArray):
            return self.claim_ids.take(rows).to_numpy()
        return np.asarray(self.claim_ids.take(rows))

    def id_order(self, rows: np.ndarray) -> np.ndarray:
        """Distinct ranks of `rows` (ascending positions) by claim id; ties keep row order."""
        if len(rows) < 2:
            return np.arange(len(rows))
        if isinstance(self.claim_ids, pa.ChunkedArray):
            ids = self.claim_ids.take(rows)
            if pc.all(pc.greater_equal(ids[1:], ids[:-1])).as_py():
                return np.arange(len(rows))
            order = pc.sort_indices(ids).to_numpy()  # a stable sort
        else:
            ids = np.asarray(self.claim_ids.take(rows))
            if (ids[1:] >= ids[:-1]).all():
                return np.arange(len(rows))
            order = np.argsort(ids, kind="stable")
        rank = np.empty(len(rows), np.int64)
        rank[order] = np.arange(len(rows))
        return rank


@dataclass
class Layout:
    """Rows of one scheme in step-major order: step k is rows[starts[k]:starts[k+1]]."""

    rows: np.ndarray  # input positions
    starts: list[int]

    @property
    def n(self) -> int:
        return len(self.rows)

    @property
    def patients(self) -> int:
        return self.starts[1] - self.starts[0] if len(self.starts) > 1 else 0

    def steps(self):
        """(lo, hi, m) per step: the slice of the step's claims and how many patients are active."""
        for lo, hi in zip(self.starts[:-1], self.starts[1:], strict=True):
            yield lo, hi, hi - lo

    def previous(self, values: np.ndarray, none) -> np.ndarray:
        """The value of each claim's predecessor of the same patient (`none` for first claims)."""
        out = np.full(self.n, none, dtype=values.dtype)
        for k in range(1, len(self.starts) - 1):
            lo, hi, before = self.starts[k], self.starts[k + 1], self.starts[k - 1]
            out[lo:hi] = values[before:before + hi - lo]
        return out


def layout(claims: Claims, rows: np.ndarray) -> Layout:
    """Lay out `rows` step-major (see the module docstring)."""
    n = len(rows)
    if not n:
        return Layout(rows, [0])
    day = claims.day[rows]
    first, span = int(day.min()), int(day.max()) - int(day.min()) + 1
    key = claims.patient[rows].astype(np.int64) * span + (day - first)
    if int(key.max()) < 2**32:
        key = key.astype(np.uint32)
    order = np.argsort(key)
    skey = key[order]
    del key, day
    tie = np.flatnonzero(skey[1:] == skey[:-1])
    if len(tie):  # the same patient and day: by claim id
        pos = np.unique(np.r_[tie, tie + 1])
        order[pos] = order[pos][np.lexsort((claims.ids(rows[order[pos]]), skey[pos]))]
    sp = skey // span  # the patient of each sorted claim
    starts = np.r_[0, np.flatnonzero(sp[1:] != sp[:-1]) + 1]
    del sp, skey
    counts = np.diff(np.r_[starts, n])
    slot = np.empty(len(counts), np.int64)
    slot[np.argsort(-counts, kind="stable")] = np.arange(len(counts))
    active = len(counts) - np.cumsum(np.bincount(counts))[:-1]  # patients with more than k claims
    offset = np.r_[0, np.cumsum(active)]
    at = np.arange(n) - np.repeat(starts, counts)  # rank of each claim among its patient's
    at = offset[at] + np.repeat(slot, counts)
    out = np.empty(n, rows.dtype)
    out[at] = rows[order]
    return Layout(out, offset.tolist())


# -- results -----------------------------------------------------------------------------------------

class Words:
    """A vocabulary of result texts, so result columns are integer codes until the end."""

    def __init__(self, words=()):
        self.index = {"": 0}
        for w in words:
            self.code(w)

    def code(self, word: str) -> int:
        return self.index.setdefault(word, len(self.index))

    def codes(self, words) -> np.ndarray:
        return np.array([self.code(w) for w in words], dtype=np.int32)

    def column(self, codes: np.ndarray) -> pd.Categorical:
        return pd.Categorical.from_codes(codes, dtype=_categories(tuple(self.index)))


@functools.lru_cache(maxsize=256)
def _categories(words: tuple[str, ...]) -> pd.CategoricalDtype:
    return pd.CategoricalDtype(list(words))


class Output:
    """Result arrays for every input row, in input order; texts as codes into vocabularies."""

    def __init__(self, n: int):
        self.schemes, self.bundles, self.rules, self.tariffs = Words(), Words(), Words(), Words()
        self.versions: dict[str, str] = {}  # scheme -> version
        self.reasons = Words(REASONS)
        self.reason = np.zeros(n, np.int32)
        self.scheme = np.zeros(n, np.int16)
        self.covered = np.zeros(n, bool)
        self.fee = np.zeros(n, np.int64)
        self.copay = np.zeros(n, np.int64)
        self.insurer = np.zeros(n, np.int64)
        self.care_path = np.zeros(n, np.int64)
        self.supplement = np.zeros(n, np.int64)
        self.period_start = np.full(n, NO_DAY, np.int32)
        self.bundle = np.zeros(n, np.int16)
        self.copay_rule = np.zeros(n, np.int16)
        self.benefit_rule = np.zeros(n, np.int16)
        self.tariff_row = np.zeros(n, np.int16)
        self.co_lead_row = np.zeros(n, np.int16)

    def know(self, rules: Rules) -> None:
        """Give every scheme, bundle and rule its code up front, so that codes do not depend on thread timing."""
        for conv in rules.conventions:
            self.schemes.code(conv.id)
            self.versions[conv.id] = conv.version
            self.bundles.codes(b.id for bundles in conv.bundles.values() for b in bundles)
            self.rules.codes(r.id for r in conv.copayment)
            self.tariffs.codes(r.id for r in conv.tariff)
        for plan in (p for versions in rules.supplementary.values() for p in versions):
            self.schemes.code(plan.id)
            self.versions[plan.id] = plan.version
            self.rules.codes(b.id for b in plan.benefits)

    def frame(self, claims: pd.DataFrame) -> pd.DataFrame:
        """The result frame; each array is let go once its column is made, to keep the peak memory low."""
        columns = {
            "claim_id": claims["claim_id"].array, "scheme": self.schemes.column(self.scheme),
            "covered": self.covered, "reason": self.reasons.column(self.reason),
            "bundle": self.bundles.column(self.bundle), "rule": self.rules.column(self.copay_rule + self.benefit_rule),
            "tariff_row": self.tariffs.column(self.tariff_row), "co_lead_tariff_row": self.tariffs.column(self.co_lead_row),
            "copayment_rule": self.rules.column(self.copay_rule), "benefit_rule": self.rules.column(self.benefit_rule),
            "version": self._versions(),
            "patient_pays": (self.copay - self.supplement) / 100,
        }
        names = {"period_start": "period_start", "provider_fee": "fee", "patient_copay": "copay",
                 "insurer_amount": "insurer", "care_path_fee": "care_path", "supplement_amount": "supplement"}
        run = _pool().map if len(self.covered) >= THREADED else map
        columns.update(zip(names, run(self._column, names.values()), strict=True))
        return pd.DataFrame(columns, columns=RESULT_COLUMNS, index=claims.index, copy=False)  # copy=False: no consolidation

    def _versions(self) -> pd.Categorical:
        """The version of each row's scheme (several schemes may share a version text)."""
        words = Words()
        per_scheme = words.codes(self.versions.get(s, "") for s in self.schemes.index)
        return words.column(per_scheme[self.scheme])

    def _column(self, name: str) -> np.ndarray:
        values = getattr(self, name)
        setattr(self, name, None)
        if name != "period_start":
            return values / 100
        days = values.astype(np.int64)
        days[values == NO_DAY] = np.iinfo(np.int64).min  # NaT
        return days.view("datetime64[D]").astype("datetime64[ns]")


def evaluate_vectorized(claims: pd.DataFrame, policies: PolicySet) -> pd.DataFrame:
    """Evaluate a normalized claims frame; same results as the reference evaluator, in input order.

    Large frames are split into two halves of whole patients evaluated on two threads (numpy
    releases the GIL); group fees are shared once both are done, as groups span patients.
    """
    c = Claims(claims)
    out = Output(len(claims))
    valid = np.flatnonzero(_invalid_reasons(c, out)).astype(np.int32 if len(claims) < 2**31 else np.int64)
    rules = rules_of(policies)
    out.know(rules)
    epochs = epochs_of(policies)
    outside = c.text["network"].equals("")
    if len(valid) < THREADED:
        _evaluate_rows(c, valid, outside, rules, epochs, out)
    else:  # parts of whole patients (ranges of patient codes: near rows when codes follow the rows), two at a time
        parts = max(2, -(-len(valid) // PART))
        patient = c.patient[valid].astype(np.int64)
        part = (patient * parts // (int(patient.max()) + 1)).astype(np.int16)
        bounds = np.r_[0, np.cumsum(np.bincount(part, minlength=parts))]
        valid = valid[np.argsort(part, kind="stable")]
        list(_pool().map(lambda i: _evaluate_rows(c, valid[bounds[i]:bounds[i + 1]], outside, rules, epochs, out),
                         range(parts)))
    _share_group_fees(c, outside, out)
    return out.frame(claims)


THREADED = 200_000  # valid rows from which two threads pay off
PART = 250_000  # most rows of one part: bounds the memory of the parts in flight
ROWS_PER_COMBINATION = 8  # rules are evaluated per combination of values when there are this many rows per combination


@functools.cache
def _pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(2, thread_name_prefix="carepolicy-evaluate")


if hasattr(os, "register_at_fork"):  # a forked process (the simulation's workers) has none of the parent's threads
    os.register_at_fork(after_in_child=_pool.cache_clear)


def _evaluate_rows(c: Claims, rows: np.ndarray, outside: np.ndarray, rules, epochs: Epochs, out: Output) -> None:
    """Evaluate the valid rows `rows` (all claims of their patients) into `out`."""
    conv_rows = rows[~outside[rows]]
    reason = np.full(len(conv_rows), R["not_in_force"], np.int32)
    for conv in rules.conventions:
        mine = (reason == R["not_in_force"]) & _in_force(c.day[conv_rows], conv)
        if mine.any():
            _convention(c, layout(c, conv_rows[mine]), conv, epochs, out)
            reason[mine] = 0
    out.reason[conv_rows[reason > 0]] = reason[reason > 0]
    benefit_rows = rows[outside[rows]]
    if len(benefit_rows):
        _benefits(c, benefit_rows, rules.supplementary, epochs, out)


def _share_group_fees(c: Claims, outside: np.ndarray, out: Output) -> None:
    """Share each group's fee among its covered participants to the cent; then cap the co-payments at the fee."""
    g = np.flatnonzero(out.covered & (c.group >= 0) & ~outside)
    if len(g):
        out.fee[g] = share_cents(c.group[g], c.id_order(g), out.fee[g])
    np.minimum(out.copay, out.fee, out=out.copay)
    np.subtract(out.fee, out.copay, out=out.insurer)


def _invalid_reasons(c: Claims, out: Output) -> np.ndarray:
    """Reason codes of malformed rows (the frame's own and unpriceable groups); returns the valid rows."""
    given = c.frame["invalid"]
    if isinstance(given.dtype, pd.CategoricalDtype):
        coded = _coded(given)
        out.reason[:] = np.append(out.reasons.codes(coded.categories), 0)[coded.codes]
        valid = np.append(coded.categories == "", False)[coded.codes]
    else:
        text = given.to_numpy(object)
        bad = np.flatnonzero(text != "")
        codes, uniques = pd.factorize(text[bad])
        out.reason[bad] = out.reasons.codes(uniques)[codes]
        valid = np.ones(len(text), bool)
        valid[bad] = False
    group = np.flatnonzero(valid & c.text["kind"].equals("group"))
    ids = _coded(c.frame["group_id"], group)
    empty = ids.equals("")
    c.group[group] = np.where(empty, -1, ids.codes)
    missing = group[empty]
    bad = np.zeros(len(valid), bool)
    for i, text in inconsistent_groups(c.group, c.day, c.text["co_lead"].codes, lambda i: ids.categories[c.group[i]]).items():
        out.reason[i] = out.reasons.code(text)
        bad[i] = True
    out.reason[missing] = out.reasons.code(MISSING_GROUP)
    valid[missing] = False
    return valid & ~bad


def _in_force(day: np.ndarray, rule) -> np.ndarray:
    """Claims whose date falls in a convention's or benefit's validity."""
    ok = day >= np.datetime64(rule.start, "D").astype(np.int64)
    return ok & (day <= np.datetime64(rule.end, "D").astype(np.int64)) if rule.end else ok


# -- the convention ----------------------------------------------------------------------------------

def _convention(c: Claims, lay: Layout, conv: Convention, epochs: Epochs, out: Output) -> None:
    rows, n = lay.rows, lay.n
    day = c.day[rows]
    dated = Dated(epochs, day)
    text = {f: c.text[f].take(rows) for f in ("kind", "network", "care", "setting", "co_lead")}
    age = _ages(c.birth[rows], day)
    nets = list(conv.bundles)
    net = text["network"].lookup({x: i for i, x in enumerate(nets)}, -1, np.int8)
    cares, kinds = (list(dict.fromkeys(name.rsplit("_", 1)[i] for name in CATEGORIES)) for i in (0, 1))
    by_parts = np.full((len(cares) + 1, len(kinds) + 1), -1, np.int8)  # last row and column: other values
    for k, name in enumerate(CATEGORIES):
        care, kind = name.rsplit("_", 1)
        by_parts[cares.index(care), kinds.index(kind)] = k
    category = by_parts[text["care"].lookup({x: i for i, x in enumerate(cares)}, -1, np.int8),
                        text["kind"].lookup({x: i for i, x in enumerate(kinds)}, -1, np.int8)]
    # regimes: (network type, epoch) -> age band, caps of each bundle
    n_epochs = len(epochs.first)
    regime = net.astype(np.int32) * n_epochs + dated.epoch
    low = np.concatenate([_param(dated, conv.age_bands[x].get("min_age"), -np.inf) for x in nets])
    high = np.concatenate([_param(dated, conv.age_bands[x].get("max_age"), np.inf) for x in nets])
    low, high = (np.clip(np.ceil(low), -9999, 9999).astype(np.int16), np.clip(np.floor(high), -9999, 9999).astype(np.int16))
    age_ok = (age >= low[regime]) & (age <= high[regime])  # whole ages: a band's bounds as whole numbers
    static = np.where(category < 0, R["care_missing"], np.where(~age_ok, R["age_not_eligible"], 0)).astype(np.int32)
    limit = len(lay.starts) - 1  # no count can exceed the claims of one patient
    caps, totals = _caps(conv, nets, dated, limit)
    vectors, move, fitting, allowed = quota_moves(caps.tobytes(), totals.tobytes(), caps.shape, limit)
    n_states = len(vectors)
    move, fitting, allowed = move.ravel(), fitting.ravel(), allowed.ravel()
    cats = len(CATEGORIES)
    at = (regime * n_states) * cats + np.maximum(category, 0)
    months = np.nan_to_num(dated.per_epoch(conv.period_months)).astype(np.int64)
    distinct = np.unique(months[dated.used])
    period_end = _add_months(day, distinct[0] if len(distinct) == 1 else months[dated.epoch])
    covered, same_day, switch, quota_ok, in_period, state_before, bundle, start = _walk(
        lay, day, net, static == 0, at, move, fitting, cats, period_end, conv)
    full = allowed[at + state_before * cats]
    why = np.select([same_day, switch, ~quota_ok & full, ~quota_ok],
                    [R["one_session_per_day"], R["network_switch"], R["quota_exhausted"], R["combination_not_allowed"]],
                    static)
    reached = ~same_day & (static == 0)
    opens = covered & ~in_period
    period_start = np.where(opens, day, np.where(reached & in_period, start, NO_DAY))
    individual = np.array([c.endswith("_individual") for c in CATEGORIES])
    no_individual = (vectors[:, individual].sum(axis=1) == 0)
    first_individual = covered & text["kind"].equals("individual") & no_individual[state_before]
    out.scheme[rows] = out.schemes.code(conv.id)
    out.covered[rows] = covered
    out.reason[rows] = np.where(covered, 0, why)
    out.period_start[rows] = period_start
    names = [out.bundles.codes(b.id for b in conv.bundles[x]) for x in nets]
    width = max(len(x) for x in names)
    table = np.concatenate([np.pad(x, (0, width - len(x))) for x in names])
    out.bundle[rows] = np.where(covered, table[np.maximum(net, 0).astype(np.int32) * width + bundle], 0)
    column = _columns(c, rows, text, day)
    derived = {"age": age, "first_individual_of_period": first_individual,
               "leader": Coded(np.zeros(n, np.int8), np.array(["psychologist"], object))}
    _settle(c, lay, conv, dated, column, derived, covered, opens, out)


def _columns(c: Claims, rows: np.ndarray, taken: dict[str, Coded], day: np.ndarray):
    """A reader of claims columns on `rows`, for the field registry (text already taken is reused)."""
    def column(name: str):
        if name == "session_date":
            return _as_dates(day)
        if name == "increased_reimbursement":
            return c.increased[rows]
        if name not in taken:
            taken[name] = c.text[name].take(rows)
        return taken[name]
    return column


def _add_months(days: np.ndarray, months: np.ndarray | int) -> np.ndarray:
    """add_months on int32 day numbers; `months` one number, or one per day with few distinct values."""
    def shifted(d: np.ndarray, m: int) -> np.ndarray:
        return _per_day(d, lambda x: _as_days(add_months_days(_as_dates(x), np.full(len(x), m))))
    if np.ndim(months) == 0:
        return shifted(days, int(months))
    out = np.empty_like(days)
    for m in np.unique(months):
        on = months == m
        out[on] = shifted(days[on], int(m))
    return out


def _as_days(dates: np.ndarray) -> np.ndarray:
    return dates.astype("datetime64[D]").astype(np.int32)


def _param(dated: Dated, path: str | None, fill: float) -> np.ndarray:
    """A parameter per epoch, `fill` where it is null or the rule does not name it."""
    if path is None:
        return np.full(len(dated.epochs.first), fill)
    values = dated.per_epoch(path)
    return np.where(np.isnan(values), fill, values)


def _caps(conv: Convention, nets: list[str], dated: Dated, limit: int) -> tuple[np.ndarray, np.ndarray]:
    """Caps [regime, bundle, category] and totals [regime, bundle] of every (network type, epoch), at most `limit`."""
    n_epochs = len(dated.epochs.first)
    width = max(len(conv.bundles[x]) for x in nets)
    caps = np.zeros((len(nets), n_epochs, width, len(CATEGORIES)))
    totals = np.zeros((len(nets), n_epochs, width))  # a missing bundle (padding) admits nothing
    for i, name in enumerate(nets):
        for b, bundle in enumerate(conv.bundles[name]):
            for cat, path in bundle.caps.items():
                caps[i, :, b, CATEGORIES.index(cat)] = _param(dated, path, 0)
            totals[i, :, b] = _param(dated, bundle.total, np.inf)
    caps = np.minimum(caps, limit).astype(np.int32).reshape(-1, width, len(CATEGORIES))
    return caps, np.minimum(totals, limit).astype(np.int32).reshape(-1, width)


@functools.lru_cache(maxsize=32)
def quota_moves(caps_bytes: bytes, totals_bytes: bytes, shape: tuple, limit: int):
    """The count vectors a period can hold, and each claim's move between them.

    caps[r, b, c] is the cap of category c in bundle b under regime r, totals[r, b] the bundle's total.
    Returns (vectors [state, category], move [regime, state, category] -> next state or -1 when no
    bundle has room, fitting [regime, state, category] -> the first bundle with room, allowed [regime,
    state, category] -> whether some bundle has a cap of at least 1 for every category of the grown
    vector). State 0 is empty.
    """
    caps = np.frombuffer(caps_bytes, np.int32).reshape(shape)
    totals = np.frombuffer(totals_bytes, np.int32).reshape(shape[:2])
    n_cats = shape[2]
    step = np.eye(n_cats, dtype=np.int32)

    def fits(v: np.ndarray) -> np.ndarray:  # [vector, regime, bundle]
        return (v[:, None, None, :] <= caps).all(axis=3) & (v.sum(axis=1)[:, None, None] <= totals)

    level = np.zeros((1, n_cats), np.int32)
    levels = [level]
    for _ in range(limit):
        grown = np.unique((level[:, None, :] + step).reshape(-1, n_cats), axis=0)
        level = grown[fits(grown).any(axis=(1, 2))]
        if not len(level):
            break
        levels.append(level)
    vectors = np.concatenate(levels)
    radix = limit + 2
    weights = radix ** np.arange(n_cats, dtype=np.int64)
    codes = vectors @ weights
    by_code = np.argsort(codes)
    grown = (vectors[:, None, :] + step).reshape(-1, n_cats)  # [state * category]
    room = fits(grown)
    has_room = room.any(axis=2)
    found = np.minimum(np.searchsorted(codes[by_code], grown @ weights), len(codes) - 1)
    target = by_code[found]
    move = np.where(has_room, target[:, None], -1).astype(np.int32)
    first = room.argmax(axis=2).astype(np.int8)
    allowed = ((grown[:, None, None, :] == 0) | (caps >= 1)).all(axis=3).any(axis=2)
    n_states = len(vectors)
    regimes = shape[0]
    move, first, allowed = (a.reshape(n_states, n_cats, regimes).transpose(2, 0, 1).copy() for a in (move, first, allowed))
    return vectors, move, first, allowed


def _walk(lay: Layout, day, net, eligible, at, move, fitting, cats: int, period_end, conv: Convention):
    """Step through every patient's claims in date order, carrying the period and its counts."""
    n, p = lay.n, lay.patients
    covered, same_day, switch = np.zeros(n, bool), np.zeros(n, bool), np.zeros(n, bool)
    quota_ok, in_period = np.ones(n, bool), np.zeros(n, bool)
    state_before = np.zeros(n, np.int32)
    bundle = np.zeros(n, np.int8)
    start = np.full(n, NO_DAY, np.int32)
    last = np.full(p, NO_DAY, np.int32)  # last covered day
    p_start, p_end = np.full(p, NO_DAY, np.int32), np.full(p, NO_DAY, np.int32)
    p_net = np.full(p, -1, np.int8)
    state = np.zeros(p, np.int32)
    for lo, hi, m in lay.steps():
        d, ok = day[lo:hi], eligible[lo:hi].copy()
        if conv.one_session_per_day:
            same = ok & (last[:m] == d)
            ok &= ~same
            same_day[lo:hi] = same
        inside = d < p_end[:m]
        in_period[lo:hi] = inside
        if conv.one_network_type_per_period:
            other = ok & inside & (p_net[:m] != net[lo:hi])
            ok &= ~other
            switch[lo:hi] = other
        before = np.where(inside, state[:m], 0)
        state_before[lo:hi] = before
        t = at[lo:hi] + before * cats
        nxt = move[t]
        room = nxt >= 0
        quota_ok[lo:hi] = room | ~ok
        cov = ok & room
        covered[lo:hi] = cov
        bundle[lo:hi] = fitting[t]
        start[lo:hi] = p_start[:m]
        np.copyto(state[:m], nxt, where=cov)
        np.copyto(last[:m], d, where=cov)
        opens = cov & ~inside
        np.copyto(p_start[:m], d, where=opens)
        np.copyto(p_end[:m], period_end[lo:hi], where=opens)
        np.copyto(p_net[:m], net[lo:hi], where=opens)
    return covered, same_day, switch, quota_ok, in_period, state_before, bundle, start


def _first_match(rules: tuple[Priced, ...], ctx: dict, dated: Dated, where: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(rule index or -1, amount in cents) of the first rule whose condition holds, on rows `where`.

    When the fields the rules read (and the epoch, for dated thresholds) take few combinations of
    values, the rules are evaluated once per combination and each row looks its combination up.
    """
    conditions = [leaf for r in rules for leaf in leaves(r.when)]
    fields = sorted({leaf.field for leaf in conditions})
    levels = [_levels(ctx[f]) for f in fields]
    dated_levels = any(leaf.path for leaf in conditions)
    shape = [len(domain) for _, domain in levels if domain is not None] + ([len(dated.epochs.first)] if dated_levels else [])
    if not shape or any(domain is None for _, domain in levels) or np.prod(shape, dtype=float) * ROWS_PER_COMBINATION > len(where):
        chosen = _first_rule(rules, ctx, dated, where)
    else:
        grid = np.unravel_index(np.arange(int(np.prod(shape))), shape)
        combos = {f: domain.take(at) if isinstance(domain, Coded) else domain[at]
                  for f, (_, domain), at in zip(fields, levels, grid[:len(fields)], strict=True)}
        per_combo = _first_rule(rules, combos, dated.on_epochs(grid[-1]) if dated_levels else dated, np.ones(len(grid[0]), bool))
        key = np.ravel_multi_index([level for level, _ in levels] + ([dated.epoch] if dated_levels else []), shape)
        chosen = np.where(where, per_combo[key], -1).astype(np.int8)
    amounts = np.concatenate([_cents(np.nan_to_num(dated.per_epoch(r.amount))) for r in rules]
                             + [np.zeros(len(dated.epochs.first), np.int64)])
    at = np.where(chosen < 0, len(rules), chosen).astype(np.int32) * len(dated.epochs.first) + dated.epoch
    return chosen, amounts[at]


def _levels(values) -> tuple[np.ndarray, object]:
    """(each row's position in the field's domain, the domain), or (None, None) for a field with many values."""
    if isinstance(values, Coded):
        return values.codes.astype(np.int32) + 1, Coded(np.arange(-1, len(values.categories)), values.categories)
    if values.dtype == bool:
        return values.view(np.int8), np.array([False, True])
    if values.dtype.kind == "i" and len(values):
        low, high = int(values.min()), int(values.max())
        if high - low >= len(values):  # more possible values than rows: no table pays off
            return None, None
        return (values - low).astype(np.int32), np.arange(low, high + 1, dtype=values.dtype)
    return None, None


def _first_rule(rules: tuple[Priced, ...], ctx: dict, dated: Dated, where: np.ndarray) -> np.ndarray:
    """The index of the first rule whose condition holds on each row of `where`, else -1."""
    chosen = np.full(len(where), -1, np.int8)
    left = where.copy()
    for i, rule in enumerate(rules):
        if not left.any():
            break
        hit = left & mask(rule.when, ctx, dated)
        np.copyto(chosen, i, where=hit)
        left &= ~hit
    return chosen


def _settle(c: Claims, lay: Layout, conv: Convention, dated: Dated, column, derived: dict, covered, opens,
            out: Output) -> None:
    """Fees (a group's whole fee), co-payment rules and the care-path fee of the covered claims."""
    rows = lay.rows
    tariff = context("tariff_row", column, derived)
    tariff_codes = np.append(out.tariffs.codes(r.id for r in conv.tariff), 0)
    lead, fee = _first_match(conv.tariff, tariff, dated, covered)
    out.tariff_row[rows] = tariff_codes[lead]
    co = np.flatnonzero(covered & column("kind").equals("group") & ~column("co_lead").equals(""))
    if len(co):
        sub = {k: v.take(co) if isinstance(v, Coded) else v[co] for k, v in tariff.items()}
        sub["leader"] = column("co_lead").take(co)
        second, extra = _first_match(conv.tariff, sub, dated.take(co), np.ones(len(co), bool))
        fee[co] += extra
        out.co_lead_row[rows[co]] = tariff_codes[second]
    chosen, amount = _first_match(conv.copayment, context("copayment_rule", column, derived), dated, covered)
    rule_ids = np.append(out.rules.codes(r.id for r in conv.copayment), 0)
    out.copay_rule[rows] = rule_ids[chosen]
    out.fee[rows] = np.where(covered, fee, 0)  # a group's whole fee until it is shared
    out.copay[rows] = amount  # the rule's amount until capped at the fee
    out.care_path[rows] = np.where(opens, dated.cents(conv.care_path_fee), 0)


# -- supplementary benefits --------------------------------------------------------------------------

def _benefits(c: Claims, rows: np.ndarray, plans: dict[str, tuple[Supplementary, ...]], epochs: Epochs, out: Output) -> None:
    """Sessions outside the convention: the patient pays the provider; a mutuality may pay a benefit."""
    fee_charged = c.fee_charged
    fee_all = np.where(np.isnan(fee_charged[rows]), 0, _cents(np.nan_to_num(fee_charged[rows])))
    out.fee[rows] = fee_all
    out.copay[rows] = fee_all
    earlier = np.zeros(int(c.patient.max()) + 1, np.int64)
    np.maximum.at(earlier, c.patient[rows], c.earlier[rows])
    plan_of = np.full(len(rows), -1, np.int16)
    all_plans = [plan for versions in plans.values() for plan in versions]
    day = c.day[rows]
    for i, plan in enumerate(all_plans):
        plan_of[(plan_of < 0) & c.text["mutuality"].equals(plan.mutuality)[rows] & _in_force(day, plan)] = i
    out.reason[rows[plan_of < 0]] = R["no_scheme"]
    if (plan_of >= 0).any():
        _plans(c, layout(c, rows[plan_of >= 0]), all_plans, earlier, fee_charged, epochs, out)


def _plans(c: Claims, lay: Layout, plans: list[Supplementary], earlier, fee_charged, epochs: Epochs, out: Output) -> None:
    rows, n = lay.rows, lay.n
    day = c.day[rows]
    fee_missing = np.isnan(fee_charged[rows])
    fee = np.where(fee_missing, 0, _cents(np.nan_to_num(fee_charged[rows])))
    text = {f: c.text[f].take(rows) for f in ("mutuality", "provider")}
    age = _ages(c.birth[rows], day)
    plan_of = np.zeros(n, np.int16)
    for i, plan in enumerate(plans):
        plan_of[text["mutuality"].equals(plan.mutuality) & _in_force(day, plan)] = i
    gap = np.zeros(n, np.int64)
    youth_if_start, recognised = np.zeros(n, bool), np.zeros(n, bool)
    cap, one_per_day = np.zeros(n), np.zeros(n, bool)
    rule = {True: np.full(n, -1, np.int16), False: np.full(n, -1, np.int16)}
    amount = {True: np.zeros(n, np.int64), False: np.zeros(n, np.int64)}
    year_sessions = {True: np.full(n, np.inf), False: np.full(n, np.inf)}  # the chosen rule's limits a year
    year_cents = {True: np.full(n, NO_LIMIT), False: np.full(n, NO_LIMIT)}
    rule_codes = np.zeros(0, np.int32)
    for i, plan in enumerate(plans):
        idx = np.flatnonzero(plan_of == i)
        if not len(idx):
            continue
        here = Dated(epochs, day[idx])  # the plan's claims only: its histories need not cover other plans' dates
        column = _columns(c, rows[idx], {}, day[idx])
        gap[idx] = here(plan.gap_months)
        youth_if_start[idx] = mask(plan.youth, context("youth", column, {"age_at_treatment_start": age[idx]}), here)
        provider = text["provider"].take(idx)
        for name, path in plan.providers.items():
            hit = provider.equals(name)
            recognised[idx[hit]] = here(path)[hit] == 1
        cap[idx] = here(plan.lifetime_cap) if plan.lifetime_cap else np.inf
        one_per_day[idx] = plan.one_per_day
        offset = len(rule_codes)
        rule_codes = np.r_[rule_codes, out.rules.codes(b.id for b in plan.benefits)]
        values = [_benefit_amounts(benefit, fee[idx], here) for benefit in plan.benefits]
        limits = [_year_limits(benefit, here) for benefit in plan.benefits]
        for youth in (True, False):
            ctx = context("benefit", column, {"age": age[idx], "youth": np.full(len(idx), youth)})
            chosen = np.full(len(idx), -1, np.int16)
            for k, (benefit, value, (sessions, euros)) in enumerate(zip(plan.benefits, values, limits, strict=True)):
                hit = (chosen < 0) & (value >= 0) & mask(benefit.when, ctx, here)
                chosen[hit] = offset + k
                at = idx[hit]
                amount[youth][at], year_sessions[youth][at], year_cents[youth][at] = value[hit], sessions[hit], euros[hit]
            rule[youth][idx] = chosen
        out.scheme[rows[idx]] = out.schemes.code(plan.id)
    # a treatment starts at a patient's first session or after a gap; its youth status holds throughout
    previous = lay.previous(day, NO_DAY)
    seen = previous != NO_DAY
    starts = ~seen | (day > _add_months(np.where(seen, previous, day), gap))
    eligible = recognised & ~fee_missing
    covered, same_day, capped, youth_used = np.zeros(n, bool), np.zeros(n, bool), np.zeros(n, bool), np.zeros(n, bool)
    year_capped, supplement = np.zeros(n, bool), np.zeros(n, np.int64)
    year = _per_day(day, lambda d: civil(_as_dates(d))[0])
    p = lay.patients
    youth, reimbursed, last = np.zeros(p, bool), np.zeros(p, np.int64), np.full(p, NO_DAY, np.int32)
    counted_year, year_count, year_paid = np.zeros(p, year.dtype), np.zeros(p, np.int64), np.zeros(p, np.int64)
    prior = earlier[c.patient[rows]]
    has_rule = {y: rule[y] >= 0 for y in (True, False)}
    for lo, hi, m in lay.steps():
        d = day[lo:hi]
        young = np.where(starts[lo:hi], youth_if_start[lo:hi], youth[:m])
        youth[:m] = young
        youth_used[lo:hi] = young
        ok = eligible[lo:hi].copy()
        same = ok & one_per_day[lo:hi] & (last[:m] == d)
        ok &= ~same
        full = ok & (prior[lo:hi] + reimbursed[:m] >= cap[lo:hi])
        ok &= ~full
        has = np.where(young, has_rule[True][lo:hi], has_rule[False][lo:hi])
        # limits per calendar year: counts restart with the first session of a later year
        fresh = counted_year[:m] != year[lo:hi]
        count, paid = np.where(fresh, 0, year_count[:m]), np.where(fresh, 0, year_paid[:m])
        left = np.where(young, year_cents[True][lo:hi], year_cents[False][lo:hi]) - paid
        over = ok & has & ((count >= np.where(young, year_sessions[True][lo:hi], year_sessions[False][lo:hi]))
                           | (left <= 0))
        cov = ok & has & ~over
        pay = np.where(cov, np.minimum(np.where(young, amount[True][lo:hi], amount[False][lo:hi]), left), 0)
        same_day[lo:hi], capped[lo:hi], year_capped[lo:hi], covered[lo:hi] = same, full, over, cov
        supplement[lo:hi] = pay
        reimbursed[:m] += cov
        np.copyto(last[:m], d, where=cov)
        np.copyto(year_count[:m], count + 1, where=cov)
        np.copyto(year_paid[:m], paid + pay, where=cov)
        np.copyto(counted_year[:m], year[lo:hi], where=cov)
    chosen = np.where(youth_used, rule[True], rule[False])
    why = np.select([~recognised, fee_missing, same_day, capped, year_capped, ~covered],
                    [R["provider_not_recognised"], R["fee_missing"], R["one_session_per_day"], R["lifetime_cap_reached"],
                     R["year_cap_reached"], R["no_benefit_rule"]], 0)
    out.covered[rows] = covered
    out.reason[rows] = why
    out.benefit_rule[rows[covered]] = rule_codes[chosen[covered]]
    out.supplement[rows] = supplement


def _year_limits(benefit, dated: Dated) -> tuple[np.ndarray, np.ndarray]:
    """A rule's limits per calendar year on each claim's date: sessions (inf: none) and cents (NO_LIMIT: none)."""
    n = len(dated.days)
    sessions = dated(benefit.year_sessions) if benefit.year_sessions else np.full(n, np.nan)
    euros = dated(benefit.year_amount) if benefit.year_amount else np.full(n, np.nan)
    return (np.where(np.isnan(sessions), np.inf, sessions),
            np.where(np.isnan(euros), NO_LIMIT, _cents(np.nan_to_num(euros))))


def _benefit_amounts(benefit, fee: np.ndarray, dated: Dated) -> np.ndarray:
    """The benefit in cents per claim, or -1 where the rule has no amount on that date."""
    n = len(fee)
    flat = dated(benefit.flat) if benefit.flat else np.full(n, np.nan)
    percent = dated(benefit.percent) if benefit.percent else np.full(n, np.nan)
    cap = dated(benefit.cap) if benefit.cap else np.full(n, np.nan)
    by_percent = percent_of(fee, np.nan_to_num(percent))
    by_percent = np.where(np.isnan(cap), by_percent, np.minimum(by_percent, _cents(np.nan_to_num(cap))))
    value = np.where(~np.isnan(flat), np.minimum(_cents(np.nan_to_num(flat)), fee),
                     np.where(~np.isnan(percent), by_percent, -1))
    return value.astype(np.int64)
