"""Crime matching's subscriber app: positions indexed by place and time for crime-scene queries.

Run with `faststream run consumers.crime_matching.app:app` (EM_BUS_URL picks the bus; memory by default).
"""

from __future__ import annotations

from typing import Any

from consumers.crime_matching.service import PositionIndex
from wirekit.bus import app as app_for
from wirekit.bus import broker_from_env, channel, subscriber

service = PositionIndex()
SYSTEM = "crime-matching"
broker = broker_from_env()


@subscriber(broker, channel("electronic-monitoring.positions-reported"), SYSTEM)
async def on_positions_reported(message: dict[str, Any]) -> None:
    service.positions_reported(message)


app = app_for(broker)
