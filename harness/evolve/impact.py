"""Consumer impact of a schema change: which current consumers break, and which breaking changes none of them needs.

A compatibility verdict says what *could* break. The pacts say what each consumer actually relies on:
an example body (what it expects to receive) and matching rules (where it is strict about types or
shapes). For every interaction whose eventType and version are OLD's, the consumer breaks under NEW when

- its example body no longer validates under NEW (jsonschema, formats on) where it did under OLD;
- its example carries a field OLD declares and NEW does not: the harness's data-minimisation rule
  forbids a provider to send an undeclared field, so the provider can no longer satisfy that pact;
- a matching rule sits on a path NEW no longer declares, or NEW retypes the place so that the rule's
  matcher (or, for a `type` matcher, the example's own type) no longer fits.

Flows (contracts/flows/*.yaml, optional) depend on a message when a step names it; a JSON path a step
names (`$.additionalInformation.orderId`) is checked like a matching rule's path.

Each breaking change is then placed at the message paths its schema pointer applies to (the schema is
walked from its root through `$ref`, `allOf`, `properties`, `items`, ...), and labelled:

- "breaks current consumers" when a consumer's break lies at, inside or around one of its paths;
- "used by current consumers" when an example or rule touches one of its paths but every pact still
  holds (nothing proves the change harmless; nothing proves it harmful either);
- "safe for current consumers" when no example body, matching rule or flow touches any of its paths;
- "not mapped" when its pointer lies in no subschema reachable from the root (never called safe).

The verdict (`Impact.broken`) is true only when a current consumer breaks.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import jsonschema
import referencing
import referencing.exceptions
import referencing.jsonschema

from harness.catalogue.pacts import (
    MESSAGE_INTERACTION,
    Interaction,
    Pact,
    Step,
    kind_of,
    load_pacts,
    locate,
    matcher_disagreement,
    matcher_needs,
    message_parts,
    parse_path,
    path_covers,
)
from harness.errors import UnusableInput
from harness.evolve.compat import Change, CompatResult
from harness.evolve.load import SchemaSource, load_file
from harness.jsonfile import load_yaml
from harness.schemas.registry import FORMAT_CHECKER

MAX_DEPTH = 24  # message paths deeper than this are not indexed (recursive schemas stay finite)
# Changes to annotations only: never what breaks a consumer.
ANNOTATION_CODES = frozenset({"ID_CHANGED", "DESCRIPTION_CHANGED", "TITLE_CHANGED", "DEFAULT_CHANGED"})
LABELS = {
    "breaks": "breaks current consumers",
    "used": "used by current consumers (their pacts still hold)",
    "safe": "safe for current consumers",
    "unmapped": "not mapped to a message field (not proven safe)",
}


# -- message paths ----------------------------------------------------------------------------
def path_text(steps: tuple[Step, ...] | list[Step]) -> str:
    """`$.additionalInformation.reasons[*].section`, the way pact writes paths."""
    return "$" + "".join(str(s) for s in steps)


def _overlap(a: Step, b: Step) -> bool:
    """Two steps can reach the same place (a wildcard meets a name or an index)."""
    if a == b:
        return True
    arrays, objects = ("index", "any-index"), ("prop", "any-prop")
    if "any-index" in (a.kind, b.kind):
        return a.kind in arrays and b.kind in arrays
    if "any-prop" in (a.kind, b.kind):
        return a.kind in objects and b.kind in objects
    return False


def under(path: tuple[Step, ...], prefix: tuple[Step, ...]) -> bool:
    """True when `path` is at or inside `prefix` (wildcards overlap names and indexes)."""
    return len(path) >= len(prefix) and all(_overlap(a, b) for a, b in zip(path, prefix, strict=False))


def related(a: tuple[Step, ...], b: tuple[Step, ...]) -> bool:
    """True when one path is at or inside the other."""
    return under(a, b) or under(b, a)


class SchemaPlaces:
    """Which message paths each subschema of a schema applies to, for naming where a change lands.

    The index is keyed the way compat prints pointers (`#/$defs/payload/properties/x`,
    `../common/v1.json#/$defs/caseId`), so a Change's pointer finds its paths by its longest prefix.
    """

    def __init__(self, source: SchemaSource) -> None:
        self.source = source
        self.places: dict[str, tuple[Any, list[tuple[Step, ...]]]] = {}
        self._seen: set[tuple[int, tuple[Step, ...]]] = set()
        contents = source.root.contents
        if isinstance(contents, dict):
            self._walk(contents, source.root_resolver, (), root=True)

    def _record(self, schema: dict[str, Any], steps: tuple[Step, ...]) -> None:
        uri, ptr = self.source.locate(schema, self.source.root.uri, "")
        display = self.source.display(uri, ptr)
        paths = self.places.setdefault(display, (schema, []))[1]
        if steps not in paths:
            paths.append(steps)

    def _walk(self, schema: Any, resolver: Any, steps: tuple[Step, ...], root: bool = False) -> None:
        if not isinstance(schema, dict) or len(steps) > MAX_DEPTH:
            return
        key = (id(schema), steps)
        if key in self._seen:
            return
        self._seen.add(key)
        if self.source.document_of(schema) is not None:
            self._record(schema, steps)
        if not root and isinstance(schema.get("$id"), str):
            resolver = resolver.in_subresource(referencing.jsonschema.DRAFT202012.create_resource(schema))
        for ref_key in ("$ref", "$dynamicRef", "$recursiveRef"):
            ref = schema.get(ref_key)
            if isinstance(ref, str):
                try:
                    resolved = resolver.lookup(ref)
                except referencing.exceptions.Unresolvable:
                    continue  # loading already reported every dangling reference
                self._walk(resolved.contents, resolved.resolver, steps)
        for key_ in ("allOf", "anyOf", "oneOf"):
            for sub in schema.get(key_) or []:
                self._walk(sub, resolver, steps)
        for key_ in ("not", "if", "then", "else"):
            self._walk(schema.get(key_), resolver, steps)
        for sub in (schema.get("dependentSchemas") or {}).values():
            self._walk(sub, resolver, steps)
        for name, sub in (schema.get("properties") or {}).items():
            self._walk(sub, resolver, (*steps, Step("prop", name=name)))
        for key_ in ("patternProperties",):
            for sub in (schema.get(key_) or {}).values():
                self._walk(sub, resolver, (*steps, Step("any-prop")))
        for key_ in ("additionalProperties", "unevaluatedProperties"):
            self._walk(schema.get(key_), resolver, (*steps, Step("any-prop")))
        prefix = schema.get("prefixItems")
        items = schema.get("items")
        if isinstance(items, list):  # draft 7 tuple form
            prefix, items = items, schema.get("additionalItems")
        for i, sub in enumerate(prefix if isinstance(prefix, list) else []):
            self._walk(sub, resolver, (*steps, Step("index", index=i)))
        for key_ in ("unevaluatedItems", "contains"):
            self._walk(schema.get(key_), resolver, (*steps, Step("any-index")))
        self._walk(items, resolver, (*steps, Step("any-index")))

    def paths_of(self, pointer: str) -> list[tuple[Step, ...]]:
        """The message paths a schema pointer (as compat prints it) applies to; [] when none."""
        probe = pointer
        while True:
            if probe in self.places:
                obj, paths = self.places[probe]
                rest = [_unescape(t) for t in pointer[len(probe) :].split("/")[1:]]
                if rest and rest[0] in ("$defs", "definitions"):
                    return []  # a definition no path reaches: it applies nowhere in a message
                extra = _refine(obj, rest)
                return [(*p, *extra) for p in paths]
            if "/" not in probe.partition("#")[2]:
                return []
            probe = probe.rsplit("/", 1)[0]


def _unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def _refine(obj: Any, rest: list[str]) -> tuple[Step, ...]:
    """The extra path steps a pointer inside a subschema names (`required/2` is that property)."""
    if not rest or not isinstance(obj, dict):
        return ()
    head = rest[0]
    if head == "required" and len(rest) > 1 and rest[1].isdigit():
        names = obj.get("required")
        if isinstance(names, list) and int(rest[1]) < len(names) and isinstance(names[int(rest[1])], str):
            return (Step("prop", name=names[int(rest[1])]),)
    if head in ("properties", "dependentRequired", "dependentSchemas") and len(rest) > 1:
        return (Step("prop", name=rest[1]),)
    if head in ("patternProperties", "additionalProperties", "unevaluatedProperties"):
        return (Step("any-prop"),)
    if head in ("items", "additionalItems", "unevaluatedItems", "contains"):
        return (Step("any-index"),)
    if head == "prefixItems" and len(rest) > 1 and rest[1].isdigit():
        return (Step("index", index=int(rest[1])),)
    return ()


# -- one side of the change -------------------------------------------------------------------
class Side:
    """A schema under comparison, ready to validate examples and to locate paths.

    Its registry is the project's schemas (`fallback`) with every document the schema itself reaches
    laid over them, so references resolve exactly as the compatibility check resolved them.
    """

    def __init__(self, source: SchemaSource, fallback: referencing.Registry | None = None) -> None:
        self.source = source
        registry = fallback if fallback is not None else referencing.Registry()
        for uri, doc in source.documents.items():
            registry = registry.with_resource(uri, doc.specification.create_resource(doc.contents))
        self.registry = registry
        contents = source.root.contents
        if not isinstance(contents, dict):
            raise UnusableInput(f"{source.label}: not a message schema (expected a JSON object)")
        self.uri = contents.get("$id") if isinstance(contents.get("$id"), str) else source.root.uri
        self.contents = contents if "$id" in contents else {**contents, "$id": self.uri}
        cls = jsonschema.validators.validator_for(contents, default=jsonschema.Draft202012Validator)
        checker = getattr(cls, "FORMAT_CHECKER", FORMAT_CHECKER)
        self.validator = cls(self.contents, registry=registry, format_checker=checker)
        self.places = SchemaPlaces(source)
        self.event_type = _const(contents, "eventType")
        self.version = _const(contents, "version")

    def resolver(self) -> Any:
        return self.registry.resolver(base_uri=self.uri)

    def locate(self, steps: list[Step]) -> Any:
        return locate(self.contents, self.resolver(), steps)

    def errors(self, instance: Any) -> dict[tuple[tuple[Step, ...], str], str]:
        """Every reason the instance is invalid, keyed by (message path, keyword); a missing required
        property is placed at the property itself."""
        found: dict[tuple[tuple[Step, ...], str], str] = {}
        try:
            for err in self.validator.iter_errors(instance):
                for leaf in _leaves(err):
                    steps = tuple(
                        Step("index", index=p) if isinstance(p, int) else Step("prop", name=str(p))
                        for p in leaf.absolute_path
                    )
                    if leaf.validator == "required" and isinstance(leaf.instance, dict):
                        for name in leaf.validator_value or []:
                            if isinstance(name, str) and name not in leaf.instance:
                                found.setdefault(((*steps, Step("prop", name=name)), "required"), leaf.message)
                        continue
                    found.setdefault((steps, str(leaf.validator)), leaf.message)
        except referencing.exceptions.Unresolvable as exc:
            raise UnusableInput(f"{self.source.label}: a $ref does not resolve ({exc}); run em-harness lint") from None
        return found


def _leaves(err: jsonschema.ValidationError) -> Iterator[jsonschema.ValidationError]:
    """allOf wraps the real reasons; report the leaves, which say what is actually wrong."""
    if err.context and err.validator == "allOf":
        for sub in err.context:
            yield from _leaves(sub)
    else:
        yield err


def _const(schema: dict[str, Any], name: str) -> Any:
    prop = (schema.get("properties") or {}).get(name)
    return prop.get("const") if isinstance(prop, dict) else None


# -- what consumers rely on -------------------------------------------------------------------
@dataclass(frozen=True)
class Break:
    """One reason one consumer (a pact interaction, or a flow) breaks under NEW."""

    kind: str  # "example" | "field" | "rule" | "flow"
    path: str
    problem: str
    pointer: str
    """Where in the pact or flow file (a JSON pointer)."""
    steps: tuple[Step, ...] = field(compare=False, repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "path": self.path, "problem": self.problem, "pointer": self.pointer}


@dataclass
class InteractionImpact:
    description: str
    index: int
    breaks: list[Break]
    touched: list[tuple[Step, ...]] = field(repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "description": self.description,
            "index": self.index,
            "breaks": [b.to_dict() for b in self.breaks],
        }


@dataclass
class ConsumerImpact:
    """A pact (or a flow) that depends on OLD's message, and which of its interactions break."""

    consumer: str
    provider: str
    file: str
    interactions: list[InteractionImpact]
    kind: str = "pact"

    @property
    def broken(self) -> bool:
        return any(i.breaks for i in self.interactions)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "consumer": self.consumer,
            "provider": self.provider,
            "file": self.file,
            "breaks": self.broken,
            "interactions": [i.to_dict() for i in self.interactions],
        }


@dataclass
class ChangeImpact:
    """A change compat reported, placed at message paths and labelled for current consumers."""

    direction: str
    change: Change
    paths: list[str]
    status: str  # "breaks" | "used" | "safe" | "unmapped"
    consumers: list[str]
    steps: list[tuple[Step, ...]] = field(default_factory=list, repr=False)

    @property
    def label(self) -> str:
        return LABELS[self.status]

    def to_dict(self) -> dict[str, Any]:
        return {
            "direction": self.direction,
            **self.change.to_dict(),
            "paths": self.paths,
            "impact": self.status,
            "label": self.label,
            "consumers": self.consumers,
        }


@dataclass
class Impact:
    """The consumer impact of one OLD -> NEW pair."""

    old: str
    new: str
    event_type: str
    version: int
    consumers: list[ConsumerImpact]
    changes: list[ChangeImpact]

    @property
    def broken(self) -> bool:
        """True when a current consumer breaks: the verdict of `compat --consumers`."""
        return any(c.broken for c in self.consumers)

    @property
    def broken_consumers(self) -> list[ConsumerImpact]:
        return [c for c in self.consumers if c.broken]

    def to_dict(self) -> dict[str, Any]:
        return {
            "old": self.old,
            "new": self.new,
            "eventType": self.event_type,
            "version": self.version,
            "breaks": self.broken,
            "consumers": [c.to_dict() for c in self.consumers],
            "changes": [c.to_dict() for c in self.changes],
        }


# -- flows ------------------------------------------------------------------------------------
@dataclass
class FlowRef:
    """A step of a flow that names a message, and the JSON paths that step names."""

    message: str
    version: int | None
    paths: list[str]
    pointer: str


@dataclass
class Flow:
    path: Path
    name: str
    refs: list[FlowRef]


_MESSAGE_KEYS = ("message", "event", "eventType")


def load_flows(flows_dir: Path) -> list[Flow]:
    """contracts/flows/*.yaml: every step (a mapping) naming a message under `message`, `event` or
    `eventType`, with the `$.` paths written inside that step. An absent or empty folder holds none."""
    folder = Path(flows_dir)
    if not folder.is_dir():
        return []
    flows = []
    for path in sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")]):
        raw = load_yaml(path)
        name = raw.get("name") if isinstance(raw, dict) and isinstance(raw.get("name"), str) else path.stem
        flows.append(Flow(path=path, name=name, refs=list(_flow_refs(raw, ""))))
    return flows


def _flow_refs(node: Any, ptr: str) -> Iterator[FlowRef]:
    if isinstance(node, dict):
        named = next((node[k] for k in _MESSAGE_KEYS if isinstance(node.get(k), str)), None)
        if named is not None:
            version = node.get("version")
            yield FlowRef(
                message=named,
                version=version if isinstance(version, int) and not isinstance(version, bool) else None,
                paths=sorted(set(_json_paths(node))),
                pointer=ptr,
            )
        for key, value in node.items():
            yield from _flow_refs(value, f"{ptr}/{str(key).replace('~', '~0').replace('/', '~1')}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _flow_refs(value, f"{ptr}/{i}")


def _json_paths(node: Any) -> Iterator[str]:
    if isinstance(node, str) and node.startswith("$.") and parse_path(node) is not None:
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from _json_paths(value)
    elif isinstance(node, list):
        for value in node:
            yield from _json_paths(value)


def _names_message(ref: FlowRef, event_type: str, version: int) -> bool:
    short = event_type.split(".", 1)[-1]
    camel = re.sub(r"-([a-z0-9])", lambda m: m.group(1).upper(), short)
    return ref.message in (event_type, short, camel) and ref.version in (None, version)


# -- the analysis -----------------------------------------------------------------------------
def _interaction_event(interaction: Interaction) -> tuple[Any, Any]:
    """(eventType, version) an interaction is about: metadata eventType else the body's; the body's version."""
    body = interaction.body if isinstance(interaction.body, dict) else {}
    event_type = interaction.metadata.get("eventType")
    if not isinstance(event_type, str):
        event_type = body.get("eventType")
    return event_type, body.get("version")


def _generated(interaction: Interaction, steps: tuple[Step, ...]) -> bool:
    for path in interaction.generators:
        parsed = parse_path(path)
        if parsed is not None and path_covers(parsed, list(steps)):
            return True
    return False


def _value_at(doc: Any, steps: tuple[Step, ...]) -> Any:
    for step in steps:
        if step.kind == "index" and isinstance(doc, list) and step.index < len(doc):
            doc = doc[step.index]
        elif step.kind == "prop" and isinstance(doc, dict) and step.name in doc:
            doc = doc[step.name]
        else:
            return None
    return doc


def _values_at(doc: Any, steps: list[Step]) -> list[Any]:
    """Every value a (wildcard) path reaches in a document."""
    current = [doc]
    for step in steps:
        nxt: list[Any] = []
        for value in current:
            if step.kind == "prop" and isinstance(value, dict) and step.name in value:
                nxt.append(value[step.name])
            elif step.kind == "any-prop" and isinstance(value, dict):
                nxt.extend(value.values())
            elif step.kind == "index" and isinstance(value, list) and step.index < len(value):
                nxt.append(value[step.index])
            elif step.kind == "any-index" and isinstance(value, list):
                nxt.extend(value)
        current = nxt
    return current


def _locations(doc: Any, steps: tuple[Step, ...] = ()) -> Iterator[tuple[Step, ...]]:
    """Every property and item location in a document (not the root)."""
    if isinstance(doc, dict):
        for name, value in doc.items():
            here = (*steps, Step("prop", name=str(name)))
            yield here
            yield from _locations(value, here)
    elif isinstance(doc, list):
        for i, value in enumerate(doc):
            here = (*steps, Step("index", index=i))
            yield here
            yield from _locations(value, here)


def _pointer_of(steps: tuple[Step, ...]) -> str:
    out = []
    for s in steps:
        token = str(s.index) if s.kind == "index" else s.name
        out.append(token.replace("~", "~0").replace("/", "~1"))
    return "/" + "/".join(out) if out else ""


def _kind_words(kinds: frozenset[str]) -> str:
    names = set(kinds)
    if {"integer", "fraction"} <= names:
        names = (names - {"integer", "fraction"}) | {"number"}
    names = {"number with a fraction" if n == "fraction" else n for n in names}
    return " or ".join(sorted(names)) or "nothing"


def _message_views(pact: Pact) -> Iterator[Any]:
    """Every message a pact relies on, each seen as an interaction: an asynchronous message, and a
    synchronous interaction's request and each response (described with the part they are)."""
    for interaction, part in message_parts(pact):
        if part.role == "message":
            yield interaction
            continue
        yield SimpleNamespace(
            description=f"{interaction.description} ({part.label})",
            index=interaction.index,
            kind=MESSAGE_INTERACTION,
            body=part.body,
            metadata=part.metadata,
            generators=part.generators,
            matching_rules=part.matching_rules,
            body_pointer=part.body_pointer,
            rule_pointer=part.rule_pointer,
        )


def _interaction_breaks(interaction: Interaction, old: Side, new: Side, new_label: str) -> InteractionImpact:
    body = interaction.body
    breaks: list[Break] = []
    touched: list[tuple[Step, ...]] = list(_locations(body))
    # 1. The example no longer validates (errors already there under OLD are not this change's doing).
    old_errors = old.errors(body)
    for (steps, keyword), message in new.errors(body).items():
        if (steps, keyword) in old_errors:
            continue
        if _value_at(body, steps) is None and _generated(interaction, steps):
            continue  # pact stores a placeholder; a generator fills it in at run time
        breaks.append(
            Break(
                "example",
                path_text(steps),
                f"example no longer valid under {new_label}: {message}",
                interaction.body_pointer + _pointer_of(steps),
                steps,
            )
        )
    # 2. The example carries a field NEW no longer declares: no provider may send it any more.
    reported: list[tuple[Step, ...]] = []
    for steps in touched:
        if steps[-1].kind != "prop" or any(under(steps, r) for r in reported):
            continue
        if old.locate(list(steps)).missing is not None:
            continue
        gone = new.locate(list(steps))
        if gone.missing is None:
            continue
        reported.append(steps)
        breaks.append(
            Break(
                "field",
                path_text(steps),
                f"example carries it; {new_label} no longer declares it ({gone.reason}) "
                "and a provider may not send an undeclared field",
                interaction.body_pointer + _pointer_of(steps),
                steps,
            )
        )
    # 3. Matching rules on a path NEW removed or retyped.
    for path, rule in interaction.matching_rules.items():
        parsed = parse_path(path)
        if parsed is None:
            continue
        steps = tuple(parsed)
        touched.append(steps)
        before, after = old.locate(parsed), new.locate(parsed)
        where = interaction.rule_pointer(path)
        if before.missing is None and after.missing is not None:
            breaks.append(
                Break(
                    "rule",
                    path,
                    f"matching rule on a place {new_label} no longer declares ({after.reason})",
                    where,
                    steps,
                )
            )
            continue
        if after.missing is not None or after.kinds is None:
            continue
        problems = matcher_disagreement(rule, after.kinds)
        if problems and (before.kinds is None or not matcher_disagreement(rule, before.kinds)):
            breaks.append(
                Break("rule", path, f"matching rule retyped by {new_label}: {'; '.join(problems)}", where, steps)
            )
            continue
        if any(m.match == "type" and matcher_needs(m) is None for m in rule.matchers):
            kinds = {kind_of(v) for v in _values_at(body, parsed)}
            lost = {k for k in kinds if k not in after.kinds and (before.kinds is None or k in before.kinds)}
            if lost:
                breaks.append(
                    Break(
                        "rule",
                        path,
                        f"matching rule retyped by {new_label}: the 'type' matcher expects "
                        f"{_kind_words(frozenset(lost))} like the example, {new_label} allows "
                        f"{_kind_words(after.kinds)}",
                        where,
                        steps,
                    )
                )
    return InteractionImpact(interaction.description, interaction.index, breaks, touched)


def _flow_breaks(ref: FlowRef, old: Side, new: Side, new_label: str) -> InteractionImpact:
    breaks, touched = [], []
    for path in ref.paths:
        steps = parse_path(path) or []
        touched.append(tuple(steps))
        if old.locate(steps).missing is None and new.locate(steps).missing is not None:
            breaks.append(
                Break(
                    "flow",
                    path,
                    f"flow uses a place {new_label} no longer declares",
                    ref.pointer,
                    tuple(steps),
                )
            )
    return InteractionImpact(f"step at {ref.pointer or '/'}", 0, breaks, touched)


def _rel(path: Path, root: Path | None) -> str:
    if root is not None:
        try:
            return Path(path).resolve().relative_to(Path(root).resolve()).as_posix()
        except ValueError:
            pass
    return str(path)


def consumer_impact(
    old: SchemaSource,
    new: SchemaSource,
    changes: list[tuple[str, Change]],
    pacts: list[Pact],
    flows: list[Flow] | None = None,
    *,
    root: Path | None = None,
    new_label: str = "the new schema",
    old_fallback: referencing.Registry | None = None,
    new_fallback: referencing.Registry | None = None,
) -> Impact:
    """Which current consumers of OLD's message break under NEW, and how each change bears on them.

    `changes` are (direction, change) pairs from compat; the breaking ones and any other a consumer's
    break lies at are labelled. `old_fallback`/`new_fallback` are registries of the schemas each side
    belongs to (the project's), under the documents the schemas themselves reach.
    """
    old_side, new_side = Side(old, old_fallback), Side(new, new_fallback)
    event_type, version = old_side.event_type, old_side.version
    if not isinstance(event_type, str) or not isinstance(version, int) or isinstance(version, bool):
        raise UnusableInput(
            f"{old.label}: not a message schema (needs properties.eventType.const and properties.version.const); "
            "consumer impact works on message schemas"
        )
    consumers: list[ConsumerImpact] = []
    for pact in pacts:
        impacts = []
        for interaction in _message_views(pact):
            if not isinstance(interaction.body, dict):
                continue
            if _interaction_event(interaction) != (event_type, version):
                continue
            impacts.append(_interaction_breaks(interaction, old_side, new_side, new_label))
        if impacts:
            consumers.append(ConsumerImpact(pact.consumer, pact.provider, _rel(pact.path, root), impacts))
    for flow in flows or []:
        impacts = [
            _flow_breaks(ref, old_side, new_side, new_label)
            for ref in flow.refs
            if _names_message(ref, event_type, version)
        ]
        if impacts:
            consumers.append(ConsumerImpact(flow.name, "", _rel(flow.path, root), impacts, kind="flow"))
    placed = [(direction, change, _paths_of(change, old_side, new_side)) for direction, change in changes]
    breaks = [(c.consumer, b) for c in consumers for i in c.interactions for b in i.breaks]
    labelled = [_label(d, ch, paths, consumers, breaks) for d, ch, paths in placed if not ch.compatible]
    # A break no breaking change explains (a removal --lenient allows, say): show the changes at its place.
    explained = {id(b) for _, b in breaks for c in labelled for p in c.steps if related(b.steps, p)}
    for direction, change, paths in placed:
        if not change.compatible or change.code in ANNOTATION_CODES:
            continue
        if any(id(b) not in explained and related(b.steps, p) for _, b in breaks for p in paths):
            labelled.append(_label(direction, change, paths, consumers, breaks))
    return Impact(
        old=old.label,
        new=new.label,
        event_type=event_type,
        version=version,
        consumers=consumers,
        changes=labelled,
    )


def _paths_of(change: Change, old: Side, new: Side) -> list[tuple[Step, ...]]:
    return (new if change.side == "new" else old).places.paths_of(change.pointer)


def _label(
    direction: str,
    change: Change,
    paths: list[tuple[Step, ...]],
    consumers: list[ConsumerImpact],
    breaks: list[tuple[str, Break]],
) -> ChangeImpact:
    broken = sorted({name for name, b in breaks if any(related(b.steps, p) for p in paths)})
    if broken:
        status, names = "breaks", broken
    elif not paths:
        status, names = "unmapped", []
    else:
        names = sorted(
            {
                c.consumer
                for c in consumers
                for i in c.interactions
                if any(under(t, p) for t in i.touched for p in paths)
            }
        )
        status = "used" if names else "safe"
    return ChangeImpact(direction, change, [path_text(p) for p in paths], status, names, paths)


# -- for `compat --consumers` -----------------------------------------------------------------
def impact_of_result(result: CompatResult, root: Path | None = None) -> list[Impact]:
    """The consumer impact of every OLD -> NEW pair of a compat result, against the project's pacts and flows."""
    from harness.project import find_project
    from harness.schemas.registry import SchemaRegistry

    project = find_project(root)
    pacts = load_pacts(project.pacts_dir)
    flows = load_flows(project.flows_dir)
    fallback = SchemaRegistry(project.schemas_dir).referencing
    impacts = []
    for old_label, new_label in result.pairs:
        old, new = load_file(old_label, side="old"), load_file(new_label, side="new")
        changes = [
            (c.direction, ch) for c in result.checks if (c.old, c.new) == (old_label, new_label) for ch in c.changes
        ]
        impacts.append(
            consumer_impact(
                old, new, changes, pacts, flows, root=project.root, old_fallback=fallback, new_fallback=fallback
            )
        )
    return impacts
