"""The EM datastore's pacts: every supplier message, at envelope level only.

The datastore stores payloads without reading them, so its pacts ask for the envelope (eventType,
an integer version, a UTC occurredAt, a sha256 eventId, a source) and for `additionalInformation`
to be a JSON object (an eachKey rule, the only rule on the payload): any payload field may be added,
removed or retyped without breaking the datastore's contract. The example bodies are the schema's
own examples; pact still compares nested objects of the example by their keys, so nested objects in
these examples carry only the fields their schema requires (position items lose their optional
precision, speed, direction, satellite and hdop): a backward-compatible payload change never fails.
"""

from __future__ import annotations

import json
import os

os.environ.setdefault("PACT_DO_NOT_TRACK", "true")

from pathlib import Path
from typing import Any

import pytest

from consumers.em_datastore.service import SUPPLIER_EVENTS, EventStore
from tests.pacts import support as s

ENVELOPE_ONLY = {
    "eventType": s.EXACT,
    "version": s.INTEGER,
    "occurredAt": s.UTC,
    "eventId": s.EVENT_ID,
    "source": s.TEXT,
    "additionalInformation": s.ANY_OBJECT,
}


POSITION_REQUIRED = s.schema("positions-reported")["$defs"]["position"]["required"]
REQUIRED_POSITIONS = [
    {k: v for k, v in pos.items() if k in POSITION_REQUIRED}
    for pos in s.example("positions-reported", 0)["additionalInformation"]["positions"]
]


def envelope_body(name: str, index: int = 0, **changes: Any) -> s.Body:
    return s.contract(s.message(name, index, **changes), ENVELOPE_ONLY)


def stored_once(service: EventStore, msg: dict[str, Any]) -> None:
    record = service.get(msg["eventId"])
    assert record.event_type == msg["eventType"] and record.version == 1
    assert record.source == msg["source"]
    assert record.content_matches_id  # the example's eventId is the hash of its own content
    assert record.message["additionalInformation"] == msg["additionalInformation"]
    assert service.store(msg) is False and service.duplicates == 1 and service.count() == 1


def one(
    name: str, state: str, params: dict[str, object] | None = None, index: int = 0, **changes: Any
) -> s.Expectation:
    return s.Expectation(
        f"a {name.replace('-', ' ')} message, envelope only",
        state,
        envelope_body(name, index, **changes),
        stored_once,
        params or {},
    )


DATASTORE_FROM_FMS = s.PactDef(
    consumer="em-datastore",
    provider="field-monitoring-service",
    make_service=EventStore,
    expectations=(
        one("case-created", "an order has been submitted", {"order_type": "Post Release"}),
        one("case-status-returned", "an order has been submitted", {"order_type": "Post Release"}, index=1),
        one("visit-completed", "a device has been fitted", {"device_class": "GPS monitoring device"}),
        one("equipment-installed", "a device has been fitted", {"device_class": "GPS monitoring device"}),
        one("equipment-removed", "equipment has been removed"),
        one("violation-raised", "a device wearer has breached curfew", {"minutes_absent": 45}, duration=2700),
        one("violation-updated", "a curfew violation has been excused", index=1),
        one("alert-raised", "a device has been tampered with", alert_class="indication_noncompliance"),
        one("monitoring-ended", "monitoring has ended"),
    ),
)
DATASTORE_FROM_MDSS = s.PactDef(
    consumer="em-datastore",
    provider="monitoring-data-service",
    make_service=EventStore,
    expectations=(
        one("device-activated", "a device has been activated", {"device_class": "GPS monitoring device"}),
        one("device-deactivated", "a device has been deactivated"),
        one("positions-reported", "a device has reported positions", {"count": 5}, positions=REQUIRED_POSITIONS),
        one(
            "device-event-reported", "a device has reported its battery level", {"percentage": 15}, eventStatusFlags=15
        ),
        one("supplier-file-delivered", "a supplier file has been delivered", {"feed": "positions"}),
    ),
)
PACTS = (DATASTORE_FROM_FMS, DATASTORE_FROM_MDSS)


@pytest.mark.parametrize(("pact_def", "expectation"), s.cases(PACTS))
def test_datastore_stores(pact_def: s.PactDef, expectation: s.Expectation) -> None:
    s.check_one(pact_def, expectation)


@pytest.mark.parametrize("pact_def", PACTS, ids=lambda d: d.file_name)
def test_datastore_pact_written(pact_def: s.PactDef, pact_dir: Path) -> None:
    path = s.write(pact_def, pact_dir)
    assert path.name == pact_def.file_name
    assert s.interactions_in(path) == len(pact_def.expectations)


def test_datastore_pacts_cover_every_supplier_message() -> None:
    covered = {e.event_type for d in PACTS for e in d.expectations}
    assert covered == set(SUPPLIER_EVENTS)


def test_datastore_pacts_constrain_no_payload_field(tmp_path: Path) -> None:
    """The only rule at or under additionalInformation is the any-object (eachKey) rule on the payload itself."""
    for pact_def in PACTS:
        written = json.loads(s.write(pact_def, tmp_path).read_text(encoding="utf-8"))
        for interaction in written["interactions"]:
            rules = interaction["matchingRules"]["body"]
            payload_rules = {k: v for k, v in rules.items() if k.startswith("$.additionalInformation")}
            assert list(payload_rules) == ["$.additionalInformation"], interaction["description"]
            assert [m["match"] for m in payload_rules["$.additionalInformation"]["matchers"]] == ["eachKey"]
