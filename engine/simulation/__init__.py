"""The budget microsimulation: synthetic patients, runs, totals and seed bands."""
