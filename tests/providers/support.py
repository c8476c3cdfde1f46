"""Running a provider state against a supplier app in memory, as `em-harness verify` does, and judging
what the supplier published with the catalogue's own schemas.

The stimuli are built by the harness's own code (harness.simulate.stimuli) from contracts/states/, so
these tests exercise the states files and the suppliers together: a state whose stimuli do not produce
the expected, correlated, valid messages fails here before it fails in a verify run.
"""

from __future__ import annotations

import asyncio
import copy
import random
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from faststream import BaseMiddleware
from faststream.nats import TestNatsBroker

from harness.catalogue.states import load_states
from harness.schemas.registry import SchemaRegistry
from harness.simulate.stimuli import Tokens, build_stimuli, mentions

ROOT = Path(__file__).resolve().parents[2]
REGISTRY = SchemaRegistry(ROOT / "schemas")
EXAMPLES = {doc.name: doc.contents["examples"][0] for doc in REGISTRY.messages()}
CHANNELS = {doc.name: str(doc.event_type) for doc in REGISTRY.messages()}
STATES = load_states(ROOT / "contracts" / "states")
EVENT_PREFIX = "electronic-monitoring."
_RNG = random.Random(20260401)


@dataclass
class Published:
    channel: str
    headers: dict[str, Any]
    body: Any
    at: float
    """Seconds since the first stimulus."""

    @property
    def message(self) -> str:
        event_type = self.body.get("eventType", "") if isinstance(self.body, dict) else ""
        return str(event_type).removeprefix(EVENT_PREFIX)

    @property
    def info(self) -> dict[str, Any]:
        return self.body["additionalInformation"]


class _Recorder:
    active: list[_Recorder] = []

    def __init__(self) -> None:
        self.items: list[Published] = []
        self.t0 = time.monotonic()


_tapped: set[int] = set()


def _tap(broker: Any) -> None:
    """Record every publish on this broker (once per broker, shared by all tests)."""
    if id(broker) in _tapped:
        return

    class Tap(BaseMiddleware):
        async def publish_scope(self, call_next: Any, cmd: Any) -> Any:
            for rec in _Recorder.active:
                rec.items.append(
                    Published(cmd.destination, dict(cmd.headers or {}), cmd.body, time.monotonic() - rec.t0)
                )
            return await call_next(cmd)

    broker.add_middleware(Tap)
    _tapped.add(id(broker))


@dataclass
class Run:
    published: list[Published]
    """What the supplier published (stimuli excluded), in order."""
    tokens: Tokens

    @property
    def values(self) -> set[str]:
        return self.tokens.correlation_values()

    def of(self, message: str) -> list[Published]:
        """The correlated messages of a type, on whatever channel they were published."""
        return [p for p in self.published if p.message == message and mentions(p.body, self.values)]

    def one(self, message: str) -> Published:
        found = self.of(message)
        assert len(found) == 1, f"expected one {message}, got {len(found)}: {[p.body for p in self.published]}"
        return found[0]


async def run_state(
    app: Any, provider: str, state: str, params: dict[str, Any] | None = None, wait: float = 0.05
) -> Run:
    """Publish a state's stimuli to the app on FastStream's in-memory NATS broker; collect what it publishes."""
    definition = STATES[provider].states[state]
    tokens = Tokens(_RNG)
    stimuli = build_stimuli(definition, params or {}, tokens, EXAMPLES, CHANNELS)
    for stim in stimuli:
        errors = REGISTRY.errors(REGISTRY.get(stim.body["eventType"], 1), stim.body)
        assert not errors, f"{state}: stimulus {stim.message} breaks its schema: {errors}"
    _tap(app.broker)
    recorder = _Recorder()
    _Recorder.active.append(recorder)
    sent: list[Any] = []
    try:
        async with TestNatsBroker(app.broker) as broker:
            for stim in stimuli:  # delays are for real brokers; in memory each publish completes in turn
                sent.append(stim.body)
                await broker.publish(stim.body, stim.channel, headers={"eventType": stim.body["eventType"]})
            await asyncio.sleep(wait)
    finally:
        _Recorder.active.remove(recorder)
    published = [p for p in recorder.items if not any(p.body is body for body in sent)]
    return Run(published, tokens)


def problems(p: Published) -> list[str]:
    """What `em-harness verify` would hold against a message, without a pact: channel, schema, minimisation."""
    found = []
    if p.channel != p.body.get("eventType"):
        found.append(f"channel: published on {p.channel!r}, eventType {p.body.get('eventType')!r}")
    if p.headers.get("eventType") != p.body.get("eventType"):
        found.append(f"header eventType {p.headers.get('eventType')!r}")
    doc = REGISTRY.get(p.body.get("eventType", ""), p.body.get("version", 0))
    if doc is None:
        return [*found, "schema: no schema for the message"]
    found += [f"schema: {err}" for err in REGISTRY.errors(doc, p.body)]
    found += [f"minimisation: {ptr}" for ptr in REGISTRY.undeclared(doc, p.body)]
    return found


def validate(body: dict[str, Any]) -> list[str]:
    """Schema errors and undeclared fields of a message body (for service-level tests)."""
    doc = REGISTRY.get(body["eventType"], body["version"])
    assert doc is not None, f"no schema for {body['eventType']}"
    return [str(e) for e in REGISTRY.errors(doc, body)] + REGISTRY.undeclared(doc, body)


def example(message: str, index: int = 0) -> dict[str, Any]:
    """A deep copy of a schema example, to use as a received message."""
    return copy.deepcopy(next(d for d in REGISTRY.messages() if d.name == message).contents["examples"][index])
