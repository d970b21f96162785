"""The assumed figures of the region data and the ranges over which a sensitivity run varies them.

Every figure marked `assumed` in policy/regions/ is one entry: an age table (uptake, a share), a
session-count distribution, a mix, an amount, a mutuality's share of the inhabitants, or the share
with increased reimbursement of the regions that have no figure of their own. Its range is the
`range` next to it in the data, else the utilisation file's `sensitivity` default. A `Variation`
multiplies one figure by a factor and gives the region data of that sensitivity point; nothing else
changes, so every point shares the baseline's random draws.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass

import numpy as np

from engine.policy.regions import Mutuality, Regions

BIM_SHARE = "bim_share"
MEMBER_SHARE = "member_share"


@dataclass(frozen=True)
class Assumed:
    """One assumed figure: what it is, where it is in the data, and its low and high factors."""

    kind: str  # figure, sessions, mix, amount, member_share, bim_share
    name: str
    label: str
    low: float
    high: float
    file: str
    pointer: str


@dataclass(frozen=True)
class Variation:
    """One sensitivity point: the figure `name` of `kind` multiplied by `factor`."""

    kind: str
    name: str
    factor: float

    def apply(self, data: Regions) -> Regions:
        """The region data with the figure varied; rates and shares stay at or below 1 (the shares of a choice adding
        up to 1 at most), counts of persons and days whole."""
        f = self.factor
        if self.kind == "figure":
            table, room = data.figures[self.name], _room(data, self.name)
            rows = tuple((lo, hi, float(min(v * f, np.min(room[lo:hi + 1], initial=1.0)))) for lo, hi, v in table.rows)
            return dataclasses.replace(data, figures={**data.figures, self.name: dataclasses.replace(table, rows=rows)})
        if self.kind == "sessions":
            key = tuple(self.name.split("/"))
            dist = data.sessions[key]  # counts become fractional: the synthesizer rounds each path's count at random
            moved = dataclasses.replace(dist, sessions=tuple(s * f for s in dist.sessions))
            return dataclasses.replace(data, sessions={**data.sessions, key: moved})
        if self.kind == "mix":
            mix = data.mixes[self.name]
            first, *rest = mix.shares
            if not rest:  # one option takes every share: nothing to vary
                return data
            head = min(mix.shares[first] * f, 1.0)
            others = sum(mix.shares[k] for k in rest)  # they keep their proportions; without any, share alike
            shares = {first: head, **{k: (mix.shares[k] / others if others else 1 / len(rest)) * (1 - head)
                                      for k in rest}}
            return dataclasses.replace(data, mixes={**data.mixes, self.name: dataclasses.replace(mix, shares=shares)})
        if self.kind == "amount":
            amount = data.amounts[self.name]
            value = amount.value * f
            value = round(value) if float(amount.value).is_integer() and amount.value > 1 else value
            return dataclasses.replace(data, amounts={**data.amounts, self.name: dataclasses.replace(amount, value=value)})
        if self.kind == MEMBER_SHARE:
            return dataclasses.replace(data, mutualities={**data.mutualities, self.name: _members(data, self.name, f)})
        if self.kind == BIM_SHARE:
            regions = {rid: dataclasses.replace(r, bim_share=dataclasses.replace(
                r.bim_share, value=min(r.bim_share.value * f, 1.0))) if r.bim_share.status == "assumed" else r
                for rid, r in data.regions.items()}
            return dataclasses.replace(data, regions=regions)
        raise ValueError(f"unknown kind of assumed figure {self.kind!r}")


def _room(data: Regions, figure: str) -> np.ndarray:
    """How high a figure may go at each age: 1, less the other shares of the choice it is a share of."""
    others = [f for choice in data.choices.values() if figure in dict(choice.shares).values()
              for _, f in choice.shares if f != figure]
    return 1.0 - sum((data.figure_by_age(f) for f in others), np.zeros(data.max_age + 1))


def _members(data: Regions, name: str, factor: float) -> Mutuality:
    """A mutuality with its member shares times `factor`, each kept within what the other mutualities leave."""
    mutuality = data.mutualities[name]
    others = [m for k, m in data.mutualities.items() if k != name]

    def room(region: str) -> float:
        return 1.0 - sum(m.share_in(region) for m in others)

    national = min([mutuality.share.value * factor,
                    *(room(r) for r in data.regions if r not in mutuality.regional)])
    regional = {r: dataclasses.replace(s, value=min(s.value * factor, room(r))) for r, s in mutuality.regional.items()}
    return dataclasses.replace(mutuality, share=dataclasses.replace(mutuality.share, value=national), regional=regional)


def assumed_figures(data: Regions) -> list[Assumed]:
    """Every assumed figure of the region data with its range, in file order."""
    use = json.loads(data.files["utilisation"].read_text(encoding="utf-8"))
    pop = json.loads(data.files["population"].read_text(encoding="utf-8"))
    default = use.get("sensitivity", {}).get("range", {"low": 1.0, "high": 1.0})
    use_file, pop_file = data.files["utilisation"].name, data.files["population"].name

    def entry(kind, name, label, node, file, pointer) -> Assumed:
        span = node.get("range", default)
        return Assumed(kind, name, label, span["low"], span["high"], file, pointer)

    out = [entry("figure", name, name, node, use_file, f"/figures/{name}")
           for name, node in use["figures"].items() if node["status"] == "assumed"]
    out += [entry("sessions", f"{node['care']}/{node['kind']}", f"sessions {node['care']}/{node['kind']}", node, use_file,
                  f"/sessions/{i}") for i, node in enumerate(use["sessions"]) if node["status"] == "assumed"]
    out += [entry("mix", name, f"{name}: {next(iter(node['shares']))} share", node, use_file, f"/mixes/{name}")
            for name, node in use.get("mixes", {}).items() if node["status"] == "assumed"]
    out += [entry("amount", name, name, node, use_file, f"/amounts/{name}")
            for name, node in use.get("amounts", {}).items() if node["status"] == "assumed"]
    out += [entry(MEMBER_SHARE, name, f"{node['label']}: member share", node["member_share"], use_file,
                  f"/mutualities/{name}/member_share")
             for name, node in use.get("mutualities", {}).items() if node["member_share"]["status"] == "assumed"]
    bim = [(i, r) for i, r in enumerate(pop["regions"]) if r["bim_share"]["status"] == "assumed"]
    if bim:
        i, first = bim[0]
        out.append(entry(BIM_SHARE, BIM_SHARE, f"bim_share ({len(bim)} regions without their own figure)",
                         first["bim_share"], pop_file, f"/regions/{i}/bim_share"))
    return out
