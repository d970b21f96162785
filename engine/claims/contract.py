"""The claims table: input columns, their allowed values, and the normalized frame the evaluators use.

The normalized frame (built by `engine.claims.normalize`) has one row per input row, in input order.
Text columns hold str values; the reader gives the code columns (kind, network, care, co_lead,
setting, mutuality, provider) as pandas Categoricals of str, which the evaluators take as they are:

| column | dtype | meaning |
|---|---|---|
| row | int64 | 1-based data row number in the input file (for messages) |
| claim_id, patient_id | object (str) | identifiers |
| birth_date, session_date | datetime64[ns] | NaT only on invalid rows |
| kind | object | `individual` or `group` |
| network | object | a network type some convention declares (its file's `network_types`), or "" (outside the convention) |
| care | object | a care type some convention declares (its file's `care_types`), or "" |
| increased_reimbursement | bool | default False |
| co_lead | object | a leader some convention declares (its file's `leaders`), or "" (no co-lead) |
| setting | object | a setting some convention declares (its file's `settings`); empty: the first one declared |
| group_id, mutuality, provider | object | "" when empty |
| fee_charged | float64 | euros, read to the cent (engine.money.cents); NaN when empty |
| earlier_sessions | int64 | sessions already reimbursed by the patient's mutuality before this file (default 0) |
| invalid | object | "" for a valid row, else `invalid: <column>: expected …, found …` |
"""

from __future__ import annotations

from collections.abc import Mapping

REQUIRED = ["claim_id", "patient_id", "birth_date", "session_date", "kind"]
OPTIONAL = ["network", "care", "increased_reimbursement", "group_id", "co_lead", "setting",
            "mutuality", "provider", "fee_charged", "earlier_sessions"]
CHOICES = {"kind": ("individual", "group")}
"""The allowed values of the coded columns the contract fixes; `network`, `care`, `co_lead` and `setting` take the
network types, care types, leaders and settings the policies declare."""
FIRST_IS_DEFAULT = ("setting",)
"""Coded columns whose empty value stands for the first value the policies declare (a convention's first setting)."""


def choices(declared: Mapping[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    """The allowed values of every coded column, given the values the policies in use declare (`network`, `care`,
    `co_lead`, `setting`)."""
    return {**CHOICES, **declared}


def default(column: str, allowed: tuple[str, ...]) -> str:
    """What an empty value of a coded column stands for: the first allowed value, or "" (none)."""
    return allowed[0] if column in FIRST_IS_DEFAULT and allowed else ""


RENAMED = {"earlier_cm_sessions": "earlier_sessions"}
"""Former column names, still read under their new name (with a note on the console)."""

RESULT_COLUMNS = ["claim_id", "scheme", "covered", "reason", "provider_fee", "patient_copay",
                  "insurer_amount", "care_path_fee", "supplement_amount", "patient_pays",
                  "period_start", "bundle", "rule", "tariff_row", "co_lead_tariff_row", "copayment_rule",
                  "benefit_rule", "version"]
"""Output columns. Amounts in euros, rounded to cents. The decisions: `bundle` the quota bundle that
admitted the session; `tariff_row` and `co_lead_tariff_row` the tariff rows that priced it (a
group's lead and co-lead); `copayment_rule` or `benefit_rule` the rule applied, `rule` whichever of
the two applies; `version` the `version` of the scheme file (`scheme`). "" where nothing was decided."""

REASONS = {
    "age_not_eligible": "the patient's age on the session date is outside the network type's age band",
    "one_session_per_day": "the patient already had a session on that day",
    "network_switch": "the patient already uses the other network type in this period",
    "quota_exhausted": "the bundles that allow the period's sessions with this one have no room left",
    "combination_not_allowed": "no bundle allows this session's category together with the period's sessions",
    "care_missing": "a convention session needs its care type (one the convention in force declares)",
    "not_in_force": "no convention is in force on the session date",
    "no_scheme": "outside the convention and no supplementary benefit of the patient's mutuality",
    "provider_not_recognised": "the mutuality does not recognise this kind of provider on that date",
    "fee_missing": "a session outside the convention needs fee_charged",
    "lifetime_cap_reached": "the mutuality's lifetime cap of reimbursed sessions is reached",
    "no_benefit_rule": "no benefit rule of the mutuality applies",
    "year_cap_reached": "the benefit rule's limit of sessions or euros in the calendar year is reached",
    "no_category": "the convention in force has no quota category for the session's care type and kind",
}
"""Stable reason codes; `invalid: …` reasons are added for malformed rows."""
