"""compat reads each schema in the dialect its $schema names, and says which dialect it used or assumed."""

from __future__ import annotations

import json
from pathlib import Path

from tests.helpers import em

DRAFT7 = "http://json-schema.org/draft-07/schema#"
D2020 = "https://json-schema.org/draft/2020-12/schema"


def _write(folder: Path, name: str, doc: dict) -> Path:
    path = folder / name
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def _pair(items: list[dict], schema: str | None = DRAFT7) -> dict:
    doc: dict = {"type": "array", "items": items}
    if schema:
        doc["$schema"] = schema
    return doc


def test_draft_07_tuple_items_are_compared_as_tuples(tmp_path: Path) -> None:
    old = _write(tmp_path, "old.json", _pair([{"type": "string"}, {"type": "integer"}]))
    new = _write(tmp_path, "new.json", _pair([{"type": "string"}, {"type": "string"}]))
    result = em("compat", str(old), str(new))
    assert result.code == 1, result.text
    lines = result.out.splitlines()
    assert lines[1] == "  dialect: JSON Schema draft-07 ($schema)"
    assert "TYPE_CHANGED  new #/items/1/type  type integer -> string  (breaking)" in result.out


def test_a_referenced_file_without_schema_is_read_in_the_referrers_dialect(tmp_path: Path) -> None:
    _write(tmp_path, "pair.json", {"type": "array", "items": [{"type": "string"}, {"type": "integer"}]})
    root = {"$schema": DRAFT7, "type": "object", "properties": {"p": {"$ref": "pair.json"}}}
    old = _write(tmp_path, "old.json", root)
    new = _write(tmp_path, "new.json", root)
    result = em("compat", str(old), str(new))
    assert result.code == 0, result.text
    assert "  dialect: JSON Schema draft-07 ($schema)" in result.out
    assert "compatible (backward)" in result.out


def test_the_dialect_assumed_without_schema_is_named(tmp_path: Path) -> None:
    old = _write(tmp_path, "old.json", {"type": "object", "properties": {"a": {"type": "string"}}})
    result = em("compat", str(old), str(old))
    assert result.code == 0, result.text
    assert "  dialect: JSON Schema 2020-12 (assumed: no $schema)" in result.out
    as_json = json.loads(em("compat", "--json", str(old), str(old)).out)
    assert as_json["checks"][0]["dialects"] == {
        "old": "JSON Schema 2020-12 (assumed: no $schema)",
        "new": "JSON Schema 2020-12 (assumed: no $schema)",
    }


def test_a_schema_invalid_in_the_assumed_dialect_says_which_dialect(tmp_path: Path) -> None:
    bad = _write(tmp_path, "bad.json", _pair([{"type": "string"}], schema=None))
    result = em("compat", str(bad), str(bad))
    assert result.code == 2, result.text
    assert result.out == ""
    assert result.err.strip().splitlines() == [
        f"em-harness: error: {bad}: not a valid JSON Schema at /items (read as JSON Schema 2020-12, assumed: no "
        "$schema): [{'type': 'string'}] is not of type 'object', 'boolean'"
    ]


def test_a_tuple_in_draft_07_and_the_same_tuple_in_2020_12_are_compatible(tmp_path: Path) -> None:
    old = _write(tmp_path, "old.json", _pair([{"type": "string"}, {"type": "integer"}]))
    new = _write(
        tmp_path,
        "new.json",
        {"$schema": D2020, "type": "array", "prefixItems": [{"type": "string"}, {"type": "integer"}]},
    )
    result = em("compat", "--mode", "full", str(old), str(new))
    assert result.code == 0, result.text
    assert "  dialect: old JSON Schema draft-07 ($schema), new JSON Schema 2020-12 ($schema)" in result.out
    assert "(no changes)" in result.out


def test_the_catalogues_own_schemas_print_no_dialect_line(root: Path) -> None:
    path = root / "schemas/case-created/v1.json"
    result = em("compat", str(path), str(path))
    assert result.code == 0, result.text
    assert "dialect" not in result.out
