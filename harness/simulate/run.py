"""Run a simulated world against a supplier over the bus, in simulated time.

The pieces are verify's: `harness.bus.registry.attach` starts the bus and the supplier (in process with
--supplier-app, as a process with --supplier-cmd), `SimClock` moves the supplier's clock on
em-harness.sim-clock and waits for its acknowledgement. The world's messages go out in time order: before
each minute that has messages, the clock is moved to the end of that minute (so whatever the supplier
publishes about them carries a simulated time no earlier than the telemetry's), then they are published.
What the supplier publishes is kept (case-created, violations, alerts: what scoring reads); the bus's
own record of every message is emptied as the run goes, so a day of a thousand wearers stays in bounded
memory.
"""

from __future__ import annotations

import asyncio
import gc
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from harness.bus.base import InfrastructureError
from harness.errors import HarnessError
from harness.project import Project
from harness.simulate.clock import CLOCK, SimClock
from harness.simulate.world import World
from harness.verify.events import Recorded

KEPT = {
    "electronic-monitoring.case-created",
    "electronic-monitoring.violation-raised",
    "electronic-monitoring.violation-updated",
    "electronic-monitoring.alert-raised",
}
CLOCK_WAIT = 5.0
TICK = timedelta(minutes=1)


@dataclass
class RunResult:
    provider: str
    label: str
    bus_url: str
    reported: list[dict[str, Any]] = field(default_factory=list)
    """The supplier's messages scoring reads, in the order they were recorded."""
    published: int = 0
    received: int = 0
    wall_seconds: float = 0.0
    error: str | None = None
    clock: str = ""


def _ceil(moment: datetime) -> datetime:
    base = moment.replace(second=0, microsecond=0)
    return base if base == moment else base + TICK


def fresh_supplier(spec: str | None) -> None:
    """Re-import an in-process supplier's app module, so its state (cases, eventIds seen) starts empty.

    A world is the same for the same seed, ids and eventIds included: a supplier app kept from an earlier
    run in this process would take the second run's messages for redeliveries. Only the modules that
    define an app (`app` in their own namespace) under the spec's module are reloaded."""
    import importlib
    import sys

    if not spec or ":" not in spec:
        return
    name = spec.split(":", 1)[0]
    for loaded in sorted(m for m in list(sys.modules) if m == name or m.startswith(name + ".")):
        module = sys.modules.get(loaded)
        if module is not None and "app" in vars(module):
            importlib.reload(module)


def run_world(
    project: Project,
    world: World,
    provider: str,
    *,
    bus_url: str = "memory",
    supplier_app: str | None = None,
    supplier_cmd: str | None = None,
    channel_prefix: str | None = None,
    connect_timeout: float = 10.0,
    ready_timeout: float = 30.0,
) -> RunResult:
    """Publish the world to the supplier and keep what it reports; infrastructure trouble is `error`."""
    from harness.bus.registry import attach
    from harness.catalogue.asyncapi import load_asyncapi

    asyncapi = load_asyncapi(project.asyncapi_path)
    if supplier_cmd is None:
        fresh_supplier(supplier_app or project.default_app(provider))
    attached = attach(
        bus_url,
        provider=provider,
        channels={c.address: c.bindings for c in asyncapi.channels.values()},
        supplier_app=supplier_app,
        supplier_cmd=supplier_cmd,
        default_app=project.default_app(provider),
        channel_prefix=channel_prefix,
        connect_timeout=connect_timeout,
        ready_timeout=ready_timeout,
        root=project.root,
    )
    bus, supplier = attached.bus, attached.supplier
    result = RunResult(provider, attached.label, bus_url)
    clock = SimClock("virtual", start=world.start)

    def keep(rec: Recorded) -> None:
        clock.offer(rec)
        if rec.direction != "supplier":
            return
        result.received += 1
        if isinstance(rec.body, dict) and rec.body.get("eventType") in KEPT:
            result.reported.append(rec.body)

    bus.listen(keep)
    started = time.monotonic()
    # The world (every message of a simulated day, built up front) lives for the whole run: move it out of
    # the cyclic collector's reach, or each full collection scans it again (a thousand wearers: ~2 million
    # objects). Undone when the run ends.
    gc.collect()
    gc.freeze()

    async def main() -> None:
        await bus.start()
        try:
            if supplier is not None:
                await supplier.start(bus)
            await clock.start(bus, CLOCK_WAIT)
            if not clock.virtual:
                raise HarnessError(
                    f"the supplier did not acknowledge {CLOCK} within {CLOCK_WAIT:g} s: simulate needs the virtual "
                    "clock (contracts/asyncapi.yaml, em-harness.sim-clock)"
                )
            await _publish_all(bus, clock, world, result)
            await clock.advance(bus, ((world.end + TICK) - clock.now).total_seconds(), CLOCK_WAIT)
            if not bus.synchronous:
                quiet_since = bus.now()
                seen = result.received
                while bus.now() - quiet_since < bus.settle:
                    await asyncio.sleep(0.2)
                    if result.received != seen:
                        seen, quiet_since = result.received, bus.now()
        finally:
            try:
                if supplier is not None:
                    await supplier.stop()
            finally:
                await bus.stop()

    try:
        with asyncio.Runner() as runner:
            runner.run(main())
    except HarnessError:
        raise
    except InfrastructureError as exc:
        result.error = f"infrastructure error: {exc}"
    except Exception as exc:
        result.error = f"infrastructure error: {type(exc).__name__}: {exc}"
    finally:
        gc.unfreeze()
        if attached.container is not None:
            attached.container.stop()
    result.wall_seconds = time.monotonic() - started
    result.clock = clock.note
    return result


async def _publish_all(bus: Any, clock: SimClock, world: World, result: RunResult) -> None:
    for send in world.sends:
        tick = _ceil(send.at)
        if tick > clock.now:
            if not await clock.advance(bus, (tick - clock.now).total_seconds(), CLOCK_WAIT):
                raise InfrastructureError(f"the supplier stopped acknowledging {CLOCK} at {tick:%Y-%m-%dT%H:%M}Z")
            bus.recorded.clear()  # what scoring needs is kept by the listener; the rest is not held
            forget = getattr(bus, "forget", None)  # the memory bus: FastStream's own test-call records
            if forget is not None:
                forget()
        body = send.body
        await bus.publish(send.channel, body, {"eventType": body["eventType"], "content-type": "application/json"})
        result.published += 1
