"""The engine: catalogue -> plan -> run -> judge -> events. A generator of typed events; no printing.

Interactions run concurrently on one bus: each has its own fresh tokens, and the supplier's answer is
recognised by those tokens, so one interaction never takes another's message. The async bus is
bridged to this synchronous generator in one place: an asyncio.Runner kept open for the whole run.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Iterator
from typing import Any

from harness.bus.base import Bus
from harness.errors import HarnessError
from harness.project import Project
from harness.simulate.stimuli import Tokens, build_stimuli, mentions
from harness.verify.events import (
    Event,
    InteractionOutcome,
    InteractionSettled,
    InteractionStarted,
    Judged,
    Recorded,
    RunFinished,
    RunStarted,
)
from harness.verify.judge import judge_local, judge_pacts
from harness.verify.plan import Plan, PlannedInteraction, make_plan

LATE_GRACE = 2.0  # how long past the deadline a late message is still recognised (reported as late)


def _similarity(expected: Any, actual: Any) -> int:
    """How many leaves of the pact's example the candidate reproduces: picks the right one of several."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        return sum(_similarity(v, actual.get(k)) for k, v in expected.items())
    if isinstance(expected, list) and isinstance(actual, list):
        return sum(_similarity(e, a) for e, a in zip(expected, actual, strict=False))
    return int(expected == actual)


class Waiter:
    """Collects the recorded messages that answer one interaction."""

    def __init__(self, it: PlannedInteraction, values: set[str]) -> None:
        self.it = it
        self.values = values
        self.candidates: list[Recorded] = []
        self.elsewhere: list[Recorded] = []
        self.event = asyncio.Event()

    def offer(self, rec: Recorded) -> None:
        if rec.direction != "supplier" or not mentions(rec.body, self.values):
            return
        body_type = rec.body.get("eventType") if isinstance(rec.body, dict) else None
        if rec.channel == self.it.channel or body_type == self.it.event_type:
            self.candidates.append(rec)
            self.event.set()
        else:
            self.elsewhere.append(rec)


class VerifyEngine:
    def __init__(
        self,
        project: Project,
        provider: str,
        bus_url: str = "memory",
        supplier_app: str | None = None,
        seed: int | None = None,
        concurrency: int = 32,
    ) -> None:
        self.project = project
        self.provider = provider
        self.bus_url = bus_url
        self.supplier_app = supplier_app or project.default_app(provider)
        self.rng = random.Random(seed)
        self.concurrency = concurrency
        self.plan: Plan | None = None

    def plan_paths(self) -> list[str]:
        """The pact files this provider is verified against."""
        return make_plan(self.project, self.provider).pact_paths

    def _make_bus(self) -> Bus:
        from harness.bus.factory import MEMORY, scheme_of

        if scheme_of(self.bus_url) != MEMORY:
            raise HarnessError(f"--bus {self.bus_url!r}: only the in-process 'memory' bus is available in this build")
        if not self.supplier_app:
            raise HarnessError(
                f"no supplier for {self.provider!r} on the memory bus: pass --supplier-app MODULE:APP "
                "or configure [tool.em-harness.providers] in pyproject.toml"
            )
        from harness.bus.inprocess import InProcessBus, load_app

        return InProcessBus(load_app(self.supplier_app, self.bus_url))

    def events(self) -> Iterator[Event]:
        started = time.monotonic()
        plan = self.plan = make_plan(self.project, self.provider)
        bus = self._make_bus()
        total = len(plan.interactions)
        yield RunStarted(self.provider, self.bus_url, self.supplier_app or "(already attached)", total, plan.pact_paths)
        outcomes: list[InteractionOutcome] = []
        error: str | None = None
        with asyncio.Runner() as runner:
            try:
                runner.run(bus.start())
            except Exception as exc:
                raise HarnessError(f"bus {self.bus_url!r}: could not start: {type(exc).__name__}: {exc}") from None
            waiters: list[Waiter] = []
            bus.listen(lambda rec: [w.offer(rec) for w in waiters])
            limit = asyncio.Semaphore(self.concurrency)

            async def one(index: int, it: PlannedInteraction) -> InteractionOutcome:
                async with limit:
                    return await self._run_interaction(bus, plan, it, waiters)

            async def spawn() -> list[asyncio.Task]:
                return [asyncio.create_task(one(i, it)) for i, it in enumerate(plan.interactions)]

            for i, it in enumerate(plan.interactions):
                yield InteractionStarted(it.key, i + 1, total)
            pending = set(runner.run(spawn()))
            try:
                while pending:
                    done, pending = runner.run(asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED))
                    for task in done:
                        outcome = task.result()
                        outcomes.append(outcome)
                        yield InteractionSettled(outcome)
            except Exception as exc:  # the bus or the supplier broke mid-run: keep what was recorded
                error = f"infrastructure error during the run: {type(exc).__name__}: {exc}"
                for task in pending:
                    task.cancel()
            finally:
                try:
                    runner.run(bus.stop())
                except Exception as exc:
                    error = error or f"infrastructure error stopping the bus: {type(exc).__name__}: {exc}"
        order = {it.key: i for i, it in enumerate(plan.interactions)}
        outcomes.sort(key=lambda o: order[o.key])
        for outcome in outcomes:
            judge_local(plan, outcome)
        if outcomes and error is None:
            judge_pacts(plan, outcomes)
        for outcome in outcomes:
            yield Judged(outcome)
        yield RunFinished(self.provider, outcomes, list(bus.recorded), time.monotonic() - started, error)

    async def _run_interaction(
        self, bus: Bus, plan: Plan, it: PlannedInteraction, waiters: list[Waiter]
    ) -> InteractionOutcome:
        tokens = Tokens(self.rng)
        outcome = InteractionOutcome(
            key=it.key,
            consumer=it.consumer,
            description=it.description,
            states=it.states,
            event_type=it.event_type,
            channel=it.channel,
            deadline=it.deadline,
        )
        stimuli = []
        for (_, params), state in zip(it.states, it.state_defs, strict=True):
            stimuli.extend(build_stimuli(state, params, tokens, plan.examples, plan.channels))
        waiter = Waiter(it, tokens.correlation_values())
        waiters.append(waiter)
        try:
            first = bus.now()
            for stim in stimuli:
                if stim.delay and not bus.synchronous:
                    await asyncio.sleep(stim.delay)
                headers = {"eventType": stim.body.get("eventType", ""), "content-type": "application/json"}
                outcome.stimuli.append(await bus.publish(stim.channel, stim.body, headers))
            try:
                await asyncio.wait_for(waiter.event.wait(), it.deadline + LATE_GRACE)
                await asyncio.sleep(bus.settle)  # a better-matching answer may follow the first
            except TimeoutError:
                pass
        finally:
            waiters.remove(waiter)
        if waiter.candidates:
            best = max(waiter.candidates, key=lambda r: (_similarity(it.expected_body, r.body), -r.seq))
            outcome.captured = best
            outcome.elapsed = best.at - first
        elif waiter.elsewhere:
            outcome.notes = [
                f"the supplier published a correlated message on {r.channel!r} "
                f"({r.body.get('eventType') if isinstance(r.body, dict) else 'not JSON'})"
                for r in waiter.elsewhere[:3]
            ]
        return outcome
