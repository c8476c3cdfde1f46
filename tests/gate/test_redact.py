"""What evidence may keep of a message (harness.gate.redact), on the catalogue's own examples."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from harness.gate.redact import Redactor
from harness.schemas.registry import REDACTED, SchemaRegistry

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def redactor() -> Redactor:
    return Redactor(SchemaRegistry(ROOT / "schemas"))


def _order(redactor: Redactor) -> tuple[dict, list[str]]:
    doc = next(d for d in redactor.registry.messages() if d.name == "order-submitted")
    example = copy.deepcopy(doc.contents["examples"][0])
    return example, redactor.registry.personal(doc, example)


def test_personal_and_undeclared_values_are_redacted_and_the_rest_kept(redactor: Redactor) -> None:
    body, personal = _order(redactor)
    assert personal, "the order carries personal data"
    body["additionalInformation"]["shoe_size"] = "44"  # a field no schema declares
    out = redactor.message(body)
    assert out["additionalInformation"]["shoe_size"] == REDACTED
    assert out["eventType"] == body["eventType"] and out["version"] == body["version"]
    for ptr in personal:
        node = out
        for part in ptr.split("/")[1:]:
            node = node[int(part)] if isinstance(node, list) else node[part]
        assert node == REDACTED, ptr


def test_a_message_without_a_schema_keeps_only_what_it_claimed_to_be(redactor: Redactor) -> None:
    out = redactor.message({"eventType": "electronic-monitoring.unheard-of", "version": 9, "name": "Jo Bloggs",
                            "nested": {"dob": "1990-01-01"}})  # fmt: skip
    assert out == {"eventType": "electronic-monitoring.unheard-of", "version": 9, "name": REDACTED,
                   "nested": {"dob": REDACTED}}  # fmt: skip
    assert redactor.message("not json at all") == REDACTED


def test_a_failure_quoting_a_personal_value_is_redacted_even_when_cut_short(redactor: Redactor) -> None:
    body, personal = _order(redactor)
    ptr = personal[0]
    long_value = "Flat 12, " + "Synthetic Street " * 8
    node = body
    parts = ptr.split("/")[1:]
    for part in parts[:-1]:
        node = node[int(part)] if isinstance(node, list) else node[part]
    node[parts[-1]] = long_value
    quoted = repr(long_value)[:77] + "..."  # what a check prints of a long value
    (failure,) = redactor.failures(
        [{"path": ptr, "expected": "x", "actual": quoted, "message": f"{ptr}: {quoted} is too long"}], body
    )
    assert failure["actual"] == REDACTED
    assert "Synthetic Street" not in failure["message"] and "Flat 12" not in failure["message"]
    other = redactor.failures([{"path": "/eventType", "expected": "x", "actual": "'e'", "message": "m"}], body)
    assert other[0]["actual"] == "'e'"  # a value at a place that is not personal stays as evidence
