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

from harness.catalogue.envelope import event_id
from harness.catalogue.findings import Finding, rel
from harness.jsonfile import read_text
from harness.project import Project, find_project
from harness.schemas.registry import META_2020_12, InvalidSchema, SchemaRegistry, pointer

ID_BASE = "https://schemas.em-harness.test/"
EVENT_PREFIX = "electronic-monitoring."


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


def check_refs(ctx: LintContext) -> Iterator[Finding]:
    for doc in ctx.registry.documents.values():
        resolver = ctx.registry.referencing.resolver(base_uri=doc.uri)
        for ptr, ref in _refs(doc.contents):
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
        if doc.event_type != EVENT_PREFIX + folder:
            yield ctx.finding(
                doc.path, "/properties/eventType/const", f"eventType must be {EVENT_PREFIX + folder!r} (its folder)"
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
    if not path.is_file():
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


CHECKS: list[Check] = [check_metaschema, check_refs, check_messages, check_shared_schemas_used, check_asyncapi]


def lint_project(project: Project, checks: list[Check] | None = None) -> tuple[list[Finding], LintContext]:
    """Run every check; raises UnusableInput when a file cannot be read or parsed at all."""
    ctx = LintContext(project)
    found: list[Finding] = []
    for check in CHECKS if checks is None else checks:
        found.extend(check(ctx))
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
