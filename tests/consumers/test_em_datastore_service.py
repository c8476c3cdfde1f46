"""EM datastore: envelope-level storage, de-duplicated by eventId."""

from __future__ import annotations

import pytest

from consumers.em_datastore.service import SUPPLIER_EVENTS, EventStore
from consumers.messages import InvalidMessage, UnknownReference


def test_stores_every_supplier_example_once(example) -> None:
    store = EventStore()
    names = [t.removeprefix("electronic-monitoring.") for t in SUPPLIER_EVENTS]
    for name in names:
        assert store.handle(example(name, 0)) is True
        assert store.handle(example(name, 0)) is False
    assert store.count() == len(names) and store.duplicates == len(names)
    assert all(r.content_matches_id for r in store.records.values())
    history = store.history()
    assert [r.occurred_at for r in history] == sorted(r.occurred_at for r in history)


def test_altered_content_under_the_same_id_is_noted(example) -> None:
    store = EventStore()
    msg = example("alert-raised", 0, details="changed after sealing")
    store.handle(msg)
    assert store.get(msg["eventId"]).content_matches_id is False


def test_any_payload_is_accepted(example) -> None:
    store = EventStore()
    msg = example("case-created", 0)
    msg["additionalInformation"] = {"somethingNew": [1, 2, 3]}
    assert store.handle(msg) is True


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("eventId", "md5:abc", "sha256"),
        ("version", "1", "integer"),
        ("version", 0, "below 1"),
        ("occurredAt", "2026-03-30 08:00:40", "UTC RFC 3339"),
        ("source", None, "missing"),
        ("additionalInformation", [1], "expected an object"),
    ],
)
def test_broken_envelopes_are_refused(example, field, value, error) -> None:
    msg = example("case-created", 0)
    msg[field] = value
    store = EventStore()
    with pytest.raises(InvalidMessage, match=error):
        store.store(msg)
    assert store.count() == 0


def test_orders_are_not_supplier_messages(example) -> None:
    with pytest.raises(InvalidMessage, match="does not consume"):
        EventStore().handle(example("order-submitted", 0))
    with pytest.raises(UnknownReference):
        EventStore().get("sha256:" + "0" * 64)
