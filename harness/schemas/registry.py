"""A registry of the catalogue's schemas, each compiled once, in two engines.

- jsonschema gives exact, readable error messages with paths: used when something is invalid and for
  reports.
- jsonschema-rs is about a hundred times faster: used on the hot path to decide validity.
Format checking is on in both (2020-12 treats `format` as an annotation unless told otherwise).
A test proves the two agree on every shipped example and on hundreds of mutations of them.

Data minimisation: `undeclared()` walks a message beside its schema and names every property that no
applicable subschema declares. Message schemas stay open (tolerant readers evolve more easily), so a
validator alone would not see a leaked field; a closed copy (`unevaluatedProperties: false`) would, but
one failing branch drops every annotation above it and floods the report with false leaks.

Personal data: `personal()` walks a message the same way and names every value that an applicable
subschema marks `x-personal-data: true`; `redact()` returns a copy with those values replaced by
REDACTED. Every report, sink and store that shows or keeps a message uses these two, so "what is
personal" is decided in one place, by the schemas.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
import jsonschema_rs
import referencing
import referencing.exceptions
import referencing.jsonschema

from harness.errors import UnusableInput
from harness.jsonfile import load_json

FORMAT_CHECKER = jsonschema.Draft202012Validator.FORMAT_CHECKER
META_2020_12 = "https://json-schema.org/draft/2020-12/schema"


class InvalidSchema(UnusableInput):
    """A schema of the catalogue cannot be compiled: lint says why, in detail."""


@dataclass(frozen=True)
class SchemaError:
    """One reason a message is invalid: where in the message, what rule, and what the rule said."""

    pointer: str
    message: str
    schema_pointer: str
    keyword: str

    def __str__(self) -> str:
        return f"{self.pointer or '/'}: {self.message}"


@dataclass
class SchemaDoc:
    path: Path
    uri: str
    contents: dict[str, Any]
    event_type: str | None = None
    version: int | None = None
    _exact: Any = field(default=None, repr=False)
    _fast: Any = field(default=None, repr=False)

    @property
    def is_message(self) -> bool:
        return self.event_type is not None and self.version is not None

    @property
    def name(self) -> str:
        """The message folder name, e.g. case-status-returned."""
        return self.path.parent.name


def pointer(parts: Any) -> str:
    """A JSON pointer from a path of keys and indexes."""
    out = []
    for part in parts:
        out.append(str(part).replace("~", "~0").replace("/", "~1"))
    return "/" + "/".join(out) if out else ""


def _const(schema: dict[str, Any], name: str) -> Any:
    prop = schema.get("properties", {}).get(name)
    if isinstance(prop, dict):
        return prop.get("const")
    return None


class SchemaRegistry:
    """Every schema under a folder, addressable by `$id` and by (eventType, version)."""

    def __init__(self, schemas_dir: Path) -> None:
        self.schemas_dir = Path(schemas_dir)
        if not self.schemas_dir.is_dir():
            raise UnusableInput(f"{self.schemas_dir}: no schemas folder; pass --root to the project folder")
        self.documents: dict[str, SchemaDoc] = {}
        self.by_event: dict[tuple[str, int], SchemaDoc] = {}
        for path in sorted(self.schemas_dir.rglob("*.json")):
            contents = load_json(path)
            if not isinstance(contents, dict):
                raise UnusableInput(f"{path}: a schema must be a JSON object")
            uri = contents.get("$id") or path.resolve().as_uri()
            doc = SchemaDoc(path=path, uri=uri, contents=contents)
            event_type, version = _const(contents, "eventType"), _const(contents, "version")
            if isinstance(event_type, str) and isinstance(version, int):
                doc.event_type, doc.version = event_type, version
                self.by_event[(event_type, version)] = doc
            self.documents[uri] = doc
        self._resources = [(d.uri, d.contents) for d in self.documents.values()]
        self.referencing = referencing.Registry().with_resources(
            (uri, referencing.jsonschema.DRAFT202012.create_resource(c)) for uri, c in self._resources
        )
        self._rs_registry: jsonschema_rs.Registry | None = None
        self._problems: list[tuple[SchemaDoc, str, str]] | None = None

    # -- structure ----------------------------------------------------------------------------
    @property
    def problems(self) -> list[tuple[SchemaDoc, str, str]]:
        """What makes a schema unusable before any message meets it: (schema, JSON pointer, problem).

        - `$schema` other than 2020-12 (the validators would read another dialect, or refuse);
        - a `$ref` to anything outside the catalogue (http, https, file, another $id): never fetched;
        - a `$ref` cycle that consumes nothing (a refers to b, b to a; or through allOf, not, if, ...):
          every validator would recurse forever. A recursive schema whose cycle steps into a property
          or an item (a tree) is fine.
        Lint reports each as a finding; verify refuses to run on them (exit 2). Computed once.
        """
        if self._problems is None:
            self._problems = _structural_problems(self)
        return self._problems

    # -- lookup -------------------------------------------------------------------------------
    def messages(self) -> list[SchemaDoc]:
        return [d for d in self.documents.values() if d.is_message]

    def get(self, event_type: str, version: int) -> SchemaDoc | None:
        return self.by_event.get((event_type, version))

    def versions_of(self, event_type: str) -> list[int]:
        return sorted(v for (t, v) in self.by_event if t == event_type)

    def event_types(self) -> list[str]:
        return sorted({t for (t, _) in self.by_event})

    # -- compiled validators ------------------------------------------------------------------
    def exact(self, doc: SchemaDoc) -> jsonschema.Draft202012Validator:
        if doc._exact is None:
            try:
                jsonschema.Draft202012Validator.check_schema(doc.contents)
            except jsonschema.SchemaError as exc:
                raise InvalidSchema(f"{doc.path}: not a valid schema ({exc.message}); run em-harness lint") from None
            doc._exact = jsonschema.Draft202012Validator(
                doc.contents, registry=self.referencing, format_checker=FORMAT_CHECKER
            )
        return doc._exact

    def fast(self, doc: SchemaDoc) -> Any:
        if doc._fast is None:
            if self._rs_registry is None:
                self._rs_registry = jsonschema_rs.Registry(self._resources)
            try:
                doc._fast = jsonschema_rs.Draft202012Validator(
                    doc.contents, registry=self._rs_registry, validate_formats=True, base_uri=doc.uri
                )
            except (jsonschema_rs.ValidationError, jsonschema_rs.ReferencingError, ValueError) as exc:
                first = str(exc).splitlines()[0]
                raise InvalidSchema(f"{doc.path}: not a usable schema ({first}); run em-harness lint") from None
        return doc._fast

    # -- judging ------------------------------------------------------------------------------
    def errors(self, doc: SchemaDoc, instance: Any) -> list[SchemaError]:
        """Every reason the instance is invalid, as exact jsonschema messages with JSON pointers."""
        found = []
        try:
            for err in self.exact(doc).iter_errors(instance):
                found.extend(_flatten(err))
        except referencing.exceptions.Unresolvable as exc:
            raise InvalidSchema(f"{doc.path}: a $ref does not resolve ({exc}); run em-harness lint") from None
        found.sort(key=lambda e: (e.pointer, e.keyword))
        return found

    def undeclared(self, doc: SchemaDoc, instance: Any) -> list[str]:
        """JSON pointers of properties the message carries but its schema does not declare."""
        out: list[str] = []
        resolver = self.referencing.resolver(base_uri=doc.uri)
        _walk_undeclared(doc.contents, instance, resolver, "", out, depth=0)
        return sorted(set(out))

    def personal(self, doc: SchemaDoc, instance: Any) -> list[str]:
        """JSON pointers of the values in the message that the schema marks `x-personal-data: true`.

        A marked object or array counts as one value (everything under it is personal too)."""
        out: list[str] = []
        resolver = self.referencing.resolver(base_uri=doc.uri)
        _walk_personal([(doc.contents, resolver)], instance, "", out, depth=0)
        return sorted(set(out))

    def redact(self, doc: SchemaDoc, instance: Any) -> Any:
        """A copy of the message with every personal value (see `personal`) replaced by REDACTED."""
        return redact_pointers(instance, self.personal(doc, instance))


REDACTED = "<redacted>"
"""What a personal value is shown as. Plain text: safe in rich, HTML and XML once each sink escapes."""


def redact_pointers(instance: Any, pointers: list[str]) -> Any:
    """A deep copy of `instance` with the value at each JSON pointer replaced by REDACTED."""
    import copy

    out = copy.deepcopy(instance)
    for ptr in sorted(pointers, key=len):
        parts = [p.replace("~1", "/").replace("~0", "~") for p in ptr.split("/")[1:]]
        if not parts:
            return REDACTED
        node = out
        for part in parts[:-1]:
            if isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            elif isinstance(node, dict) and part in node:
                node = node[part]
            else:
                node = None
                break
        last = parts[-1]
        if isinstance(node, dict) and last in node:
            node[last] = REDACTED
        elif isinstance(node, list) and last.isdigit() and int(last) < len(node):
            node[int(last)] = REDACTED
    return out


def _one(err: jsonschema.ValidationError) -> SchemaError:
    return SchemaError(
        pointer=pointer(err.absolute_path),
        message=err.message,
        schema_pointer=pointer(err.absolute_schema_path),
        keyword=str(err.validator),
    )


def _flatten(err: jsonschema.ValidationError) -> Iterator[SchemaError]:
    """allOf/if-then wrap the real reasons; report the leaves, which say what is actually wrong."""
    if err.context and err.validator in ("allOf",):
        for sub in err.context:
            yield from _flatten(sub)
    else:
        yield _one(err)


_BRANCHES = ("allOf", "anyOf", "oneOf")


def _applicable(schema: Any, resolver: Any, depth: int) -> Iterator[tuple[dict[str, Any], Any]]:
    """Every subschema that applies at this instance location, with the resolver it resolves in."""
    if not isinstance(schema, dict) or depth > 64:
        return
    yield schema, resolver
    ref = schema.get("$ref")
    if isinstance(ref, str):
        resolved = resolver.lookup(ref)
        yield from _applicable(resolved.contents, resolved.resolver, depth + 1)
    for key in _BRANCHES:
        for sub in schema.get(key, []) or []:
            yield from _applicable(sub, resolver, depth + 1)
    for key in ("then", "else"):
        if key in schema:
            yield from _applicable(schema[key], resolver, depth + 1)
    for sub in (schema.get("dependentSchemas") or {}).values():
        yield from _applicable(sub, resolver, depth + 1)


def _walk_undeclared(schema: Any, instance: Any, resolver: Any, here: str, out: list[str], depth: int) -> None:
    _walk_many([(schema, resolver)], instance, here, out, depth)


def _walk_many(schemas: list[tuple[Any, Any]], instance: Any, here: str, out: list[str], depth: int) -> None:
    """Walk an instance beside every schema that applies to it; a property is declared if any declares it."""
    subs = [pair for schema, res in schemas for pair in _applicable(schema, res, depth)]
    if isinstance(instance, dict):
        declared: dict[str, list[tuple[Any, Any]]] = {}
        patterns: list[tuple[str, Any, Any]] = []
        open_ended = False
        for sub, res in subs:
            for name, prop in (sub.get("properties") or {}).items():
                declared.setdefault(name, []).append((prop, res))
            for pat, prop in (sub.get("patternProperties") or {}).items():
                patterns.append((pat, prop, res))
            extra = sub.get("additionalProperties")
            if isinstance(extra, dict) and extra:
                open_ended = True  # a map whose values have a schema: keys are data, not fields
        for name, value in instance.items():
            where = f"{here}/{str(name).replace('~', '~0').replace('/', '~1')}"
            matches = declared.get(name, []) + [(p, r) for pat, p, r in patterns if re.search(pat, name)]
            if matches:
                _walk_many(matches, value, where, out, depth + 1)
            elif not open_ended:
                out.append(where)
    elif isinstance(instance, list):
        for i, value in enumerate(instance):
            matches = []
            for sub, res in subs:
                prefix = sub.get("prefixItems") or []
                items = sub.get("items")
                if i < len(prefix):
                    matches.append((prefix[i], res))
                elif isinstance(items, dict):
                    matches.append((items, res))
            if matches:
                _walk_many(matches, value, f"{here}/{i}", out, depth + 1)


def _marked(subs: list[tuple[dict[str, Any], Any]]) -> bool:
    return any(sub.get("x-personal-data") is True for sub, _ in subs)


def _walk_personal(schemas: list[tuple[Any, Any]], instance: Any, here: str, out: list[str], depth: int) -> None:
    """Walk an instance beside every schema that applies to it; note each value a subschema marks personal."""
    subs = [pair for schema, res in schemas for pair in _applicable(schema, res, depth)]
    if _marked(subs):
        out.append(here)
        return
    if isinstance(instance, dict):
        for name, value in instance.items():
            matches = []
            for sub, res in subs:
                prop = (sub.get("properties") or {}).get(name)
                if prop is not None:
                    matches.append((prop, res))
                matches.extend(
                    (p, res) for pat, p in (sub.get("patternProperties") or {}).items() if re.search(pat, name)
                )
                extra = sub.get("additionalProperties")
                if prop is None and isinstance(extra, dict):
                    matches.append((extra, res))
            if matches:
                where = f"{here}/{str(name).replace('~', '~0').replace('/', '~1')}"
                _walk_personal(matches, value, where, out, depth + 1)
    elif isinstance(instance, list):
        for i, value in enumerate(instance):
            matches = []
            for sub, res in subs:
                prefix = sub.get("prefixItems") or []
                items = sub.get("items")
                if i < len(prefix):
                    matches.append((prefix[i], res))
                elif isinstance(items, dict):
                    matches.append((items, res))
            if matches:
                _walk_personal(matches, value, f"{here}/{i}", out, depth + 1)


# -- structure ----------------------------------------------------------------------------------
# Keywords whose subschemas apply to the same instance (a cycle through only these consumes nothing).
_IN_PLACE_LISTS = ("allOf", "anyOf", "oneOf")
_IN_PLACE_ONE = ("not", "if", "then", "else")
_SKIP = ("examples", "const", "enum", "default")


def walk_schema(node: Any, here: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """(pointer, subschema) for every object in a schema, data keywords (examples, const, ...) left out."""
    stack: list[tuple[Any, str]] = [(node, here)]
    while stack:
        value, ptr = stack.pop()
        if isinstance(value, dict):
            yield ptr, value
            for key, child in value.items():
                if key not in _SKIP:
                    stack.append((child, f"{ptr}/{key.replace('~', '~0').replace('/', '~1')}"))
        elif isinstance(value, list):
            stack.extend((child, f"{ptr}/{i}") for i, child in enumerate(value))


def _structural_problems(registry: SchemaRegistry) -> list[tuple[SchemaDoc, str, str]]:
    from urllib.parse import urldefrag, urljoin

    from harness.catalogue.regex import schema_pattern_problem

    by_uri = {uri: doc for uri, doc in registry.documents.items()}
    problems: list[tuple[SchemaDoc, str, str]] = []
    edges: dict[tuple[str, str], list[tuple[str, str, str]]] = {}  # (uri, ptr) -> [(uri, ptr, where)]
    for uri, doc in by_uri.items():
        declared = doc.contents.get("$schema", META_2020_12)
        if declared != META_2020_12:
            problems.append((doc, "/$schema", f"must be {META_2020_12!r} (JSON Schema 2020-12)"))
        for ptr, sub in walk_schema(doc.contents, ""):
            if isinstance(sub.get("pattern"), str) and (why := schema_pattern_problem(sub["pattern"])):
                problems.append((doc, f"{ptr}/pattern", f"{sub['pattern']!r}: {why}"))
            if isinstance(sub.get("patternProperties"), dict):
                for key in sub["patternProperties"]:
                    if why := schema_pattern_problem(key):
                        problems.append(
                            (
                                doc,
                                f"{ptr}/patternProperties/{key.replace('~', '~0').replace('/', '~1')}",
                                f"{key!r}: {why}",
                            )
                        )
            out = edges.setdefault((uri, ptr), [])
            for key in _IN_PLACE_LISTS:
                if isinstance(sub.get(key), list):
                    out.extend((uri, f"{ptr}/{key}/{i}", "") for i in range(len(sub[key])))
            for key in _IN_PLACE_ONE:
                if isinstance(sub.get(key), dict):
                    out.append((uri, f"{ptr}/{key}", ""))
            ref = sub.get("$ref")
            if not isinstance(ref, str):
                continue
            target, fragment = urldefrag(urljoin(uri, ref))
            target = target or uri
            if target not in by_uri:
                problems.append(
                    (
                        doc,
                        f"{ptr}/$ref",
                        f"$ref {ref!r} points outside the catalogue; schemas are never fetched: refer to a schema "
                        "under schemas/ by its $id",
                    )
                )
                continue
            if fragment == "" or fragment.startswith("/"):
                out.append((target, fragment, f"{ptr}/$ref"))
    # A cycle of in-place steps through at least one $ref: depth-first, colouring nodes.
    state: dict[tuple[str, str], int] = {}
    reported: set[tuple[str, str]] = set()
    for start in edges:
        if state.get(start):
            continue
        stack: list[tuple[tuple[str, str], int]] = [(start, 0)]
        path: list[tuple[str, str]] = []
        while stack:
            node, i = stack.pop()
            if i == 0:
                state[node] = 1
                path.append(node)
            children = edges.get(node, [])
            if i < len(children):
                stack.append((node, i + 1))
                child = children[i][:2]
                if state.get(child) == 1:
                    where = children[i][2]
                    doc = by_uri[node[0]]
                    key = (node[0], where or node[1])
                    if key not in reported:
                        reported.add(key)
                        problems.append(
                            (
                                doc,
                                where or node[1],
                                "$ref cycle: it leads back to itself without stepping into a property or item "
                                f"(through {child[1] or '/'} of {by_uri[child[0]].path.name}); every validator "
                                "would recurse forever",
                            )
                        )
                elif not state.get(child):
                    stack.append((child, 0))
            else:
                state[node] = 2
                path.pop()
    return problems
