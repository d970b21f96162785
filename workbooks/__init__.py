"""Comparison workbooks generated from simulations, scenario by region."""
