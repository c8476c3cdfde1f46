"""Records inside messages, for data migration: what a line of an extract holds, its key, its references.

A message schema declares (lint checks it, harness/catalogue/conventions.py):
- `x-record`: where its record is and what identifies it: `{"at": "/additionalInformation", "key":
  ["/caseId"]}` for one record per message, or `{"each": "/additionalInformation/positions", "key":
  ["/position_id"]}` for one record per array item (a batch of positions);
- `x-references`: what a record refers to: `{"from": "/device_id", "to": "device-activated", "field":
  "/device_id"}` (every position's device was activated, every violation's case was created).

`reconcile` matches records of two extracts by (message type, key); `validate-stream --integrity`
checks references across the lines of one extract. A message type without `x-record` is matched by its
whole payload's content.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import orjson

from harness.schemas.registry import SchemaRegistry

MISSING = object()


def parts(pointer: str) -> list[str]:
    return [p.replace("~1", "/").replace("~0", "~") for p in pointer.split("/")[1:]] if pointer else []


def at(doc: Any, steps: list[str]) -> Any:
    """The value at a parsed JSON pointer, or MISSING."""
    node = doc
    for step in steps:
        if isinstance(node, dict):
            if step not in node:
                return MISSING
            node = node[step]
        elif isinstance(node, list) and step.isdigit() and int(step) < len(node):
            node = node[int(step)]
        else:
            return MISSING
    return node


@dataclass(frozen=True)
class Reference:
    source: list[str]  # pointer into the referring record
    target: str  # the referred message's eventType
    field: list[str]  # pointer into the referred record
    text: str  # "device_id -> device-activated device_id", for reports


@dataclass
class RecordKind:
    """How to take the records out of one message type."""

    event_type: str
    name: str  # the message folder (positions-reported)
    where: list[str]
    each: bool
    keys: list[list[str]] | None  # None: no declared key (matched by content)
    key_text: str
    references: list[Reference]

    def records(self, msg: Any) -> Iterator[tuple[Any, str | None]]:
        """(record, key text or None when a key field is missing) for each record of the message."""
        found = at(msg, self.where)
        if found is MISSING:
            return
        items = (found if isinstance(found, list) else []) if self.each else [found]
        for record in items:
            yield record, self.key_of(record)

    def record_list(self, msg: Any) -> list[tuple[Any, str | None]]:
        """`records()` as a list, with the usual one-step location and single one-step key looked up
        directly (a reconcile of two 1 GiB extracts calls this millions of times)."""
        if len(self.where) != 1 or type(msg) is not dict:
            return list(self.records(msg))
        found = msg.get(self.where[0], MISSING)
        if found is MISSING:
            return []
        items = (found if type(found) is list else []) if self.each else [found]
        if self.keys is None or len(self.keys) != 1 or len(self.keys[0]) != 1:
            return [(record, self.key_of(record)) for record in items]
        name = self.keys[0][0]
        out = []
        for record in items:
            value = record.get(name) if type(record) is dict else None
            out.append((record, None if value is None or type(value) in (dict, list) else str(value)))
        return out

    def key_of(self, record: Any) -> str | None:
        if self.keys is None:
            return "sha256:" + digest(record)
        values = []
        for steps in self.keys:
            value = at(record, steps)
            if value is MISSING or value is None or isinstance(value, dict | list):
                return None
            values.append(value)
        return orjson.dumps(values).decode() if len(values) > 1 else str(values[0])


def digest(value: Any) -> str:
    """A content digest for comparing records (not the eventId: RFC 8785 is not needed between two files
    this process reads; equal digests mean equal records, different ones are compared field by field)."""
    import hashlib

    return hashlib.sha256(orjson.dumps(value, option=orjson.OPT_SORT_KEYS)).hexdigest()


def kinds(registry: SchemaRegistry) -> dict[str, RecordKind]:
    """eventType -> RecordKind, for every message type of the catalogue (newest version's declaration)."""
    out: dict[str, RecordKind] = {}
    by_name = {doc.name: doc for doc in registry.messages()}
    for doc in sorted(registry.messages(), key=lambda d: (d.event_type, d.version)):
        spec = doc.contents.get("x-record")
        if isinstance(spec, dict) and ("at" in spec or "each" in spec):
            each = "each" in spec
            where = parts(spec["each"] if each else spec["at"])
            keys = [parts(k) for k in spec.get("key") or []] or None
            key_text = ", ".join(k.lstrip("/") for k in spec.get("key") or []) or "content"
        else:
            each, where, keys, key_text = False, ["additionalInformation"], None, "content"
        refs = []
        for ref in doc.contents.get("x-references") or []:
            target = by_name.get(ref.get("to")) if isinstance(ref, dict) else None
            if target is None:
                continue  # lint reports it
            refs.append(
                Reference(
                    parts(ref["from"]),
                    target.event_type,
                    parts(ref["field"]),
                    f"{ref['from'].lstrip('/')} -> {ref['to']} {ref['field'].lstrip('/')}",
                )
            )
        out[doc.event_type] = RecordKind(doc.event_type, doc.name, where, each, keys, key_text, refs)
    return out


def differences(old: Any, new: Any, here: str = "") -> Iterator[str]:
    """JSON pointers where two records differ (5 and 5.0 are equal, as JSON numbers are)."""
    if isinstance(old, dict) and isinstance(new, dict):
        for name in sorted(set(old) | set(new), key=str):
            where = f"{here}/{str(name).replace('~', '~0').replace('/', '~1')}"
            if name not in old or name not in new:
                yield where
            else:
                yield from differences(old[name], new[name], where)
    elif isinstance(old, list) and isinstance(new, list):
        if len(old) != len(new):
            yield here or "/"
        else:
            for i, (a, b) in enumerate(zip(old, new, strict=True)):
                yield from differences(a, b, f"{here}/{i}")
    elif type(old) is bool or type(new) is bool:
        if old is not new:
            yield here or "/"
    elif old != new:
        yield here or "/"
