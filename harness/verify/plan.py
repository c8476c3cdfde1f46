"""Plan: which checks apply to a provider, from the catalogue alone (no bus, no supplier).

Every message interaction of every pact whose provider is NAME becomes one or more planned
interactions, each known by its own identity: pact file, description, provider states and their
params (two interactions may share a description under different states; each is judged against its
own message, never by description alone). A synchronous interaction (V4 `Synchronous/Messages`)
becomes one planned interaction per response: its request is published as the stimulus, with the
interaction's fresh tokens put at the identifier fields the provider's states file sets for that
message type, and the response is the expected answer.

What cannot be verified never stops the others: an HTTP interaction (pact-jvm writes combined files)
or another kind is a note of the run; a message interaction that cannot be run (a provider state the
states file does not define, a request that is no catalogue message) is planned with its `problem`
and reported as a failure naming it, while every other interaction runs.
"""

from __future__ import annotations

import contextlib
import copy
from dataclasses import dataclass, field
from typing import Any

from harness.catalogue.asyncapi import AsyncApiDoc, load_asyncapi
from harness.catalogue.envelope import NotCanonicalisable, seal
from harness.catalogue.flows import FlowDef, load_flows
from harness.catalogue.pacts import (
    ASYNC,
    MESSAGE_KINDS,
    SYNC,
    Interaction,
    Pact,
    Part,
    load_pacts,
    named_channel,
    state_text,
)
from harness.catalogue.pactverifier import pointer_get
from harness.catalogue.states import PLACEHOLDER, Correlation, StateDef, load_states
from harness.errors import HarnessError
from harness.project import Project
from harness.schemas.registry import SchemaRegistry
from harness.simulate.stimuli import Stimulus, Tokens, set_pointer

DEFAULT_DEADLINE = 5.0


@dataclass
class PlannedRequest:
    """The request of a synchronous interaction, published as a stimulus (its identifiers made fresh)."""

    message: str
    """The schema folder of the request (order-submitted)."""
    channel: str
    body: dict[str, Any]
    token_pointers: dict[str, str]
    """JSON pointer -> token kind: where this interaction's fresh identifiers go (from the states file)."""

    def stimulus(self, tokens: Tokens) -> Stimulus:
        """The request as it is published: the pact's example, fresh tokens at its identifiers, resealed."""
        body = copy.deepcopy(self.body)
        for pointer, kind in self.token_pointers.items():
            set_pointer(body, pointer, tokens.get(kind))
        if "eventId" in body:
            with contextlib.suppress(NotCanonicalisable):  # else sent as the consumer wrote it
                body = seal(body)
        return Stimulus(self.channel, self.message, body, 0.0)


@dataclass
class PlannedInteraction:
    key: str
    """Unique in the plan: "<consumer> / <description>", with the provider states (and the pact file)
    added when two interactions would otherwise read the same."""
    consumer: str
    description: str
    pact_path: str
    states: list[tuple[str, dict[str, Any]]]
    state_defs: list[Any]  # StateDef per state, same order
    event_type: str
    channel: str
    expected_body: Any
    metadata: dict[str, Any]
    deadline: float
    index: int = 0
    """The interaction's place in its pact file (/interactions/N or /messages/N)."""
    kind: str = ASYNC
    pending: bool = False
    response: int | None = None
    """Which response of a synchronous interaction this judges (0-based); None for an asynchronous one."""
    request: PlannedRequest | None = None
    problem: str | None = None
    """Why the interaction cannot be run (reported as its failure); None when it can."""
    pact: Pact | None = field(default=None, repr=False, compare=False)
    interaction: Interaction | None = field(default=None, repr=False, compare=False)
    part: Part | None = field(default=None, repr=False, compare=False)
    """The pact part the captured message is judged against."""

    @property
    def identity(self) -> tuple[str, str, str, int | None]:
        """Pact file, description, provider states with params, response: what this interaction is."""
        return self.pact_path, self.description, state_text(self.states), self.response

    def build_stimuli(self, tokens: Any, examples: dict[str, Any], channels: dict[str, str]) -> list[Any]:
        """The messages that put the supplier in this interaction's provider states, in order.

        The seam for interactions whose stimulus is not a provider state (a synchronous pact's request):
        they carry their own stimuli here, and the engine publishes whatever this returns."""
        from harness.simulate.stimuli import build_stimuli

        out: list[Any] = []
        for (_, params), state in zip(self.states, self.state_defs, strict=True):
            out.extend(build_stimuli(state, params, tokens, examples, channels))
        if self.request is not None:  # a synchronous message: its request is published last
            out.append(self.request.stimulus(tokens))
        return out


@dataclass
class Unsupported:
    """An interaction verify does not run (HTTP, or a kind it does not know): listed, never judged."""

    pact_path: str
    consumer: str
    description: str
    kind: str
    reason: str

    @property
    def note(self) -> str:
        return f"{self.consumer} / {self.description}: {self.reason}"


@dataclass
class PlannedFlow:
    """A flow of contracts/flows for this provider, with the provider state that drives it."""

    flow: FlowDef
    state: StateDef
    deadline: float

    @property
    def key(self) -> str:
        return f"flow / {self.flow.name}"

    @property
    def advances(self) -> bool:
        """Does the flow move simulated time (then it runs alone, so other runs' times stay put)?"""
        return any(s.advance for s in self.state.stimuli)


@dataclass
class Plan:
    provider: str
    interactions: list[PlannedInteraction]
    pact_paths: list[str]
    registry: SchemaRegistry
    asyncapi: AsyncApiDoc
    examples: dict[str, dict[str, Any]]  # message folder -> examples[0]
    channels: dict[str, str]  # message folder -> channel address
    publishes: list[str] = field(default_factory=list)  # eventTypes the provider sends (asyncapi)
    unsupported: list[Unsupported] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    """Structural problems of the provider's pact files (file: pointer: problem), as lint reports them."""

    @property
    def notes(self) -> list[str]:
        """One line per interaction the run leaves out and why, then each structural problem of its pacts."""
        return [u.note for u in self.unsupported] + self.problems

    correlation: Correlation = field(default_factory=Correlation)  # contracts/states correlation rules
    flows: list[PlannedFlow] = field(default_factory=list)
    consumes: list[str] = field(default_factory=list)  # channel addresses the provider receives (asyncapi)


def make_plan(project: Project, provider: str) -> Plan:
    """Every interaction of every pact whose provider is `provider`, with its state and channel."""
    registry = SchemaRegistry(project.schemas_dir)
    if registry.problems:  # a schema no validator can use: the run would crash, hang or judge nothing
        doc, ptr, problem = registry.problems[0]
        more = f" (and {len(registry.problems) - 1} more)" if len(registry.problems) > 1 else ""
        raise HarnessError(f"{_name(project, doc.path)}: {ptr or '/'}: {problem}{more}; run `em-harness lint`")
    asyncapi = load_asyncapi(project.asyncapi_path)
    systems = asyncapi.systems()
    if provider not in systems:
        raise HarnessError(f"unknown provider {provider!r}; the catalogue knows: {', '.join(systems)}")
    pacts = [p for p in load_pacts(project.pacts_dir) if p.provider == provider]
    if not pacts:
        raise HarnessError(f"no pact in {project.pacts_dir} names provider {provider!r}; nothing to verify")
    _refuse_broken_pacts(project, pacts)
    states = load_states(project.states_dir).get(provider)
    if states is not None:
        _refuse_broken_states(project, states.path)
    examples: dict[str, dict[str, Any]] = {}
    channels: dict[str, str] = {}
    for doc in registry.messages():
        examples[doc.name] = doc.contents["examples"][0]
        channel = asyncapi.channel_for_event_type(doc.event_type)
        channels[doc.name] = channel.address if channel else doc.event_type
    planner = _Planner(provider, registry, asyncapi, states)
    interactions: list[PlannedInteraction] = []
    unsupported: list[Unsupported] = []
    for pact in pacts:
        for it in pact.interactions:
            if it.kind not in MESSAGE_KINDS:
                unsupported.append(
                    Unsupported(
                        str(pact.path),
                        pact.consumer,
                        it.description,
                        it.kind,
                        f"{it.kind} interaction in {pact.path.name}: out of scope (em-harness verifies message "
                        "interactions; verify it with an HTTP provider verification)",
                    )
                )
                continue
            if it.kind == SYNC and not it.responses:
                unsupported.append(
                    Unsupported(
                        str(pact.path),
                        pact.consumer,
                        it.description,
                        it.kind,
                        f"synchronous message in {pact.path.name} with no response: nothing to verify",
                    )
                )
                continue
            interactions.extend(planner.plan(pact, it))
    if not interactions:
        raise HarnessError(
            f"no message interaction of provider {provider!r} to verify in {project.pacts_dir}: "
            + "; ".join(u.note for u in unsupported)
        )
    _unique_keys(interactions)
    publishes = [asyncapi.message(m).event_type for m in asyncapi.messages_sent_by(provider)]
    flows = []
    for flow in load_flows(project.flows_dir):
        if flow.provider != provider:
            continue
        if not flow.usable:
            raise HarnessError(f"{flow.path}: the flow is not usable; run `em-harness lint` to see why")
        state = None if states is None or flow.given is None else states.states.get(flow.given)
        if state is None:
            raise HarnessError(
                f"{flow.path}: provider state {flow.given!r} is not defined in contracts/states/{provider}.yaml"
            )
        flows.append(PlannedFlow(flow, state, float(flow.deadline or state.deadline or DEFAULT_DEADLINE)))
    consumes = []
    for key in asyncapi.messages_received_by(provider, include_harness=True):
        for channel in asyncapi.channels_of(key):
            if channel.address not in consumes:
                consumes.append(channel.address)
    return Plan(
        provider=provider,
        interactions=interactions,
        pact_paths=[str(p.path) for p in pacts],
        registry=registry,
        asyncapi=asyncapi,
        examples=examples,
        channels=channels,
        publishes=[p for p in publishes if p],
        unsupported=unsupported,
        problems=[f"{p.path.name}: {q.pointer or '/'}: {q.problem}" for p in pacts for q in p.problems],
        correlation=states.correlation if states is not None else Correlation(),
        flows=flows,
        consumes=consumes,
    )


def _name(project: Project, path: Any) -> str:
    """A catalogue file as the user knows it: relative to the project folder."""
    try:
        return path.resolve().relative_to(project.root.resolve()).as_posix()
    except ValueError:
        return str(path)


def _refuse_broken_states(project: Project, path: Any) -> None:
    """A provider's states file that lint finds errors in stops the run before it starts (exit 2).

    The same check as lint's (structure, a schema for every stimulus message, `set` pointers that land
    in the message): a state the run would misread (an endless deadline, a stimulus of no message, a
    pointer to nowhere) would otherwise end as an infrastructure error naming no file, or as failures
    the supplier is blamed for.
    """
    from harness.catalogue.lint import check_states_files, lint_project

    found, _ = lint_project(project, [check_states_files])
    name = _name(project, path)
    errors = [f for f in found if f.severity == "error" and f.file == name]
    if errors:
        first = errors[0]
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise HarnessError(f"{name}: {first.pointer or '/'}: {first.problem}{more}; run `em-harness lint`")


def _refuse_broken_pacts(project: Project, pacts: list[Pact]) -> None:
    """A structural error in one of the provider's pacts stops the run before it starts (exit 2).

    The verifier reads a pact file whole: one rule it cannot read (a matcher that is no object, a
    rule path that does not parse, a rule category that is no object) makes it judge nothing in that
    file, or judge a value by equality the consumer meant to match loosely. Running anyway would
    blame the supplier for the pact's fault, or pass what nobody checked; lint reports the same errors.
    Warnings stay notes of the run.
    """
    errors = [(p, q) for p in pacts for q in p.problems if q.severity == "error"]
    if not errors:
        return
    pact, first = errors[0]
    name = _name(project, pact.path)
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    raise HarnessError(
        f"{name}: {first.pointer or '/'}: {first.problem}{more}; the pact cannot be verified as written: "
        "fix it (run `em-harness lint` to see every problem)"
    )


def _unique_keys(interactions: list[PlannedInteraction]) -> None:
    """Keys that tell interactions apart: add the provider states, then the pact file, then a number."""

    def clashes() -> dict[str, list[PlannedInteraction]]:
        by: dict[str, list[PlannedInteraction]] = {}
        for p in interactions:
            by.setdefault(p.key, []).append(p)
        return {k: v for k, v in by.items() if len(v) > 1}

    for group in clashes().values():
        for p in group:
            p.key = f"{p.key} [given {state_text(p.states)}]" if p.states else f"{p.key} [no provider state]"
    for group in clashes().values():
        for p in group:
            p.key = f"{p.key} [{p.pact_path.rsplit('/', 1)[-1]}]"
    for group in clashes().values():
        for n, p in enumerate(group[1:], 2):
            p.key = f"{p.key} #{n}"


class _Planner:
    def __init__(self, provider: str, registry: SchemaRegistry, asyncapi: AsyncApiDoc, states: Any) -> None:
        self.provider = provider
        self.registry = registry
        self.asyncapi = asyncapi
        self.states = states

    def plan(self, pact: Pact, it: Interaction) -> list[PlannedInteraction]:
        defs, deadline, problem = self._state_defs(it)
        request, request_problem = (None, None)
        if it.kind == SYNC:
            request, request_problem = self._request(it)
        expected = [p for p in it.parts if p.role in ("message", "response")]
        out = []
        for part in expected:
            event_type = part.metadata.get("eventType") or (part.body if isinstance(part.body, dict) else {}).get(
                "eventType"
            )
            part_problem = problem or request_problem or part.body_problem
            if not isinstance(event_type, str):
                part_problem = part_problem or f"{part.label} names no eventType (metadata eventType or the body's)"
                event_type = ""
            named = named_channel(part.metadata)
            channel = named[1] if named is not None and isinstance(named[1], str) else None
            if not channel:
                found = self.asyncapi.channel_for_event_type(event_type) if event_type else None
                channel = found.address if found else event_type
            key = f"{pact.consumer} / {it.description}"
            if len(expected) > 1:
                key += f" (response {part.number + 1} of {len(expected)})"
            out.append(
                PlannedInteraction(
                    key=key,
                    consumer=pact.consumer,
                    description=it.description,
                    pact_path=str(pact.path),
                    states=list(it.states),
                    state_defs=defs,
                    event_type=event_type,
                    channel=channel,
                    expected_body=part.body,
                    metadata=dict(part.metadata),
                    deadline=deadline,
                    index=it.index,
                    kind=it.kind,
                    pending=it.pending,
                    response=part.number if part.role == "response" else None,
                    request=request,
                    problem=part_problem,
                    pact=pact,
                    interaction=it,
                    part=part,
                )
            )
        return out

    def _state_defs(self, it: Interaction) -> tuple[list[Any], float, str | None]:
        defs, deadline = [], DEFAULT_DEADLINE
        for name, _params in it.states:
            state = None if self.states is None else self.states.states.get(name)
            if state is None:
                return (
                    [],
                    deadline,
                    f"provider state {name!r} is not defined in contracts/states/{self.provider}.yaml: "
                    "the harness cannot put the supplier in it",
                )
            defs.append(state)
            if state.deadline:
                deadline = float(state.deadline)
        return defs, deadline, None

    def _request(self, it: Interaction) -> tuple[PlannedRequest | None, str | None]:
        part = it.request
        if part is None:
            return None, "the synchronous message has no request"
        if part.body_problem:
            return None, f"the request: {part.body_problem}"
        body = part.body
        if not isinstance(body, dict):
            return None, "the request is no catalogue message (its body is not a JSON object)"
        event_type = part.metadata.get("eventType") or body.get("eventType")
        version = body.get("version")
        doc = (
            self.registry.get(event_type, version)
            if isinstance(event_type, str) and isinstance(version, int) and not isinstance(version, bool)
            else None
        )
        if doc is None:
            return None, (
                f"the request is no catalogue message (eventType {event_type!r}, version {version!r} has no schema)"
            )
        named = named_channel(part.metadata)
        channel = named[1] if named is not None and isinstance(named[1], str) else None
        if not channel:
            found = self.asyncapi.channel_for_event_type(doc.event_type)
            channel = found.address if found else doc.event_type
        pointers = self._token_pointers(doc.name)
        present = {ptr: kind for ptr, kind in pointers.items() if pointer_get(body, ptr) is not None}
        if not present:
            return None, (
                f"the request carries no identifier the harness can make unique: no stimulus of {doc.name} in "
                f"contracts/states/{self.provider}.yaml sets one of its fields to a {{token:...}}"
            )
        return PlannedRequest(doc.name, channel, copy.deepcopy(body), present), None

    def _token_pointers(self, message: str) -> dict[str, str]:
        """Where the provider's states file puts fresh tokens into a message of this type."""
        out: dict[str, str] = {}
        if self.states is None:
            return out
        for state in self.states.states.values():
            for stim in state.stimuli:
                if stim.message != message:
                    continue
                for pointer, value in stim.set.items():
                    m = PLACEHOLDER.fullmatch(value) if isinstance(value, str) else None
                    if m is not None and m["token"]:
                        out.setdefault(pointer, m["name"])
        return out
