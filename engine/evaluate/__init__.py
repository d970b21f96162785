"""Evaluating claims: the reference evaluator, the vectorized evaluator, lookups, explanations, groups, the care budget."""
