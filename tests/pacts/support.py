"""Building consumer message pacts from the catalogue's schema examples.

Each consumer test declares, per message it expects, the fields it reads and how each may vary (a
rule per JSON path). `contract` takes a schema example, keeps only those fields (so the pact asks
for no more than the consumer uses, and the example stays valid against the schema because the
schema's own example is the starting point), reseals the envelope eventId for the trimmed content,
and puts pact-python matchers on the declared paths. The same definitions are verified through the
consumer's real handler and written to contracts/pacts/<consumer>-<provider>.json.
"""

from __future__ import annotations

import copy
import functools
import json
import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

os.environ.setdefault("PACT_DO_NOT_TRACK", "true")

from pact import Pact, match

from consumers.messages import decode
from harness.catalogue.envelope import seal

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = ROOT / "schemas"
PACTS_DIR = ROOT / "contracts" / "pacts"
COMMON = json.loads((SCHEMAS / "common" / "v1.json").read_text(encoding="utf-8"))["$defs"]
CONTENT_TYPE = "application/json"

# Provider states: the fixed vocabulary (contracts/states), with the parameters each one takes.
STATES: dict[str, dict[str, frozenset[str]]] = {
    "field-monitoring-service": {
        "an order has been submitted": frozenset({"order_type"}),
        "a duplicate order has been submitted": frozenset(),
        "an order has been submitted without a usable address": frozenset(),
        "a device has been fitted": frozenset({"device_class"}),
        "equipment has been removed": frozenset(),
        "monitoring has ended": frozenset(),
        "a device wearer has breached curfew": frozenset({"minutes_absent"}),
        "a curfew violation has been excused": frozenset(),
        "a device has been tampered with": frozenset(),
    },
    "monitoring-data-service": {
        "a device has been activated": frozenset({"device_class"}),
        "a device has been deactivated": frozenset(),
        "a device has reported positions": frozenset({"count"}),
        "a device has reported its battery level": frozenset({"percentage"}),
        "a device has been tampered with": frozenset(),
        "a supplier file has been delivered": frozenset({"feed"}),
    },
    "cemo": {
        "an order has been requested": frozenset({"order_type"}),
        "an order variation has been requested": frozenset({"order_variation_type"}),
        "an order end has been requested": frozenset({"order_type"}),
    },
}


@functools.cache
def _schema(message: str) -> dict[str, Any]:
    return json.loads((SCHEMAS / message / "v1.json").read_text(encoding="utf-8"))


def schema(message: str) -> dict[str, Any]:
    """The message's v1 schema document (a copy: callers may change it)."""
    return copy.deepcopy(_schema(message))


def example(message: str, index: int = 0) -> dict[str, Any]:
    """A deep copy of one of the schema's examples (a complete, valid message)."""
    return copy.deepcopy(_schema(message)["examples"][index])


# -- rules: how a field may vary ----------------------------------------------------------------
@dataclass(frozen=True)
class Rule:
    """How one path of the body is matched. make=None keeps the example value as an exact literal."""

    make: Callable[[Any], Any] | None = None
    subtree: bool = False  # keep the example's whole subtree under this path (no per-field rules)
    array_min: int | None = None  # an array: each item like the first, at least this many


def regex(pattern: str) -> Rule:
    return Rule(lambda v: match.regex(v, regex=pattern))


def one_of(*values: str) -> Rule:
    """An enumerated string: any of the values the consumer handles (a regex, so the type stays string)."""
    return regex("^(?:" + "|".join(re.escape(v) for v in values) + ")$")


def each(min_items: int = 1) -> Rule:
    return Rule(array_min=min_items)


def _any_object(value: Any) -> Any:
    first = next(iter(value), "key")
    return match.each_key_matches(value, rules=match.regex(first, regex=r"^.+$"))


EXACT = Rule()
UTC = regex(COMMON["utcDateTime"]["pattern"])
LONDON = Rule(lambda v: match.datetime(v, "%Y-%m-%d %H:%M:%S"))
DATE = Rule(lambda v: match.date(v, "%Y-%m-%d"))
HHMM = regex(COMMON["hhmm"]["pattern"])
UUID = Rule(lambda v: match.uuid(v))
UUID_LOWER = Rule(lambda v: match.uuid(v, format="lowercase"))
"""An id the consumer looks up exactly as it sent it (correlation), so its case matters."""
CASE_ID = regex(COMMON["caseId"]["pattern"])
SYS_ID = regex(COMMON["sysId"]["pattern"])
EVENT_ID = regex(r"^sha256:[0-9a-f]{64}$")
INTEGER = Rule(lambda v: match.int(v))
NUMBER = Rule(lambda v: match.number(v))
TEXT = Rule(lambda v: match.str(v))
BOOLEAN = Rule(lambda v: match.bool(v))
YES_NO = one_of("Yes", "No")
ANY_OBJECT = Rule(_any_object, subtree=True)
"""Any JSON object at all (an eachKey rule): for consumers that store a payload without reading it."""

ENVELOPE: dict[str, Rule] = {
    "eventType": EXACT,
    "version": EXACT,
    "occurredAt": UTC,
    "eventId": EVENT_ID,
    "source": EXACT,
}


def under(prefix: str, rules: Mapping[str, Rule]) -> dict[str, Rule]:
    """The same rules below another path."""
    return {f"{prefix}.{path}" if path else prefix: rule for path, rule in rules.items()}


# -- bodies ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Body:
    plain: dict[str, Any]  # what the consumer receives in its test: the pact's example
    matched: dict[str, Any]  # the same with pact-python matchers


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def contract(message: Mapping[str, Any], rules: Mapping[str, Rule], *, reseal: bool = True) -> Body:
    """Keep only the ruled fields of an example message, reseal its eventId, and put matchers on them."""
    visited: set[str] = set()

    def wanted(path: str) -> bool:
        return path in rules or any(r.startswith(path + ".") or r.startswith(path + "[") for r in rules)

    def prune(value: Any, path: str) -> Any:
        visited.add(path)
        rule = rules.get(path)
        if rule is not None and rule.subtree:
            return copy.deepcopy(value)
        if isinstance(value, dict):
            return {k: prune(v, _join(path, k)) for k, v in value.items() if wanted(_join(path, k))}
        if isinstance(value, list):
            return [prune(item, path + "[*]") for item in value]
        return value

    def apply(value: Any, path: str) -> Any:
        rule = rules.get(path)
        if rule is not None and rule.subtree:
            return rule.make(value) if rule.make else value
        if isinstance(value, dict):
            return {k: apply(v, _join(path, k)) for k, v in value.items()}
        if isinstance(value, list):
            if rule is None or rule.array_min is None:
                if any(r.startswith(path + "[*]") for r in rules):
                    raise ValueError(f"{path}: an array with item rules needs an each() rule")
                return value
            # Matchers on the first item only: pact takes them as the rule for every item ([*]).
            items = [apply(value[0], path + "[*]"), *copy.deepcopy(value[1:])] if value else []
            return match.like(items, min=rule.array_min)
        return rule.make(value) if rule is not None and rule.make else value

    plain = prune(dict(message), "")
    missing = sorted(set(rules) - visited)
    if missing:
        raise ValueError(f"rules for paths the example does not have: {', '.join(missing)}")
    if reseal and "eventId" in plain:
        plain = seal(plain)
    return Body(plain=plain, matched=apply(plain, ""))


# -- expectations and pacts -------------------------------------------------------------------------
Check = Callable[[Any, dict[str, Any]], None]


@dataclass(frozen=True)
class Expectation:
    """One message the consumer expects: its description, provider state, body and what handling it does."""

    description: str
    state: str
    body: Body
    check: Check
    params: Mapping[str, object] = field(default_factory=dict)
    arrange: Callable[[Any], None] | None = None

    @property
    def event_type(self) -> str:
        return self.body.plain["eventType"]

    @property
    def metadata(self) -> dict[str, str]:
        return {"contentType": CONTENT_TYPE, "eventType": self.event_type, "channel": self.event_type}


ExchangeCheck = Callable[[Any, dict[str, Any], dict[str, Any]], None]


@dataclass(frozen=True)
class Exchange:
    """A synchronous message interaction (V4 Synchronous/Messages): the request the consumer sends and
    the response it expects; the check gets the service after the response was handled, the request and
    the response as plain messages."""

    description: str
    request: Body
    response: Body
    check: ExchangeCheck
    state: str | None = None
    params: Mapping[str, object] = field(default_factory=dict)

    @property
    def request_metadata(self) -> dict[str, str]:
        event_type = self.request.plain["eventType"]
        return {"contentType": CONTENT_TYPE, "eventType": event_type, "channel": event_type}

    @property
    def response_metadata(self) -> dict[str, str]:
        event_type = self.response.plain["eventType"]
        return {"contentType": CONTENT_TYPE, "eventType": event_type, "channel": event_type}


@dataclass(frozen=True)
class PactDef:
    """All the messages one consumer expects from one provider, and how to make the consumer's service."""

    consumer: str
    provider: str
    make_service: Callable[[], Any]
    expectations: tuple[Expectation, ...]
    exchanges: tuple[Exchange, ...] = ()

    @property
    def file_name(self) -> str:
        return f"{self.consumer}-{self.provider}.json"


def check_states(pact_def: PactDef) -> None:
    """Every state and parameter must come from the fixed vocabulary of the provider."""
    vocabulary = STATES[pact_def.provider]
    for exp in (*pact_def.expectations, *pact_def.exchanges):
        if exp.state is None:
            continue  # a synchronous request sets the provider's state itself
        if exp.state not in vocabulary:
            raise ValueError(f"{exp.description}: {pact_def.provider} has no state {exp.state!r}")
        extra = set(exp.params) - vocabulary[exp.state]
        if extra:
            raise ValueError(f"{exp.description}: state {exp.state!r} takes no parameter {sorted(extra)}")


def build(
    pact_def: PactDef,
    expectations: Iterable[Expectation] | None = None,
    exchanges: Iterable[Exchange] | None = None,
) -> Pact:
    """A V4 pact of asynchronous message interactions and synchronous exchanges (all the definition's, or a subset)."""
    check_states(pact_def)
    chosen = list(pact_def.expectations if expectations is None else expectations)
    swaps = list(pact_def.exchanges if exchanges is None else exchanges)
    descriptions = [e.description for e in (*chosen, *swaps)]
    if len(set(descriptions)) != len(descriptions):
        raise ValueError(f"{pact_def.file_name}: two interactions share a description")
    pact = Pact(pact_def.consumer, pact_def.provider).with_specification("V4")
    for exp in chosen:
        (
            pact.upon_receiving(exp.description, "Async")
            .given(exp.state, dict(exp.params))
            .with_body(exp.body.matched, CONTENT_TYPE)
            .with_metadata(exp.metadata)
        )
    for ex in swaps:
        interaction = pact.upon_receiving(ex.description, "Sync")
        if ex.state is not None:
            interaction.given(ex.state, dict(ex.params))
        (
            interaction.with_body(ex.request.matched, CONTENT_TYPE, "Request")
            .with_metadata(ex.request_metadata, "Request")
            .will_respond_with()
            .with_body(ex.response.matched, CONTENT_TYPE, "Response")
            .with_metadata(ex.response_metadata, "Response")
        )
    return pact


def handler_for(service: Any) -> Callable[[Any, dict[str, object]], None]:
    """The pact message handler: parse the body as the bus would deliver it, then the service's own dispatch."""

    def handler(body: Any, metadata: dict[str, object]) -> None:
        message = decode(str(body) if not isinstance(body, bytes | bytearray) else body)
        if metadata.get("contentType") != CONTENT_TYPE:
            raise AssertionError(f"contentType {metadata.get('contentType')!r}")
        if metadata.get("eventType") != message.get("eventType") or metadata.get("channel") != message.get("eventType"):
            raise AssertionError(f"metadata {metadata} does not name the message's eventType")
        service.handle(message)

    return handler


def run(
    pact_def: PactDef,
    expectations: Iterable[Expectation] | None = None,
    exchanges: Iterable[Exchange] | None = None,
) -> tuple[Pact, Any]:
    """Build the pact, arrange a fresh service, and verify every message through the service's handler.

    An exchange's request goes through `request_handler_for` (it must be a message the consumer sends,
    with metadata naming it); its response through the service's own handler, as if it came back.
    """
    chosen = list(pact_def.expectations if expectations is None else expectations)
    swaps = list(pact_def.exchanges if exchanges is None else exchanges)
    pact = build(pact_def, chosen, swaps)
    service = pact_def.make_service()
    for exp in chosen:
        if exp.arrange is not None:
            exp.arrange(service)
    errors = pact.verify(handler_for(service), "Async", raises=False) if chosen else []
    if swaps:
        errors += pact.verify(request_handler, "Sync", raises=False)
        for interaction in pact.interactions("Sync"):
            for response in interaction.response_contents:
                meta = {pair.key: _meta_value(pair.value) for pair in response.metadata}
                try:
                    handler_for(service)(response.contents, meta)
                except Exception as exc:
                    raise AssertionError(
                        f"{interaction.description}: the response: {type(exc).__name__}: {exc}"
                    ) from exc
    if errors:
        lines = [f"{pact_def.file_name}: {len(errors)} message(s) the consumer could not handle:"]
        lines += [f"  - {e.description}: {type(e.error).__name__}: {e.error}" for e in errors]
        raise AssertionError("\n".join(lines))
    return pact, service


def _meta_value(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def request_handler(body: Any, metadata: dict[str, object]) -> None:
    """A synchronous request: a JSON message the consumer sends, with metadata naming its eventType and channel."""
    message = decode(str(body) if not isinstance(body, bytes | bytearray) else body)
    if metadata.get("contentType") != CONTENT_TYPE:
        raise AssertionError(f"contentType {metadata.get('contentType')!r}")
    if metadata.get("eventType") != message.get("eventType") or metadata.get("channel") != message.get("eventType"):
        raise AssertionError(f"metadata {metadata} does not name the request's eventType")


def check_one(pact_def: PactDef, exp: Expectation | Exchange) -> None:
    """One interaction through the real handler, then the consumer's assertions on what it did."""
    if isinstance(exp, Exchange):
        _, service = run(pact_def, [], [exp])
        exp.check(service, exp.request.plain, exp.response.plain)
        return
    _, service = run(pact_def, [exp], [])
    exp.check(service, exp.body.plain)


def write(pact_def: PactDef, directory: Path) -> Path:
    """Verify all the definition's interactions together and write the pact file."""
    pact, _ = run(pact_def)
    directory.mkdir(parents=True, exist_ok=True)
    pact.write_file(directory, overwrite=True)
    return directory / pact_def.file_name


def cases(pact_defs: Iterable[PactDef]) -> list[Any]:
    """pytest parameters: one per interaction, named '<consumer>-<provider>: <description>'."""
    import pytest

    return [
        pytest.param(d, e, id=f"{d.provider}: {e.description}")
        for d in pact_defs
        for e in (*d.expectations, *d.exchanges)
    ]


def payload_of(body: Mapping[str, Any]) -> dict[str, Any]:
    return body["additionalInformation"]


def interactions_in(path: Path) -> int:
    """How many interactions a written pact file holds."""
    return len(json.loads(path.read_text(encoding="utf-8"))["interactions"])


def message(name: str, index: int = 0, **changes: Any) -> dict[str, Any]:
    """A schema example with some payload fields changed (the caller keeps it schema-valid)."""
    msg = example(name, index)
    msg["additionalInformation"].update(changes)
    return msg


def body(name: str, index: int, rules: Mapping[str, Rule], **changes: Any) -> Body:
    """A contract body: the envelope rules plus `rules` on payload paths, from a (changed) schema example."""
    return contract(message(name, index, **changes), {**ENVELOPE, **under("additionalInformation", rules)})


def all_pact_defs() -> list[PactDef]:
    """Every pact definition of the consumer tests in this folder (each module's PACTS)."""
    import importlib

    found: list[PactDef] = []
    for path in sorted(Path(__file__).parent.glob("test_*.py")):
        module = importlib.import_module(f"tests.pacts.{path.stem}")
        found.extend(getattr(module, "PACTS", ()))
    return found


def write_all(directory: Path) -> list[Path]:
    """Write every pact file into a folder (what scripts/write_pacts.sh does through pytest)."""
    return [write(d, directory) for d in all_pact_defs()]


def comparable(pact_file: Path) -> dict[str, Any]:
    """A pact file without what varies between pact library versions (the metadata's version numbers)."""
    data = json.loads(pact_file.read_text(encoding="utf-8"))
    spec = data.get("metadata", {}).get("pactSpecification")
    return {
        "consumer": data["consumer"],
        "provider": data["provider"],
        "pactSpecification": spec,
        "interactions": data["interactions"],
    }
