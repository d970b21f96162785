"""The claims table: its contract, reading, normalizing and writing."""
