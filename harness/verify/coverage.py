"""Coverage: how much of the catalogue the supplier's messages of one run exercised.

Four measures, each "exercised of total", each a percentage that `--min-coverage P` requires:
- message types: the eventTypes asyncapi.yaml says the provider sends (those with a schema); one is
  exercised when the supplier sent at least one message of it (with a known version).
- provider states: the states contracts/states defines for the provider; one is exercised when a run
  (pact interaction, flow or fault run) in that state got at least one supplier message tied to it.
- enumeration values: every value of every `enum` at a field of those message types, per message type
  and field (array items and map values are `*`). A field's values are what every unconditional
  subschema there allows (the `enum`s of its `$ref`/`allOf` chain intersected, and a `const`): so the
  envelope's `source` enum of eight systems, fixed by the message's `const`, is no choice at all and
  counts nothing. Fields with fewer than two values are left out; an `enum` only inside a `oneOf`/`anyOf`
  branch is left out (its branch is counted instead). A value is exercised when a supplier message has it
  at that field.
- oneOf branches: every branch of every `oneOf` at a field of those message types, per message type and
  field; exercised when a supplier message's value at that field is valid against the branch.

Computed from the messages as captured (before reports redact personal values), against the schemas of
the SchemaRegistry; only catalogue values are ever named, never a value from a message.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import jsonschema

from harness.bus.recorded import Recorded
from harness.catalogue.pacts import applicable_subschemas
from harness.schemas.registry import FORMAT_CHECKER, SchemaDoc, SchemaRegistry

Path = tuple[str, ...]
MEASURES = ("messageTypes", "providerStates", "enumValues", "oneOfBranches")
NAMES = {
    "messageTypes": "message types",
    "providerStates": "provider states",
    "enumValues": "enumeration values",
    "oneOfBranches": "oneOf branches",
}


@dataclass
class Measure:
    """One coverage measure: the items of the catalogue, and which of them the run exercised."""

    key: str
    items: list[str]
    exercised: set[str] = field(default_factory=set)

    @property
    def name(self) -> str:
        return NAMES[self.key]

    @property
    def covered(self) -> list[str]:
        return [i for i in self.items if i in self.exercised]

    @property
    def missing(self) -> list[str]:
        return [i for i in self.items if i not in self.exercised]

    @property
    def percent(self) -> float | None:
        """None when the catalogue has nothing of this kind (then no minimum applies to it)."""
        return None if not self.items else 100.0 * len(self.covered) / len(self.items)

    def text(self) -> str:
        """`message types 7/9 (77.8%)`."""
        pct = self.percent
        return f"{self.name} {len(self.covered)}/{len(self.items)}" + ("" if pct is None else f" ({pct:.1f}%)")

    def to_json(self) -> dict[str, Any]:
        pct = self.percent
        return {
            "covered": len(self.covered),
            "total": len(self.items),
            "percent": None if pct is None else round(pct, 1),
            "exercised": self.covered,
            "missing": self.missing,
        }


@dataclass
class Coverage:
    measures: dict[str, Measure]

    def __getitem__(self, key: str) -> Measure:
        return self.measures[key]

    def summary(self) -> str:
        """One line: every measure, exercised of total."""
        return "coverage: " + ", ".join(self.measures[k].text() for k in MEASURES)

    def shortfalls(self, minimum: float) -> list[str]:
        """One line per measure below `minimum` percent, naming what was missing (the first ten)."""
        out = []
        for key in MEASURES:
            m = self.measures[key]
            pct = m.percent
            if pct is None or pct >= minimum:
                continue
            missing = m.missing
            shown = "; ".join(missing[:10]) + (f"; and {len(missing) - 10} more" if len(missing) > 10 else "")
            out.append(
                f"coverage below --min-coverage {minimum:g}%: {m.name} {pct:.1f}% "
                f"({len(m.covered)} of {len(m.items)}); missing: {shown}"
            )
        return out

    def to_json(self) -> dict[str, Any]:
        return {key: self.measures[key].to_json() for key in MEASURES}


# -- the catalogue's side: which fields hold an enum or a oneOf -------------------------------------
@dataclass
class _Site:
    """What the schemas say about one field of one message type."""

    schemas: list[tuple[dict[str, Any], Any, bool]] = field(default_factory=list)
    """(subschema, its resolver, conditional: reached through a oneOf/anyOf/if branch)."""


def _closure(schema: Any, resolver: Any, conditional: bool, depth: int) -> Iterator[tuple[dict[str, Any], Any, bool]]:
    """Every subschema that applies at this field: $ref and allOf unconditionally, branches conditionally
    (the pact loader's walk, whose flag says the opposite: certain)."""
    for sub, res, certain in applicable_subschemas(schema, resolver, not conditional, depth):
        yield sub, res, not certain


def _sites(doc: SchemaDoc, registry: SchemaRegistry) -> dict[Path, _Site]:
    """Field path -> what applies there, for every field the message type's schema describes."""
    sites: dict[Path, _Site] = {}
    resolver = registry.referencing.resolver(base_uri=doc.uri)

    def walk(entries: list[tuple[Any, Any, bool]], path: Path, depth: int) -> None:
        if depth > 24:
            return
        site = sites.setdefault(path, _Site())
        children: dict[Path, list[tuple[Any, Any, bool]]] = {}
        for schema, res, cond in entries:
            for sub, sres, scond in _closure(schema, res, cond, 0):
                site.schemas.append((sub, sres, scond))
                for name, prop in (sub.get("properties") or {}).items():
                    children.setdefault((*path, name), []).append((prop, sres, scond))
                for prop in (sub.get("patternProperties") or {}).values():
                    children.setdefault((*path, "*"), []).append((prop, sres, scond))
                for key in ("additionalProperties", "items"):
                    if isinstance(sub.get(key), dict):
                        children.setdefault((*path, "*"), []).append((sub[key], sres, scond))
                for prop in sub.get("prefixItems") or []:
                    children.setdefault((*path, "*"), []).append((prop, sres, scond))
        for child, more in children.items():
            walk(more, child, depth + 1)

    walk([(doc.contents, resolver, False)], (), 0)
    return sites


def _same(a: Any, b: Any) -> bool:
    """JSON equality: true is not 1."""
    return a == b and isinstance(a, bool) == isinstance(b, bool)


def _enum_values(site: _Site) -> list[Any]:
    """The values a field may take: every unconditional enum intersected, and the const if any."""
    fixed = [s for s, _, cond in site.schemas if not cond]
    enums = [s["enum"] for s in fixed if isinstance(s.get("enum"), list)]
    if not enums:
        return []
    values = [v for v in enums[0] if all(any(_same(v, w) for w in e) for e in enums[1:])]
    for s in fixed:
        if "const" in s:
            values = [v for v in values if _same(v, s["const"])]
    out: list[Any] = []
    for v in values:
        if not any(_same(v, w) for w in out):
            out.append(v)
    return out


def _where(path: Path) -> str:
    return "/" + "/".join(path) if path else "/"


def _label(sub: Any, index: int) -> str:
    title = sub.get("title") if isinstance(sub, dict) else None
    return str(title or f"branch {index}")


@dataclass
class _TypeModel:
    """A message type's enum fields and oneOf fields, with the labels coverage reports."""

    name: str
    enums: dict[Path, list[Any]] = field(default_factory=dict)
    one_ofs: dict[Path, list[tuple[list[dict[str, Any]], Any]]] = field(default_factory=dict)

    def enum_item(self, path: Path, value: Any) -> str:
        return f"{self.name} {_where(path)} {json.dumps(value, ensure_ascii=False)}"

    def branch_item(self, path: Path, branches: list[dict[str, Any]], index: int) -> str:
        return f"{self.name} {_where(path)} oneOf: {_label(branches[index], index)}"


def _model(doc: SchemaDoc, registry: SchemaRegistry, name: str) -> _TypeModel:
    model = _TypeModel(name)
    for path, site in _sites(doc, registry).items():
        values = _enum_values(site)
        if len(values) >= 2:
            model.enums[path] = values
        seen: set[int] = set()
        for sub, res, _ in site.schemas:
            branches = sub.get("oneOf")
            if isinstance(branches, list) and branches and id(branches) not in seen:
                seen.add(id(branches))
                model.one_ofs.setdefault(path, []).append((branches, res))
    return model


# -- the run's side ---------------------------------------------------------------------------------
def _at(instance: Any, path: Path) -> Iterator[Any]:
    """Every value of the instance at a field path (`*` is every array item or map value)."""
    if not path:
        yield instance
        return
    head, rest = path[0], path[1:]
    if head == "*":
        values: Iterable[Any] = instance if isinstance(instance, list) else []
        if isinstance(instance, dict):
            values = instance.values()
        for v in values:
            yield from _at(v, rest)
    elif isinstance(instance, dict) and head in instance:
        yield from _at(instance[head], rest)


def _valid(branch: dict[str, Any], resolver: Any, registry: SchemaRegistry, instance: Any, cache: dict) -> bool:
    key = id(branch)
    if key not in cache:
        cache[key] = jsonschema.Draft202012Validator(
            branch, registry=registry.referencing, format_checker=FORMAT_CHECKER, _resolver=resolver
        )
    return bool(cache[key].is_valid(instance))


def compute(
    registry: SchemaRegistry,
    publishes: list[str],
    states: list[str],
    runs: Iterable[tuple[list[str], bool]],
    messages: Iterable[Recorded],
) -> Coverage:
    """Coverage of one run.

    publishes: the eventTypes the provider sends (asyncapi.yaml); states: the provider's state names;
    runs: (the state names of a run, whether a supplier message was tied to it); messages: every
    supplier message of the run (harness channels left out), as captured, not redacted."""
    docs = [d for d in registry.messages() if d.event_type in publishes]
    several = {d.event_type for d in docs if len(registry.versions_of(str(d.event_type))) > 1}
    names = {(d.event_type, d.version): d.name + (f" v{d.version}" if d.event_type in several else "") for d in docs}
    models = {(d.event_type, d.version): _model(d, registry, names[(d.event_type, d.version)]) for d in docs}

    types = Measure("messageTypes", sorted(set(names.values())))
    state_measure = Measure("providerStates", list(states))
    enum_items = [m.enum_item(p, v) for m in models.values() for p, vs in m.enums.items() for v in vs]
    branch_items = [
        m.branch_item(p, branches, i)
        for m in models.values()
        for p, groups in m.one_ofs.items()
        for branches, _ in groups
        for i in range(len(branches))
    ]
    enums = Measure("enumValues", enum_items)
    one_ofs = Measure("oneOfBranches", branch_items)

    for run_states, answered in runs:
        if answered:
            state_measure.exercised.update(run_states)
    cache: dict[int, Any] = {}
    for rec in messages:
        body = rec.body
        if not isinstance(body, dict):
            continue
        model = models.get((body.get("eventType"), body.get("version")))
        if model is None or isinstance(body.get("version"), bool):
            continue
        types.exercised.add(model.name)
        for path, values in model.enums.items():
            for value in _at(body, path):
                for v in values:
                    if _same(value, v):
                        enums.exercised.add(model.enum_item(path, v))
        for path, groups in model.one_ofs.items():
            for value in _at(body, path):
                for branches, res in groups:
                    for i, branch in enumerate(branches):
                        if isinstance(branch, dict) and _valid(branch, res, registry, value, cache):
                            one_ofs.exercised.add(model.branch_item(path, branches, i))
    return Coverage({m.key: m for m in (types, state_measure, enums, one_ofs)})
