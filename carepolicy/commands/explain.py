"""`carepolicy explain CLAIMS CLAIM_ID`: how one claim was settled, in plain words, with parameters and sources."""

from __future__ import annotations

import argparse
from pathlib import Path

from carepolicy.commands.evaluate import policies_for
from engine.errors import InputError
from engine.evaluate.explain import explain
from engine.evaluate.pipeline import read_normalized
from engine.policy.files import display


def register(sub) -> None:
    p = sub.add_parser("explain", help="explain one claim of a claims file: rule path, parameters, sources")
    p.add_argument("claims", type=Path, help="claims file: .csv, .parquet or .xlsx")
    p.add_argument("claim_id", help="the claim_id of the claim to explain")
    p.add_argument("--scenario", help="a bundled scenario name or a scenario file to apply first")
    p.add_argument("--policy", help="policy folder (default: the bundled policy/)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    claims = read_normalized(args.claims)
    policies = policies_for(args.policy, args.scenario)
    try:
        account = explain(claims, args.claim_id.strip(), policies)
    except InputError as exc:
        raise InputError(f"{display(args.claims)}: {exc}") from None
    print(account.text)
    return 0 if account.valid else 3
