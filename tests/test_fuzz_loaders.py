"""Hypothesis fuzz of the catalogue loaders: random bytes, JSON and YAML, and pact, states and flow files
of the right shape with random values where the fields go. Each loader returns a model or raises
UnusableInput (one line naming the file, exit 2); anything else is a crash the CLI would show as an
internal error. Hypothesis' deadline catches a hang. Examples are few: this runs in seconds.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness import jsonfile
from harness.catalogue.flows import load_flow
from harness.catalogue.pacts import load_pact
from harness.catalogue.states import load_states_file
from harness.errors import UnusableInput

FUZZ = settings(
    max_examples=40, deadline=2000, suppress_health_check=[HealthCheck.function_scoped_fixture], database=None
)

scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)
YAML_BITS = ["&a ", "*a", "&b ", "*b", ": ", "- ", "[", "]", "{", "}", "\n", "  ", "key", "<<: ", "!!str ", ".inf",
             "9" * 12, "'", '"', "#", ",", "? ", "|", "%YAML 1.2\n", "---\n"]  # fmt: skip
yaml_like = st.lists(st.sampled_from(YAML_BITS), max_size=40).map("".join)


def _write(tmp: Path, name: str, data: bytes | str) -> Path:
    path = tmp / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return path


def _loads_or_refuses(loader, path: Path) -> None:
    try:
        loader(path)
    except UnusableInput as exc:
        assert str(path) in str(exc) and "\n" not in str(exc)


@FUZZ
@given(data=st.binary(max_size=200))
def test_random_bytes(tmp_path: Path, data: bytes) -> None:
    for name, loader in (
        ("x.json", jsonfile.load_json),
        ("x.yaml", jsonfile.load_yaml),
        ("p.json", load_pact),
        ("fms.yaml", load_states_file),
        ("f.yaml", load_flow),
    ):
        _loads_or_refuses(loader, _write(tmp_path, name, data))


@FUZZ
@given(text=yaml_like)
def test_random_yaml(tmp_path: Path, text: str) -> None:
    for name, loader in (("x.yaml", jsonfile.load_yaml), ("fms.yaml", load_states_file), ("f.yaml", load_flow)):
        _loads_or_refuses(loader, _write(tmp_path, name, text))


@FUZZ
@given(doc=values)
def test_random_json_as_json_and_yaml(tmp_path: Path, doc) -> None:
    text = json.dumps(doc)
    _loads_or_refuses(jsonfile.load_json, _write(tmp_path, "x.json", text))
    _loads_or_refuses(load_pact, _write(tmp_path, "p.json", text))
    _loads_or_refuses(load_states_file, _write(tmp_path, "fms.yaml", text))  # JSON is YAML
    _loads_or_refuses(load_flow, _write(tmp_path, "f.yaml", yaml.safe_dump(doc)))


PACT_FIELDS = ["description", "providerStates", "contents", "matchingRules", "metadata", "generators", "type",
               "pending", "key", "request", "response"]  # fmt: skip


@FUZZ
@given(fields=st.dictionaries(st.sampled_from(PACT_FIELDS), values, max_size=6), v3=st.booleans())
def test_pact_of_the_right_shape_with_random_fields(tmp_path: Path, fields, v3: bool) -> None:
    """Wrong-typed pact fields (providerStates: 5, description: {}) are problems or refusals, never crashes."""
    interaction = {"type": "Asynchronous/Messages", "description": "d", **fields}
    doc = {
        "consumer": {"name": "c"},
        "provider": {"name": "p"},
        ("messages" if v3 else "interactions"): [interaction],
        "metadata": {"pactSpecification": {"version": "3.0.0" if v3 else "4.0"}},
    }
    path = _write(tmp_path, "c-p.json", json.dumps(doc))
    try:
        pact = load_pact(path)
    except UnusableInput:
        return
    for problem in pact.problems:
        assert problem.pointer == "" or problem.pointer.startswith(("/interactions", "/messages"))


STATE_FIELDS = ["description", "params", "deadline", "stimuli"]


@FUZZ
@given(
    state=st.dictionaries(st.sampled_from(STATE_FIELDS), values, max_size=4),
    deadline=st.floats(allow_nan=True, allow_infinity=True) | st.integers(),
)
def test_states_of_the_right_shape_with_random_fields(tmp_path: Path, state, deadline) -> None:
    """A deadline is accepted only when finite, above 0 and at most an hour."""
    state = {**state, "deadline": deadline}
    doc = {"provider": "fms", "states": {"a state": state}}
    path = _write(tmp_path, "fms.yaml", yaml.safe_dump(doc))
    loaded = load_states_file(path)
    got = loaded.states["a state"].deadline
    if got is not None:
        assert 0 < got <= 3600
    else:
        assert any(p.pointer == "/states/a state/deadline" for p in loaded.problems)


@pytest.mark.parametrize("depth", [50, 5000])
def test_deep_documents_are_refused_or_read(tmp_path: Path, depth: int) -> None:
    for name, loader in (("x.json", jsonfile.load_json), ("x.yaml", jsonfile.load_yaml)):
        _loads_or_refuses(loader, _write(tmp_path, name, "[" * depth + "]" * depth))
