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

from engine.evaluate.vectorized.run import evaluate_vectorized

__all__ = ["evaluate_vectorized"]
