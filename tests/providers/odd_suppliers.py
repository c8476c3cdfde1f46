"""Suppliers with one odd trait each, for the tests of verify's diagnoses (not faulty suppliers of the
catalogue: each shows how a report reads, not a defect class of providers/faulty/)."""

from __future__ import annotations

from providers.field_monitoring.wiring import create
from providers.messages import Outgoing
from providers.wiring import Publisher


class NoIds(Publisher):
    """case-created with none of the order's ids (no orderId match, no personReference): uncorrelated."""

    def transform(self, out: Outgoing) -> Outgoing | None:
        if out.message != "case-created":
            return out
        body = out.edited()
        body.pop("personReference", None)
        body["additionalInformation"]["orderId"] = "00000000-0000-4000-8000-000000000000"
        return out.with_body(body)


class NoEventTypeHeader(Publisher):
    def headers(self, out: Outgoing) -> dict[str, str]:
        return {"content-type": "application/json"}


class VersionAsText(Publisher):
    def transform(self, out: Outgoing) -> Outgoing | None:
        if out.message != "case-created":
            return out
        body = out.edited()
        body["version"] = "1"
        return out.with_body(body)


uncorrelated = create(publisher_cls=NoIds).app
no_event_type_header = create(publisher_cls=NoEventTypeHeader).app
version_as_text = create(publisher_cls=VersionAsText).app
never_ticked = create().app  # the reference FMS, for a wall-clock run in a process that ran others


class Silent(Publisher):
    """Receives everything and publishes nothing: what verify sees when no supplier is attached."""

    def transform(self, out: Outgoing) -> Outgoing | None:
        return None


silent = create(publisher_cls=Silent).app
