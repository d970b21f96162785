"""The dimensions a simulation can be broken down by: names and meanings only, so that the command line's help
can list them without loading the engine."""

from __future__ import annotations

DIMENSIONS = {
    "region": "the patient's region",
    "age_band": "the patient's age band (region data) on the reference day of the year",
    "network": "the network type of the patient's first convention session in the year (none: no convention session)",
    "care": "the care type of the patient's first convention session in the year (none: no convention session)",
    "increased": "whether the patient has increased reimbursement (yes/no)",
    "mutuality": "the patient's mutuality (none: not known to the simulation)",
}
"""The dimensions a simulation can be broken down by, with their meaning."""
POPULATION_DIMENSIONS = ("region", "age_band")
"""Dimensions whose groups have a known population (inhabitants); for the others it is left empty."""
