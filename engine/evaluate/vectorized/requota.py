"""An evaluation under policies that differ from another's only in quota caps: the patients no changed cap can reach
keep their results.

A cap or total of a quota bundle bounds the sessions counted in one patient's period, and no count
exceeds the patient's claims of the convention. When a scenario changes nothing but caps and totals
(read nowhere else), a patient with no more claims of the convention than the smallest changed value,
old or new, meets every changed cap alike under both policies, and its results stay. The other
patients are evaluated again, and so is every patient of a group session: a group's fee is shared
among its covered participants. The simulation uses it for such scenarios; tests hold it equal to a
full evaluation.
"""

from __future__ import annotations

import numpy as np

from engine.evaluate.vectorized.claims import Claims
from engine.evaluate.vectorized.invalid import invalid_reasons
from engine.evaluate.vectorized.output import Output
from engine.evaluate.vectorized.reprice import changed_paths, read_only_in
from engine.evaluate.vectorized.run import evaluate_arrays, evaluate_valid
from engine.policy.policies import PolicySet

QUOTA = ("bundles",)
"""The field of a convention that holds the quota bundles, their caps and totals."""


def quota_only(base: PolicySet, other: PolicySet) -> float | None:
    """The smallest value, old or new, of the caps and totals `other` changes when it differs from `base` in nothing
    else (0 for a value that is not a number, such as null); None when it differs in anything else, or in nothing."""
    changed = changed_paths(base, other)
    if not changed or not all(changed <= read_only_in(p, QUOTA) for p in (base, other)):
        return None
    values = [e.value for p in changed for policies in (base, other) for e in policies.dated(p).entries]
    return min(float(v) if isinstance(v, int | float) and not isinstance(v, bool) else 0.0 for v in values)


def requota(c: Claims, base: Output, policies: PolicySet, least: float) -> Output:
    """The evaluation of `c` under `policies`, from its evaluation `base` under policies with the same supplementary
    benefits (`same_benefits`) that differ only in quota caps whose smallest value, old or new, is `least`
    (`quota_only`): the patients with more claims of the convention than `least`, or with a group session,
    evaluated again; the others' results taken from `base`."""
    out = Output(len(c.day))
    valid = invalid_reasons(c, out)
    convention = ~c.text["network"].equals("")
    again = np.bincount(c.patient[convention], minlength=int(c.patient.max(initial=-1)) + 1) > least
    again[c.patient[c.group >= 0]] = True  # group codes are set with the invalid rows
    rows = again[c.patient]
    out.take(base, np.flatnonzero(~rows))
    evaluate_valid(c, np.flatnonzero(valid & rows), policies, out, base)
    if not _same_words(out, base):  # codes taken from `base` would read otherwise: not known to happen
        return evaluate_arrays(c, policies)
    return out


def _same_words(out: Output, base: Output) -> bool:
    """Whether two evaluations code their texts alike."""
    return out.versions == base.versions and all(
        getattr(out, name).index == getattr(base, name).index for name in ("schemes", "bundles", "rules", "tariffs",
                                                                            "reasons"))
