"""`validate-stream --integrity`: references across the lines of one extract, in bounded memory.

Besides each line's schema, a migration extract must hold together: every position's and device
event's device was activated, every violation's, visit's and alert's case was created, and no two
lines carry the same eventId (consumers de-duplicate on it). What refers to what is the catalogue's
`x-references` (harness/stream/records.py). A reference may come before what it refers to (files are
not ordered by dependency), so nothing is decided until the whole extract has been read.

Memory stays bounded: `facts()` turns one message into small tuples (its eventId, the values it
provides, the values it refers to); they go into a temporary SQLite file, and the dangling references
and duplicates are found by joins at the end. `facts()` is a pure function, so the parallel path of
validate-stream can run it in its worker processes and only ship the tuples.

Findings name the line, the referring record's key and the value not found; a key or value the
schema marks personal (`SchemaRegistry.personal`) is shown as REDACTED.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.schemas.registry import REDACTED, SchemaRegistry
from harness.stream.records import MISSING, RecordKind, at, kinds

Facts = tuple[list[tuple[str, str, str]], list[tuple[str, str, str, str, str]], str | None]
"""(provided (type, field, value), wanted (type, field, value, reference text, shown key), eventId)."""


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


class FactExtractor:
    """What one message provides to, and wants from, the rest of the extract."""

    def __init__(self, registry: SchemaRegistry) -> None:
        self.kinds: dict[str, RecordKind] = kinds(registry)
        # (target type, field pointer) pairs some reference points at: only those values are provided.
        self.targets: dict[str, list[list[str]]] = {}
        for kind in self.kinds.values():
            for ref in kind.references:
                fields = self.targets.setdefault(ref.target, [])
                if ref.field not in fields:
                    fields.append(ref.field)
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

    def facts(self, msg: dict[str, Any]) -> Facts:
        """What the message provides and wants; a value wanted twice by one line is listed once."""
        event_type = msg.get("eventType")
        kind = self.kinds.get(event_type) if isinstance(event_type, str) else None
        provided: list[tuple[str, str, str]] = []
        wanted: list[tuple[str, str, str, str, str]] = []
        if kind is not None:
            targets = self.targets.get(kind.event_type, ())
            seen: set[tuple[str, str]] = set()
            for record, _ in kind.records(msg):
                for steps in targets:
                    value = _text(at(record, steps))
                    if value is not None:
                        provided.append((kind.event_type, "/".join(steps), value))
                for ref in kind.references:
                    value = _text(at(record, ref.source))
                    if value is not None and (ref.text, value) not in seen:
                        seen.add((ref.text, value))
                        wanted.append((ref.target, "/".join(ref.field), value, ref.text, self._key(kind, record)))
        event_id = msg.get("eventId")
        return provided, wanted, event_id if isinstance(event_id, str) else None

    def _key(self, kind: RecordKind, record: Any) -> str:
        """The record's key as a finding shows it: `position_id=42`, personal parts redacted."""
        if kind.keys is None:
            return ""
        shown = []
        for steps in kind.keys:
            name = "/".join(steps)
            value = _text(at(record, steps))
            secret = self.secret.get((kind.event_type, name), True)
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
            CREATE TABLE provided (type TEXT, field TEXT, value TEXT, PRIMARY KEY (type, field, value))
                WITHOUT ROWID;
            CREATE TABLE wanted (type TEXT, field TEXT, value TEXT, ref TEXT, key TEXT, line INTEGER, source TEXT);
            CREATE TABLE ids (event_id TEXT, line INTEGER);
            BEGIN;
            """
        )
        self._provided: list[tuple[str, str, str]] = []
        self._wanted: list[tuple[Any, ...]] = []
        self._ids: list[tuple[str, int]] = []

    def add(self, line: int, msg: dict[str, Any]) -> None:
        self.add_facts(line, msg.get("eventType"), self.extract.facts(msg))

    def add_facts(self, line: int, event_type: Any, facts: Facts) -> None:
        provided, wanted, event_id = facts
        self._provided.extend(provided)
        self._wanted.extend((*w, line, event_type) for w in wanted)
        if event_id is not None:
            self._ids.append((event_id, line))
        if len(self._ids) >= 5000:
            self._flush()

    def _flush(self) -> None:
        self.db.executemany("INSERT OR IGNORE INTO provided VALUES (?, ?, ?)", self._provided)
        self.db.executemany("INSERT INTO wanted VALUES (?, ?, ?, ?, ?, ?, ?)", self._wanted)
        self.db.executemany("INSERT INTO ids VALUES (?, ?)", self._ids)
        self._provided.clear()
        self._wanted.clear()
        self._ids.clear()

    def finish(self, on_finding: Callable[[Dangling | Duplicate], None] | None = None) -> IntegrityResult:
        """Every dangling reference and duplicate eventId, in line order (`on_finding` sees each one)."""
        self._flush()
        self.db.execute("COMMIT")
        result = IntegrityResult()
        q = self.db.execute
        for ref, value, key, line, source in q(
            "SELECT w.ref, w.value, w.key, w.line, w.source FROM wanted w WHERE NOT EXISTS "
            "(SELECT 1 FROM provided p WHERE p.type = w.type AND p.field = w.field AND p.value = w.value) "
            "ORDER BY w.line"
        ):
            result.dangling += 1
            if on_finding is None and len(result.first_dangling) >= self.keep_first:
                continue
            found = Dangling(line, source, ref, self.extract.shown(source, ref, value), key)
            if len(result.first_dangling) < self.keep_first:
                result.first_dangling.append(found)
            if on_finding is not None:
                on_finding(found)
        q("CREATE INDEX ids_by_id ON ids (event_id, line)")
        for event_id, first, line in q(
            "SELECT d.event_id, (SELECT MIN(line) FROM ids f WHERE f.event_id = d.event_id), d.line FROM ids d "
            "WHERE EXISTS (SELECT 1 FROM ids e WHERE e.event_id = d.event_id AND e.line < d.line) ORDER BY d.line"
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
