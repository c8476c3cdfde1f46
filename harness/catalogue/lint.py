"""`em-harness lint`: every file of the catalogue checked alone and against the others.

Each check yields Findings; nothing here prints except `run_lint`. Pacts, provider states and flows
add their checks beside the schema and AsyncAPI ones as the catalogue grows.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jsonschema
import referencing.exceptions

from harness.catalogue import conventions
from harness.catalogue.envelope import event_id
from harness.catalogue.findings import Finding, rel
from harness.jsonfile import read_text
from harness.project import Project, find_project
from harness.schemas.registry import META_2020_12, InvalidSchema, SchemaRegistry, pointer

ID_BASE = "https://schemas.em-harness.test/"
EVENT_PREFIX = "electronic-monitoring."
SIM_PREFIX = "em-harness."


class LintContext:
    """What the checks share: the project, the loaded schemas, and a pointer -> line lookup per file."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self.registry = SchemaRegistry(project.schemas_dir)
        self._lines: dict[Path, dict[str, int]] = {}
        self.asyncapi_raw: Any = None
        self.asyncapi: Any = None

    def line(self, path: Path, ptr: str) -> int:
        """The line of the deepest node of `ptr` that exists in the file (1-based; 0 if unknown)."""
        from harness.catalogue.yamlpos import yaml_line_map

        if path not in self._lines:
            try:
                self._lines[path] = yaml_line_map(read_text(path))
            except Exception:  # a position is a courtesy; never let it hide the finding
                self._lines[path] = {}
        lines = self._lines[path]
        probe = ptr
        while True:
            if probe in lines:
                return lines[probe]
            if not probe:
                return 0
            probe = probe.rsplit("/", 1)[0]

    def finding(self, path: Path, ptr: str, problem: str, severity: str = "error") -> Finding:
        return Finding(rel(path, self.project.root), self.line(path, ptr), ptr, problem, severity)


Check = Callable[[LintContext], Iterator[Finding]]


# -- schemas ----------------------------------------------------------------------------------
def check_metaschema(ctx: LintContext) -> Iterator[Finding]:
    meta = jsonschema.Draft202012Validator(jsonschema.Draft202012Validator.META_SCHEMA)
    for doc in ctx.registry.documents.values():
        if doc.contents.get("$schema") != META_2020_12:
            yield ctx.finding(doc.path, "/$schema", f"must be {META_2020_12!r} (JSON Schema 2020-12)")
        expected_id = ID_BASE + doc.path.relative_to(ctx.registry.schemas_dir).as_posix()
        if doc.contents.get("$id") != expected_id:
            yield ctx.finding(doc.path, "/$id", f"must be {expected_id!r} (the file's place under schemas/)")
        for err in meta.iter_errors(doc.contents):
            yield ctx.finding(doc.path, pointer(err.absolute_path), f"not a valid schema: {err.message}")


def _refs(node: Any, here: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("examples", "const", "enum", "default"):
                continue
            if key == "$ref" and isinstance(value, str):
                yield f"{here}/$ref", value
            else:
                yield from _refs(value, f"{here}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _refs(value, f"{here}/{i}")


def check_schema_structure(ctx: LintContext) -> Iterator[Finding]:
    """What makes a schema unusable for every validator ($schema, $refs outside the catalogue, $ref cycles).

    The registry decides (SchemaRegistry.problems); verify refuses to run on the same problems."""
    for doc, ptr, problem in ctx.registry.problems:
        yield ctx.finding(doc.path, ptr, problem)


def check_refs(ctx: LintContext) -> Iterator[Finding]:
    structural = {(doc.path, ptr) for doc, ptr, _ in ctx.registry.problems}
    for doc in ctx.registry.documents.values():
        resolver = ctx.registry.referencing.resolver(base_uri=doc.uri)
        for ptr, ref in _refs(doc.contents):
            if (doc.path, ptr) in structural:
                continue  # check_schema_structure says why
            try:
                resolver.lookup(ref)
            except (referencing.exceptions.Unresolvable, referencing.exceptions.PointerToNowhere) as exc:
                reason = (
                    "no such place in that schema"
                    if isinstance(exc, referencing.exceptions.PointerToNowhere)
                    else ("no schema with that $id or file")
                )
                yield ctx.finding(doc.path, ptr, f"$ref {ref!r} does not resolve: {reason}")


def check_messages(ctx: LintContext) -> Iterator[Finding]:
    """Message schemas: name, eventType and version agree; examples exist, validate and carry a true eventId."""
    for doc in ctx.registry.documents.values():
        folder = doc.path.parent.name
        if doc.path.parent.parent != ctx.registry.schemas_dir or not re.fullmatch(r"v[1-9][0-9]*\.json", doc.path.name):
            yield ctx.finding(doc.path, "", "schemas live at schemas/<message>/v<major>.json")
            continue
        if folder in ("envelope", "common"):
            continue
        if not doc.is_message:
            yield ctx.finding(
                doc.path,
                "/properties",
                "a message schema needs properties.eventType.const and properties.version.const",
            )
            continue
        # Simulation messages (sim-*) are the harness's own, not HMPPS events: their own prefix.
        expected_type = (SIM_PREFIX if folder.startswith("sim-") else EVENT_PREFIX) + folder
        if doc.event_type != expected_type:
            yield ctx.finding(
                doc.path, "/properties/eventType/const", f"eventType must be {expected_type!r} (its folder)"
            )
        if doc.version != int(doc.path.stem[1:]):
            yield ctx.finding(doc.path, "/properties/version/const", f"version must be {doc.path.stem[1:]} (its file)")
        if doc.contents.get("x-event-type", doc.event_type) != doc.event_type:
            yield ctx.finding(doc.path, "/x-event-type", "disagrees with properties.eventType.const")
        examples = doc.contents.get("examples")
        if not isinstance(examples, list) or not examples:
            yield ctx.finding(doc.path, "/examples", "a message schema needs at least one complete example")
            continue
        try:
            ctx.registry.exact(doc)
        except InvalidSchema:
            continue  # the metaschema check reports why; examples cannot be judged against it
        for i, example in enumerate(examples):
            try:
                errors = ctx.registry.errors(doc, example)
            except InvalidSchema:
                break  # the $ref check reports the dangling reference
            for err in errors:
                yield ctx.finding(doc.path, f"/examples/{i}{err.pointer}", f"example breaks its schema: {err.message}")
            if isinstance(example, dict) and "eventId" in example and example["eventId"] != event_id(example):
                yield ctx.finding(
                    doc.path, f"/examples/{i}/eventId", f"eventId is not the sha256 of the message: {event_id(example)}"
                )


# -- AsyncAPI ---------------------------------------------------------------------------------
def check_asyncapi(ctx: LintContext) -> Iterator[Finding]:
    from harness.catalogue.asyncapi import load_asyncapi, validate_asyncapi
    from harness.jsonfile import load_yaml

    path = ctx.project.asyncapi_path
    if not path.exists() and not path.is_symlink():  # anything else there goes to the reader, which says what it is
        yield ctx.finding(path, "", "missing: the catalogue needs contracts/asyncapi.yaml")
        return
    raw = load_yaml(path)
    ctx.asyncapi_raw = raw
    for ptr, problem in validate_asyncapi(raw, base_dir=path.parent):
        yield ctx.finding(path, ptr, problem)
    ctx.asyncapi = doc = load_asyncapi(path)
    used: set[Path] = set()
    for key, message in doc.messages.items():
        target = message.schema_path
        if target is None and message.harness and isinstance(message.payload, dict):
            continue  # the harness's own channels (readiness) carry an inline schema, not an HMPPS event
        if target is None:
            yield ctx.finding(path, f"/components/messages/{key}/payload", "payload names no schema file ($ref)")
            continue
        used.add(target.resolve())
        schema = next((d for d in ctx.registry.documents.values() if d.path.resolve() == target.resolve()), None)
        if schema is None:
            yield ctx.finding(
                path, f"/components/messages/{key}/payload", f"no schema at {rel(target, ctx.project.root)}"
            )
        elif not schema.is_message:
            yield ctx.finding(
                path, f"/components/messages/{key}/payload", "the schema it names is not a message schema"
            )
    for schema in ctx.registry.messages():
        if schema.path.resolve() not in used:
            yield ctx.finding(schema.path, "", "no message in contracts/asyncapi.yaml uses this schema")


def check_shared_schemas_used(ctx: LintContext) -> Iterator[Finding]:
    referenced: set[str] = set()
    for doc in ctx.registry.documents.values():
        resolver = ctx.registry.referencing.resolver(base_uri=doc.uri)
        for _, ref in _refs(doc.contents):
            try:
                referenced.add(str(resolver.lookup(ref).resolver._base_uri).split("#")[0])
            except referencing.exceptions.Unresolvable:
                continue
    for doc in ctx.registry.documents.values():
        if not doc.is_message and doc.uri not in referenced:
            yield ctx.finding(doc.path, "", "shared schema that no other schema references")


CHECKS: list[Check] = [
    check_schema_structure,
    check_metaschema,
    check_refs,
    check_messages,
    check_shared_schemas_used,
    check_asyncapi,
]
CHECKS.extend(conventions.CHECKS)


def lint_project(project: Project, checks: list[Check] | None = None) -> tuple[list[Finding], LintContext]:
    """Run every check; raises UnusableInput when a file cannot be read or parsed at all."""
    ctx = LintContext(project)
    found: list[Finding] = []
    broken = ctx.registry.problems
    for check in CHECKS if checks is None else checks:
        if not broken:
            found.extend(check(ctx))
            continue
        # A schema every validator refuses ($ref cycle, $ref outside, another dialect) can make a check
        # that compiles or walks schemas fail: the structural finding says why; the check's other
        # findings up to that point are kept.
        try:
            for finding in check(ctx):
                found.append(finding)
        except (RecursionError, ValueError, re.error, referencing.exceptions.Unresolvable, InvalidSchema):
            continue
    if broken and not any(f.problem == p for f in found for _, _, p in broken):
        found.extend(check_schema_structure(ctx))
    return sorted(set(found)), ctx


def run_lint(path: Path | None) -> int:
    """The command: print findings as `file:line: pointer: problem`, then a one-line summary."""
    from rich.console import Console

    project = find_project(path)
    found, ctx = lint_project(project)
    out = Console(highlight=False, soft_wrap=True)
    errors = [f for f in found if f.severity == "error"]
    warnings = len(found) - len(errors)
    for f in found:
        out.print(f.render(), markup=False)
    scope = f"{len(ctx.registry.documents)} schemas, {len(ctx.registry.messages())} message types"
    if ctx.asyncapi is not None:
        scope += f", {len(ctx.asyncapi.channels)} channels"
    if errors:
        out.print(f"lint: {len(errors)} finding(s), {warnings} warning(s) in {scope}", markup=False)
        return 1
    out.print(f"lint: clean ({scope}; {warnings} warning(s))", markup=False)
    return 0


# -- pacts and provider states ----------------------------------------------------------------
# Pacts (contracts/pacts/*.json) are checked against the schemas, asyncapi.yaml and the provider
# states files (contracts/states/<provider>.yaml); the states files against the schemas. Each pact
# file is loaded once per lint run; an unusable one stops lint with exit code 2, naming the file.
def _pacts(ctx: LintContext) -> list[Any]:
    from harness.catalogue.pacts import load_pacts

    if not hasattr(ctx, "_pacts"):
        ctx._pacts = load_pacts(ctx.project.pacts_dir)  # type: ignore[attr-defined]
    return ctx._pacts  # type: ignore[attr-defined]


def _states_files(ctx: LintContext) -> dict[str, Any]:
    from harness.catalogue.states import load_states

    if not hasattr(ctx, "_states_files"):
        ctx._states_files = load_states(ctx.project.states_dir)  # type: ignore[attr-defined]
    return ctx._states_files  # type: ignore[attr-defined]


def _asyncapi(ctx: LintContext) -> Any:
    """The AsyncAPI model check_asyncapi loaded, or loaded here when that check did not run."""
    if ctx.asyncapi is None and ctx.project.asyncapi_path.is_file():
        from harness.catalogue.asyncapi import load_asyncapi

        ctx.asyncapi = load_asyncapi(ctx.project.asyncapi_path)
    return ctx.asyncapi


def _message_parts(ctx: LintContext) -> Iterator[tuple[Any, Any, Any]]:
    """(pact, interaction, part) for every message of every message interaction: async messages, sync
    requests and responses."""
    from harness.catalogue.pacts import message_parts

    for pact in _pacts(ctx):
        for interaction, part in message_parts(pact):
            yield pact, interaction, part


def _message_interactions(ctx: LintContext) -> Iterator[tuple[Any, Any]]:
    from harness.catalogue.pacts import MESSAGE_KINDS

    for pact in _pacts(ctx):
        for interaction in pact.interactions:
            if interaction.kind in MESSAGE_KINDS:
                yield pact, interaction


def _pact_schema(ctx: LintContext, part: Any) -> tuple[Any, str, str]:
    """The schema judging a part's body, or None with the pointer and reason it has none.

    The eventType comes from the metadata (how a consumer filters), else from the body; the version
    from the body.
    """
    body = part.body
    meta_type = part.metadata.get("eventType")
    if isinstance(meta_type, str):
        event_type, where = meta_type, f"{part.metadata_pointer}/eventType"
    elif isinstance(body, dict) and isinstance(body.get("eventType"), str):
        event_type, where = body["eventType"], f"{part.body_pointer}/eventType"
    else:
        return None, part.metadata_pointer, "names no eventType (metadata eventType or the body's)"
    version = body.get("version") if isinstance(body, dict) else None
    if not isinstance(version, int) or isinstance(version, bool):
        return None, f"{part.body_pointer}/version", "the example body needs its integer version"
    doc = ctx.registry.get(event_type, version)
    if doc is None:
        known = ctx.registry.versions_of(event_type)
        hint = f"known versions: {known}" if known else "no schema has that eventType"
        return None, where, f"no schema for {event_type!r} version {version} ({hint})"
    return doc, "", ""


def _value_at(doc: Any, ptr: str) -> Any:
    """The value at a JSON pointer, or None when there is none."""
    from harness.catalogue.pacts import steps_of_pointer

    for step in steps_of_pointer(ptr):
        if step.kind == "index" and isinstance(doc, list) and step.index < len(doc):
            doc = doc[step.index]
        elif isinstance(doc, dict) and (step.name or str(step.index)) in doc:
            doc = doc[step.name or str(step.index)]
        else:
            return None
    return doc


def _generated(part: Any, ptr: str) -> bool:
    """True when a generator produces the value at this body location (pact stores a placeholder)."""
    from harness.catalogue.pacts import parse_path, path_covers, steps_of_pointer

    target = steps_of_pointer(ptr)
    for path in part.generators:
        steps = parse_path(path)
        if steps is not None and path_covers(steps, target):
            return True
    return False


def check_pact_structure(ctx: LintContext) -> Iterator[Finding]:
    """0. What the loader found wrong in a pact's structure (rules the verifier ignores, duplicates, ...)."""
    for pact in _pacts(ctx):
        for p in pact.problems:
            yield ctx.finding(pact.path, p.pointer, p.problem, p.severity)


def check_pact_bodies(ctx: LintContext) -> Iterator[Finding]:
    """1. Every example body (message, request, response) validates against the schema of its eventType and version.

    A field the schema does not declare is a finding too: the consumer would expect a field no
    provider has to send. A null a generator fills in at run time is not judged.
    """
    from harness.catalogue.pacts import HTTP, MESSAGE_KINDS, message_parts

    for pact in _pacts(ctx):
        expected = f"{pact.consumer}-{pact.provider}.json"
        if pact.path.name != expected:
            yield ctx.finding(pact.path, "", f"pact files are named <consumer>-<provider>.json: {expected}", "warning")
        for interaction in pact.interactions:
            if interaction.kind not in MESSAGE_KINDS:
                what = "an HTTP interaction" if interaction.kind == HTTP else f"a {interaction.kind!r} interaction"
                yield ctx.finding(
                    pact.path,
                    interaction.pointer,
                    f"{what}: out of scope for em-harness, which verifies message interactions "
                    "(verify lists it as a note; verify it with an HTTP provider verification)",
                    "warning",
                )
        for interaction, part in message_parts(pact):
            where = f"{part.label}: " if part.role != "message" else ""
            if part.body_problem:
                yield ctx.finding(pact.path, part.body_pointer, f"{where}{part.body_problem}")
                continue
            if part.content_type and "json" not in part.content_type.lower():
                yield ctx.finding(
                    pact.path,
                    f"{part.pointer}/contents/contentType" if interaction.base == "/interactions" else part.pointer,
                    f"{where}content type {part.content_type!r}: the catalogue's messages are application/json",
                )
                continue
            if not isinstance(part.body, dict):
                yield ctx.finding(
                    pact.path, part.body_pointer, f"{where}the example body must be a JSON object (a catalogue message)"
                )
                continue
            doc, at, problem = _pact_schema(ctx, part)
            if doc is None:
                no_message = " (the request is no catalogue message)" if part.role == "request" else ""
                yield ctx.finding(pact.path, at, f"{where}{problem}{no_message}")
                continue
            schema_file = rel(doc.path, ctx.project.root)
            try:
                errors = ctx.registry.errors(doc, part.body)
                undeclared = ctx.registry.undeclared(doc, part.body)
            except (InvalidSchema, referencing.exceptions.Unresolvable):
                continue  # the schema checks say why
            for err in errors:
                if _value_at(part.body, err.pointer) is None and _generated(part, err.pointer):
                    continue
                yield ctx.finding(
                    pact.path, f"{part.body_pointer}{err.pointer}", f"breaks {schema_file}: {err.message}"
                )
            for ptr in undeclared:
                yield ctx.finding(
                    pact.path,
                    f"{part.body_pointer}{ptr}",
                    f"{schema_file} declares no such field: no provider has to send it",
                )


def _rule_locations(ctx: LintContext) -> Iterator[tuple[Any, Any, str, Any, Any]]:
    """(pact, part, path, rule, location or None when the path does not parse) for every body rule."""
    from harness.catalogue.pacts import locate, parse_path

    for pact, _interaction, part in _message_parts(ctx):
        if not part.matching_rules:
            continue
        doc, _, _ = _pact_schema(ctx, part)
        if doc is None:
            continue  # check_pact_bodies reports it
        resolver = ctx.registry.referencing.resolver(base_uri=doc.uri)
        for path, rule in part.matching_rules.items():
            steps = parse_path(path)
            located = None if steps is None else (steps, locate(doc.contents, resolver, steps))
            yield pact, part, path, rule, located


def check_pact_rule_paths(ctx: LintContext) -> Iterator[Finding]:
    """2. Every matching-rule path lands on a place the schema declares."""
    for pact, part, path, _, located in _rule_locations(ctx):
        ptr = part.rule_pointer(path)
        if located is None:
            yield ctx.finding(pact.path, ptr, f"{path!r} is not a matching-rule path ($.a.b[*].c)")
            continue
        steps, where = located
        if where.missing is not None:
            upto = "$" + "".join(str(s) for s in steps[: where.missing + 1])
            yield ctx.finding(pact.path, ptr, f"{upto}: {where.reason}")


def check_pact_matcher_types(ctx: LintContext) -> Iterator[Finding]:
    """3. Each matcher can match the type the schema gives that place (integer on a string cannot)."""
    from harness.catalogue.pacts import MATCHER_KINDS, matcher_disagreement

    for pact, part, path, rule, located in _rule_locations(ctx):
        if located is None or located[1].missing is not None or located[1].kinds is None:
            continue
        if any(m.kind not in MATCHER_KINDS for m in rule.matchers):
            continue  # check_pact_matchers reports the unknown matcher
        for problem in matcher_disagreement(rule, located[1].kinds):
            yield ctx.finding(pact.path, part.rule_pointer(path), problem)


def _all_matchers(part: Any) -> Iterator[tuple[str, Any]]:
    """(pointer, matcher) for every matcher of a part, nested ones (eachKey rules, arrayContains variants) too."""
    from harness.catalogue.pacts import nested_matchers

    for rules in (part.matching_rules, part.metadata_rules):
        for rule in rules.values():
            for j, matcher in enumerate(rule.matchers):
                ptr = (
                    f"{rule.pointer}/matchers/{j}" if rule.pointer and "/matchers" not in rule.pointer else rule.pointer
                )
                yield ptr, matcher
                for sub, inner in nested_matchers(matcher):
                    yield f"{ptr}/{sub}", inner


def _unknown_matchers(part: Any) -> list[tuple[str, Any]]:
    from harness.catalogue.pacts import MATCHER_KINDS

    return [(ptr, m) for ptr, m in _all_matchers(part) if m.kind not in MATCHER_KINDS]


def check_pact_matchers(ctx: LintContext) -> Iterator[Finding]:
    """4. Every matcher and generator is one the verifier knows, fits a message, and a generator has a matcher.

    The verifier fails every message against an unknown matcher; a statusCode matcher judges HTTP
    responses only; the verifier does not apply generators to the message it compares, so a
    generated value with no matcher is compared by equality with the example.
    """
    from harness.catalogue.pacts import GENERATOR_KINDS, MATCHER_KINDS, parse_path, path_covers
    from harness.catalogue.regex import pact_regex_problem

    known = ", ".join(sorted(MATCHER_KINDS - {"statusCode"}))
    for pact, _interaction, part in _message_parts(ctx):
        for ptr, matcher in _all_matchers(part):
            if matcher.kind not in MATCHER_KINDS:
                yield ctx.finding(
                    pact.path,
                    ptr,
                    f"unknown matcher {matcher.match!r}: the pact verifier fails every message against it "
                    f"(matchers: {known})",
                )
            elif matcher.kind == "statusCode":
                yield ctx.finding(pact.path, ptr, "a statusCode matcher judges HTTP responses, not messages")
            elif matcher.kind == "regex" and not isinstance(matcher.attributes.get("regex"), str):
                yield ctx.finding(pact.path, ptr, "a regex matcher needs its `regex`")
            elif matcher.kind == "regex" and (why := pact_regex_problem(matcher.attributes["regex"])):
                yield ctx.finding(pact.path, ptr, f"regex {matcher.attributes['regex']!r}: {why}")
            elif matcher.kind in ("include", "contentType") and "value" not in matcher.attributes:
                yield ctx.finding(pact.path, ptr, f"an {matcher.kind} matcher needs its `value`")
        rule_paths = [p for p in (parse_path(r) for r in part.matching_rules) if p is not None]
        for path, gen in part.generators.items():
            gptr = part.generator_pointers.get(path, part.pointer)
            kind = gen.get("type")
            if kind not in GENERATOR_KINDS:
                yield ctx.finding(
                    pact.path,
                    gptr,
                    f"unknown generator {kind!r} (generators: {', '.join(sorted(GENERATOR_KINDS))})",
                )
                continue
            steps = parse_path(path)
            covered = steps is not None and any(
                path_covers(r, steps[: len(r)]) for r in rule_paths if len(r) <= len(steps)
            )
            if not covered:
                yield ctx.finding(
                    pact.path,
                    gptr,
                    f"{kind} generator with no matching rule at {path}: provider verification compares the "
                    "example value by equality (add a matcher, e.g. a type or regex matcher)",
                    "warning",
                )


def check_pact_examples(ctx: LintContext) -> Iterator[Finding]:
    """5. Every example satisfies its own matchers, judged by pact-python's verifier (one call for all).

    The verifier is served each part's own example: what it reports is exactly what it would hold
    against a provider that sent the example (a regex the example does not match, a date not in its
    format, an invalid regex).
    """
    from harness.catalogue.pacts import pointer_of_path, rule_at, steps_of_pointer
    from harness.catalogue.pactverifier import Served, verify_messages

    served, where = [], {}
    for pact, interaction, part in _message_parts(ctx):
        if not (part.matching_rules or part.metadata_rules) or part.body_problem:
            continue
        ident = f"{pact.path.name}#{part.pointer}"
        served.append(Served(ident, pact, interaction, part, part.body, dict(part.metadata)))
        where[ident] = (pact, part)
    if not served:
        return
    verdicts, _ = verify_messages("em-harness-lint", served)

    for ident, verdict in sorted(verdicts.items()):
        pact, part = where[ident]
        if not verdict.judged or verdict.error:
            yield ctx.finding(
                pact.path,
                part.pointer,
                f"the pact verifier could not judge {part.label}'s example: {verdict.error}",
            )
            continue
        unknown = {m.match for _, m in _unknown_matchers(part)}
        for m in verdict.mismatches:
            text = str(m.get("mismatch") or m.get("type"))
            if any(text.startswith(f"Could not apply the '{u}' matching rule") for u in unknown):
                continue  # check_pact_matchers reports the unknown matcher
            if m.get("key"):
                rule = part.metadata_rules.get(str(m["key"]))
                ptr = rule.pointer if rule is not None else f"{part.metadata_pointer}/{m['key']}"
            else:
                pointer = pointer_of_path(str(m.get("path", "$")))
                if _generated(part, pointer):
                    continue  # a generator gives the value; the example there is a placeholder
                rule = rule_at(part, steps_of_pointer(pointer)) if pointer.startswith("/") else None
                ptr = rule.pointer if rule is not None and rule.pointer else f"{part.body_pointer}{pointer}"
            yield ctx.finding(pact.path, ptr, f"the example fails its own matcher: {text}")


def check_pact_channels(ctx: LintContext) -> Iterator[Finding]:
    """6. The metadata names a channel carrying the message; the sender sends it, the receiver receives it.

    A message (and a response) goes from the provider to the consumer; a synchronous request from the
    consumer to the provider. Whatever key names the channel (channel, routingKey, topic,
    destination, subject) must name the catalogue's channel for the message.
    """
    from harness.catalogue.pacts import CHANNEL_KEYS

    api = _asyncapi(ctx)
    if api is None:
        return
    for pact, _interaction, part in _message_parts(ctx):
        if not isinstance(part.body, dict):
            continue
        doc, _, _ = _pact_schema(ctx, part)
        if doc is None:
            continue
        message = next(
            (m for m in api.messages.values() if m.schema_path and m.schema_path.resolve() == doc.path.resolve()),
            None,
        )
        if message is None:
            continue  # check_asyncapi reports a schema no message uses
        addresses = [c.address for c in api.channels_of(message.key)]
        to_use = addresses[0] if addresses else message.event_type
        meta = part.metadata
        named = [k for k in CHANNEL_KEYS if k in meta] or [k for k in ("eventType",) if k in meta]
        if not named and part.role == "message":
            yield ctx.finding(
                pact.path,
                part.metadata_pointer,
                f"names no channel: add metadata channel {to_use!r}",
            )
        for key in named:
            if meta[key] not in addresses:
                what = (
                    f" (metadata {key}: use metadata channel {to_use!r})" if key not in ("channel", "eventType") else ""
                )
                yield ctx.finding(
                    pact.path,
                    f"{part.metadata_pointer}/{key}",
                    f"{meta[key]!r} is not a channel carrying {message.name} in contracts/asyncapi.yaml "
                    f"(its channels: {', '.join(addresses) or 'none'}){what}",
                )
        sender, receiver = (pact.consumer, pact.provider) if part.role == "request" else (pact.provider, pact.consumer)
        producers, consumers = api.producers_of(message.key), api.consumers_of(message.key)
        sender_ptr, receiver_ptr = (
            ("/consumer/name", "/provider/name") if part.role == "request" else ("/provider/name", "/consumer/name")
        )
        if sender not in producers:
            yield ctx.finding(
                pact.path,
                sender_ptr,
                f"{sender!r} does not send {message.name} in contracts/asyncapi.yaml "
                f"(its producers: {', '.join(producers) or 'none'})",
            )
        if receiver not in consumers:
            yield ctx.finding(
                pact.path,
                receiver_ptr,
                f"{receiver!r} does not receive {message.name} in contracts/asyncapi.yaml "
                f"(its consumers: {', '.join(consumers) or 'none'})",
            )


def check_pact_states(ctx: LintContext) -> Iterator[Finding]:
    """7. Every provider state a pact uses is defined for its provider, with the params it passes; an
    asynchronous message has a state (without one nothing makes the provider send it); a synchronous
    request carries an identifier the harness can make fresh (so concurrent runs never collide)."""
    from harness.catalogue.pacts import ASYNC, SYNC
    from harness.catalogue.states import PLACEHOLDER

    files = _states_files(ctx)
    for pact in _pacts(ctx):
        defined = files.get(pact.provider)
        states_file = f"contracts/states/{pact.provider}.yaml"
        warned: set[str] = set()
        for interaction in pact.interactions:
            if interaction.kind == ASYNC and not interaction.states:
                names = sorted(defined.states) if defined is not None else []
                choices = f" (it defines: {', '.join(names[:6])}{', ...' if len(names) > 6 else ''})" if names else ""
                yield ctx.finding(
                    pact.path,
                    f"{interaction.pointer}/description",
                    f"no provider state: nothing would make {pact.provider} send this message and verify would "
                    f"wait out its deadline; name the state of {states_file} whose stimuli lead to it{choices}",
                )
            if interaction.kind == SYNC and interaction.request is not None:
                yield from _request_tokens(ctx, pact, interaction, defined, states_file, PLACEHOLDER)
            for j, (name, params) in enumerate(interaction.states):
                ptr = interaction.state_pointer(j)
                name_ptr = f"{ptr}/name" if ptr.endswith(f"/providerStates/{j}") else ptr
                if defined is None:
                    if name not in warned:
                        warned.add(name)
                        yield ctx.finding(
                            pact.path, name_ptr, f"state {name!r} is not defined: no {states_file} yet", "warning"
                        )
                    continue
                state = defined.states.get(name)
                if state is None:
                    yield ctx.finding(pact.path, name_ptr, f"state {name!r} is not defined in {states_file}")
                    continue
                for param in params:
                    if param not in state.params:
                        yield ctx.finding(
                            pact.path,
                            f"{ptr}/params/{param.replace('~', '~0').replace('/', '~1')}",
                            f"param {param!r} is not declared under {name!r} in {states_file}",
                            "warning",
                        )


def _request_tokens(
    ctx: LintContext, pact: Any, interaction: Any, defined: Any, states_file: str, placeholder: Any
) -> Iterator[Finding]:
    """A synchronous request must carry a field the states file fills with a fresh token for that message."""
    part = interaction.request
    doc, _, _ = _pact_schema(ctx, part) if isinstance(part.body, dict) else (None, "", "")
    if doc is None:
        return  # check_pact_bodies reports the request that is no catalogue message
    pointers = set()
    for state in defined.states.values() if defined is not None else []:
        for stim in state.stimuli:
            if stim.message == doc.name:
                pointers |= {
                    ptr
                    for ptr, value in stim.set.items()
                    if isinstance(value, str) and (m := placeholder.fullmatch(value)) and m["token"]
                }
    if not any(_value_at(part.body, ptr) is not None for ptr in pointers):
        yield ctx.finding(
            pact.path,
            part.body_pointer,
            f"the request carries no identifier verify can make fresh: no stimulus of {doc.name} in {states_file} "
            "sets one of its fields to a {token:...} (so its answer cannot be told from another run's)",
        )


def _newest_schema(ctx: LintContext, folder: str) -> Any:
    docs = [d for d in ctx.registry.messages() if d.name == folder]
    return max(docs, key=lambda d: d.version or 0) if docs else None


def _set_target_problem(ctx: LintContext, doc: Any, example: Any, target: str, removing: bool) -> str | None:
    """Why a `set` pointer cannot be applied to the schema's example; None when it can.

    It must name a value of the example, or (when not removing it with null) the end of an array
    of the example (`-`), or a field the schema declares under an object of the example (an
    optional field the example leaves out).
    """
    from harness.catalogue.pacts import locate, steps_of_pointer

    tokens = [t.replace("~1", "/").replace("~0", "~") for t in target[1:].split("/")]
    node = example
    for i, token in enumerate(tokens):
        last = i == len(tokens) - 1
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        elif last and not removing and isinstance(node, list) and token == "-":
            return None
        elif last and not removing and isinstance(node, dict):
            where = locate(doc.contents, ctx.registry.referencing.resolver(base_uri=doc.uri), steps_of_pointer(target))
            return None if where.missing is None else f"not in examples[0] and {where.reason}"
        else:
            return "does not exist in examples[0]"
    return None


def check_states_files(ctx: LintContext) -> Iterator[Finding]:
    """States files: structure, a schema for every stimulus message, `set` pointers that land in its example."""
    from harness.catalogue.states import escape, placeholders

    api = _asyncapi(ctx)
    systems = api.systems() if api is not None else None
    for states in _states_files(ctx).values():
        path = states.path
        for p in states.problems:
            yield ctx.finding(path, p.pointer, p.problem, p.severity)
        if states.provider and systems is not None and states.provider not in systems:
            yield ctx.finding(path, "/provider", f"{states.provider!r} is no system of contracts/asyncapi.yaml")
        for name, state in states.states.items():
            for stimulus in state.stimuli:
                ptr = f"{states.pointer(name)}/stimuli/{stimulus.index}"
                for target, value in stimulus.set.items():
                    for is_token, ph in placeholders(value):
                        if not is_token and ph not in state.params:
                            yield ctx.finding(
                                path,
                                f"{ptr}/set/{escape(target)}",
                                f"{{{ph}}} is no param of this state (declare it under params)",
                                "warning",
                            )
                if stimulus.after is not None and _newest_schema(ctx, stimulus.after) is None:
                    yield ctx.finding(path, f"{ptr}/after", f"no message schema schemas/{stimulus.after}/")
                doc = _newest_schema(ctx, stimulus.message)
                if doc is None:
                    yield ctx.finding(path, f"{ptr}/message", f"no message schema schemas/{stimulus.message}/")
                    continue
                examples = doc.contents.get("examples")
                if not isinstance(examples, list) or not examples:
                    continue  # check_messages reports the missing example
                for target, value in stimulus.set.items():
                    problem = _set_target_problem(ctx, doc, examples[0], target, removing=value is None)
                    if problem is not None:
                        yield ctx.finding(
                            path, f"{ptr}/set/{escape(target)}", f"{problem} of {rel(doc.path, ctx.project.root)}"
                        )


CHECKS.extend(
    [
        check_pact_structure,
        check_pact_bodies,
        check_pact_rule_paths,
        check_pact_matcher_types,
        check_pact_matchers,
        check_pact_examples,
        check_pact_channels,
        check_pact_states,
        check_states_files,
    ]
)


# -- correlation rules and flows ----------------------------------------------------------------
def _path_problem(ctx: LintContext, doc: Any, steps: list[Any]) -> str | None:
    """Why a path (pact-style steps) is not declared by a message schema; None when it is."""
    from harness.catalogue.pacts import locate

    where = locate(doc.contents, ctx.registry.referencing.resolver(base_uri=doc.uri), steps)
    if where.missing is None:
        return None
    upto = "$" + "".join(str(s) for s in steps[: where.missing + 1])
    return f"{upto}: {where.reason}"


def _pointer_steps(pointer: str) -> list[Any]:
    """A JSON pointer (with `*` for every array item) as path steps."""
    from harness.catalogue.pacts import Step, steps_of_pointer

    return [Step("any-index") if s.kind == "prop" and s.name == "*" else s for s in steps_of_pointer(pointer)]


def _sent_by(ctx: LintContext, provider: str | None) -> list[str] | None:
    """Message folders (schema names) a provider sends, from asyncapi.yaml; None when unknown."""
    api = _asyncapi(ctx)
    if api is None or provider is None:
        return None
    names = []
    for key in api.messages_sent_by(provider):
        message = api.messages.get(key)
        if message is not None and message.event_type:
            names.append(message.event_type.removeprefix(EVENT_PREFIX))
    return names


def check_correlation_rules(ctx: LintContext) -> Iterator[Finding]:
    """States files' `correlation:` rules: known messages the provider sends, declared pointers, tokens
    some state makes, announced names defined; and every asyncapi correlationId of a message the provider
    sends is one of its echo rules (one place for the rules, two that agree)."""
    from harness.catalogue.states import escape, placeholders

    api = _asyncapi(ctx)
    for states in _states_files(ctx).values():
        rules = states.correlation
        path = states.path
        tokens = {
            name
            for state in states.states.values()
            for stim in state.stimuli
            for value in stim.set.values()
            for is_token, name in placeholders(value)
            if is_token
        }
        sent = _sent_by(ctx, states.provider)

        def expects_problems(
            expects: list[Any], ptr: str, path: Path = path, tokens: set[str] = tokens, rules: Any = rules
        ) -> Iterator[Finding]:
            for e in expects:
                if e.kind == "token" and e.name not in tokens:
                    yield ctx.finding(
                        path, ptr, f"no state of this file makes the token {e.name!r} ({{token:{e.name}}})"
                    )
                if e.kind == "announced" and e.name not in rules.announced:
                    yield ctx.finding(path, ptr, f"{e.name!r} is not declared under correlation/announced")

        for name, (message, at) in rules.announced.items():
            ptr = f"/correlation/announced/{escape(name)}"
            doc = _newest_schema(ctx, message)
            if doc is None:
                yield ctx.finding(path, ptr, f"no message schema schemas/{message}/")
                continue
            problem = _path_problem(ctx, doc, _pointer_steps(at))
            if problem:
                yield ctx.finding(path, ptr, f"{at}: {problem} of {rel(doc.path, ctx.project.root)}")
        yield from expects_problems(rules.identifiers, "/correlation/identifiers")
        for message, echo in rules.echo.items():
            mptr = f"/correlation/echo/{escape(message)}"
            doc = _newest_schema(ctx, message)
            if doc is None:
                yield ctx.finding(path, mptr, f"no message schema schemas/{message}/")
                continue
            if sent is not None and message not in sent:
                yield ctx.finding(path, mptr, f"{states.provider!r} does not send {message} in contracts/asyncapi.yaml")
            for target, expects in echo.items():
                rptr = f"{mptr}/{escape(target)}"
                problem = _path_problem(ctx, doc, _pointer_steps(target))
                if problem:
                    yield ctx.finding(path, rptr, f"{problem} of {rel(doc.path, ctx.project.root)}")
                yield from expects_problems(expects, rptr)
        if api is None or states.provider is None:
            continue
        for key in api.messages_sent_by(states.provider):
            message = api.messages.get(key)  # an unknown key is check_asyncapi's finding
            location = message.correlation_location if message is not None else None
            if not location or not message or not message.event_type:
                continue
            pointer = location.split("#", 1)[1] if "#" in location else ""
            folder = message.event_type.removeprefix(EVENT_PREFIX)
            if pointer not in rules.echo.get(folder, {}):
                yield ctx.finding(
                    path,
                    f"/correlation/echo/{escape(folder)}" if folder in rules.echo else "/correlation",
                    f"contracts/asyncapi.yaml declares correlationId {location} for {folder}; "
                    f"add {pointer} to its echo rules here",
                )


def _flows(ctx: LintContext) -> list[Any]:
    from harness.catalogue.flows import load_flows

    if not hasattr(ctx, "_flows"):
        ctx._flows = load_flows(ctx.project.flows_dir)  # type: ignore[attr-defined]
    return ctx._flows  # type: ignore[attr-defined]


def check_flows(ctx: LintContext) -> Iterator[Finding]:
    """Flows: structure; a known provider and `given` state; every step names a message the provider sends;
    every `$.` path (where, rules, correlation) is declared by the message it reads; every step and
    stimulus a rule names exists."""
    from harness.catalogue.pacts import parse_path

    files = _states_files(ctx)
    api = _asyncapi(ctx)
    systems = api.systems() if api is not None else None
    for flow in _flows(ctx):
        path = flow.path
        for p in flow.problems:
            yield ctx.finding(path, p.pointer, p.problem, p.severity)
        if flow.provider is None:
            continue
        if systems is not None and flow.provider not in systems:
            yield ctx.finding(path, "/provider", f"{flow.provider!r} is no system of contracts/asyncapi.yaml")
            continue
        states = files.get(flow.provider)
        state = states.states.get(flow.given) if states is not None and flow.given else None
        if flow.given and state is None:
            yield ctx.finding(
                path, "/given", f"state {flow.given!r} is not defined in contracts/states/{flow.provider}.yaml"
            )
        for param in flow.params:
            if state is not None and param not in state.params:
                yield ctx.finding(path, f"/params/{param}", f"param {param!r} is not declared under {flow.given!r}")
        sent = _sent_by(ctx, flow.provider)
        docs = {}
        for step in flow.steps:
            doc = _newest_schema(ctx, step.message)
            if doc is None:
                yield ctx.finding(path, f"{step.pointer}/message", f"no message schema schemas/{step.message}/")
                continue
            if sent is not None and step.message not in sent:
                yield ctx.finding(
                    path, f"{step.pointer}/message", f"{flow.provider!r} does not send {step.message} in asyncapi.yaml"
                )
            docs[step.id] = doc
        stimuli = [s.message for s in state.stimuli] if state is not None else None

        def path_finding(ptr: str, doc: Any, text: str, path: Path = path) -> Iterator[Finding]:
            steps = parse_path(text)
            problem = "not a $. path" if steps is None else _path_problem(ctx, doc, steps)
            if problem:
                yield ctx.finding(path, ptr, f"{text}: {problem} of {rel(doc.path, ctx.project.root)}")

        for step in flow.steps:
            doc = docs.get(step.id)
            if doc is None:
                continue
            for where_path in step.where:
                yield from path_finding(f"{step.pointer}/where", doc, where_path)
            for rule in step.rules:
                for ref in rule.refs():
                    if ref.stimulus is not None:
                        if stimuli is None:
                            continue
                        count = stimuli.count(ref.stimulus)
                        if count <= ref.index:
                            yield ctx.finding(
                                path,
                                rule.pointer,
                                f"{ref}: the state {flow.given!r} sends {count} {ref.stimulus} stimulus(es)",
                            )
                            continue
                        target = _newest_schema(ctx, ref.stimulus)
                    elif ref.step is not None:
                        target = docs.get(ref.step)
                    else:
                        target = doc
                    if target is not None:
                        yield from path_finding(rule.pointer, target, ref.path)
        for same in flow.correlation:
            readers = [docs[s.id] for s in flow.steps if s.id in docs]
            steps = parse_path(same.path)
            if readers and steps is not None and all(_path_problem(ctx, d, steps) for d in readers):
                yield ctx.finding(path, f"{same.where}/same", f"{same.path}: no step's message declares it")


CHECKS.extend([check_correlation_rules, check_flows])


def check_examples_against_states(ctx: LintContext) -> Iterator[Finding]:
    """A pact example contradicts its provider state: a value rule of a flow run from that state (or from one
    that begins with its stimuli) fails on the example, with the state's stimuli built for the interaction's
    params (an excused 45-minute absence whose example lasts 30 minutes; a violation that starts two minutes
    before the tamper that raised it). Only what the example and the state fix are compared: a rule that
    names another step, a fresh identifier, the run's clock (a stimulus's envelope times) or an absent value is
    left to verify.
    """
    import random

    from harness.bus.recorded import Recorded
    from harness.catalogue.flows import Ref
    from harness.simulate.stimuli import Tokens, build_stimuli
    from harness.verify.flows import Evaluator, FlowRun, Missing

    examples = {d.name: d.contents["examples"][0] for d in ctx.registry.messages() if d.contents.get("examples")}
    files = _states_files(ctx)
    flows = [f for f in _flows(ctx) if f.usable and f.provider and f.given]
    for pact, interaction, part in _message_parts(ctx):
        states = files.get(pact.provider)
        if states is None or len(interaction.states) != 1 or part is not interaction.expected:
            continue
        name, params = interaction.states[0]
        state = states.states.get(name)
        body = part.body
        if state is None or not isinstance(body, dict) or not isinstance(body.get("eventType"), str):
            continue
        message = body["eventType"].removeprefix("electronic-monitoring.")
        for flow in flows:
            given = states.states.get(flow.given) if flow.provider == pact.provider else None
            if given is None or not _begins_with(given, state):
                continue
            try:
                stimuli = build_stimuli(state, params, Tokens(random.Random(0)), examples, {m: m for m in examples})
            except Exception:  # a state that cannot be built: check_states_files reports it
                continue
            stim_records = [Recorded(i, 0.0, s.message, {}, s.body, "stimulus") for i, s in enumerate(stimuli)]
            here = Recorded(0, 0.0, message, {}, body, "supplier")
            evaluator = Evaluator(FlowRun(flow, [here], stim_records), {})
            for step in flow.steps:
                if step.message != message or not all(
                    _flow_value(body, path) == value for path, value in step.where.items()
                ):
                    continue
                for rule in step.rules:
                    if not _fixed_by_state(rule, state):
                        continue
                    try:
                        if rule.when is not None and not evaluator.holds(rule.when, here)[0]:
                            continue
                        holds, expected, actual = evaluator.holds(rule, here)
                    except Missing:
                        continue
                    if holds:
                        continue
                    target = rule.args[0]
                    ptr = f"{part.body_pointer}{target.pointer}" if isinstance(target, Ref) else part.body_pointer
                    yield ctx.finding(
                        pact.path,
                        ptr,
                        f"the example contradicts its provider state {name!r}: flow {flow.name!r}, step {step.id!r}: "
                        f"{rule.text}: expected {expected}, the example has {actual}; fix the example "
                        "(or the state) so the two tell the same story",
                    )


def _begins_with(given: Any, state: Any) -> bool:
    """Do the flow's state's stimuli begin with this state's: the same messages, setting the same values
    (where one of the two leaves a value to a parameter, the other may fix it)?"""
    if len(given.stimuli) < len(state.stimuli):
        return False
    for mine, theirs in zip(state.stimuli, given.stimuli, strict=False):
        if mine.message != theirs.message:
            return False
        for where in {*mine.set, *theirs.set}:
            a, b = mine.set.get(where, _UNSET), theirs.set.get(where, _UNSET)
            if a != b and not any(_is_param(v) for v in (a, b)):
                return False
    return True


_UNSET = object()


def _is_param(value: Any) -> bool:
    return isinstance(value, str) and value.startswith("{") and value.endswith("}") and "token:" not in value


def _flow_value(body: Any, path: str) -> Any:
    from harness.catalogue.flows import path_pointer
    from harness.verify.flows import _first

    return _first(body, path_pointer(path) or "")


def _fixed_by_state(rule: Any, state: Any) -> bool:
    """Does every value the rule reads come from the example itself or from what the state fixes (a literal
    or a parameter, not a fresh token, not the envelope times the harness stamps when it runs)?"""
    for ref in rule.refs():
        if ref.step is not None:
            return False
        if ref.stimulus is None:
            continue
        if ref.pointer in ("/occurredAt", "/publishedAt"):
            return False
        same = [s for s in state.stimuli if s.message == ref.stimulus]
        if len(same) <= ref.index:
            return False
        raw = same[ref.index].set.get(ref.pointer)
        if isinstance(raw, str) and "{token:" in raw:
            return False
    return True


CHECKS.append(check_examples_against_states)


# -- simulation scenarios (contracts/scenarios/*.yaml, harness.simulate.scenario) ----------------------
def check_scenarios(ctx: LintContext) -> Iterator[Finding]:
    """Scenarios: their shape, known recipes, a known provider that receives the simulated telemetry."""
    from harness.simulate.scenario import read, scenario_files

    api = _asyncapi(ctx)
    systems = api.systems() if api is not None else None
    for path in scenario_files(ctx.project.contracts_dir / "scenarios"):
        raw, found = read(path)
        for p in found:
            yield ctx.finding(path, p.pointer, p.problem)
        provider = raw.get("provider") if isinstance(raw, dict) else None
        if isinstance(provider, str) and systems is not None and provider not in systems:
            yield ctx.finding(path, "/provider", f"{provider!r} is no system of contracts/asyncapi.yaml")


CHECKS.append(check_scenarios)
