"""`carepolicy explain CLAIMS CLAIM_ID`: how one claim was settled, in plain words, with parameters and sources."""

from __future__ import annotations

import argparse
from pathlib import Path

from carepolicy import options


def register(sub) -> None:
    p = sub.add_parser("explain", help="explain one claim of a claims file: rule path, parameters, sources",
                       description="Explain how one claim was settled: the scheme, each rule that applied, the "
                                   "parameter values used with their sources. Exit 0 for a valid claim, 3 for a "
                                   "malformed one (whose reason is printed), 2 on a user error.")
    p.add_argument("claims", type=Path, help="claims file: .csv, .parquet or .xlsx")
    p.add_argument("claim_id", help="the claim_id of the claim to explain")
    options.add_scenarios(p, "a bundled scenario name or a scenario file to apply first (see: carepolicy list scenarios)")
    options.add_policy(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from carepolicy.commands.evaluate import policies_for
    from engine.errors import InputError
    from engine.evaluate.explain import explain
    from engine.evaluate.pipeline import read_normalized
    from engine.policy.files import display

    policies = policies_for(args.policy, options.one_scenario(args))
    claims = read_normalized(args.claims, policies)
    try:
        account = explain(claims, args.claim_id.strip(), policies)
    except InputError as exc:
        raise InputError(f"{display(args.claims)}: {exc}") from None
    print(account.text)
    return 0 if account.valid else 3
