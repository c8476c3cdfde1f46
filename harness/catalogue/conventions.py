"""The catalogue's own conventions, checked by lint: the files in schemas/ are the source of truth.

Contract authors edit the JSON Schemas by hand. Every rule that keeps sixteen-odd message schemas
alike is stated once, here, as a lint check whose finding says how to fix the file:

- **layout**: a message schema (other than the harness's own simulation messages, `x-simulation`)
  extends the HMPPS envelope (`allOf: [{$ref: ../envelope/v1.json}]`),
  narrows it with consts for `eventType`, `version` and `source`, carries its payload in
  `additionalInformation` (`$ref: '#/$defs/payload'`), declares `x-producer` (the system that sends
  it, the `source` const, and the system asyncapi.yaml says sends it), and has a title and a
  description;
- **two kinds of timestamp**, never mixed: UTC RFC 3339 (`common#/$defs/utcDateTime`) and the
  supplier's London local time (`common#/$defs/londonLocalDateTime`); calendar dates and curfew clock
  times have their own definitions. A field that looks like a timestamp uses one of them, never a raw
  `format`; its description says which kind it is; and the kind follows the producer's convention
  (TIME_CONVENTION below);
- **personal data** is marked `x-personal-data: true`; a field whose name the domain knows to be
  personal (PERSONAL_FIELDS) must carry the mark;
- **titles**: every object and enumeration subschema has a title, unique in the catalogue, so code
  generators (the AsyncAPI generator, Modelina) name their models instead of `AnonymousSchema_N`;
- **sealed examples**: every example's `eventId` is its RFC 8785 hash (checked by lint.check_messages).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from harness.catalogue.findings import Finding

COMMON_DEFS = "../common/v1.json#/$defs/"
ENVELOPE_REF = "../envelope/v1.json"
UTC = "utcDateTime"
LONDON = "londonLocalDateTime"
TIME_DEFS = (UTC, LONDON, "date", "hhmm")

UTC_WORDS = "UTC"
LONDON_WORDS = "London local time"

# Which timestamp kind a producer's fields use, by the style of the field's name. The HMPPS envelope and
# every camelCase field are UTC; CEMO's order payload and the field monitoring service's own snake_case
# record fields (visits, equipment, violations, alerts) are London local time, as the supplier's systems
# keep them; the monitoring data service and the harness's simulation channels keep device time in UTC.
TIME_CONVENTION: dict[str, dict[str, str]] = {
    "cemo": {"snake": LONDON, "camel": UTC},
    "field-monitoring-service": {"snake": LONDON, "camel": UTC},
    "monitoring-data-service": {"snake": UTC, "camel": UTC},
    # The simulation channels (em-harness.sim-*) mirror the payload of the system they drive (an order
    # request carries order dates in London time, telemetry carries device time in UTC): not enforced.
}

# Names that look like a timestamp: *At, *_at, *Date, *_date, *DateUtc, *Utc, datetime*.
TIMESTAMP_NAME = re.compile(r"(At|_at|Date|_date|Utc|_utc)$|^datetime", re.IGNORECASE)

# Field names that are personal wherever they appear (DOMAIN.md's device wearer and officer fields).
PERSONAL_FIELDS = frozenset(
    {
        "first_name",
        "last_name",
        "alias",
        "date_of_birth",
        "sex",
        "gender_identity",
        "disability",
        "address_1",
        "address_2",
        "address_3",
        "address_4",
        "address_post_code",
        "phone_number",
        "risk_serious_harm",
        "risk_self_harm",
        "risk_details",
        "risk_categories",
        "language",
        "pnc_id",
        "nomis_id",
        "delius_id",
        "prison_number",
        "home_office_case_reference_number",
        "responsible_officer_name",
        "responsible_officer_phone",
        "responsible_officer_email",
        "latitude",
        "longitude",
    }
)

# Keywords whose subschemas never describe a data shape of their own (conditions, negations).
_CONDITION_KEYS = ("if", "not", "contains", "propertyNames", "dependentRequired")
_SKIP_KEYS = ("examples", "const", "enum", "default", "required")


def _esc(key: Any) -> str:
    return str(key).replace("~", "~0").replace("/", "~1")


def _is_message_folder(doc: Any) -> bool:
    return doc.is_message and doc.path.parent.name not in ("envelope", "common")


# -- layout ---------------------------------------------------------------------------------------
def check_layout(ctx: Any) -> Iterator[Finding]:
    """Every message schema is the envelope narrowed by consts, with its payload in $defs/payload."""
    producers = _asyncapi_producers(ctx)
    for doc in ctx.registry.documents.values():
        if not _is_message_folder(doc):
            continue
        c = doc.contents
        for key in ("title", "description"):
            if not isinstance(c.get(key), str) or not c[key].strip():
                yield ctx.finding(doc.path, f"/{key}", f"a message schema needs a {key}: say what the message means")
        if c.get("type") != "object":
            yield ctx.finding(doc.path, "/type", 'a message schema is a JSON object: set "type": "object"')
        simulation = c.get("x-simulation") is True
        if not simulation and not any(
            isinstance(s, dict) and s.get("$ref") == ENVELOPE_REF for s in c.get("allOf") or []
        ):
            yield ctx.finding(
                doc.path,
                "/allOf",
                f'every EM message is an HMPPS domain event: add {{"$ref": "{ENVELOPE_REF}"}} to allOf',
            )
        props = c.get("properties") if isinstance(c.get("properties"), dict) else {}
        source = props.get("source", {}).get("const") if isinstance(props.get("source"), dict) else None
        if not isinstance(source, str):
            yield ctx.finding(
                doc.path, "/properties/source", 'narrow source to its producer: "source": {"const": "<system id>"}'
            )
        producer = c.get("x-producer")
        if not isinstance(producer, str):
            yield ctx.finding(doc.path, "/x-producer", "name the system that sends this message in x-producer")
        elif isinstance(source, str) and producer != source:
            yield ctx.finding(
                doc.path, "/x-producer", f"x-producer {producer!r} disagrees with the source const {source!r}"
            )
        elif doc.event_type in producers and producer not in producers[doc.event_type]:
            yield ctx.finding(
                doc.path,
                "/x-producer",
                f"x-producer {producer!r}, but contracts/asyncapi.yaml says "
                f"{', '.join(sorted(producers[doc.event_type]))} sends {doc.event_type}",
            )
        payload_ref = props.get("additionalInformation", {})
        if not (isinstance(payload_ref, dict) and payload_ref.get("$ref") == "#/$defs/payload"):
            yield ctx.finding(
                doc.path,
                "/properties/additionalInformation",
                'the payload goes in $defs/payload: "additionalInformation": {"$ref": "#/$defs/payload"}',
            )
        elif not isinstance((c.get("$defs") or {}).get("payload"), dict):
            yield ctx.finding(doc.path, "/$defs", "additionalInformation refers to $defs/payload, which is missing")
        if "additionalInformation" not in (c.get("required") or []):
            yield ctx.finding(doc.path, "/required", 'an EM message carries its payload: add "additionalInformation"')


def _asyncapi_producers(ctx: Any) -> dict[str, set[str]]:
    """eventType -> the systems asyncapi.yaml says send it (empty when asyncapi.yaml is unusable)."""
    try:
        from harness.catalogue.asyncapi import load_asyncapi

        doc = ctx.asyncapi or load_asyncapi(ctx.project.asyncapi_path)
    except Exception:  # check_asyncapi reports an unusable asyncapi.yaml itself
        return {}
    out: dict[str, set[str]] = {}
    for key, message in doc.messages.items():
        if message.event_type:
            out.setdefault(message.event_type, set()).update(doc.producers_of(key))
    return out


# -- walking schemas -------------------------------------------------------------------------------
def _nodes(
    node: Any, here: str, name: str | None = None, shape: bool = True, cond: bool = False
) -> Iterator[tuple[str, dict[str, Any], str | None, bool, bool]]:
    """(pointer, subschema, property name or None, defines a data shape, under a condition) for every
    subschema of a schema document.

    A subschema under `if`, `not`, `contains`, ... is a condition, not a shape of the data; the direct
    branches of `allOf`, `then` and `else` add rules to the shape around them rather than define one."""
    if not isinstance(node, dict):
        return
    yield here, node, name, shape and not cond, cond
    for key, value in node.items():
        if key in _SKIP_KEYS:
            continue
        at = f"{here}/{_esc(key)}"
        if key == "properties" and isinstance(value, dict):
            for prop, sub in value.items():
                yield from _nodes(sub, f"{at}/{_esc(prop)}", prop, True, cond)
        elif key in ("patternProperties", "$defs") and isinstance(value, dict):
            for sub_key, sub in value.items():
                yield from _nodes(sub, f"{at}/{_esc(sub_key)}", None, True, cond)
        elif key in _CONDITION_KEYS:
            yield from _nodes(value, at, None, False, True)
        elif key in ("allOf", "then", "else"):
            for i, sub in enumerate(value if isinstance(value, list) else [value]):
                yield from _nodes(sub, f"{at}/{i}" if isinstance(value, list) else at, None, False, cond)
        elif key in ("oneOf", "anyOf", "prefixItems") and isinstance(value, list):
            for i, sub in enumerate(value):
                yield from _nodes(sub, f"{at}/{i}", None, True, cond)
        elif key in ("items", "additionalProperties", "unevaluatedProperties") and isinstance(value, dict):
            yield from _nodes(value, at, None, True, cond)


# -- timestamps ------------------------------------------------------------------------------------
def _time_def(node: dict[str, Any]) -> str | None:
    ref = node.get("$ref")
    if isinstance(ref, str) and "#/$defs/" in ref and ref.split("#/$defs/")[0].endswith("common/v1.json"):
        name = ref.split("#/$defs/")[1]
        return name if name in TIME_DEFS else None
    return None


def _style(name: str) -> str:
    return "camel" if re.search(r"[a-z][A-Z]", name) else "snake"


def check_timestamps(ctx: Any) -> Iterator[Finding]:
    """Two kinds of timestamp, never mixed, each named in its field's description, by convention."""
    for doc in ctx.registry.documents.values():
        if doc.path.parent.name == "common":
            continue
        producer = doc.contents.get("x-producer") if doc.path.parent.name != "envelope" else "envelope"
        for ptr, node, name, _, cond in _nodes(doc.contents, ""):
            fmt = node.get("format")
            if fmt in ("date-time", "date", "time"):
                target = {"date-time": UTC, "date": "date", "time": "hhmm"}[fmt]
                yield ctx.finding(
                    doc.path,
                    f"{ptr}/format",
                    f"a raw format {fmt!r}: use {{'$ref': '{COMMON_DEFS}{target}'}} (or {LONDON} for the "
                    "supplier's London local time) so the catalogue's two timestamp kinds stay apart",
                )
            kind = _time_def(node)
            if name is None or cond or fmt in ("date-time", "date", "time"):
                continue
            if (
                kind is None
                and TIMESTAMP_NAME.search(name)
                and node.get("type") in ("string", None)
                and "$ref" not in node
            ):
                if "properties" not in node and "enum" not in node and "const" not in node:
                    yield ctx.finding(
                        doc.path,
                        ptr,
                        f"{name!r} looks like a timestamp: use {COMMON_DEFS}{UTC} or {COMMON_DEFS}{LONDON} "
                        "(or date / hhmm)",
                    )
                continue
            if kind not in (UTC, LONDON):
                continue
            words = UTC_WORDS if kind == UTC else LONDON_WORDS
            if words not in str(node.get("description", "")):
                yield ctx.finding(
                    doc.path,
                    f"{ptr}/description",
                    f"say which time {name!r} is: its description must contain {words!r}",
                )
            expected = UTC if producer == "envelope" else TIME_CONVENTION.get(str(producer), {}).get(_style(name))
            if expected and kind != expected:
                yield ctx.finding(
                    doc.path,
                    ptr,
                    f"{name!r} is {kind} but {producer}'s {_style(name)}Case fields are {expected} "
                    "(README: two kinds of timestamp); change the $ref, or the field name's style",
                )


# -- personal data ---------------------------------------------------------------------------------
def _marked(ctx: Any, doc: Any, node: dict[str, Any]) -> bool:
    if node.get("x-personal-data") is True:
        return True
    ref = node.get("$ref")
    if isinstance(ref, str):
        try:
            target = ctx.registry.referencing.resolver(base_uri=doc.uri).lookup(ref).contents
        except Exception:  # check_refs reports a dangling $ref
            return False
        return isinstance(target, dict) and target.get("x-personal-data") is True
    return False


def check_personal_marks(ctx: Any) -> Iterator[Finding]:
    """x-personal-data is `true` where present, and on every field the domain knows is personal
    (or under a marked object or array: everything in it is personal)."""
    for doc in ctx.registry.documents.values():
        marked: list[str] = []
        for ptr, node, name, _, cond in _nodes(doc.contents, ""):
            if _marked(ctx, doc, node):
                marked.append(ptr)
            covered = any(ptr == m or ptr.startswith(m + "/") for m in marked)
            mark = node.get("x-personal-data")
            if mark is not None and mark is not True:
                yield ctx.finding(doc.path, f"{ptr}/x-personal-data", "x-personal-data is true or absent, nothing else")
            if name in PERSONAL_FIELDS and not cond and not covered:
                yield ctx.finding(
                    doc.path,
                    ptr,
                    f'{name!r} is personal data: add "x-personal-data": true (reports and the gate redact it)',
                )


# -- titles ----------------------------------------------------------------------------------------
def _needs_title(node: dict[str, Any]) -> bool:
    if "properties" in node or node.get("type") == "object":
        return True
    return isinstance(node.get("enum"), list) and len(node["enum"]) >= 2


def _model_name(title: str) -> str:
    return "".join(w[:1].upper() + w[1:] for w in re.split(r"[^A-Za-z0-9]+", title) if w)


def check_titles(ctx: Any) -> Iterator[Finding]:
    """Object and enumeration subschemas have titles, unique across the catalogue (named models)."""
    seen: dict[str, tuple[Any, str]] = {}
    for doc in ctx.registry.documents.values():
        for ptr, node, _, shape, _ in _nodes(doc.contents, ""):
            title = node.get("title")
            if title is None:
                if shape and ptr and _needs_title(node):
                    yield ctx.finding(
                        doc.path,
                        ptr,
                        "give this subschema a title: code generators name their models after it "
                        "(otherwise AnonymousSchema_N)",
                    )
                continue
            if not isinstance(title, str) or not _model_name(title):
                yield ctx.finding(doc.path, f"{ptr}/title", "a title is a non-empty text")
                continue
            key = _model_name(title).lower()
            first = seen.setdefault(key, (doc, ptr))
            if first != (doc, ptr):
                other = first[0].path.relative_to(ctx.registry.schemas_dir).as_posix()
                yield ctx.finding(
                    doc.path,
                    f"{ptr}/title",
                    f"title {title!r} names the same model as schemas/{other}#{first[1]}: make it specific",
                )


CHECKS = [check_layout, check_timestamps, check_personal_marks, check_titles]


# -- records and references (data migration) -----------------------------------------------------
def _steps(pointer: Any) -> list[str] | None:
    if not isinstance(pointer, str) or (pointer and not pointer.startswith("/")):
        return None
    return [p.replace("~1", "/").replace("~0", "~") for p in pointer.split("/")[1:]] if pointer else []


def _walk_declared(
    ctx: Any, doc: Any, start: list[tuple[Any, Any]], steps: list[str]
) -> tuple[list[tuple[Any, Any]], bool] | None:
    """Follow property names from the given subschemas: the subschemas at the end, and whether every
    step is required. None when some step is declared by no applicable subschema."""
    from harness.schemas.registry import _applicable

    here = start
    required = True
    for step in steps:
        subs = [pair for schema, res in here for pair in _applicable(schema, res, 0)]
        nxt = [
            (sub["properties"][step], res)
            for sub, res in subs
            if isinstance(sub.get("properties"), dict) and step in sub["properties"]
        ]
        if not nxt:
            return None
        required = required and any(step in (sub.get("required") or []) for sub, _ in subs)
        here = nxt
    return here, required


def record_spec(doc: Any) -> dict[str, Any] | None:
    """A message schema's x-record declaration, when it has a usable one."""
    spec = doc.contents.get("x-record")
    return spec if isinstance(spec, dict) else None


def check_records(ctx: Any) -> Iterator[Finding]:
    """x-record (the record a message carries and its key) and x-references (what a record refers to),
    which `reconcile` and `validate-stream --integrity` read: every pointer is declared by the schema,
    keys are required, references name a keyed message and a declared field."""
    by_folder = {d.name: d for d in ctx.registry.messages()}
    for doc in ctx.registry.messages():
        spec = doc.contents.get("x-record")
        if spec is None:
            continue
        resolver = ctx.registry.referencing.resolver(base_uri=doc.uri)
        if not isinstance(spec, dict) or ("at" in spec) == ("each" in spec):
            yield ctx.finding(
                doc.path,
                "/x-record",
                'x-record is {"at": "/pointer"} (one record) or {"each": "/pointer/to/array"} (one per item), '
                'with "key": ["/field", ...]',
            )
            continue
        where_key = "at" if "at" in spec else "each"
        steps = _steps(spec[where_key])
        found = None if steps is None else _walk_declared(ctx, doc, [(doc.contents, resolver)], steps)
        if found is None:
            yield ctx.finding(
                doc.path, f"/x-record/{where_key}", f"{spec[where_key]!r} is no place the schema declares"
            )
            continue
        record, _ = found
        if where_key == "each":
            from harness.schemas.registry import _applicable

            subs = [pair for schema, res in record for pair in _applicable(schema, res, 0)]
            record = [(sub["items"], res) for sub, res in subs if isinstance(sub.get("items"), dict)]
            if not record:
                yield ctx.finding(doc.path, "/x-record/each", f"{spec['each']!r} is not an array of records")
                continue
        keys = spec.get("key")
        if not isinstance(keys, list) or not keys:
            yield ctx.finding(doc.path, "/x-record/key", "name the record's key: a list of pointers into the record")
            continue
        for i, key in enumerate(keys):
            steps = _steps(key)
            at = None if steps is None or not steps else _walk_declared(ctx, doc, record, steps)
            if at is None:
                yield ctx.finding(doc.path, f"/x-record/key/{i}", f"{key!r} is no field the record declares")
            elif not at[1]:
                yield ctx.finding(
                    doc.path, f"/x-record/key/{i}", f"{key!r} is not required: every record needs its key"
                )
        for i, ref in enumerate(doc.contents.get("x-references") or []):
            ptr = f"/x-references/{i}"
            if not isinstance(ref, dict) or not {"from", "to", "field"} <= set(ref):
                yield ctx.finding(
                    doc.path, ptr, 'a reference is {"from": "/field", "to": "<message>", "field": "/field"}'
                )
                continue
            steps = _steps(ref["from"])
            if not steps or _walk_declared(ctx, doc, record, steps) is None:
                yield ctx.finding(doc.path, f"{ptr}/from", f"{ref['from']!r} is no field the record declares")
            target = by_folder.get(ref["to"])
            target_spec = record_spec(target) if target is not None else None
            if target_spec is None:
                yield ctx.finding(doc.path, f"{ptr}/to", f"{ref['to']!r} is no message with an x-record")
                continue
            if ("at" in target_spec) == ("each" in target_spec):
                continue  # the target's own x-record finding says what to fix
            target_resolver = ctx.registry.referencing.resolver(base_uri=target.uri)
            base = _steps(target_spec.get("at", target_spec.get("each"))) or []
            start = _walk_declared(ctx, target, [(target.contents, target_resolver)], base)
            if start is not None and "each" in target_spec:
                from harness.schemas.registry import _applicable

                subs = [pair for schema, res in start[0] for pair in _applicable(schema, res, 0)]
                start = ([(s["items"], r) for s, r in subs if isinstance(s.get("items"), dict)], start[1])
            steps = _steps(ref["field"])
            if start is None or not steps or _walk_declared(ctx, target, start[0], steps) is None:
                yield ctx.finding(doc.path, f"{ptr}/field", f"{ref['field']!r} is no field of a {ref['to']} record")


CHECKS.append(check_records)
