"""The engine: catalogue -> plan -> run -> judge -> events. A generator of typed events; no printing.

What runs on the bus, each with its own fresh tokens (order id, CRN, device id, ...) and PII canaries:
- every pact interaction of the provider (its provider states' stimuli, then the supplier's answer);
- every flow of contracts/flows for the provider (its `given` state's stimuli, then every message);
- with --faults, every flow that lists a fault, again with its stimuli delivered badly.
They run concurrently on one bus, in phases: pacts and flows; flows that move simulated time, one at a
time; delivery faults; poison last (a supplier that dies of it takes nothing else down with it).

A supplier message belongs to a run when it mentions one of the run's tokens; it is that run's answer
when it also keeps the provider's correlation rules (harness.verify.correlate). A follow-up stimulus
(`after:`) waits for the answer to its own predecessor: a message of the run (carrying its tokens),
recorded after the predecessor was published, not taken already as the answer to an earlier step, and
carrying what `where` names; so a message of an earlier step still in flight is never taken for it. (It
need not keep every correlation rule: a correlation bug is reported once, by `correlation`, rather than
as states that were never reached.) Answers are chosen when the bus phase is over, from everything
recorded, so a message that arrives late is reported as late however late it came (within the run),
never as never sent.

The async bus is bridged to this synchronous generator in one place: an asyncio.Runner kept open for the
whole run.
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
from harness.simulate.canaries import Canaries
from harness.simulate.clock import CLOCK, CLOCK_ACK, SimClock
from harness.simulate.faults import DELAY_SECONDS, REDELIVER_AFTER, check_name, poison_messages
from harness.simulate.stimuli import Stimulus, Tokens, build_stimuli, mentions
from harness.verify.correlate import Correlator
from harness.verify.events import (
    CORRELATION,
    EVENT_ID,
    FLOW,
    MINIMISATION,
    CheckResult,
    Event,
    Failure,
    InteractionOutcome,
    InteractionSettled,
    InteractionStarted,
    Judged,
    Recorded,
    RunFinished,
    RunStarted,
    SupplierHeard,
)
from harness.verify.flows import FlowRun, awaited_done, judge_flow
from harness.verify.judge import (
    _is_personal,
    add_undeclared,
    event_id_failures,
    judge_correlation,
    judge_event_ids,
    judge_local,
    judge_not_run,
    judge_pacts,
    judge_unsettled,
    mark_unjudged,
)
from harness.verify.plan import Plan, PlannedFlow, PlannedInteraction, make_plan

LATE_GRACE = 2.0  # how long past the deadline a run keeps waiting for its answer
CLOCK_WAIT = 5.0  # how long the supplier has to acknowledge a tick of the virtual clock
BROKER_CONCURRENCY = 8
"""Runs in flight at once on a real broker. A supplier drains a channel one message at a time (a Redis
stream consumer group polls for the next entry), so a burst of every run's first stimulus at once is a
backlog the harness made, not slowness of the supplier: the last order would wait seconds in the queue and
miss its deadline. Eight at a time keeps the queue short; in memory each publish is handled in turn."""
HARNESS_CHANNELS = (CLOCK, CLOCK_ACK, "em-harness.ready")


def _similarity(expected: Any, actual: Any) -> int:
    """How many leaves of the pact's example the candidate reproduces: picks the right one of several."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        return sum(_similarity(v, actual.get(k)) for k, v in expected.items())
    if isinstance(expected, list) and isinstance(actual, list):
        return sum(_similarity(e, a) for e, a in zip(expected, actual, strict=False))
    return int(expected == actual)


def _shape(value: Any) -> Any:
    """The structure of a JSON value without its scalars: which pointers exist (what personal() depends on)."""
    if isinstance(value, dict):
        return tuple((k, _shape(v)) for k, v in value.items())
    if isinstance(value, list):
        return tuple(_shape(v) for v in value)
    return type(value).__name__


def _event_type(rec: Recorded) -> Any:
    return rec.body.get("eventType") if isinstance(rec.body, dict) else None


class Scenario:
    """One thing run on the bus: a pact interaction, a flow, or a flow under a delivery fault."""

    def __init__(
        self,
        outcome: InteractionOutcome,
        tokens: Tokens,
        stimuli: list[Stimulus],
        correlator: Correlator,
        deadline: float,
        *,
        it: PlannedInteraction | None = None,
        flow: PlannedFlow | None = None,
        fault: str | None = None,
    ) -> None:
        self.outcome = outcome
        self.tokens = tokens
        self.values = tokens.correlation_values()
        self.stimuli = stimuli
        self.correlator = correlator
        self.deadline = deadline
        self.it = it
        self.flow = flow
        self.fault = fault
        self.records: list[Recorded] = []
        self.sent: list[Recorded] = []
        self.used: set[int] = set()
        self.activity = asyncio.Event()
        self.last_activity = 0.0
        self.last_sent = 0.0
        self.first_at: float | None = None
        self.reached = True

    @property
    def key(self) -> str:
        return self.outcome.key

    def offer(self, rec: Recorded) -> None:
        if rec.direction != "supplier" or rec.channel in HARNESS_CHANNELS or not mentions(rec.body, self.values):
            return
        self.records.append(rec)
        self.last_activity = rec.at
        self.activity.set()

    def flow_run(self) -> FlowRun:
        assert self.flow is not None
        return FlowRun(self.flow.flow, self.records, self.sent)

    def answers(self) -> list[Recorded]:
        """The candidates for a pact interaction's answer: its channel or its eventType."""
        it = self.it
        assert it is not None
        return [r for r in self.records if r.channel == it.channel or _event_type(r) == it.event_type]


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
        flows: list[str] | None = None,
        faults: list[str] | None = None,
        clock: str = "virtual",
        canaries: bool = True,
        min_coverage: float | None = None,
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
        self.flow_filter = flows
        """None: every flow of the provider; []: none; else the flows whose name contains one of these."""
        self.faults = list(faults or [])
        self.clock = SimClock(clock)
        self.canaries = Canaries(self.rng) if canaries else None
        self.scenarios: list[Scenario] = []
        self._poison: list[Any] = []
        self.interrupted: str | None = None
        """Set by the command when a signal stops the run (SIGTERM); SIGINT is the default."""
        self._settled: set[int] = set()  # the scenarios (by id) whose run finished
        self.min_coverage = min_coverage
        self.heard = False  # a supplier message arrived (SupplierHeard is yielded once, when it has)

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

    # -- planning the runs ---------------------------------------------------------------------
    def _selected_flows(self, plan: Plan) -> list[PlannedFlow]:
        wanted = self.flow_filter
        if wanted is None:
            wanted = [] if self.only else None  # --interaction narrows the run to what it names
        if wanted is None:
            return list(plan.flows)
        return [f for f in plan.flows if any(t in f.flow.name for t in wanted)]

    def _scenario(
        self, plan: Plan, outcome: InteractionOutcome, stimuli_of: Any, deadline: float, **kw: Any
    ) -> Scenario:
        tokens = Tokens(self.rng)
        stimuli = stimuli_of(tokens)
        if self.canaries is not None:
            for stim in stimuli:
                if stim.message == "order-submitted":
                    unsealed = {k: v for k, v in stim.body.items() if k != "eventId"}
                    self.canaries.plant(unsealed, outcome.key)
                    stim.body = unsealed
        correlator = Correlator(plan.correlation, dict(tokens.values))
        return Scenario(outcome, tokens, stimuli, correlator, deadline, **kw)

    def _scenarios(self, plan: Plan) -> list[Scenario]:
        out = []
        for it in plan.interactions:
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
            out.append(
                self._scenario(
                    plan,
                    outcome,
                    # planned but cannot run (a state the states file lacks, ...): nothing is published
                    lambda tokens, it=it: [] if it.problem else it.build_stimuli(tokens, plan.examples, plan.channels),
                    it.deadline,
                    it=it,
                )
            )
        flows = self._selected_flows(plan)
        for runs_fault in [None, *self.faults]:
            for pf in flows:
                if runs_fault is not None and runs_fault not in pf.flow.faults:
                    continue
                key = pf.key if runs_fault is None else f"{check_name(runs_fault)} / {pf.flow.name}"
                outcome = InteractionOutcome(
                    key=key,
                    consumer="flow" if runs_fault is None else check_name(runs_fault),
                    description=pf.flow.name,
                    states=[(pf.state.name, dict(pf.flow.params))],
                    event_type="",
                    channel="",
                    deadline=pf.deadline,
                    kind="flow" if runs_fault is None else "fault",
                )
                out.append(
                    self._scenario(
                        plan,
                        outcome,
                        lambda tokens, pf=pf: build_stimuli(
                            pf.state, dict(pf.flow.params), tokens, plan.examples, plan.channels
                        ),
                        pf.deadline,
                        flow=pf,
                        fault=runs_fault,
                    )
                )
        owners = {v: sc.key for sc in out for v in sc.values if sc.outcome.kind != "fault"}
        for sc in out:
            sc.correlator.owners = owners
        return out

    def _phases(self, scenarios: list[Scenario], synchronous: bool = True) -> list[tuple[list[Scenario], int]]:
        """(scenarios, how many at once) in the order they run."""
        width = self.concurrency if synchronous else min(self.concurrency, BROKER_CONCURRENCY)
        main = [s for s in scenarios if s.fault is None and not (s.flow and s.flow.advances)]
        alone = [s for s in scenarios if s.fault is None and s.flow is not None and s.flow.advances]
        faults = [s for s in scenarios if s.fault not in (None, "poison") and not s.flow.advances]  # type: ignore[union-attr]
        faults_alone = [s for s in scenarios if s.fault not in (None, "poison") and s.flow.advances]  # type: ignore[union-attr]
        poison = [s for s in scenarios if s.fault == "poison"]
        return [(main, width), (alone, 1), (faults, width), (faults_alone, 1), (poison, width)]

    # -- the run --------------------------------------------------------------------------------
    def events(self) -> Iterator[Event]:
        started = time.monotonic()
        plan = self.plan = make_plan(self.project, self.provider)
        if self.only:
            plan.interactions = [it for it in plan.interactions if any(t in it.key for t in self.only)]
            if not plan.interactions:
                raise HarnessError(
                    f"--interaction {', '.join(self.only)!r}: no interaction of {self.provider!r} matches"
                )
        if self.flow_filter and not self._selected_flows(plan):
            raise HarnessError(f"--flow {', '.join(self.flow_filter)!r}: no flow of {self.provider!r} matches")
        try:
            yield from self._events(plan, started)
        finally:
            if self.container is not None:
                self.container.stop()

    def _offer(self, rec: Recorded) -> None:
        if rec.direction == "supplier" and self._is_poison(rec):
            return
        if rec.direction == "supplier":
            self.heard = True
        self.clock.offer(rec)
        for sc in self.scenarios:
            sc.offer(rec)

    def _is_poison(self, rec: Recorded) -> bool:
        """The tap of a real broker also sees the poison the harness published; it is no supplier message."""
        body = rec.body
        if isinstance(body, dict):
            return any(isinstance(p, dict) and p.get("eventId") == body.get("eventId") for p in self._poison)
        return any(body == (p.decode("utf-8", "replace") if isinstance(p, bytes) else p) for p in self._poison)

    def _events(self, plan: Plan, started: float) -> Iterator[Event]:
        scenarios = self.scenarios = self._scenarios(plan)
        bus, supplier = self._make_bus(plan)
        total = len(scenarios)
        from harness.catalogue.fingerprint import fingerprint

        fp = fingerprint(self.project)
        yield RunStarted(
            self.provider,
            self.bus_url,
            self.supplier_label,
            total,
            plan.pact_paths,
            plan.notes,
            catalogue_version=fp.version,
            catalogue_hash=fp.content_hash,
        )
        announced = False
        error: str | None = None
        with asyncio.Runner() as runner:
            bus.listen(self._offer)

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
            if self.heard:  # a --supplier-cmd's readiness message
                announced = True
                yield SupplierHeard()
            for i, sc in enumerate(scenarios):
                yield InteractionStarted(sc.key, i + 1, total)
            pending: set[asyncio.Task] = set()
            try:
                runner.run(self.clock.start(bus, CLOCK_WAIT, receives=CLOCK in plan.consumes))
                for group, width in self._phases(scenarios, bus.synchronous):
                    if not group:
                        continue
                    limit = asyncio.Semaphore(width)

                    async def one(sc: Scenario, limit: asyncio.Semaphore = limit) -> Scenario:
                        async with limit:
                            await self._run(bus, plan, sc)
                        return sc

                    async def spawn(group: list[Scenario] = group) -> set[asyncio.Task]:
                        return {asyncio.create_task(one(sc)) for sc in group}

                    pending = runner.run(spawn())
                    while pending:
                        done, pending = runner.run(asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED))
                        if self.heard and not announced:
                            announced = True
                            yield SupplierHeard()
                        for task in done:
                            self._settled.add(id(task.result()))
                            yield InteractionSettled(task.result().outcome)
            except KeyboardInterrupt:  # SIGINT, or SIGTERM turned into it: clean up, then report what settled
                self.interrupted = self.interrupted or "SIGINT"
                error = f"interrupted by {self.interrupted}: the run stopped before every interaction settled"
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
        coverage = self._coverage(plan, bus)  # before _judge redacts what was recorded
        outcomes = self._judge(plan, bus, error)
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
            clock=self.clock.note,
            interrupted=self.interrupted,
            catalogue_version=fp.version,
            catalogue_hash=fp.content_hash,
            coverage=coverage,
            min_coverage=self.min_coverage,
            heard=self.heard,
        )

    async def _run(self, bus: Bus, plan: Plan, sc: Scenario) -> None:
        headers_of = lambda body: {"eventType": body.get("eventType", ""), "content-type": "application/json"}  # noqa: E731
        if sc.outcome.problem:  # planned but cannot run: judged as not verified, nothing is published
            return
        if sc.fault == "poison":
            for address in plan.consumes:
                if address in HARNESS_CHANNELS:
                    continue
                for poison in poison_messages(address):
                    self._poison.append(poison)
                    try:
                        await bus.publish(address, poison, {"eventType": address, "content-type": "application/json"})
                    except InfrastructureError:
                        raise
                    except Exception as exc:
                        # In memory the supplier's framework decodes inside publish(): a decoding error
                        # there is its rejection of the poison (on a broker it would log and drop it).
                        sc.outcome.notes.append(f"poison on {address} rejected in the supplier: {type(exc).__name__}")
        order = list(reversed(sc.stimuli)) if sc.fault == "reorder" else list(sc.stimuli)
        last_seq = 0
        for stim in order:
            waits = stim.after is not None and sc.fault != "reorder"
            if waits and await self._answer(bus, sc, stim, last_seq) is None:
                where = f" carrying {stim.after_where}" if stim.after_where else ""
                sc.outcome.notes.append(
                    f"state not reached: the supplier published no {stim.after}{where} correlated with this "
                    f"interaction within {sc.deadline:g} s of the previous stimulus, so the {stim.message} "
                    "stimulus was not sent"
                )
                sc.reached = False
                break
            if stim.advance and not await self.clock.advance(bus, stim.advance, CLOCK_WAIT):
                why = (
                    "the run is on the wall clock" if not self.clock.virtual else "the supplier did not acknowledge it"
                )
                sc.outcome.notes.append(
                    f"state not reached: the {stim.message} stimulus needs simulated time moved on by "
                    f"{stim.advance:g} s and {why}"
                )
                sc.reached = False
                break
            if stim.delay and not bus.synchronous:
                await asyncio.sleep(stim.delay)
            if sc.fault == "delay":
                await asyncio.sleep(DELAY_SECONDS)
            body = stim.stamped(self.clock.text())
            sent = await bus.publish(stim.channel, body, headers_of(body))
            if sc.first_at is None:
                sc.first_at = sent.at
            sc.sent.append(sent)
            last_seq = sent.seq
            sc.last_sent = sent.at  # answers can arrive during publish() on a synchronous bus
            if sc.fault == "duplicate":
                again = await bus.publish(stim.channel, body, headers_of(body))
                sc.sent.append(again)
        await self._settle(bus, sc)
        if sc.fault == "redeliver" and sc.reached:
            await asyncio.sleep(REDELIVER_AFTER)
            for rec in list(sc.sent):
                again = await bus.publish(rec.channel, rec.body, headers_of(rec.body))
                sc.last_sent = again.at
            await self._settle(bus, sc)

    async def _answer(self, bus: Bus, sc: Scenario, stim: Stimulus, since_seq: int) -> Recorded | None:
        """The supplier's answer to the previous stimulus, as `after:` names it (see the module docstring)."""
        end = bus.now() + sc.deadline
        while True:
            sc.correlator.learn(sc.records)
            for rec in sc.records:
                if rec.seq <= since_seq or rec.seq in sc.used:
                    continue
                if rec.channel != stim.after and _event_type(rec) != stim.after:
                    continue
                if stim.after_where and not sc.correlator.carries(rec, stim.after_where):
                    continue
                sc.used.add(rec.seq)
                return rec
            left = end - bus.now()
            if left <= 0:
                return None
            sc.activity.clear()
            await bus.wait_for(sc.activity, left)

    def _done(self, sc: Scenario) -> bool:
        if sc.flow is not None:
            return awaited_done(sc.flow_run())
        sc.correlator.learn(sc.records)
        return any(sc.correlator.correlated(r) for r in sc.answers())

    async def _settle(self, bus: Bus, sc: Scenario) -> None:
        """Wait until the run has what it waits for (or its deadline passed), then for quiet."""
        end = bus.now() + sc.deadline + LATE_GRACE
        while not self._done(sc):
            left = end - bus.now()
            if left <= 0:
                break
            sc.activity.clear()
            await bus.wait_for(sc.activity, left)
        # A better-matching answer, or a second one that should not come, may follow: wait for quiet.
        while (quiet := bus.now() - max(sc.last_activity, sc.last_sent)) < bus.settle:
            await asyncio.sleep(bus.settle - quiet)
        if sc.flow is not None and any(s.count in ("never", "at-most-once") for s in sc.flow.flow.steps):
            # An absence can only be seen by waiting: the whole deadline after the last stimulus.
            left = sc.last_sent + sc.deadline - bus.now()
            if left > 0:
                await asyncio.sleep(left)

    def _coverage(self, plan: Plan, bus: Bus) -> Any:
        """What of the catalogue the supplier's messages exercised (harness.verify.coverage)."""
        from harness.catalogue.states import load_states
        from harness.verify.coverage import compute

        defined = load_states(self.project.states_dir).get(self.provider)
        states = list(defined.states) if defined is not None else []
        runs = [([name for name, _ in sc.outcome.states], bool(sc.records)) for sc in self.scenarios]
        messages = [
            r
            for r in bus.recorded
            if r.direction == "supplier" and r.channel not in HARNESS_CHANNELS and not self._is_poison(r)
        ]
        return compute(plan.registry, plan.publishes, states, runs, messages)

    # -- judging --------------------------------------------------------------------------------
    def _judge(self, plan: Plan, bus: Bus, error: str | None) -> list[InteractionOutcome]:
        orphans = self._orphans(bus)
        for sc in self.scenarios:
            sc.correlator.learn(sc.records)
            sc.outcome.messages = sorted(sc.records, key=lambda r: r.seq)
            sc.outcome.stimuli = list(sc.sent)
        pacts = [sc for sc in self.scenarios if sc.it is not None and not sc.outcome.problem]
        for sc in self.scenarios:
            if sc.outcome.problem:
                judge_not_run(sc.outcome)
        if error is not None:  # what never settled is not judged: the supplier is not blamed for the run's end
            unsettled = [sc for sc in pacts if id(sc) not in self._settled]
            for sc in unsettled:
                judge_unsettled(sc.outcome, error)
            pacts = [sc for sc in pacts if id(sc) in self._settled]
        for sc in pacts:
            self._choose(sc, orphans)
            judge_local(plan, sc.outcome)
            judge_correlation(sc.outcome, sc.correlator)
            if sc.outcome.captured is not None:
                judge_event_ids(sc.outcome)
        flows = {sc.flow.flow.name: sc for sc in self.scenarios if sc.flow is not None and sc.fault is None}
        for sc in flows.values():
            self._judge_flow(plan, sc)
        for sc in self.scenarios:
            if sc.fault is not None:
                self._judge_fault(sc, flows.get(sc.flow.flow.name))  # type: ignore[union-attr]
        self._canaries(plan, bus)
        outcomes = [sc.outcome for sc in pacts]
        if outcomes and error is None:
            judge_pacts(plan, outcomes)
        else:
            mark_unjudged(outcomes, "not judged: the run ended early")
        self._redact(plan, bus)
        return [sc.outcome for sc in self.scenarios]

    def _orphans(self, bus: Bus) -> list[Recorded]:
        """Supplier messages no run claims: where an uncorrelated answer would be."""
        claimed = {r.seq for sc in self.scenarios for r in sc.records}
        return [
            r
            for r in bus.recorded
            if r.direction == "supplier"
            and r.seq not in claimed
            and r.channel not in HARNESS_CHANNELS
            and not self._is_poison(r)
        ]

    def _choose(self, sc: Scenario, orphans: list[Recorded]) -> None:
        it, outcome = sc.it, sc.outcome
        assert it is not None
        candidates = sc.answers()
        if candidates:
            best = max(
                candidates,
                key=lambda r: (sc.correlator.correlated(r), _similarity(it.expected_body, r.body), -r.seq),
            )
            outcome.captured = best
            # The deadline is the supplier's reaction time: from the stimulus it answers (the last one
            # published before it), not from the first of a long state, whose earlier steps had their own.
            before = [s.at for s in sc.sent if s.at <= best.at]
            start = max(before) if before else (sc.first_at if sc.first_at is not None else 0.0)
            outcome.elapsed = best.at - start
            return
        elsewhere = [r for r in sc.records if r not in candidates]
        for r in elsewhere[:3]:
            outcome.notes.append(
                f"the supplier published a correlated message on {r.channel!r} ({_event_type(r) or 'not JSON'}), "
                f"not on {it.channel!r}"
            )
        after = sc.first_at if sc.first_at is not None else 0.0
        near = [r for r in orphans if (r.channel == it.channel or _event_type(r) == it.event_type) and r.at >= after]
        if near:
            nearest = max(near, key=lambda r: (_similarity(it.expected_body, r.body), -r.seq))
            reasons = sc.correlator.failures(nearest)
            why = f": {reasons[0].message}" if reasons else ""
            outcome.notes.append(
                f"published on the right channel but not correlated: {len(near)} {it.event_type} message(s) carried "
                f"none of this interaction's ids; the nearest candidate is seq {nearest.seq}{why}"
            )

    def _judge_flow(self, plan: Plan, sc: Scenario) -> None:
        outcome = sc.outcome
        flow_failures, same_failures = judge_flow(sc.flow_run())
        correlation = list(same_failures)
        for rec in sc.outcome.messages:
            correlation.extend(sc.correlator.failures(rec))
        if flow_failures and outcome.notes:
            flow_failures.append(Failure("", "the flow's state", "not reached", "; ".join(outcome.notes)))
        if correlation:
            outcome.checks.append(
                CheckResult(FLOW, False, skipped="the flow's messages are not correlated (see correlation)")
            )
        else:
            outcome.checks.append(CheckResult(FLOW, not flow_failures, flow_failures))
        outcome.checks.append(CheckResult(CORRELATION, not correlation, correlation))
        ids = event_id_failures(outcome.messages)
        outcome.checks.append(CheckResult(EVENT_ID, not ids, ids))
        outcome.checks.append(CheckResult(MINIMISATION, True))
        for rec in outcome.messages:
            add_undeclared(plan, outcome, rec)

    def _judge_fault(self, sc: Scenario, base: Scenario | None) -> None:
        name = check_name(sc.fault or "")
        if base is None or not all(c.passed for c in base.outcome.checks if c.check in (FLOW, CORRELATION)):
            sc.outcome.checks.append(
                CheckResult(name, False, skipped=f"the flow {sc.outcome.description!r} fails without the fault")
            )
            return
        flow_failures, same_failures = judge_flow(sc.flow_run())
        failures = flow_failures + same_failures
        for rec in sc.outcome.messages:
            failures.extend(sc.correlator.failures(rec))
        if failures and sc.outcome.notes:
            failures.append(Failure("", "the flow's state", "not reached", "; ".join(sc.outcome.notes)))
        for f in failures:
            f.message = f"under fault {sc.fault}: {f.message}"
        sc.outcome.checks.append(CheckResult(name, not failures, failures))

    def _canaries(self, plan: Plan, bus: Bus) -> None:
        """data-minimisation: a canary anywhere outside a field marked x-personal-data, on any channel."""
        if self.canaries is None:
            return
        by_key = {sc.key: sc.outcome for sc in self.scenarios}
        for rec in bus.recorded:
            if rec.direction != "supplier" or rec.channel in HARNESS_CHANNELS or self._is_poison(rec):
                continue
            hits = self.canaries.find(rec.body)
            if not hits:
                continue
            body = rec.body if isinstance(rec.body, dict) else {}
            version = body.get("version")
            doc = plan.registry.get(str(body.get("eventType")), version) if isinstance(version, int) else None
            personal = set(plan.registry.personal(doc, body)) if doc is not None else set()
            for pointer, value in hits:
                owner, field = self.canaries.planted[value]
                outcome = by_key.get(owner)
                check = outcome.check(MINIMISATION) if outcome is not None else None
                if check is None or check.skipped or _is_personal(pointer, personal):
                    continue
                check.failures.append(
                    Failure(
                        pointer or "/",
                        "no personal value outside a field marked x-personal-data",
                        f"<canary: {field}>",
                        f"{body.get('eventType', rec.channel)} (seq {rec.seq}, channel {rec.channel!r}) carries the "
                        f"wearer's {field} at {pointer or '/'}, which the schema does not mark x-personal-data "
                        "(a canary planted in this interaction's order; its value is not shown)",
                    )
                )
                check.passed = False

    def _redact(self, plan: Plan, bus: Bus) -> None:
        """Reports never show a personal value: redact x-personal-data fields and canaries in every record."""
        from harness.schemas.registry import redact_pointers

        known: dict[tuple[Any, ...], list[str]] = {}  # (schema, shape of the message) -> its personal pointers
        for rec in bus.recorded:
            body = rec.body
            if isinstance(body, dict):
                version = body.get("version")
                doc = plan.registry.get(str(body.get("eventType")), version) if isinstance(version, int) else None
                if doc is not None:
                    key = (doc.uri, _shape(body))
                    if key not in known:
                        known[key] = plan.registry.personal(doc, body)
                    body = redact_pointers(body, known[key])
            if self.canaries is not None:
                body = self.canaries.scrub(body)
            rec.body = body
