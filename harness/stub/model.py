"""What a stub supplier says, derived from the contract alone: provider states, pact examples, schemas.

The provider's states (contracts/states/<provider>.yaml) form a tree of stimulus sequences: every state
starts with an order and adds steps. The stub keeps, per order (a *context*, found by the token values a
stimulus carries at the pointers the states set from tokens), the stimuli it has seen, and on each new one:

- finds the states whose whole stimulus sequence matches what this order has seen (same messages, and the
  state's literal `set` values present in what was received); the most specific one (most literal values)
  wins: its pact examples are the answers, chosen for the parameters the stimuli carry;
- when no state is complete yet, answers with what the next step of a matching state waits for (`after:`,
  with its `where` values), so the harness can go on;
- a pact's synchronous interaction is a state of its own whose only stimulus is its request.

Each answer is the pact example made to belong to this order: every echo pointer of the states' correlation
section gets the order's token or the announced value (the announcing message, case-created, is sent once per
order and first), personReference carries the order's identifiers, the envelope times are the stub's clock
(the virtual clock when the harness ticks it), and the eventId is resealed (RFC 8785, harness.catalogue.envelope).
"""

from __future__ import annotations

import copy
import re
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from harness.bus.recorded import Recorded
from harness.catalogue.envelope import seal
from harness.catalogue.flows import Call, Minus, Ref, refs_of
from harness.catalogue.pactverifier import pointer_get
from harness.simulate.clock import parse_utc, utc_text
from harness.simulate.stimuli import set_pointer
from harness.verify.flows import LONDON, Evaluator, FlowRun, Missing, to_time
from harness.verify.plan import Plan

CLOCK = "em-harness.sim-clock"
CLOCK_ACK = "em-harness.sim-clock-ack"
READY = "em-harness.ready"
_TOKEN = re.compile(r"\{token:([A-Za-z_][A-Za-z0-9_]*)\}")
_PARAM = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_MISSING = object()
_LONDON_TEXT = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$")


@dataclass
class Step:
    """One stimulus of a state, as the stub recognises it."""

    message: str
    literals: dict[str, Any] = field(default_factory=dict)  # pointer -> value (None: absent)
    tokens: dict[str, str] = field(default_factory=dict)  # pointer -> token kind
    params: dict[str, str] = field(default_factory=dict)  # pointer -> parameter name
    after: str | None = None
    after_where: dict[str, Any] = field(default_factory=dict)


@dataclass
class Answer:
    message: str
    params: dict[str, Any]
    body: dict[str, Any]


@dataclass
class Script:
    """A provider state (or a synchronous pact's request) and the answers the pacts expect for it."""

    name: str
    steps: list[Step]
    defaults: dict[str, Any] = field(default_factory=dict)
    answers: list[Answer] = field(default_factory=list)

    @property
    def weight(self) -> int:
        return sum(len(s.literals) for s in self.steps)


@dataclass
class Out:
    """A message the stub publishes: unprefixed channel address, body, headers."""

    address: str
    body: dict[str, Any]
    headers: dict[str, str]


@dataclass
class Context:
    """One order as the stub sees it."""

    history: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    tokens: dict[str, Any] = field(default_factory=dict)
    announced: dict[str, Any] = field(default_factory=dict)
    person: Any = None  # the personReference of the order, as received
    sent: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    pending: list[tuple[str, dict[str, Any]]] = field(default_factory=list)


def _step(stim: Any) -> Step:
    step = Step(stim.message, after=stim.after, after_where=dict(stim.after_where or {}))
    for pointer, raw in (stim.set or {}).items():
        if isinstance(raw, str) and (m := _TOKEN.fullmatch(raw)):
            step.tokens[pointer] = m.group(1)
        elif isinstance(raw, str) and (m := _PARAM.fullmatch(raw)):
            step.params[pointer] = m.group(1)
        elif isinstance(raw, str) and ("{" in raw):
            continue  # a value built from placeholders: not recognisable as a literal
        else:
            step.literals[pointer] = raw
    return step


def _get(body: Any, pointer: str) -> Any:
    try:
        return pointer_get(body, pointer)
    except (KeyError, IndexError, TypeError, ValueError):
        return _MISSING


def _same(expected: Any, found: Any) -> bool:
    if expected is None:
        return found is _MISSING or found is None
    return found is not _MISSING and str(found) == str(expected)


def _flow_pointer(path: str) -> str:
    from harness.catalogue.flows import path_pointer

    return path_pointer(path) or ""


def _like(current: Any, value: Any) -> Any:
    """A computed instant written the way the field writes instants (London local or UTC RFC 3339)."""
    moment = to_time(value)
    if moment is None or (isinstance(value, str) and (not isinstance(current, str) or current == value)):
        return value
    if isinstance(current, str) and _LONDON_TEXT.match(current):
        return moment.astimezone(LONDON).strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, str) and _LONDON_TEXT.match(value) and current is _MISSING:
        return value
    return utc_text(moment.astimezone(UTC))


def _apply(rule: Any, evaluator: Evaluator, here: Recorded, body: dict[str, Any], pinned: set[str]) -> None:
    """Change `body` so that one flow rule about its own field holds, where the rule says how.

    `duration = seconds(end - start)` with the duration pinned by another rule sets the end instead."""
    try:
        if rule.when is not None and not evaluator.holds(rule.when, here)[0]:
            return
    except Missing:
        return
    target = rule.args[0]
    if not isinstance(target, Ref) or target.step is not None or target.stimulus is not None:
        return
    try:
        if evaluator.holds(rule, here)[0]:
            return
    except Missing:
        pass
    current = _get(body, target.pointer)
    expr = rule.args[1] if len(rule.args) > 1 else None
    if rule.op == "equal" and target.pointer in pinned and isinstance(expr, Call) and isinstance(expr.arg, Minus):
        later, earlier = expr.arg.left, expr.arg.right
        try:
            base = to_time(evaluator.value(earlier, here))
        except Missing:
            return
        if isinstance(later, Ref) and base is not None and isinstance(current, int | float):
            moment = base + timedelta(seconds=current)
            set_pointer(body, later.pointer, _like(_get(body, earlier.pointer), moment))
        return
    try:
        if rule.op in ("equal", "within"):
            value = evaluator.value(rule.args[1], here)
        elif rule.op == "compare" and rule.args[1] in (">=", "<=", "=="):
            value = evaluator.value(rule.args[2], here)
        elif rule.op == "in" and rule.args[1]:
            value = rule.args[1][0]
        else:
            return
    except Missing:
        return
    set_pointer(body, target.pointer, _like(current, value))


def _fill(base: Any, other: Any) -> None:
    """Add to `base` what `other` has and it lacks (keys only: a value `base` has is kept)."""
    if isinstance(base, dict) and isinstance(other, dict):
        for key, value in other.items():
            if key not in base:
                base[key] = copy.deepcopy(value)
            else:
                _fill(base[key], value)


def _merged(answers: list[Answer]) -> list[tuple[str, dict[str, Any]]]:
    """One body per message: the first pact example, with what the others show and it lacks.

    Consumers write examples of different depth for one state (an envelope-only one, a full one); the
    answer must satisfy all of them, and pact matching takes a message with more than an example shows."""
    out: dict[str, dict[str, Any]] = {}
    for answer in answers:
        if answer.message not in out:
            out[answer.message] = copy.deepcopy(answer.body)
        else:
            _fill(out[answer.message], answer.body)
    return list(out.items())


class StubModel:
    """The provider's behaviour as the contract states it; `receive` maps one message to the answers."""

    def __init__(self, plan: Plan, states: Any, wall: Any = None) -> None:
        self.plan = plan
        self.states = states
        self.provider = plan.provider
        self.correlation = plan.correlation
        self.scripts: list[Script] = []
        self.templates: dict[str, dict[str, Any]] = {}  # message -> a pact example of it
        self.contexts: list[Context] = []
        self.seen: set[str] = set()  # eventIds already handled (a redelivery changes nothing)
        self.virtual: datetime | None = None
        self.wall = wall or (lambda: datetime.now(UTC))
        by_name: dict[str, Script] = {}
        for name, state in (states.states if states is not None else {}).items():
            script = Script(name, [_step(s) for s in state.stimuli], state.defaults())
            by_name[name] = script
            self.scripts.append(script)
        for it in plan.interactions:
            if it.problem or not isinstance(it.expected_body, dict):
                continue
            message = it.event_type.removeprefix("electronic-monitoring.")
            self.templates.setdefault(message, it.expected_body)
            if it.request is not None:
                request = Step(it.request.message, tokens=dict(it.request.token_pointers))
                steps = [s for name, _ in it.states for s in by_name[name].steps] if it.states else []
                script = Script(f"request of {it.key}", [*steps, request])
                script.answers.append(Answer(message, {}, it.expected_body))
                self.scripts.append(script)
            elif len(it.states) == 1 and it.states[0][0] in by_name:
                name, params = it.states[0]
                by_name[name].answers.append(Answer(message, dict(params), it.expected_body))
        self.flows = [f.flow for f in plan.flows if f.flow.usable]
        self.token_pointers: dict[str, dict[str, str]] = {}
        for script in self.scripts:
            for step in script.steps:
                self.token_pointers.setdefault(step.message, {}).update(step.tokens)

    # -- the clock -----------------------------------------------------------------------------
    def now(self) -> datetime:
        return self.virtual if self.virtual is not None else self.wall()

    def tick(self, body: dict[str, Any]) -> list[Out]:
        """em-harness.sim-clock: take its `now` as the time until the next tick; acknowledge it."""
        moment = parse_utc(body.get("now"))
        if moment is None:
            return []
        self.virtual = moment
        ack = {"eventType": CLOCK_ACK, "provider": self.provider, "now": body["now"]}
        return [Out(CLOCK_ACK, ack, {"eventType": CLOCK_ACK, "content-type": "application/json"})]

    # -- receiving -----------------------------------------------------------------------------
    def message_of(self, address: str) -> str | None:
        for message, channel in self.plan.channels.items():
            if channel == address:
                return message
        return None

    def receive(self, address: str, body: Any) -> list[Out]:
        """The answers to one received message (none for what the provider does not consume)."""
        if not isinstance(body, dict):
            return []  # a poison message: dropped, never a crash
        if address == CLOCK:
            return self.tick(body)
        message = self.message_of(address)
        if message is None or address not in self.plan.consumes:
            return []
        event_id = body.get("eventId")
        if isinstance(event_id, str):
            if event_id in self.seen:
                return []  # a redelivery or a duplicate delivery: answered once already
            self.seen.add(event_id)
        context = self._context(message, body)
        for pointer, kind in self.token_pointers.get(message, {}).items():
            value = _get(body, pointer)
            if value is not _MISSING and value is not None:
                context.tokens.setdefault(kind, value)
        if context.person is None and isinstance(body.get("personReference"), dict):
            context.person = copy.deepcopy(body["personReference"])
        # A message that continues no state of this order yet (a visit overtaking its order on the bus) waits
        # until the order has reached the point where it does.
        context.pending.append((message, body))
        outs: list[Out] = []
        progress = True
        while progress:
            progress = False
            for item in list(context.pending):
                if any(self._matches(s, [*context.history, item]) for s in self.scripts):
                    context.pending.remove(item)
                    context.history.append(item)
                    outs += [self._out(context, m, b) for m, b in self._answers(context)]
                    progress = True
                    break
        return outs

    def _context(self, message: str, body: dict[str, Any]) -> Context:
        values = set()
        for pointer in self.token_pointers.get(message, {}):
            value = _get(body, pointer)
            if value is not _MISSING and value is not None:
                values.add(str(value))
        for context in self.contexts:
            if values & {str(v) for v in context.tokens.values()}:
                return context
        context = Context()
        self.contexts.append(context)
        return context

    def _matches(self, script: Script, history: list[tuple[str, dict[str, Any]]]) -> bool:
        if len(script.steps) < len(history):
            return False
        for step, (message, body) in zip(script.steps, history, strict=False):
            if step.message != message:
                return False
            if not all(_same(v, _get(body, p)) for p, v in step.literals.items()):
                return False
        return True

    def _answers(self, context: Context) -> list[tuple[str, dict[str, Any]]]:
        history = context.history
        matching = [s for s in self.scripts if self._matches(s, history)]
        flowed = {f.given for f in self.flows}
        complete = [s for s in matching if len(s.steps) == len(history) and (s.answers or s.name in flowed)]
        chosen: list[tuple[str, dict[str, Any]]] = []
        if complete:
            best = max(s.weight for s in complete)
            top = [s for s in complete if s.weight == best]
            # A state that only a flow describes (no pact example) says what its less specific sibling says,
            # and what its flow adds.
            speaking = next(
                (
                    [s for s in complete if s.weight == w and s.answers]
                    for w in sorted({s.weight for s in complete}, reverse=True)
                    if any(s.weight == w and s.answers for s in complete)
                ),
                [],
            )
            for script in speaking:
                params = dict(script.defaults)
                for step, (_, body) in zip(script.steps, history, strict=False):
                    for pointer, name in step.params.items():
                        if (value := _get(body, pointer)) is not _MISSING:
                            params[name] = value
                answers = [a for a in script.answers if all(_same(v, params.get(k)) for k, v in a.params.items())]
                chosen += [c for c in _merged(answers or script.answers) if c[0] not in (m for m, _ in chosen)]
            for script in top:
                chosen += self._flow_steps(script, context, chosen)
        else:
            for script in matching:
                step = script.steps[len(history)] if len(script.steps) > len(history) else None
                if step is None or step.after is None or step.after in (m for m, _ in chosen):
                    continue
                template = self._template(step.after, step.after_where)
                if template is not None:
                    chosen.append((step.after, template))
        first = {s.name for s in complete} if complete else set()
        return self._with_announcements(context, self._in_flow_order(context, chosen, first))

    def _given(self, context: Context) -> list[Any]:
        """The flows whose provider state this order is on the way to (its stimuli so far match)."""
        matching = [s for s in self.scripts if self._matches(s, context.history)]
        n = len(context.history)
        weight = {s.name: sum(len(step.literals) for step in s.steps[:n]) for s in matching}
        best = max(weight.values(), default=0)
        names = {name for name, w in weight.items() if w == best}  # the most specific reading of the order
        return [f for f in self.flows if f.given in names]

    def _flow_steps(self, script: Script, context: Context, chosen: list[tuple[str, dict[str, Any]]]) -> list[Any]:
        """What a flow of this state awaits (count once / at least once) that neither the pacts nor earlier
        answers gave: the state's description is prose, the flow says it in a form the stub can follow."""
        out: list[tuple[str, dict[str, Any]]] = []
        for flow in (f for f in self.flows if f.given == script.name):
            for step in flow.steps:
                if not step.awaited:
                    continue
                where = {_flow_pointer(p): v for p, v in step.where.items()}
                done = [*context.sent, *chosen, *out]
                if any(m == step.message and all(_same(v, _get(b, p)) for p, v in where.items()) for m, b in done):
                    continue
                template = self._template(step.message, where)
                if template is not None:
                    out.append((step.message, template))
        return out

    def _in_flow_order(self, context: Context, chosen: list[tuple[str, dict[str, Any]]], first: set[str]) -> list[Any]:
        """Answers in the order the flows list their steps (a status `installed` after the visit), the flows
        of the state just reached first."""
        order: list[tuple[str, dict[str, Any]]] = []
        for flow in sorted(self._given(context), key=lambda f: f.given not in first):
            for step in flow.steps:
                order.append((step.message, {_flow_pointer(p): v for p, v in step.where.items()}))

        def rank(item: tuple[str, dict[str, Any]]) -> int:
            message, body = item
            for i, (m, where) in enumerate(order):
                if m == message and all(_same(v, _get(body, p)) for p, v in where.items()):
                    return i
            return len(order)

        return sorted(chosen, key=rank)

    def _honour_flows(self, context: Context, message: str, body: dict[str, Any]) -> None:
        """Make an answer keep the value rules of the flows its order is in (times from the stimuli, an end
        no earlier than its start, a duration that is end minus start). A rule that names a value this order
        does not have is left to the judge."""
        records = [Recorded(i, 0.0, m, {}, b, "supplier") for i, (m, b) in enumerate(context.sent)]
        stimuli = [Recorded(i, 0.0, m, {}, b, "stimulus") for i, (m, b) in enumerate(context.history)]
        for flow in self._given(context):
            run = FlowRun(flow, records, stimuli)
            steps = {s.id: run.of(s) for s in flow.steps}
            evaluator = Evaluator(run, steps)
            here = Recorded(len(records), 0.0, message, {}, body, "supplier")
            for step in flow.steps:
                where = {_flow_pointer(p): v for p, v in step.where.items()}
                if step.message != message or not all(_same(v, _get(body, p)) for p, v in where.items()):
                    continue
                pinned = {  # fields a rule fixes from outside the message (a duration from the telemetry)
                    r.args[0].pointer
                    for r in step.rules
                    if r.op == "equal"
                    and isinstance(r.args[0], Ref)
                    and r.args[0].step is None
                    and r.args[0].stimulus is None
                    and any(x.step is not None or x.stimulus is not None for x in refs_of(r.args[1]))
                }
                for _ in range(2):  # a rule may use a value an earlier rule set (duration after end)
                    for rule in step.rules:
                        _apply(rule, evaluator, here, body, pinned)

    def _template(self, message: str, where: dict[str, Any]) -> dict[str, Any] | None:
        candidates = [a.body for s in self.scripts for a in s.answers if a.message == message]
        candidates += [self.templates[message]] if message in self.templates else []
        candidates += [self.plan.examples[message]] if message in self.plan.examples else []
        for body in candidates:
            if all(_same(v, _get(body, p)) for p, v in where.items()):
                return copy.deepcopy(body)
        if not candidates:
            return None
        body = copy.deepcopy(candidates[0])
        for pointer, value in where.items():
            set_pointer(body, pointer, value)
        return body

    def _with_announcements(
        self, context: Context, chosen: list[tuple[str, dict[str, Any]]]
    ) -> list[tuple[str, dict[str, Any]]]:
        """The announcing message (case-created) once per order, before anything that echoes its value."""
        out: list[tuple[str, dict[str, Any]]] = []
        for name, (announcer, _) in self.correlation.announced.items():
            needs = any(
                e.kind == "announced" and e.name == name
                for m, _ in chosen
                for expects in self.correlation.echo.get(m, {}).values()
                for e in expects
            ) or any(m == announcer for m, _ in chosen)
            if needs and name not in context.announced:
                body = next((b for m, b in chosen if m == announcer), None) or self._template(announcer, {})
                if body is not None:
                    out.append((announcer, body))
        announcers = {a for a, _ in self.correlation.announced.values()}
        out += [(m, b) for m, b in chosen if m not in announcers]
        return out

    # -- answering -----------------------------------------------------------------------------
    def _out(self, context: Context, message: str, template: dict[str, Any]) -> Out:
        body = {k: v for k, v in copy.deepcopy(template).items() if k != "eventId"}
        for name, (announcer, pointer) in self.correlation.announced.items():
            if message == announcer:
                context.announced[name] = secrets.token_hex(16)
                set_pointer(body, pointer, context.announced[name])
        for pointer, expects in self.correlation.echo.get(message, {}).items():
            for expect in expects:
                source = context.tokens if expect.kind == "token" else context.announced
                if expect.name in source and "*" not in pointer:
                    set_pointer(body, pointer, source[expect.name])
                    break
        now = utc_text(self.now())
        for key in ("occurredAt", "publishedAt"):
            if key in body:
                body[key] = now
        self._honour_flows(context, message, body)
        if context.person is not None and "personReference" not in body:
            with_person = {**body, "personReference": copy.deepcopy(context.person)}
            if self._valid(message, with_person):  # the identifiers go wherever the schema takes them
                body = with_person
        elif context.person is not None:
            body["personReference"] = copy.deepcopy(context.person)
        sealed = seal(body)
        context.sent.append((message, sealed))
        address = self.plan.channels.get(message, f"electronic-monitoring.{message}")
        return Out(address, sealed, {"eventType": sealed.get("eventType", address), "content-type": "application/json"})

    def _valid(self, message: str, body: dict[str, Any]) -> bool:
        registry = self.plan.registry
        doc = next((d for d in registry.messages() if d.name == message), None)
        return doc is not None and not registry.errors(doc, seal(body)) and not registry.undeclared(doc, body)

    # -- playing a state -----------------------------------------------------------------------
    def play(self, state: str, params: dict[str, Any] | None = None, seed: int | None = None) -> list[Out]:
        """Every answer of a provider state for a fresh order (`--play STATE`): the stub feeds itself the
        state's stimuli, with fresh identifiers, as verify would publish them, and returns what it answers."""
        import random

        from harness.simulate.stimuli import Tokens, build_stimuli

        definition = self.states.states.get(state) if self.states is not None else None
        if definition is None:
            known = ", ".join(self.states.states) if self.states is not None else "none"
            raise KeyError(f"no provider state {state!r} of {self.provider}; known: {known}")
        tokens = Tokens(random.Random(seed))
        stimuli = build_stimuli(definition, params or {}, tokens, self.plan.examples, self.plan.channels)
        outs: list[Out] = []
        for stim in stimuli:
            if stim.advance and self.virtual is not None:
                from datetime import timedelta

                self.virtual += timedelta(seconds=stim.advance)
            outs += self.receive(stim.channel, stim.body)
        return outs
