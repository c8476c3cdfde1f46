"""The schema registry: two engines that must agree, and the data-minimisation walk."""

from __future__ import annotations

import copy
import random

import pytest

from harness.schemas.mutate import mutations, sample_mutations
from harness.schemas.registry import SchemaRegistry


@pytest.fixture(scope="module")
def registry(root) -> SchemaRegistry:
    return SchemaRegistry(root / "schemas")


def test_catalogue_has_every_message_type(registry):
    assert len(registry.messages()) >= 14


def test_every_shipped_example_is_valid_in_both_engines(registry):
    checked = 0
    for doc in registry.messages():
        for example in doc.contents["examples"]:
            assert registry.fast(doc).is_valid(example), doc.path
            assert registry.errors(doc, example) == [], doc.path
            checked += 1
    assert checked >= len(registry.messages())


def test_engines_agree_on_mutations(registry):
    """jsonschema (exact messages) and jsonschema-rs (hot path) must give the same verdict, always."""
    rng = random.Random(20261126)
    invalid = valid = 0
    disagreements = []
    for doc in registry.messages():
        for example in doc.contents["examples"]:
            for fault, mutated in sample_mutations(example, 60, rng):
                fast = registry.fast(doc).is_valid(mutated)
                exact = registry.exact(doc).is_valid(mutated)
                if fast != exact:
                    disagreements.append(f"{doc.name} {fault}: jsonschema-rs={fast} jsonschema={exact}")
                invalid += not exact
                valid += exact
    assert not disagreements, "\n".join(disagreements[:20])
    assert invalid >= 300, f"only {invalid} invalid mutations were generated"


def test_errors_name_the_field_and_the_rule(registry):
    doc = registry.get("electronic-monitoring.case-status-returned", 1)
    bad = copy.deepcopy(doc.contents["examples"][0])
    bad["additionalInformation"]["status"] = "Rejected"
    errors = registry.errors(doc, bad)
    assert [e.pointer for e in errors] == ["/additionalInformation/status"]
    assert "'Rejected' is not one of" in errors[0].message


def test_rejected_status_needs_a_reason_and_other_needs_details(registry):
    doc = registry.get("electronic-monitoring.case-status-returned", 1)
    bad = copy.deepcopy(doc.contents["examples"][0])
    bad["additionalInformation"]["reasons"] = []
    assert not registry.fast(doc).is_valid(bad)
    assert any(e.pointer == "/additionalInformation/reasons" for e in registry.errors(doc, bad))
    bad["additionalInformation"]["reasons"] = [{"section": "other"}]
    assert not registry.fast(doc).is_valid(bad)
    assert any("details" in e.message for e in registry.errors(doc, bad))


def test_london_local_time_is_not_accepted_where_utc_is_required(registry):
    doc = registry.get("electronic-monitoring.case-status-returned", 1)
    bad = copy.deepcopy(doc.contents["examples"][0])
    bad["occurredAt"] = "2026-03-14 10:15:00"
    assert not registry.fast(doc).is_valid(bad)
    assert [e.pointer for e in registry.errors(doc, bad)] == ["/occurredAt", "/occurredAt"]


def test_undeclared_fields_are_named_at_every_depth(registry):
    doc = registry.get("electronic-monitoring.case-status-returned", 1)
    example = doc.contents["examples"][0]
    assert registry.undeclared(doc, example) == []
    leaky = copy.deepcopy(example)
    leaky["additionalInformation"]["date_of_birth"] = "1990-01-01"
    leaky["additionalInformation"]["reasons"][0]["officer"] = "Alice Example"
    leaky["personReference"]["identifiers"][0]["name"] = "Testy McTestface"
    assert registry.undeclared(doc, leaky) == [
        "/additionalInformation/date_of_birth",
        "/additionalInformation/reasons/0/officer",
        "/personReference/identifiers/0/name",
    ]


def test_mutations_cover_type_enum_and_removal_faults(registry):
    doc = registry.get("electronic-monitoring.case-status-returned", 1)
    faults = {fault for fault, _ in mutations(doc.contents["examples"][0])}
    assert "/version: integer as string" in faults
    assert "/additionalInformation/status: string upper-cased" in faults
    assert "/eventType: removed" in faults


def _doc(registry, name):
    return next(d for d in registry.messages() if d.name == name)


def test_personal_values_are_found_by_the_schemas_marks(registry):
    doc = _doc(registry, "order-submitted")
    example = doc.contents["examples"][0]
    found = registry.personal(doc, example)
    wearer = "/additionalInformation/device_wearer/"
    for field in ("first_name", "last_name", "date_of_birth", "address_1", "address_post_code"):
        assert wearer + field in found
    assert "/personReference/identifiers/0/value" in found
    # not personal: the order's own id, its type, the envelope's eventType
    assert "/additionalInformation/order_id" not in found
    assert "/eventType" not in found
    assert wearer + "adult_child" not in found


def test_a_marked_object_counts_as_one_value(registry):
    doc = _doc(registry, "violation-raised")
    assert "/additionalInformation/device_wearer" in registry.personal(doc, doc.contents["examples"][0])


def test_redact_replaces_every_personal_value_and_nothing_else(registry):
    from harness.schemas.registry import REDACTED

    doc = _doc(registry, "order-submitted")
    example = doc.contents["examples"][0]
    redacted = registry.redact(doc, example)
    wearer = example["additionalInformation"]["device_wearer"]
    shown = redacted["additionalInformation"]["device_wearer"]
    assert shown["first_name"] == shown["last_name"] == shown["date_of_birth"] == REDACTED
    assert shown["adult_child"] == wearer["adult_child"]
    assert redacted["additionalInformation"]["order_id"] == example["additionalInformation"]["order_id"]
    text = repr(redacted)
    for value in (wearer["first_name"], wearer["last_name"], wearer["date_of_birth"], wearer["address_post_code"]):
        assert value not in text
    assert example["additionalInformation"]["device_wearer"]["first_name"] != REDACTED  # the input is untouched
