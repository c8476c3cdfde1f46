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
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.schemas.registry import SchemaRegistry
from harness.stream.records import MISSING, RecordKind, at, kinds

Facts = tuple[list[tuple[str, str, str]], list[tuple[str, str, str, str]], str | None]
"""(provided (type, field, value), wanted (type, field, value, reference text), eventId)."""


@dataclass
class Dangling:
    line: int
    event_type: str
    reference: str
    value: str

    def to_json(self) -> dict[str, Any]:
        return {"line": self.line, "eventType": self.event_type, "reference": self.reference, "value": self.value}


@dataclass
class Duplicate:
    event_id: str
    first_line: int
    line: int

    def to_json(self) -> dict[str, Any]:
        return {"eventId": self.event_id, "firstLine": self.first_line, "line": self.line}


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

    def facts(self, msg: dict[str, Any]) -> Facts:
        event_type = msg.get("eventType")
        kind = self.kinds.get(event_type) if isinstance(event_type, str) else None
        provided: list[tuple[str, str, str]] = []
        wanted: list[tuple[str, str, str, str]] = []
        if kind is not None:
            targets = self.targets.get(kind.event_type, ())
            for record, _ in kind.records(msg):
                for steps in targets:
                    value = _text(at(record, steps))
                    if value is not None:
                        provided.append((kind.event_type, "/".join(steps), value))
                for ref in kind.references:
                    value = _text(at(record, ref.source))
                    if value is not None:
                        wanted.append((ref.target, "/".join(ref.field), value, ref.text))
        event_id = msg.get("eventId")
        return provided, wanted, event_id if isinstance(event_id, str) else None


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
            CREATE TABLE wanted (type TEXT, field TEXT, value TEXT, ref TEXT, line INTEGER, source TEXT);
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
        self.db.executemany("INSERT INTO wanted VALUES (?, ?, ?, ?, ?, ?)", self._wanted)
        self.db.executemany("INSERT INTO ids VALUES (?, ?)", self._ids)
        self._provided.clear()
        self._wanted.clear()
        self._ids.clear()

    def finish(self) -> IntegrityResult:
        self._flush()
        self.db.execute("COMMIT")
        result = IntegrityResult()
        q = self.db.execute
        for ref, value, line, source in q(
            "SELECT w.ref, w.value, w.line, w.source FROM wanted w WHERE NOT EXISTS "
            "(SELECT 1 FROM provided p WHERE p.type = w.type AND p.field = w.field AND p.value = w.value) "
            "ORDER BY w.line"
        ):
            result.dangling += 1
            if len(result.first_dangling) < self.keep_first:
                result.first_dangling.append(Dangling(line, source, ref, value))
        q("CREATE INDEX ids_by_id ON ids (event_id, line)")
        for event_id, first, line in q(
            "SELECT d.event_id, (SELECT MIN(line) FROM ids f WHERE f.event_id = d.event_id), d.line FROM ids d "
            "WHERE EXISTS (SELECT 1 FROM ids e WHERE e.event_id = d.event_id AND e.line < d.line) ORDER BY d.line"
        ):
            result.duplicates += 1
            if len(result.first_duplicates) < self.keep_first:
                result.first_duplicates.append(Duplicate(event_id, first, line))
        return result

    def close(self) -> None:
        self.db.close()
