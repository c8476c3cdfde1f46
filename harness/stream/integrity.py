"""`validate-stream --integrity`: references across the lines of one extract, in bounded memory.

Besides each line's schema, a migration extract must hold together: every position's and device
event's device was activated, every violation's, visit's and alert's case was created, and no two
lines carry the same eventId (consumers de-duplicate on it). What refers to what is the catalogue's
`x-references` (harness/stream/records.py). A reference may come before what it refers to (files are
not ordered by dependency), so nothing is decided until the whole extract has been read.

Memory stays bounded: `FactExtractor.collect()` turns one message into small rows (its eventId, the
values it provides, the values it refers to); they go into a temporary SQLite file, and the dangling
references and duplicates are found by joins at the end. `collect()` depends on the message alone, so
the parallel path of validate-stream runs it in its worker processes and ships each block's rows.

Findings name the line, the referring record's key and the value not found; a key or value the
schema marks personal (`SchemaRegistry.personal`) is shown as REDACTED.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from harness.schemas.registry import REDACTED, SchemaRegistry
from harness.stream.records import MISSING, RecordKind, at, kinds


@dataclass
class Dangling:
    line: int
    event_type: str
    reference: str
    value: str  # REDACTED when the schema marks the referring field personal
    key: str = ""  # the referring record's key, "key_field=value" (its value REDACTED when personal)

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": "dangling reference",
            "line": self.line,
            "eventType": self.event_type,
            "key": self.key,
            "reference": self.reference,
            "value": self.value,
        }


@dataclass
class Duplicate:
    event_id: str
    first_line: int
    line: int

    def to_json(self) -> dict[str, Any]:
        return {"kind": "duplicate eventId", "eventId": self.event_id, "firstLine": self.first_line, "line": self.line}


@dataclass
class IntegrityResult:
    dangling: int = 0
    duplicates: int = 0
    first_dangling: list[Dangling] = field(default_factory=list)
    first_duplicates: list[Duplicate] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.dangling and not self.duplicates


def _text(value: Any) -> str | None:
    if value is MISSING or value is None or isinstance(value, dict | list | bool):
        return None
    return str(value)


def _getter(steps: list[str]) -> Callable[[Any], Any]:
    """`at(node, steps)` made once: one dict lookup for the usual one-step pointer."""
    if len(steps) == 1:
        name = steps[0]
        return lambda node: node.get(name, MISSING) if type(node) is dict else at(node, steps)
    return lambda node: at(node, steps)


@dataclass
class _Plan:
    """How to take one message type's facts, compiled once."""

    where: Callable[[Any], Any]
    each: bool
    provides: list[tuple[int, Callable[[Any], Any]]]  # (target id, getter)
    wants: list[tuple[int, int, Callable[[Any], Any]]]  # (target id, reference id, getter)
    key: list[Callable[[Any], Any]] | None


class FactExtractor:
    """What one message provides to, and wants from, the rest of the extract, as rows for the store.

    Rows are small and positional (ids for the targets and references, not their names) because a 1 GiB
    extract makes tens of millions of them: provided (target, value), wanted (target, value, reference,
    key, line), ids (eventId, line). A value wanted twice by one line is listed once.
    """

    def __init__(self, registry: SchemaRegistry) -> None:
        self.kinds: dict[str, RecordKind] = kinds(registry)
        # Each (target type, field) some reference points at, and each reference, get a small integer id.
        self.target_ids: dict[tuple[str, str], int] = {}
        self.references: list[tuple[str, str]] = []  # reference id -> (referring eventType, reference text)
        self.plans: dict[str, _Plan] = {}
        steps: dict[int, list[str]] = {}
        for kind in self.kinds.values():
            for ref in kind.references:
                tid = self.target_ids.setdefault((ref.target, "/".join(ref.field)), len(self.target_ids))
                steps[tid] = ref.field
        for kind in self.kinds.values():
            provides = [(tid, _getter(steps[tid])) for (t, _), tid in self.target_ids.items() if t == kind.event_type]
            wants = []
            for ref in kind.references:
                tid = self.target_ids[(ref.target, "/".join(ref.field))]
                wants.append((tid, len(self.references), _getter(ref.source)))
                self.references.append((kind.event_type, ref.text))
            if provides or wants:
                keys = [_getter(k) for k in kind.keys] if kind.keys else None
                self.plans[kind.event_type] = _Plan(_getter(kind.where), kind.each, provides, wants, keys)
        # Which record fields are personal, decided once per message type from its schema's examples
        # (a field no example shows counts as personal: nothing unknown is printed in clear).
        self.secret: dict[tuple[str, str], bool] = {}
        for doc in registry.messages():
            kind = self.kinds.get(doc.event_type)
            if kind is None or not kind.references:
                continue
            fields = [ref.source for ref in kind.references] + (kind.keys or [])
            for steps in fields:
                self.secret.setdefault((kind.event_type, "/".join(steps)), False)
                self.secret[(kind.event_type, "/".join(steps))] |= _personal(registry, doc, kind, steps)

    def collect(self, line: int, msg: dict[str, Any], provided: list, wanted: list, ids: list) -> None:
        """Append the message's rows to the three lists (the hot loop: keep it lean)."""
        event_id = msg.get("eventId")
        if type(event_id) is str:
            ids.append((event_id, line))
        plan = self.plans.get(msg.get("eventType"))  # type: ignore[arg-type]
        if plan is None:
            return
        found = plan.where(msg)
        if found is MISSING:
            return
        records = (found if type(found) is list else ()) if plan.each else (found,)
        seen = set() if plan.each and len(records) > 1 else None
        for record in records:
            for tid, get in plan.provides:
                value = _text(get(record))
                if value is not None:
                    provided.append((tid, value))
            for tid, rid, get in plan.wants:
                value = _text(get(record))
                if value is None:
                    continue
                if seen is not None:
                    if (rid, value) in seen:
                        continue
                    seen.add((rid, value))
                wanted.append((tid, value, rid, self._key(plan, record), line))

    def _key(self, plan: _Plan, record: Any) -> str | None:
        if plan.key is None:
            return None
        if len(plan.key) == 1:
            return _text(plan.key[0](record))
        return orjson.dumps([_text(get(record)) for get in plan.key]).decode()

    def shown_key(self, event_type: str, key: str | None) -> str:
        """The record's key as a finding shows it: `position_id=42`, personal parts redacted."""
        kind = self.kinds.get(event_type)
        if kind is None or kind.keys is None or key is None:
            return ""
        values = orjson.loads(key) if len(kind.keys) > 1 else [key]
        shown = []
        for steps, value in zip(kind.keys, values, strict=False):
            name = "/".join(steps)
            secret = self.secret.get((event_type, name), True)
            shown.append(f"{name}={REDACTED if secret and value is not None else value}")
        return ", ".join(shown)

    def shown(self, event_type: str, reference: str, value: str) -> str:
        """The value of a dangling reference as a finding may show it."""
        kind = self.kinds.get(event_type)
        ref = next((r for r in kind.references if r.text == reference), None) if kind else None
        if ref is None or self.secret.get((event_type, "/".join(ref.source)), True):
            return REDACTED
        return value


def _personal(registry: SchemaRegistry, doc: Any, kind: RecordKind, steps: list[str]) -> bool:
    """Whether the schema marks this record field personal, judged on the schema's examples."""
    marked, found = False, False
    for example in doc.contents.get("examples") or []:
        records = at(example, kind.where)
        if records is MISSING or (kind.each and not (isinstance(records, list) and records)):
            continue
        if at(records[0] if kind.each else records, steps) is MISSING:
            continue
        found = True
        where = "/" + "/".join([*kind.where, *(["0"] if kind.each else []), *steps])
        marked |= any(where == p or where.startswith(p + "/") for p in registry.personal(doc, example))
    return marked or not found


class IntegrityChecker:
    """Collects facts line by line into a temporary SQLite file; `finish()` finds what does not hold."""

    def __init__(self, registry: SchemaRegistry, folder: Path, *, keep_first: int = 20) -> None:
        self.extract = FactExtractor(registry)
        self.keep_first = keep_first
        self.db = sqlite3.connect(folder / "integrity.db", isolation_level=None)
        self.db.executescript(
            """
            PRAGMA journal_mode = OFF;
            PRAGMA synchronous = OFF;
            PRAGMA temp_store = FILE;
            PRAGMA cache_size = -32768;
            CREATE TABLE provided (target INTEGER, value TEXT, PRIMARY KEY (target, value)) WITHOUT ROWID;
            CREATE TABLE wanted (target INTEGER, value TEXT, ref INTEGER, key TEXT, line INTEGER);
            CREATE TABLE ids (event_id TEXT, line INTEGER);
            BEGIN;
            """
        )
        self._provided: list[tuple[Any, ...]] = []
        self._wanted: list[tuple[Any, ...]] = []
        self._ids: list[tuple[str, int]] = []

    def add(self, line: int, msg: dict[str, Any]) -> None:
        """One message, from the serial path."""
        self.extract.collect(line, msg, self._provided, self._wanted, self._ids)
        if len(self._ids) >= 5000:
            self._flush()

    def add_rows(self, provided: list, wanted: list, ids: list) -> None:
        """A block's rows, collected by FactExtractor.collect in a worker process."""
        self.db.executemany("INSERT OR IGNORE INTO provided VALUES (?, ?)", provided)
        self.db.executemany("INSERT INTO wanted VALUES (?, ?, ?, ?, ?)", wanted)
        self.db.executemany("INSERT INTO ids VALUES (?, ?)", ids)

    def _flush(self) -> None:
        self.add_rows(self._provided, self._wanted, self._ids)
        self._provided.clear()
        self._wanted.clear()
        self._ids.clear()

    def finish(self, on_finding: Callable[[Dangling | Duplicate], None] | None = None) -> IntegrityResult:
        """Every dangling reference and duplicate eventId, in line order (`on_finding` sees each one)."""
        self._flush()
        self.db.execute("COMMIT")
        result = IntegrityResult()
        q = self.db.execute
        for value, rid, key, line in q(
            "SELECT w.value, w.ref, w.key, w.line FROM wanted w WHERE NOT EXISTS "
            "(SELECT 1 FROM provided p WHERE p.target = w.target AND p.value = w.value) ORDER BY w.line, w.ref"
        ):
            result.dangling += 1
            if on_finding is None and len(result.first_dangling) >= self.keep_first:
                continue
            source, ref = self.extract.references[rid]
            shown_key = self.extract.shown_key(source, key)
            found = Dangling(line, source, ref, self.extract.shown(source, ref, value), shown_key)
            if len(result.first_dangling) < self.keep_first:
                result.first_dangling.append(found)
            if on_finding is not None:
                on_finding(found)
        q("CREATE INDEX ids_by_id ON ids (event_id, line)")
        for event_id, first, line in q(
            # one pass over the index finds the repeated ids; only their lines are then looked up
            "SELECT d.event_id, f.first, d.line FROM (SELECT event_id, MIN(line) AS first FROM ids GROUP BY event_id "
            "HAVING COUNT(*) > 1) f JOIN ids d ON d.event_id = f.event_id WHERE d.line > f.first ORDER BY d.line"
        ):
            result.duplicates += 1
            dup = Duplicate(event_id, first, line)
            if len(result.first_duplicates) < self.keep_first:
                result.first_duplicates.append(dup)
            if on_finding is not None:
                on_finding(dup)
        return result

    def close(self) -> None:
        self.db.close()
