"""A monthly allowance for one person (the Flemish care budget): eligibility from a proof and its
threshold, the first entitled month after the start delay, and the amount and payment date of each
month — every number (amounts, thresholds, delay, payment day, setting offsets) read from the policy.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
from dataclasses import dataclass

import pandas as pd

from engine.cells import read_decimal
from engine.dates import add_months, parse_date
from engine.errors import InputError, ResolveError, did_you_mean
from engine.limits import limits
from engine.money import cents
from engine.policy.dated import Resolved
from engine.policy.policies import PolicySet, version_end
from engine.quantities import quantity

KIND = "monthly_allowance"
COLUMNS = ["month", "amount", "payment_date", "amount_from", "source", "status"]
OUTPUT_COLUMNS = ["month", "amount", "payment_date"]


@dataclass(frozen=True)
class CareBudget:
    """The schedule of one person: eligible or not (and why), and one row per entitled month.

    `rows` has the columns month ('YYYY-MM'), amount (EUR), payment_date (date), and, per row, the
    date from which that amount is in force, its source and status. `used` lists every other
    dated value the schedule rests on (threshold, start delay, payment day, setting offset).
    """

    eligible: bool
    reason: str
    first_month: str | None
    rows: pd.DataFrame
    used: tuple[Resolved, ...]

    @property
    def total(self) -> float:
        """The sum of the monthly amounts, in euros, added in whole cents."""
        return sum(cents(a) for a in self.rows["amount"]) / 100

    def table(self) -> list[list]:
        """The schedule as a header and rows of month, amount and payment date (for a spreadsheet range)."""
        return [list(OUTPUT_COLUMNS), *(list(row) for row in self.rows[OUTPUT_COLUMNS].itertuples(index=False, name=None))]


def allowance_doc(policies: PolicySet, allowance: str | None = None) -> dict:
    """The monthly-allowance policy named `allowance`, or the only one loaded."""
    docs = policies.of_kind(KIND)
    ids = [d["id"] for d in docs]
    if allowance is not None:
        if allowance not in ids:
            raise InputError(f"allowance: expected one of {', '.join(ids) or 'none loaded'}, "
                             f"found {allowance!r}{did_you_mean(allowance, ids)}")
        return policies.doc(allowance)
    if len(docs) != 1:
        raise InputError(f"allowance: expected exactly one {KIND} policy or its id, found {len(docs)}"
                         f"{': ' + ', '.join(ids) if ids else ''}")
    return docs[0]


def schedule(policies: PolicySet, application_date: dt.date | str, setting: str, proof: str,
             score: float | str | None = None, months: int | float | str = 12, *,
             first_application: bool = True, allowance: str | None = None) -> CareBudget:
    """The care-budget schedule of one person who applied on `application_date`.

    A proof with a `min_score` needs `score` at or above it (on the application date); a proof
    limited to some settings counts only in those; a proof for a first application only does not
    count on a renewal. The first entitled month is the application month plus the start delay
    (none when the proof waives the waiting period). Each month's amount is the one in force on its
    first day; it is paid on the payment day of the month moved by the setting's offset. The schedule
    ends with the allowance's version (`valid.to`): a month paid after that is paid on the payment day
    in force on the version's last day.
    """
    doc = allowance_doc(policies, allowance)
    day = _date(application_date)
    count = _months(months)
    last = limits().last_date
    room = (last.year - day.year) * 12 + last.month - day.month
    if count > room:
        raise InputError(f"months: expected at most {room} (a schedule ends by {last}, the last date carepolicy "
                         f"supports), found {count}")
    setting = _name("setting", setting, list(doc["payment"]["settings"]))
    proofs = {p["id"]: p for p in doc["proofs"]}
    proof_id = _name("proof", proof, list(proofs))
    spec = proofs[proof_id]
    used: dict[tuple[str, dt.date], Resolved] = {}

    def value(path: str, on: dt.date) -> Resolved:
        r = policies.value_at(f"{doc['id']}.{path}", on)
        if r.value is None or isinstance(r.value, bool):
            raise ResolveError(f"{r.path}: expected a number on {on}, found {r.value!r} (not in force)")
        return r

    reason = _refusal(spec, setting, _score(score), first_application, day, value, used)
    if reason:
        return CareBudget(False, reason, None, pd.DataFrame(columns=COLUMNS), tuple(used.values()))

    month = day.replace(day=1)
    if not spec.get("waives_waiting_period", False):
        delay = value("start_delay_months", day)
        used.setdefault((delay.path, delay.start), delay)
        month = add_months(month, _whole(delay))
    end = version_end(doc)
    if end is not None and month > end:
        reason = f"{doc['id']} ends on {end}, before the first entitled month {month.strftime('%Y-%m')}"
        return CareBudget(False, reason, None, pd.DataFrame(columns=COLUMNS), tuple(used.values()))
    rows = []
    for entitled in (add_months(month, i) for i in range(count)):
        if end is not None and entitled > end:
            break
        amount = value("amount", entitled)
        offset = value(f"payment.settings.{setting}.month_offset", entitled)
        paid_in = add_months(entitled, _whole(offset))
        payday = value("payment.day_of_month", paid_in if end is None else min(paid_in, end))
        used.setdefault((offset.path, offset.start), offset)
        used.setdefault((payday.path, payday.start), payday)
        last = calendar.monthrange(paid_in.year, paid_in.month)[1]
        rows.append({"month": entitled.strftime("%Y-%m"), "amount": cents(amount.value) / 100,
                     "payment_date": paid_in.replace(day=min(_whole(payday, 1), last)),
                     "amount_from": amount.start, "source": amount.source, "status": amount.status})
    return CareBudget(True, "", month.strftime("%Y-%m"), pd.DataFrame(rows, columns=COLUMNS), tuple(used.values()))


def _refusal(spec: dict, setting: str, score: float | None, first_application: bool, day: dt.date,
             value, used: dict) -> str:
    """Why the proof does not make the person eligible, or '' when it does."""
    proof = spec["id"]
    if "min_score" not in spec:
        if score is not None:
            raise InputError(f"score: proof {proof!r} has no threshold, so it takes no score; found {score:g}")
    else:
        threshold = value(f"proofs.{proof}.min_score", day)
        used.setdefault((threshold.path, threshold.start), threshold)
        if score is None:
            raise InputError(f"score: proof {proof!r} needs a score (at least "
                             f"{quantity(threshold.value, threshold.unit)} on {day}), found none")
        if score < threshold.value:
            return (f"the {proof} score {score:g} is below its threshold of {quantity(threshold.value, threshold.unit)} "
                    f"({threshold.path} from {threshold.start}, source {threshold.source})")
    allowed = spec.get("settings")
    if allowed and setting not in allowed:
        return f"proof {proof} counts only for the setting {' or '.join(allowed)}, not for {setting}"
    if spec.get("first_application_only", False) and not first_application:
        return f"proof {proof} counts only for a first application, not for a renewal"
    return ""


def _name(what: str, found: str, known: list[str]) -> str:
    """A setting or proof name checked against the policy's names."""
    text = str(found if found is not None else "").strip().lower()
    if text not in known:
        raise InputError(f"{what}: expected one of {', '.join(known)}, found {found!r}{did_you_mean(text, known)}")
    return text


def _date(found: dt.date | str) -> dt.date:
    try:
        return parse_date(found)
    except ValueError as exc:
        raise InputError(f"application date: {exc}") from None


def _months(found: int | float | str) -> int:
    """A count of months: a whole number of at least 1."""
    try:
        number = float(str(found).strip()) if not isinstance(found, bool) else math.nan
    except ValueError:
        number = math.nan
    if not number.is_integer() or number < 1:
        raise InputError(f"months: expected a whole number of at least 1, found {found!r}")
    return int(number)


def _score(found: float | str | None) -> float | None:
    """A score: a finite number of at least 0, or None when not given (an empty text counts as none)."""
    if found is None or (isinstance(found, str) and not found.strip()):
        return None
    if isinstance(found, str):
        number = read_decimal(found)  # 5.5 or 5,5
        number = math.nan if number is None else number
    else:
        number = float(found) if not isinstance(found, bool) else math.nan
    if not math.isfinite(number) or number < 0:
        raise InputError(f"score: expected a number of at least 0, found {found!r}")
    return number


def _whole(r: Resolved, minimum: int = 0) -> int:
    """A dated count (months, a day of the month) that must be a whole number of at least `minimum`."""
    if not float(r.value).is_integer() or r.value < minimum:
        raise ResolveError(f"{r.path}: expected a whole number of at least {minimum} {r.unit} on {r.date}, found {r.value}")
    return int(r.value)
