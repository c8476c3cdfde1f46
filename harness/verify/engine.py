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

from harness.bus.base import Bus, InfrastructureError
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
from harness.verify.judge import judge_local, judge_not_run, judge_pacts, mark_unjudged
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
        self.seen: dict[str, list[float]] = {}  # eventType or channel -> when correlated ones arrived
        self.activity = asyncio.Event()
        self.last_activity = 0.0

    async def answered(self, bus: Bus, name: str, since: float, timeout: float) -> bool:
        """Wait until the supplier publishes a correlated `name` message after `since` (bus time)."""
        end = bus.now() + timeout
        while not any(t >= since for t in self.seen.get(name, ())):
            left = end - bus.now()
            if left <= 0:
                return False
            self.activity.clear()
            await bus.wait_for(self.activity, left)
        return True

    def offer(self, rec: Recorded) -> None:
        if rec.direction != "supplier" or not mentions(rec.body, self.values):
            return
        self.last_activity = rec.at
        body_type = rec.body.get("eventType") if isinstance(rec.body, dict) else None
        for name in {body_type, rec.channel} - {None}:
            self.seen.setdefault(name, []).append(rec.at)
        self.activity.set()
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
        *,
        supplier_cmd: str | None = None,
        channel_prefix: str | None = None,
        only: list[str] | None = None,
        connect_timeout: float = 10.0,
        ready_timeout: float = 30.0,
    ) -> None:
        self.project = project
        self.provider = provider
        self.bus_url = bus_url
        self.supplier_app = supplier_app
        self.supplier_cmd = supplier_cmd
        self.channel_prefix = channel_prefix
        self.only = only or []
        self.connect_timeout = connect_timeout
        self.ready_timeout = ready_timeout
        self.container: Any = None
        self.supplier_label = ""
        self.supplier_output = ""
        self.rng = random.Random(seed)
        self.concurrency = concurrency
        self.plan: Plan | None = None

    def _make_bus(self, plan: Plan) -> tuple[Bus, Any]:
        """The bus for --bus, and the supplier attachment (None when the supplier is already on the bus)."""
        from harness.bus.registry import attach

        attached = attach(
            self.bus_url,
            provider=self.provider,
            channels={c.address: c.bindings for c in plan.asyncapi.channels.values()},
            supplier_app=self.supplier_app,
            supplier_cmd=self.supplier_cmd,
            default_app=self.project.default_app(self.provider),
            channel_prefix=self.channel_prefix,
            connect_timeout=self.connect_timeout,
            ready_timeout=self.ready_timeout,
            root=self.project.root,
        )
        self.container = attached.container
        self.supplier_label = attached.label
        if attached.bus.concurrency:
            self.concurrency = min(self.concurrency, attached.bus.concurrency)
        return attached.bus, attached.supplier

    def events(self) -> Iterator[Event]:
        started = time.monotonic()
        plan = self.plan = make_plan(self.project, self.provider)
        if self.only:
            plan.interactions = [it for it in plan.interactions if any(t in it.key for t in self.only)]
            if not plan.interactions:
                raise HarnessError(
                    f"--interaction {', '.join(self.only)!r}: no interaction of {self.provider!r} matches"
                )
        try:
            yield from self._events(plan, started)
        finally:
            if self.container is not None:
                self.container.stop()

    def _events(self, plan: Plan, started: float) -> Iterator[Event]:
        bus, supplier = self._make_bus(plan)
        total = len(plan.interactions)
        yield RunStarted(self.provider, self.bus_url, self.supplier_label, total, plan.pact_paths, plan.notes)
        outcomes: list[InteractionOutcome] = []
        error: str | None = None
        with asyncio.Runner() as runner:
            waiters: list[Waiter] = []
            bus.listen(lambda rec: [w.offer(rec) for w in waiters])

            async def attach() -> None:
                await bus.start()
                if supplier is not None:
                    try:
                        await supplier.start(bus)
                    except BaseException:
                        await supplier.stop()
                        await bus.stop()
                        raise

            try:
                runner.run(attach())
            except HarnessError:
                raise
            except Exception as exc:
                raise HarnessError(f"bus {self.bus_url!r}: could not start: {type(exc).__name__}: {exc}") from None
            limit = asyncio.Semaphore(self.concurrency)

            async def one(it: PlannedInteraction) -> InteractionOutcome:
                async with limit:
                    return await self._run_interaction(bus, plan, it, waiters)

            async def spawn() -> list[asyncio.Task]:
                return [asyncio.create_task(one(it)) for it in plan.interactions]

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
            except InfrastructureError as exc:  # the bus or the supplier broke mid-run: keep what was recorded
                error = f"infrastructure error: {exc}"
            except Exception as exc:
                error = f"infrastructure error during the run: {type(exc).__name__}: {exc}"
            finally:
                for task in pending:
                    task.cancel()
                if pending:
                    runner.run(asyncio.wait(pending))

                async def detach() -> None:
                    try:
                        if supplier is not None:
                            await supplier.stop()
                    finally:
                        await bus.stop()

                try:
                    runner.run(detach())
                except Exception as exc:
                    error = error or f"infrastructure error stopping the bus: {type(exc).__name__}: {exc}"
                if error is None and bus.failure is not None:
                    # The broker went away after the last interaction settled: its verdicts cannot be trusted.
                    error = f"infrastructure error: {bus.failure}"
        self.supplier_output = supplier.output() if supplier is not None else ""
        order = {it.key: i for i, it in enumerate(plan.interactions)}
        outcomes.sort(key=lambda o: order[o.key])
        for outcome in outcomes:
            if outcome.problem:
                judge_not_run(outcome)
            else:
                judge_local(plan, outcome)
        if outcomes and error is None:
            judge_pacts(plan, outcomes)
        else:
            mark_unjudged(outcomes, "not judged: the run ended early")
        for outcome in outcomes:
            yield Judged(outcome)
        yield RunFinished(
            self.provider,
            outcomes,
            list(bus.recorded),
            time.monotonic() - started,
            error,
            self.supplier_output,
            notes=plan.notes,
        )

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
            pending=it.pending,
            problem=it.problem,
        )
        if it.problem is not None:  # planned but cannot run: judged as not verified, nothing is published
            return outcome
        stimuli = []
        for (_, params), state in zip(it.states, it.state_defs, strict=True):
            stimuli.extend(build_stimuli(state, params, tokens, plan.examples, plan.channels))
        if it.request is not None:  # a synchronous interaction: its request is the last stimulus
            stimuli.append(it.request.stimulus(tokens))
        waiter = Waiter(it, tokens.correlation_values())
        waiters.append(waiter)
        try:
            first = bus.now()
            last_sent = first
            for stim in stimuli:
                if stim.after is not None and not await waiter.answered(bus, stim.after, last_sent, it.deadline):
                    outcome.notes.append(
                        f"state not reached: the supplier published no {stim.after} within {it.deadline:g} s, "
                        f"so the {stim.message} stimulus was not sent"
                    )
                    break
                if stim.delay and not bus.synchronous:
                    await asyncio.sleep(stim.delay)
                headers = {"eventType": stim.body.get("eventType", ""), "content-type": "application/json"}
                sent = await bus.publish(stim.channel, stim.body, headers)
                outcome.stimuli.append(sent)
                last_sent = sent.at  # answers can arrive during publish() on a synchronous bus
            if await bus.wait_for(waiter.event, it.deadline + LATE_GRACE):
                # A better-matching answer may follow the first: wait until the supplier has been quiet
                # about this interaction for the bus's settle time.
                while (quiet := bus.now() - max(waiter.last_activity, last_sent)) < bus.settle:
                    await asyncio.sleep(bus.settle - quiet)
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
