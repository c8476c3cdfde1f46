"""contracts/pacts/*.json: Pact V4 message pacts loaded into a small model, and where their rules point.

Consumer tests write the pacts (pact-python, specification V4, asynchronous message interactions).
The harness reads them twice: lint cross-checks each interaction against the catalogue (the example
body against its schema, every matching rule against the schema at its path, the channel and the
systems against asyncapi.yaml, the provider states against contracts/states/), and verification
replays them. Both need the same few facts, so the loader keeps those, with the JSON pointer of each
in the file so a finding can name its line.

A file that is not a V4 pact at all (bad JSON, no consumer/provider/interactions, an older
specification) is unusable input: one line naming the file, exit code 2. Anything finer (a rule path
nobody declares, an unknown state) is a lint finding, reported beside the others.

Matching-rule paths (`$.additionalInformation.reasons[*].section`) are parsed into steps, and
`locate()` walks a JSON Schema along them the way a validator would apply it: through `$ref`,
`allOf`, `anyOf`/`oneOf`, `if`/`then`/`else`, `properties`, `patternProperties`,
`additionalProperties`, `items` and `prefixItems`. It answers two questions: does any subschema
declare that place, and which JSON types can the value there have.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import referencing.exceptions

from harness.errors import UnusableInput
from harness.jsonfile import read_text

MESSAGE_INTERACTION = "Asynchronous/Messages"


# -- model ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Matcher:
    """One matcher of a rule: its kind (`type`, `regex`, `integer`, ...) and its other attributes."""

    match: str
    attributes: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True)
class MatchingRule:
    """The matchers a rule applies at one path, and how they combine (AND or OR)."""

    path: str
    combine: str
    matchers: tuple[Matcher, ...]


@dataclass
class Interaction:
    """One interaction of a pact, with the JSON pointers a finding about it needs."""

    index: int
    kind: str
    description: str
    states: list[tuple[str, dict[str, Any]]]
    body: Any
    content_type: str | None
    metadata: dict[str, Any]
    matching_rules: dict[str, MatchingRule]
    """Body rules by path (`$.additionalInformation.status`)."""
    generators: dict[str, dict[str, Any]]
    """Body generators by path."""
    body_problem: str | None = None
    """Why no body could be read (an encoded content that does not decode), else None."""
    key: str | None = None
    pending: bool = False

    @property
    def pointer(self) -> str:
        return f"/interactions/{self.index}"

    @property
    def body_pointer(self) -> str:
        return f"{self.pointer}/contents/content"

    def rule_pointer(self, path: str) -> str:
        return f"{self.pointer}/matchingRules/body/{escape(path)}"

    def state_pointer(self, j: int) -> str:
        return f"{self.pointer}/providerStates/{j}"


@dataclass
class Pact:
    """A pact file: who consumes what from whom, interaction by interaction."""

    path: Path
    consumer: str
    provider: str
    interactions: list[Interaction]
    spec_version: str


def escape(token: str) -> str:
    """One JSON pointer reference token (RFC 6901)."""
    return token.replace("~", "~0").replace("/", "~1")


# -- loading ----------------------------------------------------------------------------------
def load_pact(path: Path) -> Pact:
    """Read one pact file; raises UnusableInput (one line naming the file) when it is not a V4 pact."""
    path = Path(path)
    text = read_text(path)
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UnusableInput(f"{path}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}") from None
    if not isinstance(raw, dict):
        raise UnusableInput(f"{path}: not a pact (expected a JSON object); pacts are written by consumer tests")
    version = _spec_version(raw)
    if version is None:
        raise UnusableInput(
            f"{path}: not a pact (no metadata.pactSpecification.version); pacts are written by consumer tests"
        )
    if not version.startswith("4"):
        raise UnusableInput(
            f"{path}: Pact specification {version} is not supported; write V4 pacts "
            "(pact-python: Pact(...).with_specification('V4'))"
        )
    consumer, provider = _name(raw.get("consumer")), _name(raw.get("provider"))
    interactions = raw.get("interactions")
    if consumer is None or provider is None or not isinstance(interactions, list):
        raise UnusableInput(f"{path}: not a pact (needs consumer.name, provider.name and an interactions list)")
    loaded = []
    for i, item in enumerate(interactions):
        if not isinstance(item, dict) or not isinstance(item.get("type"), str):
            raise UnusableInput(f"{path}: not a pact (interaction {i} is not an object with a type)")
        loaded.append(_interaction(i, item))
    return Pact(path=path, consumer=consumer, provider=provider, interactions=loaded, spec_version=version)


def load_pacts(pacts_dir: Path) -> list[Pact]:
    """Every `*.json` pact in a folder, in name order (an absent folder holds none)."""
    if not Path(pacts_dir).is_dir():
        return []
    return [load_pact(p) for p in sorted(Path(pacts_dir).glob("*.json"))]


def _spec_version(raw: dict[str, Any]) -> str | None:
    meta = raw.get("metadata")
    if not isinstance(meta, dict):
        return None
    for key in ("pactSpecification", "pact-specification", "pactSpecificationVersion"):
        value = meta.get(key)
        if isinstance(value, dict):
            value = value.get("version")
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            return str(value)
    return None


def _name(party: Any) -> str | None:
    if isinstance(party, dict) and isinstance(party.get("name"), str) and party["name"]:
        return party["name"]
    return None


def _interaction(i: int, raw: dict[str, Any]) -> Interaction:
    states: list[tuple[str, dict[str, Any]]] = []
    for state in raw.get("providerStates") or []:
        if isinstance(state, dict) and isinstance(state.get("name"), str):
            params = state.get("params")
            states.append((state["name"], params if isinstance(params, dict) else {}))
    contents = raw.get("contents") if isinstance(raw.get("contents"), dict) else {}
    content_type = contents.get("contentType")
    body, problem = _body(contents)
    metadata = raw.get("metadata") if isinstance(raw.get("metadata"), dict) else {}
    rules_raw = raw.get("matchingRules") if isinstance(raw.get("matchingRules"), dict) else {}
    gens_raw = raw.get("generators") if isinstance(raw.get("generators"), dict) else {}
    gens_body = gens_raw.get("body") if isinstance(gens_raw.get("body"), dict) else {}
    return Interaction(
        index=i,
        kind=raw["type"],
        description=str(raw.get("description", "")),
        states=states,
        body=body,
        content_type=content_type if isinstance(content_type, str) else None,
        metadata=metadata,
        matching_rules=_rules(rules_raw.get("body")),
        generators={k: v for k, v in gens_body.items() if isinstance(v, dict)},
        body_problem=problem,
        key=raw.get("key") if isinstance(raw.get("key"), str) else None,
        pending=raw.get("pending") is True,
    )


def _body(contents: dict[str, Any]) -> tuple[Any, str | None]:
    """The example body as JSON; pact stores it inline, or as a string when `encoded` says so."""
    content = contents.get("content")
    encoded = contents.get("encoded")
    if not isinstance(content, str) or encoded in (None, False):
        return content, None
    try:
        if str(encoded).lower() == "base64":
            return json.loads(base64.b64decode(content, validate=True)), None
        return json.loads(content), None
    except (ValueError, TypeError) as exc:
        return None, f"content encoded as {encoded!r} is not JSON ({exc})"


def _rules(raw: Any) -> dict[str, MatchingRule]:
    out: dict[str, MatchingRule] = {}
    if not isinstance(raw, dict):
        return out
    for path, rule in raw.items():
        if isinstance(rule, dict):
            combine = str(rule.get("combine", "AND")).upper()
            items = rule.get("matchers")
        elif isinstance(rule, list):  # tolerate the bare-list form some writers use
            combine, items = "AND", rule
        else:
            continue
        matchers = tuple(
            Matcher(str(m["match"]), {k: v for k, v in m.items() if k != "match"})
            for m in (items if isinstance(items, list) else [])
            if isinstance(m, dict) and "match" in m
        )
        out[path] = MatchingRule(path=path, combine=combine, matchers=matchers)
    return out


# -- matching-rule paths ----------------------------------------------------------------------
@dataclass(frozen=True)
class Step:
    """One step of a path: a named property, any property (`*`), an index, or any index (`[*]`)."""

    kind: str  # "prop" | "any-prop" | "index" | "any-index"
    name: str = ""
    index: int = 0

    def __str__(self) -> str:
        if self.kind == "prop":
            return f".{self.name}" if re.fullmatch(r"[A-Za-z0-9_-]+", self.name) else f"['{self.name}']"
        return {"any-prop": ".*", "any-index": "[*]"}.get(self.kind, f"[{self.index}]")


_STEP = re.compile(
    r"""\.(?P<name>[^.\[\]'"*]+)   # .name
      | \.(?P<star>\*)             # .*
      | \[(?P<idx>\d+)\]           # [3]
      | \[(?P<all>\*)\]            # [*]
      | \['(?P<q1>(?:[^'\\]|\\.)*)'\]
      | \["(?P<q2>(?:[^"\\]|\\.)*)"\]
    """,
    re.VERBOSE,
)


def parse_path(path: str) -> list[Step] | None:
    """The steps of a pact path (`$.a.b[*].c`, `$['a b'][0]`); None when it is not one."""
    if not path.startswith("$"):
        return None
    steps: list[Step] = []
    pos = 1
    while pos < len(path):
        m = _STEP.match(path, pos)
        if m is None:
            return None
        if m["name"] is not None:
            steps.append(Step("prop", name=m["name"]))
        elif m["star"] is not None:
            steps.append(Step("any-prop"))
        elif m["idx"] is not None:
            steps.append(Step("index", index=int(m["idx"])))
        elif m["all"] is not None:
            steps.append(Step("any-index"))
        else:
            quoted = m["q1"] if m["q1"] is not None else m["q2"]
            steps.append(Step("prop", name=re.sub(r"\\(.)", r"\1", quoted)))
        pos = m.end()
    return steps


def steps_of_pointer(ptr: str) -> list[Step]:
    """A JSON pointer into a document as path steps (digits are indexes)."""
    if not ptr:
        return []
    out = []
    for token in ptr[1:].split("/"):
        token = token.replace("~1", "/").replace("~0", "~")
        out.append(Step("index", index=int(token)) if token.isdigit() else Step("prop", name=token))
    return out


def path_covers(path: list[Step], target: list[Step]) -> bool:
    """True when a rule or generator path applies to a concrete location (wildcards match anything)."""
    if len(path) != len(target):
        return False
    for p, t in zip(path, target, strict=True):
        if p.kind == "any-index" and t.kind in ("index", "any-index"):
            continue
        if p.kind == "any-prop" and t.kind in ("prop", "any-prop"):
            continue
        if t.kind == "index" and p.kind == "prop" and p.name == str(t.index):
            continue
        if p != t:
            return False
    return True


# -- where a path lands in a schema -----------------------------------------------------------
# JSON types, with numbers split so that `integer` and `decimal` matchers can be told apart.
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


def kind_of(value: Any) -> str:
    """The JSON kind of a value (1.0 is an integer, as JSON Schema says)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "integer" if value.is_integer() else "fraction"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def schema_kinds(schema: Any, resolver: Any, depth: int = 0) -> frozenset[str]:
    """Every JSON kind a value can have and still satisfy the schema (as far as types decide)."""
    if schema is True or depth > 64:
        return ALL_KINDS
    if schema is False:
        return frozenset()
    if not isinstance(schema, dict):
        return ALL_KINDS
    kinds = set(ALL_KINDS)
    declared = schema.get("type")
    if isinstance(declared, str):
        declared = [declared]
    if isinstance(declared, list):
        kinds &= set().union(*(_TYPE_KINDS.get(t, set()) for t in declared if isinstance(t, str)))
    if "const" in schema:
        kinds &= {kind_of(schema["const"])}
    if isinstance(schema.get("enum"), list):
        kinds &= {kind_of(v) for v in schema["enum"]}
    ref = schema.get("$ref")
    if isinstance(ref, str):
        try:
            resolved = resolver.lookup(ref)
        except (referencing.exceptions.Unresolvable, referencing.exceptions.PointerToNowhere):
            pass  # the $ref check reports it
        else:
            kinds &= schema_kinds(resolved.contents, resolved.resolver, depth + 1)
    for sub in schema.get("allOf") or []:
        kinds &= schema_kinds(sub, resolver, depth + 1)
    for key in ("anyOf", "oneOf"):
        branches = schema.get(key)
        if isinstance(branches, list) and branches:
            kinds &= set().union(*(schema_kinds(sub, resolver, depth + 1) for sub in branches))
    if "if" in schema and ("then" in schema or "else" in schema):
        kinds &= schema_kinds(schema.get("then", True), resolver, depth + 1) | schema_kinds(
            schema.get("else", True), resolver, depth + 1
        )
    return frozenset(kinds)


@dataclass
class Location:
    """Where a path lands in a schema.

    `missing` is the index of the first step no subschema declares (None when every step is
    declared) and `reason` says why; `kinds` are the JSON kinds the value there may have, or None
    when the schema does not constrain it (a declaration only inside one alternative, an array
    without `items`).
    """

    missing: int | None
    reason: str = ""
    kinds: frozenset[str] | None = None


# (schema, resolver, certain): `certain` when the subschema applies whatever the data (itself, $ref,
# allOf), not only in one alternative (anyOf/oneOf) or one outcome of a condition (then/else).
_Sub = tuple[Any, Any, bool]


def _applicable(schema: Any, resolver: Any, certain: bool, depth: int = 0) -> Iterator[_Sub]:
    if not isinstance(schema, dict) or depth > 64:
        return
    yield schema, resolver, certain
    ref = schema.get("$ref")
    if isinstance(ref, str):
        try:
            resolved = resolver.lookup(ref)
        except (referencing.exceptions.Unresolvable, referencing.exceptions.PointerToNowhere):
            pass
        else:
            yield from _applicable(resolved.contents, resolved.resolver, certain, depth + 1)
    for sub in schema.get("allOf") or []:
        yield from _applicable(sub, resolver, certain, depth + 1)
    for key in ("anyOf", "oneOf"):
        for sub in schema.get(key) or []:
            yield from _applicable(sub, resolver, False, depth + 1)
    for key in ("then", "else"):
        if key in schema:
            yield from _applicable(schema[key], resolver, False, depth + 1)
    for sub in (schema.get("dependentSchemas") or {}).values():
        yield from _applicable(sub, resolver, False, depth + 1)


def _declarations(subs: list[_Sub], step: Step) -> list[_Sub]:
    """The subschemas that declare what a step reaches, from the subschemas applying here."""
    found: list[_Sub] = []
    for sub, res, certain in subs:
        if step.kind in ("prop", "any-prop"):
            props = sub.get("properties") if isinstance(sub.get("properties"), dict) else {}
            patterns = sub.get("patternProperties") if isinstance(sub.get("patternProperties"), dict) else {}
            extra = sub.get("additionalProperties")
            if step.kind == "prop":
                hits = [props[step.name]] if step.name in props else []
                hits += [p for pat, p in patterns.items() if _search(pat, step.name)]
                if not hits and isinstance(extra, dict) and extra:
                    hits = [extra]  # a map whose values have a schema: its keys are data, not fields
            else:
                hits = list(props.values()) + list(patterns.values())
                if isinstance(extra, dict) and extra:
                    hits.append(extra)
            found.extend((h, res, certain) for h in hits)
        else:
            prefix = sub.get("prefixItems") if isinstance(sub.get("prefixItems"), list) else []
            items = sub.get("items")
            if step.kind == "index" and step.index < len(prefix):
                found.append((prefix[step.index], res, certain))
            else:
                if step.kind == "any-index":
                    found.extend((p, res, False) for p in prefix)
                if isinstance(items, dict | bool):
                    found.append((items, res, certain and not prefix))
    return found


def _search(pattern: str, name: str) -> bool:
    try:
        return re.search(pattern, name) is not None
    except re.error:
        return False


def locate(schema: dict[str, Any], resolver: Any, steps: list[Step]) -> Location:
    """Walk a schema along path steps: is every step declared, and what may the value there be."""
    current: list[_Sub] = [(schema, resolver, True)]
    constrained = True
    for i, step in enumerate(steps):
        subs = [s for sch, res, certain in current for s in _applicable(sch, res, certain)]
        here = _kinds_of(current) if constrained else None
        wants = "array" if step.kind in ("index", "any-index") else "object"
        if here is not None and wants not in here:
            return Location(i, f"the schema says this is {_kind_words(here)}, not an {wants}")
        if not constrained:
            if wants == "array":
                continue
            return Location(i, "nothing in the schema declares it (it lies inside an unconstrained value)")
        declared = _declarations(subs, step)
        if not declared:
            if wants == "array":
                constrained = False  # an array without `items`: its items may be anything
                current = []
                continue
            return Location(i, "no subschema declares this property")
        if any(d is False for d, _, _ in declared):
            return Location(i, "the schema forbids a value here (false)")
        current = declared
    return Location(None, kinds=_kinds_of(current) if constrained else None)


def _kinds_of(decls: list[_Sub]) -> frozenset[str] | None:
    """The kinds every certain declaration allows; None when no declaration is certain."""
    certain = [(s, r) for s, r, c in decls if c]
    if not certain:
        return None
    kinds = ALL_KINDS
    for sch, res in certain:
        kinds = kinds & schema_kinds(sch, res)
    return kinds


def _kind_words(kinds: frozenset[str]) -> str:
    names = set(kinds)
    if {"integer", "fraction"} <= names:
        names -= {"integer", "fraction"}
        names.add("number")
    elif "fraction" in names:
        names.discard("fraction")
        names.add("number with a fraction")
    words = sorted(names)
    if not words:
        return "impossible"
    article = "an" if words[0][0] in "aeiou" else "a"
    return f"{article} {' or '.join(words)}"


# -- matchers against schema kinds ------------------------------------------------------------
_MATCHER_NEEDS: dict[str, tuple[frozenset[str], str]] = {
    "integer": (frozenset({"integer"}), "an integer"),
    "decimal": (frozenset({"fraction"}), "a number with a fraction"),
    "number": (frozenset({"integer", "fraction"}), "a number"),
    "boolean": (frozenset({"boolean"}), "a boolean"),
    "null": (frozenset({"null"}), "null"),
    "regex": (frozenset({"string"}), "a string"),
    "datetime": (frozenset({"string"}), "a string"),
    "timestamp": (frozenset({"string"}), "a string"),
    "date": (frozenset({"string"}), "a string"),
    "time": (frozenset({"string"}), "a string"),
    "uuid": (frozenset({"string"}), "a string"),
    "semver": (frozenset({"string"}), "a string"),
    "include": (frozenset({"string"}), "a string"),
    "eachKey": (frozenset({"object"}), "an object"),
    "eachValue": (frozenset({"object", "array"}), "an object or array"),
    "values": (frozenset({"object", "array"}), "an object or array"),
    "arrayContains": (frozenset({"array"}), "an array"),
}


def matcher_needs(matcher: Matcher) -> tuple[frozenset[str], str] | None:
    """The kinds a matcher can match and how to say so; None when it accepts any kind (`type`, `equality`)."""
    if matcher.match in ("type", "min", "max", "minType", "maxType"):
        if any(k in matcher.attributes for k in ("min", "max")) or matcher.match != "type":
            return frozenset({"array"}), "an array (a type matcher with min/max is each-like)"
        return None
    return _MATCHER_NEEDS.get(matcher.match)


def matcher_disagreement(rule: MatchingRule, kinds: frozenset[str]) -> list[str]:
    """Why the rule's matchers cannot match what the schema allows there (empty when they can).

    With AND every matcher must be able to match; with OR one is enough.
    """
    problems = []
    fine = 0
    for m in rule.matchers:
        need = matcher_needs(m)
        if need is None or need[0] & kinds:
            fine += 1
            continue
        problems.append(f"{m.match!r} matcher needs {need[1]}, the schema says {_kind_words(kinds)}")
    if rule.combine == "OR" and fine:
        return []
    return problems
