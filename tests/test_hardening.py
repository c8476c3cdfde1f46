"""Unit guards of the hardened loaders: the limits hold at their edges (the corpus, tests/bad_inputs/, holds
the whole commands)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from harness import jsonfile
from harness.catalogue.states import MAX_SECONDS, bounded_seconds, duration_seconds
from harness.errors import UnusableInput


@pytest.mark.parametrize(
    ("value", "ok"),
    [(0.001, True), (MAX_SECONDS, True), (1, True), (0, False), (-1, False), (MAX_SECONDS + 0.001, False),
     (math.inf, False), (math.nan, False), (True, False), ("5", False), (None, False)],
)  # fmt: skip
def test_deadline_bounds(value, ok):
    assert bounded_seconds(value) is ok


def test_durations_are_finite():
    assert duration_seconds(math.inf) is None and duration_seconds("90s") == 90.0 and duration_seconds(0) == 0.0


def test_file_size_limit_is_inclusive(tmp_path: Path):
    f = tmp_path / "x.json"
    f.write_bytes(b"[1]")
    assert jsonfile.read_bytes(f, limit=3) == b"[1]"
    with pytest.raises(UnusableInput, match="over the limit of 2 bytes"):
        jsonfile.read_bytes(f, limit=2)


def test_depth_limit_is_inclusive(tmp_path: Path):
    deep = tmp_path / "deep.json"
    deep.write_text("[" * (jsonfile.MAX_DEPTH + 1) + "]" * (jsonfile.MAX_DEPTH + 1))
    with pytest.raises(UnusableInput, match="nested more than 200 levels"):
        jsonfile.load_json(deep)
    ok = tmp_path / "ok.json"
    ok.write_text("[" * jsonfile.MAX_DEPTH + "]" * jsonfile.MAX_DEPTH)
    assert jsonfile.load_json(ok) is not None
    yml = tmp_path / "deep.yaml"
    yml.write_text("[" * (jsonfile.MAX_DEPTH + 1) + "]" * (jsonfile.MAX_DEPTH + 1))
    with pytest.raises(UnusableInput, match="deep"):
        jsonfile.load_yaml(yml)


def test_yaml_guards_keep_what_is_fine(tmp_path: Path):
    """Merge keys, shared anchors and the same key in two mappings are fine; a key twice in one is not."""
    f = tmp_path / "ok.yaml"
    f.write_text("base: &b {x: 1}\nuse:\n  <<: *b\n  y: 2\nagain: *b\nother: {x: 3}\n")
    assert jsonfile.load_yaml(f) == {"base": {"x": 1}, "use": {"x": 1, "y": 2}, "again": {"x": 1}, "other": {"x": 3}}
    f.write_text("a: 1\nb:\n  a: 2\n  a: 3\n")
    with pytest.raises(UnusableInput, match=r"ok.yaml:4: key 'a' given twice in one mapping \(first on line 3\)"):
        jsonfile.load_yaml(f)
    f.write_text("'1': x\n1: y\n")  # a string key and an integer key are two keys
    assert jsonfile.load_yaml(f) == {"1": "x", 1: "y"}


def test_alias_expansion_limit(tmp_path: Path, monkeypatch):
    f = tmp_path / "a.yaml"
    f.write_text("a: &a [1, 2, 3]\nb: [*a, *a]\n")  # the mapping, 2 keys, a (4), b (1 + 4 + 4): 16
    monkeypatch.setattr(jsonfile, "MAX_YAML_NODES", 16)
    assert jsonfile.load_yaml(f)["b"] == [[1, 2, 3], [1, 2, 3]]
    monkeypatch.setattr(jsonfile, "MAX_YAML_NODES", 15)
    with pytest.raises(UnusableInput, match="aliases expand to more than 15 values"):
        jsonfile.load_yaml(f)


@pytest.mark.parametrize(
    ("pattern", "schema_ok", "pact_ok"),
    [
        ("^[0-9a-f]{32}$", True, True),
        ("([a-z", False, False),  # no ECMA-262
        ("[z-a]", False, False),
        ("a{2,1}", False, False),
        ("^a\\-b\\ c$", False, True),  # identity escapes: not with the u flag (schemas), fine without (JS pacts)
        ("^\\p{Letter}+$", False, True),  # ECMA and Rust, not Python re (jsonschema)
        ("(?<=x)y", True, False),  # look-behind: ECMA, Python and fancy-regex, not Rust regex (the verifier)
        ("(a)\\1", True, False),  # a backreference: the same
        ("\\Z", False, False),  # Python only
        ("(?i)abc", False, False),  # an inline flag: Python and Rust, not ECMA-262
    ],
)
def test_one_regex_dialect(pattern, schema_ok, pact_ok):
    from harness.catalogue.regex import pact_regex_problem, schema_pattern_problem

    assert (schema_pattern_problem(pattern) is None) is schema_ok, schema_pattern_problem(pattern)
    assert (pact_regex_problem(pattern) is None) is pact_ok, pact_regex_problem(pattern)


def test_a_file_that_says_it_is_empty_is_still_bounded():
    """/proc files are regular and report size 0: the read itself stops at the limit."""
    with pytest.raises(UnusableInput, match="over the limit of 10 bytes"):
        jsonfile.read_bytes(Path("/proc/self/status"), limit=10)


def _schemas(tmp: Path, defs: dict, root_ref: str) -> Path:
    folder = tmp / "schemas" / "x"
    folder.mkdir(parents=True)
    doc = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://schemas.em-harness.test/x/v1.json",
        "type": "object",
        "properties": {"a": {"$ref": root_ref}, "b": {"$ref": root_ref}},
        "$defs": defs,
    }
    (folder / "v1.json").write_text(json.dumps(doc))
    return tmp / "schemas"


def test_schema_structure_tells_a_cycle_from_sharing_and_recursion(tmp_path: Path):
    from harness.schemas.registry import SchemaRegistry

    assert SchemaRegistry(Path(__file__).resolve().parent.parent / "schemas").problems == []
    shared = {"leaf": {"type": "string"}, "mid": {"allOf": [{"$ref": "#/$defs/leaf"}, {"$ref": "#/$defs/leaf"}]}}
    assert SchemaRegistry(_schemas(tmp_path / "1", shared, "#/$defs/mid")).problems == []  # a diamond: no cycle
    children = {"type": "array", "items": {"$ref": "#/$defs/node"}}
    tree = {"node": {"type": "object", "properties": {"children": children}}}
    assert SchemaRegistry(_schemas(tmp_path / "2", tree, "#/$defs/node")).problems == []  # recursion into items
    loop = {"p": {"$ref": "#/$defs/q"}, "q": {"not": {"$ref": "#/$defs/p"}}}
    problems = SchemaRegistry(_schemas(tmp_path / "3", loop, "#/$defs/p")).problems
    ((_, ptr, text),) = problems  # one cycle, reported once, at one of its $refs
    assert ptr in ("/$defs/p/$ref", "/$defs/q/not/$ref") and text.startswith("$ref cycle: it leads back to itself")
