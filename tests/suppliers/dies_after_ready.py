"""A supplier that announces it is ready, on any transport, then dies mid-run (exit 3): an infrastructure
failure while the broker is still reachable, after which everything the run created must still be removed."""

from __future__ import annotations

import asyncio
import os
import sys

from wirekit.bus import READY, app, broker_from_env, channel, publish, subscriber


async def main() -> None:
    provider = sys.argv[1] if len(sys.argv) > 1 else "field-monitoring-service"
    broker = broker_from_env()

    @subscriber(broker, channel("electronic-monitoring.order-submitted"), provider)
    async def swallow(body: object) -> None:
        return None

    application = app(broker)
    await application.start()
    ready = {"provider": provider, "pid": os.getpid(), "subscribed": []}
    await publish(broker, ready, channel(READY), {"eventType": READY, "content-type": "application/json"})
    await asyncio.sleep(1.5)
    await application.stop()
    os._exit(3)


if __name__ == "__main__":
    asyncio.run(main())
