"""EM datastore's subscriber app: every supplier message stored at envelope level, de-duplicated by eventId.

Run with `faststream run consumers.em_datastore.app:app` (EM_BUS_URL picks the bus; memory by default).
"""

from __future__ import annotations

from typing import Any

from consumers.em_datastore.service import SUPPLIER_EVENTS, EventStore
from wirekit.bus import app as app_for
from wirekit.bus import broker_from_env, channel, subscriber

service = EventStore()
SYSTEM = "em-datastore"
broker = broker_from_env()


async def _store(message: dict[str, Any]) -> None:
    service.store(message)


# The datastore takes every supplier message the same way: one subscriber per channel, one handler.
for _event_type in SUPPLIER_EVENTS:
    subscriber(broker, channel(_event_type), SYSTEM)(_store)


app = app_for(broker)
