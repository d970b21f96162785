"""Fuzzing the policy folder: whatever a mutated folder holds, validate exits 0 or 2, and what it accepts runs.

Values and structure of one bundled policy file are mutated in a copy. When `validate` accepts the
folder, `evaluate` on a few claims and a small `simulate` must exit 0, 2 or 3, never with a traceback.
"""

from __future__ import annotations

import copy
import json
import shutil

from claims_factory import SAMPLE_CSV
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from carepolicy.cli import main
from engine.policy.files import PACKAGE_ROOT

POLICY_DIR = PACKAGE_ROOT / "policy"
FILES = ["riziv-psy-2021.json", "cm-psychotherapy.json", "clb-collaboration.json", "vsb-care-budget.json"]

scalars = st.one_of(
    st.integers(-3, 400), st.floats(-1, 1000, allow_nan=False), st.booleans(), st.none(),
    st.sampled_from(["", "x", "2021-09-01", "2199-12-31", "1900-01-01", "EUR", "sessions", "months", "years",
                     "percent", "age", "==", "in", "first_line", "children", "adults", "individual", "group",
                     "assumed", "seed-002", "riziv-psy-2021", "sources", "rolling", "first_covered_session"]),
)
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
    st.sampled_from(["from", "to", "value", "unit", "history", "field", "op", "all", "any", "id"]), inner, max_size=3),
    max_leaves=6)


def _places(node, parts=()):
    """Every (path, node) of a document."""
    yield parts, node
    if isinstance(node, dict):
        for key, child in node.items():
            yield from _places(child, (*parts, key))
    elif isinstance(node, list):
        for i, child in enumerate(node):
            yield from _places(child, (*parts, i))


def _mutate(doc, draw):
    """One change at a random place: mostly a leaf given another value of its kind, else any value or structure."""
    places = list(_places(doc))[1:]
    leaves = [p for p in places if not isinstance(p[1], dict | list)]
    parts, node = draw(st.sampled_from(leaves if draw(st.integers(0, 3)) else places))
    parent = doc
    for key in parts[:-1]:
        parent = parent[key]
    last = parts[-1]
    action = draw(st.sampled_from(["alike", "alike", "alike", "replace", "delete", "duplicate"]))
    if action == "alike" and isinstance(node, bool):
        parent[last] = not node
    elif action == "alike" and isinstance(node, int | float):
        parent[last] = draw(st.sampled_from([0, 1, 2, 13, 99, 100, 130, 1000, 100000, node * 2, node + 1, node - 1]))
    elif action == "alike" and isinstance(node, str) and len(node) == 10 and node[4] == "-":
        parent[last] = draw(st.sampled_from(["1900-01-01", "2021-09-01", "2023-12-31", "2024-02-29", "2199-12-31"]))
    elif action == "delete":
        del parent[last]
    elif action == "duplicate" and isinstance(parent, list):
        parent.insert(last, copy.deepcopy(node))
    else:
        parent[last] = draw(values)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                HealthCheck.too_slow])
@given(data=st.data())
def test_a_mutated_policy_folder_is_refused_or_runs(tmp_path_factory, data, capsys):
    folder = tmp_path_factory.mktemp("fuzz") / "policy"
    shutil.copytree(POLICY_DIR, folder)
    for _ in range(data.draw(st.integers(1, 3))):
        name = data.draw(st.sampled_from(FILES))
        doc = json.loads((folder / name).read_text(encoding="utf-8"))
        _mutate(doc, data.draw)
        (folder / name).write_text(json.dumps(doc, indent=1), encoding="utf-8")
    code = main(["validate", str(folder)])
    assert code in (0, 2)
    if code == 0:
        claims = folder.parent / "claims.csv"
        claims.write_text(SAMPLE_CSV, encoding="utf-8")
        assert main(["evaluate", str(claims), "-o", str(folder.parent / "out.csv"), "--policy", str(folder)]) in (0, 2, 3)
        assert main(["simulate", "--region", "luxemburg", "--year", "2024", "--policy", str(folder)]) in (0, 2, 3)
    assert "Traceback" not in capsys.readouterr().err
