"""The Monitoring Data Service's domain logic, without a broker."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from harness.catalogue.envelope import seal
from providers.monitoring_data.service import MonitoringDataService, jsonl_bytes, synthetic_fixes
from tests.providers.support import example, validate

NOW = datetime(2026, 6, 23, 14, 0, 20, tzinfo=UTC)


def service() -> MonitoringDataService:
    return MonitoringDataService(clock=lambda: NOW)


def telemetry(index: int, person: bool = True, **changes: Any) -> dict[str, Any]:
    body = example("sim-device-telemetry", index)
    body.pop("eventId")
    if not person:
        body.pop("personReference", None)
    body["additionalInformation"].update(changes)
    for key in [k for k, v in body["additionalInformation"].items() if v is None]:
        del body["additionalInformation"][key]
    return seal(body)


def test_activation_echoes_the_ids_and_the_person_reference() -> None:
    mdss = service()
    (out,) = mdss.on_device_telemetry(telemetry(0))
    assert validate(out.body) == []
    info = out.body["additionalInformation"]
    assert (info["device_id"], info["person_id"], info["device_activation_id"]) == (100234, 5001, 7001)
    assert info["device_activation_date"] == "2026-04-01T17:31:00Z"
    assert out.body["personReference"]["identifiers"][0]["value"] == "X123456"
    assert out.body["source"] == "monitoring-data-service"


def test_deactivation_needs_an_active_device() -> None:
    mdss = service()
    # each delivery is another message (its own eventId): the same one again would be a redelivery, ignored
    assert mdss.on_device_telemetry({**telemetry(5), "eventId": "sha256:" + "1" * 64}) == []  # never activated
    mdss.on_device_telemetry(telemetry(0))
    (out,) = mdss.on_device_telemetry(telemetry(5))  # this example carries no personReference
    assert validate(out.body) == []
    info = out.body["additionalInformation"]
    assert (info["device_activation_id"], info["device_deactivation_date"]) == (7001, "2026-10-02T09:21:00Z")
    assert out.body["personReference"]["identifiers"][0]["value"] == "X123456"  # from the activation
    assert mdss.on_device_telemetry({**telemetry(5), "eventId": "sha256:" + "2" * 64}) == []  # already deactivated
    assert mdss.on_device_telemetry(telemetry(5)) == []  # a redelivery


def test_explicit_fixes_become_one_batch() -> None:
    (out,) = service().on_device_telemetry(telemetry(2))
    assert validate(out.body) == []
    positions = out.body["additionalInformation"]["positions"]
    assert [p["position_id"] for p in positions] == [900001, 900002, 900003]
    assert [p["mechanism"] for p in positions] == [1, 1, 6]
    assert positions[0]["speed"] == 4.2 and "speed" not in positions[1]
    assert positions[2]["recorded_date"] == "2026-06-20T19:02:00Z"
    assert "personReference" not in out.body


def test_counted_fixes_stay_in_the_test_area() -> None:
    start = datetime(2026, 6, 20, 19, tzinfo=UTC)
    fixes = synthetic_fixes(1000, start)
    assert len(fixes) == 1000
    assert all(51.50 <= f["latitude"] <= 51.52 and -0.14 <= f["longitude"] <= -0.10 for f in fixes)
    (out,) = service().on_device_telemetry(telemetry(2, fixes=None, count=4, observed_at="2026-06-20T19:00:00Z"))
    assert validate(out.body) == []
    assert [p["recorded_date"][11:16] for p in out.body["additionalInformation"]["positions"]] == [
        "19:00",
        "19:01",
        "19:02",
        "19:03",
    ]


def test_battery_percentage_goes_in_the_status_flags() -> None:
    (out,) = service().on_device_telemetry(telemetry(3))
    assert validate(out.body) == []
    info = out.body["additionalInformation"]
    assert (info["eventTypeCode"], info["eventStatusFlags"]) == ("EV_REPORT_TRACKER_BATTERY_PERCENTAGE", 15)
    assert info["eventUploadedDateUtc"] == "2026-06-23T14:00:20Z"
    assert out.body["description"] == "Battery at 15%"


def test_person_comes_from_the_activation_when_telemetry_omits_it() -> None:
    mdss = service()
    assert mdss.on_device_telemetry(telemetry(3, person=False, person_id=None)) == []  # nobody to report
    mdss.on_device_telemetry(telemetry(0))
    (out,) = mdss.on_device_telemetry(telemetry(4, person=False, person_id=None))
    assert out.body["additionalInformation"]["personId"] == 5001
    assert out.body["additionalInformation"]["eventTypeCode"] == "EV_STRAP_TAMPER"
    assert out.body["personReference"]["identifiers"][0]["value"] == "X123456"


def test_home_unit_absence_is_not_the_mdss_business() -> None:
    assert service().on_device_telemetry(telemetry(1)) == []


def test_file_delivered_with_its_hash_and_count() -> None:
    drop = example("sim-file-drop")
    (out,) = service().on_file_drop(drop)
    assert validate(out.body) == []
    info = out.body["additionalInformation"]
    records = drop["additionalInformation"]["records"]
    assert info["sha256"] == hashlib.sha256(jsonl_bytes(records)).hexdigest()
    assert info["record_count"] == 2
    assert jsonl_bytes(records).count(b"\n") == 2
    assert "personReference" not in out.body
    assert service().on_file_drop({"additionalInformation": {"feed": "positions"}}) == []
