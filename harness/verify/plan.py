"""Plan: which checks apply to a provider, from the catalogue alone (no bus, no supplier)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from harness.catalogue.asyncapi import AsyncApiDoc, load_asyncapi
from harness.catalogue.flows import FlowDef, load_flows
from harness.catalogue.pacts import load_pacts
from harness.catalogue.states import Correlation, StateDef, load_states
from harness.errors import HarnessError
from harness.project import Project
from harness.schemas.registry import SchemaRegistry

DEFAULT_DEADLINE = 5.0


@dataclass
class PlannedInteraction:
    key: str
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

    def build_stimuli(self, tokens: Any, examples: dict[str, Any], channels: dict[str, str]) -> list[Any]:
        """The messages that put the supplier in this interaction's provider states, in order.

        The seam for interactions whose stimulus is not a provider state (a synchronous pact's request):
        they carry their own stimuli here, and the engine publishes whatever this returns."""
        from harness.simulate.stimuli import build_stimuli

        out: list[Any] = []
        for (_, params), state in zip(self.states, self.state_defs, strict=True):
            out.extend(build_stimuli(state, params, tokens, examples, channels))
        return out


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
    correlation: Correlation = field(default_factory=Correlation)  # contracts/states correlation rules
    flows: list[PlannedFlow] = field(default_factory=list)
    consumes: list[str] = field(default_factory=list)  # channel addresses the provider receives (asyncapi)


def make_plan(project: Project, provider: str) -> Plan:
    """Every interaction of every pact whose provider is `provider`, with its state and channel."""
    registry = SchemaRegistry(project.schemas_dir)
    asyncapi = load_asyncapi(project.asyncapi_path)
    systems = asyncapi.systems()
    if provider not in systems:
        raise HarnessError(f"unknown provider {provider!r}; the catalogue knows: {', '.join(systems)}")
    pacts = [p for p in load_pacts(project.pacts_dir) if p.provider == provider]
    if not pacts:
        raise HarnessError(f"no pact in {project.pacts_dir} names provider {provider!r}; nothing to verify")
    states = load_states(project.states_dir).get(provider)
    examples: dict[str, dict[str, Any]] = {}
    channels: dict[str, str] = {}
    for doc in registry.messages():
        examples[doc.name] = doc.contents["examples"][0]
        channel = asyncapi.channel_for_event_type(doc.event_type)
        channels[doc.name] = channel.address if channel else doc.event_type
    interactions = []
    for pact in pacts:
        for it in pact.interactions:
            event_type = it.metadata.get("eventType") or (it.body or {}).get("eventType")
            if not isinstance(event_type, str):
                raise HarnessError(f"{pact.path}: interaction {it.description!r} names no eventType")
            channel = it.metadata.get("channel") or it.metadata.get("routingKey")
            if not channel:
                found = asyncapi.channel_for_event_type(event_type)
                channel = found.address if found else event_type
            defs, deadline = [], DEFAULT_DEADLINE
            for name, _params in it.states:
                state = None if states is None else states.states.get(name)
                if state is None:
                    raise HarnessError(
                        f"{pact.path}: provider state {name!r} is not defined in contracts/states/{provider}.yaml"
                    )
                defs.append(state)
                if state.deadline:
                    deadline = float(state.deadline)
            interactions.append(
                PlannedInteraction(
                    key=f"{pact.consumer} / {it.description}",
                    consumer=pact.consumer,
                    description=it.description,
                    pact_path=str(pact.path),
                    states=list(it.states),
                    state_defs=defs,
                    event_type=event_type,
                    channel=channel,
                    expected_body=it.body,
                    metadata=dict(it.metadata),
                    deadline=deadline,
                )
            )
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
        correlation=states.correlation if states is not None else Correlation(),
        flows=flows,
        consumes=consumes,
    )
