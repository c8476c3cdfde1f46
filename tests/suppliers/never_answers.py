"""A supplier that announces it is ready, starts a child process in its own process group (a helper a real
supplier might run), writes both pids to $EM_TEST_PIDS, and never answers: every interaction waits for its
deadline. For the signal tests: when verify is stopped, the whole group must go."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

from wirekit.bus import READY, app, broker_from_env, channel, publish, subscriber


async def main() -> None:
    provider = sys.argv[1] if len(sys.argv) > 1 else "field-monitoring-service"
    broker = broker_from_env()

    @subscriber(broker, channel("electronic-monitoring.order-submitted"), provider)
    async def swallow(body: object) -> None:
        return None

    child = subprocess.Popen(["sleep", "300"])  # same process group as this supplier
    application = app(broker)
    await application.start()
    ready = {"provider": provider, "pid": os.getpid(), "subscribed": []}
    await publish(broker, ready, channel(READY), {"eventType": READY, "content-type": "application/json"})
    Path(os.environ["EM_TEST_PIDS"]).write_text(f"{os.getpid()} {child.pid}\n")
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main())
