"""`em-harness compat`: schema evolution verdicts, change codes, pointers, folders and exit codes.

The table in tests/compat_cases/cases.yaml states, for each schema pair, the verdict expected in each
direction. The table can fail on its own: every incompatible direction needs a witness among the
case's documents (valid under the writer, invalid under the reader, checked by a validator), unless
the case says why the verdict is conservative, and in every compatible direction each document the
writer accepts must be accepted by the reader.
"""

from __future__ import annotations

import copy
import json
import random
import shutil
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import referencing
import referencing.jsonschema
import yaml

from harness.errors import UnusableInput
from harness.evolve.codes import CODES
from harness.evolve.compat import check, compare
from harness.evolve.load import versions_in
from harness.schemas.mutate import sample_mutations
from tests.helpers import em

CASES = yaml.safe_load((Path(__file__).parent / "compat_cases" / "cases.yaml").read_text("utf-8"))
DIRECTIONS = ("backward", "forward")


def _validator(schema: Any) -> jsonschema.protocols.Validator:
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def _with_defaults(schema: Any, doc: Any) -> Any:
    """What a reader that fills in top-level defaults sees."""
    if not isinstance(schema, dict) or not isinstance(doc, dict):
        return doc
    filled = copy.deepcopy(doc)
    for name, prop in (schema.get("properties") or {}).items():
        if isinstance(prop, dict) and "default" in prop and name not in filled:
            filled[name] = prop["default"]
    return filled


def _writer_reader(case: dict[str, Any], direction: str) -> tuple[Any, Any]:
    return (case["old"], case["new"]) if direction == "backward" else (case["new"], case["old"])


def test_the_table_is_big_and_covers_both_verdicts():
    assert len(CASES) >= 80
    ids = [c["id"] for c in CASES]
    assert len(ids) == len(set(ids)), "case ids must be unique"
    verdicts = [(c["backward"], c["forward"]) for c in CASES]
    for combo in [(True, True), (True, False), (False, True), (False, False)]:
        assert combo in verdicts
    for case in CASES:
        for codes in (case.get("codes") or {}).values():
            for code in codes:
                assert code in CODES, f"{case['id']}: unknown code {code}"


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_case_verdicts(case):
    backward, forward = case["backward"], case["forward"]
    for mode, expected in (("backward", backward), ("forward", forward), ("full", backward and forward)):
        result = check(case["old"], case["new"], mode=mode)
        assert result.verdict is expected, (
            f"{mode}: expected {'compatible' if expected else 'BREAKING'}; changes: "
            + "; ".join(f"{c.code} {c.side}{c.pointer} {c.description} ok={c.compatible}" for c in result.changes)
        )
    lenient = {"backward": backward, "forward": forward, **(case.get("lenient") or {})}
    for direction in DIRECTIONS:
        result = check(case["old"], case["new"], mode=direction, lenient=True)
        assert result.verdict is lenient[direction], f"--lenient {direction}: {result.changes}"


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_case_codes(case):
    for direction, expected in (case.get("codes") or {}).items():
        writer, reader = _writer_reader(case, direction)
        changes = compare(writer, reader)
        found = [c.code for c in changes]
        if expected == []:
            assert found == [], f"{direction}: expected no changes, got {found}"
        for code in expected:
            assert code in found, f"{direction}: {code} not reported; got {found}"
        for change in changes:
            assert change.pointer.startswith("#") or "#" in change.pointer
            assert change.side in ("old", "new")
            assert change.description


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_case_documents_back_the_verdicts(case):
    """The verdicts are checked against a validator: witnesses for breaks, samples for the rest."""
    docs = case["docs"]
    assert docs, "every case needs sample documents"
    conservative = case.get("conservative") or {}
    for direction in DIRECTIONS:
        writer, reader = _writer_reader(case, direction)
        wv, rv = _validator(writer), _validator(reader)
        accepted = [d for d in docs if wv.is_valid(d)]
        if case[direction]:
            for doc in accepted:
                seen = _with_defaults(reader, doc) if case.get("defaults") and direction == "backward" else doc
                assert rv.is_valid(seen), f"{direction} is compatible, yet {doc!r} passes the writer, fails the reader"
        elif direction in conservative:
            assert not any(not rv.is_valid(d) for d in accepted), "a conservative case must not have a witness"
        else:
            witnesses = [d for d in accepted if not rv.is_valid(d)]
            assert witnesses, f"{direction} is breaking, but no document passes the writer and fails the reader"


# -- pointers and descriptions ---------------------------------------------------------------------
def test_pointers_name_the_place_in_the_new_or_old_schema():
    old = {"type": "object", "properties": {"a": {"type": "string"}, "gone": {"type": "integer"}}}
    new = {
        "type": "object",
        "properties": {"a": {"type": "string", "maxLength": 3}},
        "required": ["a"],
        "additionalProperties": False,
    }
    changes = {c.code: c for c in compare(old, new)}
    assert changes["MAX_LENGTH_ADDED"].pointer == "#/properties/a/maxLength"
    assert changes["MAX_LENGTH_ADDED"].side == "new"
    assert changes["REQUIRED_ATTRIBUTE_ADDED"].pointer == "#/required/0"
    assert changes["PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL"].pointer == "#/properties/gone"
    assert changes["PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL"].side == "old"
    assert changes["ADDITIONAL_PROPERTIES_REMOVED"].pointer == "#/additionalProperties"
    assert all(not c.compatible for c in changes.values())


def test_forward_reports_the_same_codes_as_a_swapped_backward():
    old = {"type": "string", "enum": ["a", "b"]}
    new = {"type": "string", "enum": ["a"]}
    forward = check(old, new, mode="forward")
    swapped = compare(new, old)
    assert [c.code for c in forward.changes] == [c.code for c in swapped] == ["ENUM_ARRAY_EXTENDED"]
    assert forward.verdict is True
    assert check(old, new, mode="backward").verdict is False


def test_mode_names_in_any_spelling_and_unknown_modes_are_input_errors():
    assert check({"type": "string"}, {"type": "string"}, mode="FULL_TRANSITIVE").mode == "full-transitive"
    with pytest.raises(UnusableInput, match="unknown mode"):
        check({"type": "string"}, {"type": "string"}, mode="sideways")


def test_cyclic_refs_terminate():
    looped = {"$defs": {"a": {"$ref": "#/$defs/b"}, "b": {"allOf": [{"$ref": "#/$defs/a"}]}}, "$ref": "#/$defs/a"}
    assert compare(looped, copy.deepcopy(looped)) == []
    linked = {
        "type": "object",
        "properties": {"next": {"$ref": "#"}, "v": {"type": "integer"}},
    }
    narrowed = copy.deepcopy(linked)
    narrowed["properties"]["v"]["maximum"] = 3
    codes = [c.code for c in compare(linked, narrowed)]
    assert codes == ["MAXIMUM_ADDED"]


# -- files, $ref across files, version folders ----------------------------------------------------
def _write(path: Path, schema: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(schema, indent=2), "utf-8")
    return path


def _message(version: int, payload_props: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://schemas.em-harness.test/visit-completed/v{version}.json",
        "type": "object",
        "allOf": [{"$ref": "../envelope/v1.json"}],
        "properties": {
            "additionalInformation": {
                "type": "object",
                "required": required or ["caseId"],
                "properties": {"caseId": {"$ref": "../common/v1.json#/$defs/caseId"}, **payload_props},
            }
        },
    }


@pytest.fixture
def catalogue(tmp_path: Path, root: Path) -> Path:
    """A schemas/ folder with the shipped envelope and common definitions."""
    schemas = tmp_path / "schemas"
    shutil.copytree(root / "schemas" / "envelope", schemas / "envelope")
    shutil.copytree(root / "schemas" / "common", schemas / "common")
    return schemas


def test_refs_are_followed_across_files_by_relative_uri_and_id(catalogue: Path):
    v1 = _write(catalogue / "visit-completed" / "v1.json", _message(1, {"outcome": {"type": "string"}}))
    common = json.loads((catalogue / "common" / "v1.json").read_text("utf-8"))
    v2_schema = _message(2, {"outcome": {"type": "string"}})
    v2 = _write(catalogue / "visit-completed" / "v2.json", v2_schema)
    assert check(str(v1), str(v2), mode="full").verdict is True

    # Narrow the shared caseId definition in a copy of common/: the change is found through the $ref,
    # and its pointer names the file it is in.
    common["$defs"]["caseId"]["maxLength"] = 4
    _write(
        catalogue / "common-narrow" / "v1.json",
        {**common, "$id": "https://schemas.em-harness.test/common-narrow/v1.json"},
    )
    narrowed = copy.deepcopy(v2_schema)
    narrowed["properties"]["additionalInformation"]["properties"]["caseId"]["$ref"] = (
        "../common-narrow/v1.json#/$defs/caseId"
    )
    _write(v2, narrowed)
    result = check(str(v1), str(v2), mode="backward")
    assert result.verdict is False
    hits = [c for c in result.changes if c.code in ("MAX_LENGTH_ADDED", "MAX_LENGTH_DECREASED")]
    assert hits and hits[0].pointer == "../common-narrow/v1.json#/$defs/caseId/maxLength"


def test_envelope_change_is_seen_through_allof(catalogue: Path):
    v1 = _write(catalogue / "visit-completed" / "v1.json", _message(1, {}))
    envelope = json.loads((catalogue / "envelope" / "v1.json").read_text("utf-8"))
    envelope["required"].append("publishedAt")
    _write(catalogue / "envelope" / "v1.json", envelope)  # the envelope both versions share changed
    v2 = _write(catalogue / "visit-completed" / "v2.json", _message(2, {}))
    # v1 on disk now also sees the new envelope, so compare against an in-memory copy of the old one.
    old_envelope = copy.deepcopy(envelope)
    old_envelope["required"].remove("publishedAt")
    _write(
        catalogue / "envelope-old" / "v1.json",
        {**old_envelope, "$id": "https://schemas.em-harness.test/envelope-old/v1.json"},
    )
    old = _message(1, {})
    old["allOf"] = [{"$ref": "../envelope-old/v1.json"}]
    _write(v1, old)
    result = check(str(v1), str(v2))
    codes = {c.code: c for c in result.changes}
    assert result.verdict is False
    assert codes["REQUIRED_ATTRIBUTE_ADDED"].pointer.endswith("envelope/v1.json#/required/5")


def test_refs_found_by_id_anywhere_in_the_catalogue(tmp_path: Path):
    shared = {
        "$id": "https://schemas.em-harness.test/shared/ids.json",
        "$defs": {"crn": {"type": "string", "pattern": "^[A-Z][0-9]{6}$"}},
    }
    _write(tmp_path / "schemas" / "odd-place" / "ids-file.json", shared)
    ref = {
        "type": "object",
        "properties": {"crn": {"$ref": "https://schemas.em-harness.test/shared/ids.json#/$defs/crn"}},
    }
    old = _write(tmp_path / "schemas" / "msg" / "v1.json", ref)
    new = _write(
        tmp_path / "schemas" / "msg" / "v2.json",
        {"type": "object", "properties": {"crn": {"type": "string"}}},
    )
    result = check(str(old), str(new), mode="full")
    assert [c.code for c in result.checks[0].changes] == ["PATTERN_REMOVED"]
    assert result.checks[0].changes[0].pointer == "../odd-place/ids-file.json#/$defs/crn/pattern"
    assert result.checks[1].compatible is False  # forward: the old reader wants the pattern


def test_in_memory_schemas_resolve_refs_against_a_base(root: Path):
    base = root / "schemas" / "case-status-returned"
    old = {"type": "object", "properties": {"caseId": {"$ref": "../common/v1.json#/$defs/caseId"}}}
    new = {"type": "object", "properties": {"caseId": {"type": "string"}}}
    changes = compare(old, new, old_base=base, new_base=base)
    assert changes and all(c.compatible for c in changes)
    assert all(c.compatible_backward == c.compatible for c in changes)
    assert any(c.side == "old" and c.pointer.startswith("../common/v1.json#/$defs/caseId") for c in changes)
    with pytest.raises(UnusableInput, match="cannot be resolved"):
        compare(old, new)  # no base: the relative reference leads nowhere


def test_descriptions_name_the_writer_in_each_direction():
    old = {"type": "object", "properties": {"a": {"type": "string"}}}
    new = {"type": "object", "properties": {}}
    forward = check(old, new, mode="forward").changes
    assert forward[0].code == "PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL"
    assert "new data may hold any value" in forward[0].description
    assert forward[0].side == "old" and forward[0].pointer == "#/properties/a"
    backward = compare(new, old)
    assert "old data may hold any value" in backward[0].description


def test_shipped_schema_is_compatible_with_itself(root: Path):
    path = root / "schemas" / "case-status-returned" / "v1.json"
    result = check(str(path), str(path), mode="full")
    assert result.verdict is True
    assert result.changes == []


def _versions(folder: Path, *schemas: Any) -> Path:
    for i, schema in enumerate(schemas, start=1):
        _write(folder / f"v{i}.json", schema)
    return folder


OPEN_A = {"type": "object", "properties": {"a": {"type": "string"}}}
OPEN_A_REQUIRED_B = {
    "type": "object",
    "properties": {"a": {"type": "string"}, "b": {"type": "string"}},
    "required": ["b"],
}
OPEN_A_B_ENUM = {"type": "object", "properties": {"a": {"type": "string", "enum": ["x", "y"]}}}


def test_transitive_modes_check_every_older_version(tmp_path: Path):
    # v2 adds an enum to a (old data may hold other strings: backward breaks, forward is fine);
    # v3 drops it again (backward fine, forward breaks); v1 and v3 are the same schema.
    folder = _versions(tmp_path / "msg", OPEN_A, OPEN_A_B_ENUM, OPEN_A)
    latest = check(str(folder), mode="backward")
    assert latest.pairs == [(str(folder / "v2.json"), str(folder / "v3.json"))]
    assert latest.verdict is True
    transitive = check(str(folder), mode="backward-transitive")
    assert transitive.pairs == [
        (str(folder / "v1.json"), str(folder / "v2.json")),
        (str(folder / "v1.json"), str(folder / "v3.json")),
        (str(folder / "v2.json"), str(folder / "v3.json")),
    ]
    assert transitive.verdict is False  # v1 -> v2 breaks backward
    broken = [c for c in transitive.checks if not c.compatible]
    assert [(c.old, c.new) for c in broken] == [(str(folder / "v1.json"), str(folder / "v2.json"))]
    full = check(str(folder), mode="full-transitive")
    assert len(full.checks) == 6
    assert {(c.direction, c.new) for c in full.checks if not c.compatible} == {
        ("backward", str(folder / "v2.json")),
        ("forward", str(folder / "v3.json")),
    }


def test_folder_with_a_new_file_checks_it_against_every_version(tmp_path: Path):
    folder = _versions(tmp_path / "msg", OPEN_A, OPEN_A)
    candidate = _write(tmp_path / "candidate.json", OPEN_A_REQUIRED_B)
    result = check(str(folder), str(candidate), mode="backward-transitive")
    assert [p[0] for p in result.pairs] == [str(folder / "v1.json"), str(folder / "v2.json")]
    assert result.verdict is False
    only_latest = check(str(folder), str(candidate), mode="forward")
    assert only_latest.pairs == [(str(folder / "v2.json"), str(candidate))]
    assert only_latest.verdict is True


def test_folder_with_one_version_has_nothing_to_compare(tmp_path: Path):
    folder = _versions(tmp_path / "msg", OPEN_A)
    result = check(str(folder), mode="full-transitive")
    assert result.verdict is True and result.checks == []
    assert "nothing to compare" in (result.note or "")


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: (str(d / "missing.json"), str(d / "v1.json")), "no such file"),
        (lambda d: (str(d / "bad.json"), str(d / "v1.json")), "invalid JSON"),
        (lambda d: (str(d / "list.json"), str(d / "v1.json")), "not a JSON Schema"),
        (lambda d: (str(d / "typo.json"), str(d / "v1.json")), "not a valid JSON Schema"),
        (lambda d: (str(d / "dangling.json"), str(d / "v1.json")), "cannot be resolved"),
        (lambda d: (str(d / "v1.json"), None), "give a NEW schema file"),
        (lambda d: (str(d / "v1.json"), str(d)), "is a folder"),
        (lambda d: (str(d / "empty"), None), "no version files"),
    ],
)
def test_unusable_input(tmp_path: Path, make, message):
    _write(tmp_path / "v1.json", OPEN_A)
    (tmp_path / "bad.json").write_text("{not json", "utf-8")
    _write(tmp_path / "list.json", [1, 2])
    _write(tmp_path / "typo.json", {"type": "strnig"})
    _write(tmp_path / "dangling.json", {"properties": {"a": {"$ref": "other.json#/$defs/nope"}}})
    (tmp_path / "empty").mkdir()
    old, new = make(tmp_path)
    with pytest.raises(UnusableInput, match=message):
        check(old, new, mode="backward")


# -- the command line --------------------------------------------------------------------------------
def test_cli_exit_codes_and_output(tmp_path: Path):
    old = _write(tmp_path / "v1.json", OPEN_A)
    new = _write(tmp_path / "v2.json", OPEN_A_REQUIRED_B)

    same = em("compat", str(old), str(old))
    assert same.code == 0, same.text
    assert same.out.strip().endswith("compatible (backward)")

    broken = em("compat", str(old), str(new))
    assert broken.code == 1, broken.text
    assert "REQUIRED_ATTRIBUTE_ADDED" in broken.out
    assert "new #/required/0" in broken.out
    assert "PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL" in broken.out
    assert "new #/properties/b" in broken.out
    assert "BREAKING (backward)" in broken.out

    forward = em("compat", str(old), str(new), "--mode", "forward")
    assert forward.code == 0, forward.text

    lenient = em("compat", str(old), str(new), "--lenient")
    assert lenient.code == 1  # a new required property breaks even with --lenient
    assert "(allowed by --lenient)" not in lenient.out

    optional = _write(tmp_path / "v3.json", {**OPEN_A_REQUIRED_B, "required": []})
    assert em("compat", str(old), str(optional)).code == 1
    lenient = em("compat", str(old), str(optional), "--lenient")
    assert lenient.code == 0, lenient.text
    assert "(allowed by --lenient)" in lenient.out
    assert lenient.out.strip().endswith("compatible (backward, lenient)")


def test_cli_json_output(tmp_path: Path):
    old = _write(tmp_path / "v1.json", OPEN_A)
    new = _write(tmp_path / "v2.json", OPEN_A_REQUIRED_B)
    result = em("compat", str(old), str(new), "--mode", "full", "--json")
    assert result.code == 1, result.text
    data = json.loads(result.out)
    assert data["mode"] == "full" and data["compatible"] is False
    assert [c["direction"] for c in data["checks"]] == ["backward", "forward"]
    backward = data["checks"][0]
    assert backward["compatible"] is False
    assert {"code": "REQUIRED_ATTRIBUTE_ADDED", "pointer": "#/required/0", "schema": "new"}.items() <= next(
        c for c in backward["changes"] if c["code"] == "REQUIRED_ATTRIBUTE_ADDED"
    ).items()
    assert data["checks"][1]["compatible"] is True


def test_cli_version_folder_transitive(tmp_path: Path):
    folder = _versions(tmp_path / "order-submitted", OPEN_A, OPEN_A_B_ENUM, OPEN_A)
    assert em("compat", str(folder)).code == 0
    result = em("compat", str(folder), "--mode", "full-transitive")
    assert result.code == 1, result.text
    assert "ENUM_ARRAY_NARROWED" in result.out
    assert "BREAKING (full-transitive)" in result.out


def test_cli_unusable_input_is_one_line_and_exit_2(tmp_path: Path):
    good = _write(tmp_path / "v1.json", OPEN_A)
    (tmp_path / "bad.json").write_text("{", "utf-8")
    for args in (
        [str(tmp_path / "nope.json"), str(good)],
        [str(tmp_path / "bad.json"), str(good)],
        [str(good), str(good), "--mode", "sideways"],
    ):
        result = em("compat", *args)
        assert result.code == 2, result.text
        assert "Traceback" not in result.text
        assert len(result.err.strip().splitlines()) == 1, result.err


# -- the verdicts hold on the real catalogue -------------------------------------------------------
def _schema_nodes(node: Any, found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if isinstance(node, dict):
        if any(k in node for k in ("type", "properties", "enum", "const", "pattern", "format", "maxLength", "items")):
            found.append(node)
        for key, value in node.items():
            if key not in ("examples", "enum", "const", "default"):
                _schema_nodes(value, found)
    elif isinstance(node, list):
        for value in node:
            _schema_nodes(value, found)
    return found


def _typed(node: dict[str, Any], *names: str) -> bool:
    return node.get("type") in names


_EDITS: dict[str, tuple[Any, Any]] = {
    # name: (which nodes it applies to, the edit)
    "maxLength": (lambda n: _typed(n, "string"), lambda n, rng: n.__setitem__("maxLength", rng.randint(1, 12))),
    "required": (
        lambda n: set(n.get("properties") or {}) - set(n.get("required") or []),
        lambda n, rng: n.setdefault("required", []).append(
            rng.choice(sorted(set(n["properties"]) - set(n.get("required") or [])))
        ),
    ),
    "enum": (lambda n: len(n.get("enum") or []) > 1, lambda n, rng: n["enum"].pop(rng.randrange(len(n["enum"])))),
    "type": (
        lambda n: isinstance(n.get("type"), str),
        lambda n, rng: n.__setitem__(
            "type", rng.choice([t for t in ("string", "integer", "object") if t != n["type"]])
        ),
    ),
    "closed": (
        lambda n: n.get("properties") and "additionalProperties" not in n,
        lambda n, rng: n.__setitem__("additionalProperties", False),
    ),
    "add": (
        lambda n: "properties" in n,
        lambda n, rng: n["properties"].__setitem__(f"extra_{rng.randint(0, 9)}", {"type": "integer"}),
    ),
    "nullable": (lambda n: isinstance(n.get("type"), str), lambda n, rng: n.__setitem__("type", [n["type"], "null"])),
    "remove": (
        lambda n: any(k in n for k in ("pattern", "format", "enum", "const", "required", "type")),
        lambda n, rng: n.pop(
            rng.choice([k for k in ("pattern", "format", "enum", "const", "required", "type") if k in n])
        ),
    ),
    "bound": (
        lambda n: _typed(n, "number", "integer"),
        lambda n, rng: n.__setitem__(rng.choice(["minimum", "maximum"]), rng.randint(-10, 10)),
    ),
    "minItems": (lambda n: _typed(n, "array"), lambda n, rng: n.__setitem__("minItems", rng.randint(1, 3))),
}


def _mutate_schema(schema: dict[str, Any], edit: str, rng: random.Random) -> dict[str, Any] | None:
    """One edit a schema author might make, at a random place it applies to, in a copy of the schema."""
    applies, apply = _EDITS[edit]
    out = copy.deepcopy(schema)
    nodes = [n for n in _schema_nodes({k: v for k, v in out.items() if k != "examples"}, []) if applies(n)]
    if not nodes:
        return None
    apply(rng.choice(nodes), rng)
    return out


def test_verdicts_hold_on_mutated_catalogue_schemas(catalogue_copy: Path):
    """Random edits of shipped message schemas: a compatible verdict must never meet a counter-example.

    The documents are each schema's examples and mutations of them (wrong types, missing fields, ...);
    whenever the engine says compatible, every one the writer accepts must pass the reader too.
    """
    rng = random.Random(20260314)
    schemas = catalogue_copy / "schemas"
    files = [p for p in sorted(schemas.glob("*/v1.json")) if "examples" in json.loads(p.read_text("utf-8"))]
    shared = [json.loads(p.read_text("utf-8")) for p in schemas.glob("*/*.json")]
    breaking = compatible = 0
    witnessed = 0
    for i in range(40):
        path = rng.choice(files)
        old = json.loads(path.read_text("utf-8"))
        new = _mutate_schema(old, list(_EDITS)[i % len(_EDITS)], rng)
        if new is None:
            continue
        new["$id"] = old["$id"].replace("/v1.json", "/v9.json")
        try:
            jsonschema.Draft202012Validator.check_schema(new)
        except jsonschema.SchemaError:
            continue  # e.g. a type the edit made invalid
        _write(path.parent / "v9.json", new)
        registry = referencing.Registry().with_resources(
            (doc["$id"], referencing.jsonschema.DRAFT202012.create_resource(doc)) for doc in [*shared, new]
        )
        checker = jsonschema.Draft202012Validator.FORMAT_CHECKER
        validators = {
            side: jsonschema.Draft202012Validator(schema, registry=registry, format_checker=checker)
            for side, schema in (("old", old), ("new", new))
        }
        docs = [*old["examples"], *(m for e in old["examples"] for _, m in sample_mutations(e, 15, rng))]
        for item in check(str(path), str(path.parent / "v9.json"), mode="full").checks:
            writer, reader = ("old", "new") if item.direction == "backward" else ("new", "old")
            accepted = [d for d in docs if validators[writer].is_valid(d)]
            if item.compatible:
                compatible += 1
                for doc in accepted:
                    assert validators[reader].is_valid(doc), (path.parent.name, item.direction, item.changes)
            else:
                breaking += 1
                witnessed += any(not validators[reader].is_valid(d) for d in accepted)
    # The edits exercised both verdicts, and some breaking ones met a document that proves them (the
    # others change an `if`, or need a document the random mutations did not make).
    assert compatible >= 10 and breaking >= 10 and witnessed >= 5, (compatible, breaking, witnessed)


def test_versions_sort_by_number_not_by_name(tmp_path: Path):
    folder = _versions(tmp_path / "msg", *[OPEN_A] * 10)
    (folder / "notes.json").write_text("{}", "utf-8")  # not a version file: ignored
    assert [p.name for p in versions_in(folder)] == [f"v{i}.json" for i in range(1, 11)]
    assert check(str(folder)).pairs == [(str(folder / "v9.json"), str(folder / "v10.json"))]
