"""Where a figure comes from: one type for dated values, scenario changes, region data and projections."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True)
class Provenance:
    """A figure's source (a key of sources.json), its status (confirmed, assumed, ...) and an optional note."""

    source: str
    status: str
    note: str | None = None


def provenance(node: Mapping) -> dict[str, str | None]:
    """The provenance of a JSON node, as keywords for a sourced figure: `Figure(..., **provenance(node))`."""
    return {"source": node["source"], "status": node["status"], "note": node.get("note")}
