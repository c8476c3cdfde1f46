"""A normalised view of a schema, so that two spellings of the same rule compare equal.

The comparison works on `Node`s rather than on raw JSON:

- `$ref` is followed (local and across files); in 2019-09/2020-12 a `$ref` beside other keywords is a
  conjunction, in draft 7 and earlier the siblings are ignored, as the drafts say;
- `allOf` subschemas are merged into their parent where that keeps the meaning (the catalogue's
  `allOf: [{$ref: envelope}]` plus the message's own properties becomes one object model); what
  cannot be merged (two `not`s, a closed model beside foreign properties, ...) stays as `all_of`;
- `const` becomes a one-value `enum`; draft 7 `items: [..]`/`additionalItems` and 2020-12
  `prefixItems`/`items` become one tuple model; `dependencies` splits into `dependentRequired` and
  `dependentSchemas`.

Subschemas are built lazily and cached by location, so recursive schemas (`$ref: "#"`) are finite.
Every keyword keeps the location it came from, for the JSON pointers a change is reported at.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Any

import referencing.exceptions

from harness.catalogue.pacts import kind_of
from harness.errors import UnusableInput
from harness.evolve.load import SchemaSource, escape

ALL_KINDS = frozenset({"null", "boolean", "object", "array", "string", "integer", "fraction"})
_TYPE_KINDS = {
    "null": {"null"},
    "boolean": {"boolean"},
    "object": {"object"},
    "array": {"array"},
    "string": {"string"},
    "integer": {"integer"},
    "number": {"integer", "fraction"},
}
ANNOTATIONS = frozenset(
    {
        "$schema",
        "$id",
        "$anchor",
        "$dynamicAnchor",
        "$recursiveAnchor",
        "$comment",
        "$defs",
        "definitions",
        "$vocabulary",
        "title",
        "description",
        "default",
        "examples",
        "example",
        "deprecated",
        "readOnly",
        "writeOnly",
        "contentEncoding",
        "contentMediaType",
        "contentSchema",
    }
)
UPPER_BOUNDS = ("maxLength", "maximum", "exclusiveMaximum", "maxItems", "maxProperties", "maxContains")
LOWER_BOUNDS = ("minLength", "minimum", "exclusiveMinimum", "minItems", "minProperties", "minContains")


@dataclass(frozen=True)
class Loc:
    """Where a keyword or subschema is: a document of a source, and a JSON pointer into it."""

    source: SchemaSource
    uri: str
    pointer: str

    def child(self, *parts: str | int) -> Loc:
        return Loc(self.source, self.uri, self.pointer + "".join(f"/{escape(p)}" for p in parts))

    @property
    def side(self) -> str:
        return self.source.side

    def __str__(self) -> str:
        return self.source.display(self.uri, self.pointer)


class Lazy:
    """A subschema built on first use (recursive schemas stay finite)."""

    __slots__ = ("_make", "_node")

    def __init__(self, make: Callable[[], Node]) -> None:
        self._make = make
        self._node: Node | None = None

    @property
    def node(self) -> Node:
        if self._node is None:
            self._node = self._make()
        return self._node


@dataclass(frozen=True)
class Sub:
    """A subschema slot: the lazy subschema and where it is written."""

    lazy: Lazy
    loc: Loc

    @property
    def node(self) -> Node:
        return self.lazy.node


@dataclass(eq=False)
class Node:
    """One schema, as a conjunction of keyword groups. `None` fields mean the keyword is absent."""

    loc: Loc
    boolean: bool | None = None
    raw: dict[str, Any] | None = None
    transient: bool = False
    types: tuple[frozenset[str], Loc] | None = None
    enum: tuple[list[Any], Loc, str] | None = None
    scalars: dict[str, tuple[Any, Loc]] = field(default_factory=dict)
    patterns: list[tuple[str, Loc]] = field(default_factory=list)
    properties: dict[str, Sub] = field(default_factory=dict)
    pattern_properties: dict[str, Sub] = field(default_factory=dict)
    additional: tuple[Sub, str] | None = None  # (subschema, "additionalProperties" | "unevaluatedProperties")
    required: dict[str, Loc] = field(default_factory=dict)
    dependent_required: dict[str, tuple[list[str], Loc]] = field(default_factory=dict)
    dependent_schemas: dict[str, Sub] = field(default_factory=dict)
    property_names: Sub | None = None
    prefix: list[Sub] | None = None
    rest: tuple[Sub, str] | None = None  # (subschema, "items" | "additionalItems" | "unevaluatedItems")
    contains: Sub | None = None
    all_of: list[Sub] = field(default_factory=list)
    any_of: tuple[list[Sub], Loc] | None = None
    one_of: tuple[list[Sub], Loc] | None = None
    not_: Sub | None = None
    cond: tuple[Sub, Sub | None, Sub | None] | None = None
    default: tuple[Any, Loc] | None = None

    @property
    def is_false(self) -> bool:
        return self.boolean is False

    @property
    def is_trivial(self) -> bool:
        """Accepts every value: `true`, `{}`, or only annotations."""
        if self.boolean is not None:
            return self.boolean
        return not (
            self.types
            or self.enum
            or self.scalars
            or self.patterns
            or self.properties
            or self.pattern_properties
            or (self.additional and not self.additional[0].node.is_trivial)
            or self.required
            or self.dependent_required
            or self.dependent_schemas
            or self.property_names
            or self.prefix
            or (self.rest and not self.rest[0].node.is_trivial)
            or self.contains
            or self.all_of
            or self.any_of
            or self.one_of
            or self.not_
            or self.cond
        )


def empty(loc: Loc) -> Node:
    """The schema `{}` at a place, for a keyword that is absent (it allows anything)."""
    return Node(loc=loc, transient=True)


def canonical(value: Any) -> str:
    """A key equal for JSON-equal values (1 and 1.0 alike; true and 1 not)."""

    def norm(v: Any) -> Any:
        if isinstance(v, bool) or v is None or isinstance(v, str):
            return v
        if isinstance(v, float) and v.is_integer():
            return int(v)
        if isinstance(v, int | float):
            return v
        if isinstance(v, list):
            return [norm(x) for x in v]
        if isinstance(v, dict):
            return {k: norm(x) for k, x in v.items()}
        return v

    return json.dumps(norm(value), sort_keys=True)


def type_names(kinds: frozenset[str]) -> str:
    """Human names for a set of kinds: {integer, fraction} is "number"."""
    if kinds == ALL_KINDS:
        return "any type"
    names = sorted(k for k in kinds if k not in ("integer", "fraction"))
    if {"integer", "fraction"} <= kinds:
        names.append("number")
    elif "integer" in kinds:
        names.append("integer")
    elif "fraction" in kinds:
        names.append("non-integer number")
    return "/".join(sorted(names)) if names else "nothing"


@dataclass
class _Place:
    resolver: Any
    uri: str
    pointer: str
    legacy_ref: bool  # draft 7 and earlier: siblings of $ref are ignored
    prefix_items: bool  # 2020-12: prefixItems + items; earlier: items array + additionalItems


class _Cycle(Exception):
    """An allOf/$ref chain leads back to a schema still being built."""


class Builder:
    """Builds (and caches) the nodes of one source."""

    def __init__(self, source: SchemaSource) -> None:
        self.source = source
        self._cache: dict[tuple[str, str], Node] = {}
        self._building: set[tuple[str, str]] = set()

    def root(self) -> Node:
        doc = self.source.root
        return self._build(doc.contents, self._place_for(doc.contents, self.source.root_resolver, doc.uri, ""))

    def _place_for(self, raw: Any, resolver: Any, uri: str, pointer: str) -> _Place:
        doc = self.source.documents.get(uri) or self.source.root
        name = doc.specification.name
        legacy = name in ("draft-03", "draft-04", "draft-06", "draft-07")
        return _Place(resolver, uri, pointer, legacy_ref=legacy, prefix_items=name == "draft2020-12")

    def _loc(self, place: _Place, *parts: str | int) -> Loc:
        return Loc(self.source, place.uri, place.pointer).child(*parts)

    def _child(self, raw: Any, place: _Place, *parts: str | int) -> Sub:
        pointer = place.pointer + "".join(f"/{escape(p)}" for p in parts)
        sub_place = replace(place, pointer=pointer)
        loc = Loc(self.source, place.uri, pointer)
        return Sub(Lazy(lambda: self._build(raw, sub_place)), loc)

    # -- building -----------------------------------------------------------------------------
    def _build(self, raw: Any, place: _Place) -> Node:
        key = (place.uri, place.pointer)
        if key in self._cache:
            return self._cache[key]
        if key in self._building:
            raise _Cycle
        self._building.add(key)
        try:
            node = self._build_uncached(raw, place)
        finally:
            self._building.discard(key)
        self._cache[key] = node
        return node

    def _build_uncached(self, raw: Any, place: _Place) -> Node:
        loc = Loc(self.source, place.uri, place.pointer)
        if isinstance(raw, bool):
            return Node(loc=loc, boolean=raw)
        if not isinstance(raw, dict):
            where = self.source.display(place.uri, place.pointer)
            raise UnusableInput(f"{self.source.label}: {where} is not a schema (expected an object or true/false)")
        if place.pointer and isinstance(raw.get("$id"), str):
            place = replace(
                place,
                resolver=place.resolver.in_subresource(
                    self.source.documents[place.uri].specification.create_resource(raw)
                ),
            )
        refs = [raw[k] for k in ("$ref", "$dynamicRef", "$recursiveRef") if isinstance(raw.get(k), str)]
        if refs and place.legacy_ref:
            return self._resolve(refs[0], place)
        node = self._own(raw, place, loc)
        branches: list[Sub] = []
        for ref in refs:
            target = Lazy(lambda ref=ref: self._resolve(ref, place))
            branches.append(Sub(target, loc.child("$ref")))
        for i, sub in enumerate(raw.get("allOf") or []):
            branches.append(self._child(sub, place, "allOf", i))
        for branch in branches:
            try:
                branch_node = branch.node
            except _Cycle:
                node.all_of.append(branch)
                continue
            merged = merge(node, branch_node, nested=True)
            if merged is None:
                node.all_of.append(branch)
            else:
                node = merged
        return node

    def _resolve(self, ref: str, place: _Place) -> Node:
        try:
            resolved = place.resolver.lookup(ref)
        except referencing.exceptions.Unresolvable:
            raise UnusableInput(
                f"{self.source.label}: $ref {ref!r} at {self.source.display(place.uri, place.pointer)} "
                "cannot be resolved; fix the reference"
            ) from None
        fragment = ref.partition("#")[2]
        uri, pointer = self.source.locate(resolved.contents, place.uri, fragment if fragment.startswith("/") else "")
        target = self._place_for(resolved.contents, resolved.resolver, uri, pointer)
        return self._build(resolved.contents, target)

    def _own(self, raw: dict[str, Any], place: _Place, loc: Loc) -> Node:
        """Every keyword of one schema object except `$ref` and `allOf` (merged in by the caller)."""
        node = Node(loc=loc, raw=raw)
        child = self._child
        if "type" in raw:
            names = raw["type"] if isinstance(raw["type"], list) else [raw["type"]]
            kinds: set[str] = set()
            for name in names:
                kinds |= _TYPE_KINDS.get(name, set())
            node.types = (frozenset(kinds), loc.child("type"))
        if "enum" in raw and isinstance(raw["enum"], list):
            node.enum = (list(raw["enum"]), loc.child("enum"), "enum")
        if "const" in raw:
            const = ([raw["const"]], loc.child("const"), "const")
            node.enum = const if node.enum is None else _intersect_enum(node.enum, const)
        for key in (*UPPER_BOUNDS, *LOWER_BOUNDS, "multipleOf", "uniqueItems", "format"):
            value = raw.get(key)
            if key in ("exclusiveMaximum", "exclusiveMinimum") and isinstance(value, bool):
                bound = raw.get("maximum" if key == "exclusiveMaximum" else "minimum")
                if value and bound is not None:  # draft 4 spelling
                    node.scalars[key] = (bound, loc.child(key))
                    node.scalars.pop("maximum" if key == "exclusiveMaximum" else "minimum", None)
                continue
            if value is not None and not (key in ("minLength", "minItems", "minProperties") and value == 0):
                if key == "uniqueItems" and value is not True:
                    continue
                node.scalars[key] = (value, loc.child(key))
        if isinstance(raw.get("pattern"), str):
            node.patterns.append((raw["pattern"], loc.child("pattern")))
        for name, sub in (raw.get("properties") or {}).items():
            node.properties[name] = child(sub, place, "properties", name)
        for pattern, sub in (raw.get("patternProperties") or {}).items():
            node.pattern_properties[pattern] = child(sub, place, "patternProperties", pattern)
        for key in ("additionalProperties", "unevaluatedProperties"):
            if key in raw:
                node.additional = (child(raw[key], place, key), key)
                break
        for i, name in enumerate(raw.get("required") or []):
            node.required.setdefault(name, loc.child("required", i))
        for key in ("dependentRequired", "dependencies", "dependentSchemas"):
            for name, value in (raw.get(key) or {}).items():
                if isinstance(value, list):
                    node.dependent_required[name] = (list(value), loc.child(key, name))
                else:
                    node.dependent_schemas[name] = child(value, place, key, name)
        if "propertyNames" in raw:
            node.property_names = child(raw["propertyNames"], place, "propertyNames")
        if place.prefix_items:
            if isinstance(raw.get("prefixItems"), list):
                node.prefix = [child(s, place, "prefixItems", i) for i, s in enumerate(raw["prefixItems"])]
            rest_keys = ("items", "unevaluatedItems")
        else:
            if isinstance(raw.get("items"), list):
                node.prefix = [child(s, place, "items", i) for i, s in enumerate(raw["items"])]
                rest_keys = ("additionalItems", "unevaluatedItems")
            else:
                rest_keys = ("items", "unevaluatedItems")
        for key in rest_keys:
            if key in raw and not isinstance(raw[key], list):
                node.rest = (child(raw[key], place, key), key)
                break
        if "contains" in raw:
            node.contains = child(raw["contains"], place, "contains")
        for key in ("anyOf", "oneOf"):
            if isinstance(raw.get(key), list):
                subs = [child(s, place, key, i) for i, s in enumerate(raw[key])]
                setattr(node, "any_of" if key == "anyOf" else "one_of", (subs, loc.child(key)))
        if "not" in raw:
            node.not_ = child(raw["not"], place, "not")
        if "if" in raw:
            node.cond = (
                child(raw["if"], place, "if"),
                child(raw["then"], place, "then") if "then" in raw else None,
                child(raw["else"], place, "else") if "else" in raw else None,
            )
        if "default" in raw:
            node.default = (raw["default"], loc.child("default"))
        return node


def _intersect_enum(a: tuple[list[Any], Loc, str], b: tuple[list[Any], Loc, str]) -> tuple[list[Any], Loc, str]:
    keys = {canonical(v) for v in b[0]}
    values = [v for v in a[0] if canonical(v) in keys]
    smaller = a if len(a[0]) <= len(b[0]) else b
    return values, smaller[1], smaller[2]


# -- merging (conjunction) ---------------------------------------------------------------------
def conj(a: Sub, b: Sub) -> Sub:
    """Both subschemas must hold: one merged node, or an allOf of the two if they do not merge."""

    def make() -> Node:
        left, right = a.node, b.node
        merged = merge(left, right, nested=False)
        if merged is not None:
            return merged
        return Node(loc=left.loc, all_of=[a, b])

    return Sub(Lazy(make), a.loc)


def merge(base: Node, other: Node, *, nested: bool) -> Node | None:
    """The conjunction of two nodes as one node, or None where one node cannot say it.

    `nested` is true when `other` is an in-place subschema of `base` (allOf, $ref beside keywords):
    then `base`'s unevaluatedProperties/Items also see what `other` declares.
    """
    if other.boolean is True or other.is_trivial:
        return _with_default(base, other)
    if base.boolean is True or (base.is_trivial and base.boolean is None):
        return _with_default(replace(other, loc=base.loc, raw=_overlay(base.raw, other.raw), transient=False), base)
    if base.is_false or other.is_false:
        return Node(loc=base.loc, boolean=False)
    if not _mergeable(base, other, nested):
        return None
    out = replace(
        base,
        scalars=dict(base.scalars),
        patterns=[*base.patterns, *other.patterns],
        properties=dict(base.properties),
        pattern_properties=dict(base.pattern_properties),
        required={**other.required, **base.required},
        dependent_required=dict(base.dependent_required),
        dependent_schemas=dict(base.dependent_schemas),
        all_of=[*base.all_of, *other.all_of],
    )
    out.raw = _overlay(base.raw, other.raw)
    if other.types is not None:
        out.types = other.types if base.types is None else (base.types[0] & other.types[0], base.types[1])
    if other.enum is not None:
        out.enum = other.enum if base.enum is None else _intersect_enum(base.enum, other.enum)
    for key, (value, loc) in other.scalars.items():
        if key not in out.scalars:
            out.scalars[key] = (value, loc)
            continue
        mine = out.scalars[key][0]
        if (key in UPPER_BOUNDS and value < mine) or (key in LOWER_BOUNDS and value > mine):
            out.scalars[key] = (value, loc)
        elif key == "multipleOf":
            a, b = Fraction(str(mine)), Fraction(str(value))
            if (a / b).denominator != 1:
                out.scalars[key] = (value, loc)
    for name, sub in other.properties.items():
        out.properties[name] = conj(out.properties[name], sub) if name in out.properties else sub
    for pattern, sub in other.pattern_properties.items():
        out.pattern_properties[pattern] = (
            conj(out.pattern_properties[pattern], sub) if pattern in out.pattern_properties else sub
        )
    for name, (names, loc) in other.dependent_required.items():
        mine_names = out.dependent_required.get(name, ([], loc))[0]
        out.dependent_required[name] = ([*mine_names, *[n for n in names if n not in mine_names]], loc)
    for name, sub in other.dependent_schemas.items():
        out.dependent_schemas[name] = conj(out.dependent_schemas[name], sub) if name in out.dependent_schemas else sub
    for attr in ("additional", "property_names", "prefix", "rest", "contains", "any_of", "one_of", "not_", "cond"):
        if getattr(out, attr) is None and getattr(other, attr) is not None:
            setattr(out, attr, getattr(other, attr))
    if out.default is None:
        out.default = other.default
    out.transient = base.transient or other.transient
    return out


def _overlay(base: dict[str, Any] | None, other: dict[str, Any] | None) -> dict[str, Any] | None:
    """The annotations a merged node shows: its own, else those of what it merged (a $ref target)."""
    if base is None or other is None:
        return base or other
    inherited = {k: other[k] for k in ("title", "description", "default") if k in other and k not in base}
    return {**base, **inherited} if inherited else base


def _with_default(node: Node, other: Node) -> Node:
    if node.default is None and other.default is not None:
        return replace(node, default=other.default)
    return node


def _mergeable(a: Node, b: Node, nested: bool) -> bool:
    def closes(n: Node) -> bool:
        return n.additional is not None and not n.additional[0].node.is_trivial

    def declares(n: Node) -> bool:
        return bool(n.properties or n.pattern_properties)

    if a.additional is not None and b.additional is not None:
        return False
    if a.additional is not None and a.additional[1] == "unevaluatedProperties" and nested:
        pass  # a's unevaluatedProperties sees b's properties: merging keeps the meaning
    elif closes(a) and declares(b):
        return False
    if closes(b) and declares(a):
        return False
    if b.additional is not None and b.additional[1] == "unevaluatedProperties":
        return False
    array_a = a.prefix is not None or a.rest is not None
    array_b = b.prefix is not None or b.rest is not None
    if array_a and array_b:
        return False
    for attr in ("contains", "property_names", "any_of", "one_of", "not_", "cond"):
        if getattr(a, attr) is not None and getattr(b, attr) is not None:
            return False
    for key in ("format", "multipleOf"):
        if key in a.scalars and key in b.scalars and a.scalars[key][0] != b.scalars[key][0]:
            if key == "format":
                return False
            x, y = Fraction(str(a.scalars[key][0])), Fraction(str(b.scalars[key][0]))
            if (x / y).denominator != 1 and (y / x).denominator != 1:
                return False
    return True


def kinds(node: Node, *, full: bool = True, _seen: frozenset[int] = frozenset()) -> frozenset[str]:
    """The JSON kinds a node can accept (from type, combinators, and with `full` its enum)."""
    if node.is_false:
        return frozenset()
    if id(node) in _seen:
        return ALL_KINDS
    seen = _seen | {id(node)}
    found = ALL_KINDS
    if node.types is not None:
        found &= node.types[0]
    for sub in node.all_of:
        found &= kinds(sub.node, full=full, _seen=seen)
    for group in (node.any_of, node.one_of):
        if group is not None:
            union: frozenset[str] = frozenset()
            for sub in group[0]:
                union |= kinds(sub.node, full=full, _seen=seen)
            found &= union
    if full and node.enum is not None:
        found &= frozenset(kind_of(v) for v in node.enum[0])
    return found
