"""`em-harness reconcile OLD.jsonl NEW.jsonl`: a data migration, record by record.

OLD is the outgoing supplier's extract; NEW is what the new side holds (its own extract, or what the
datastore ingested). Each line is a domain event; its records and their keys come from the catalogue
(`x-record`, harness/stream/records.py). Records are matched per message type and key:
- matched: the same record on both sides (numbers compare as JSON numbers: 5 equals 5.0);
- changed: the same key, different content (the changed fields are named, never their values);
- missing: in OLD, not in NEW; extra: in NEW, not in OLD.
When a key appears on several lines of one side (a status that changed twice), the last line is the
record ("superseded" counts the others). Lines that cannot be read as a catalogue message (not JSON,
not UTF-8, longer than validate-stream's line bound), and records without their key, also keep the
migration from reconciling: nothing is silently skipped. An OLD with no message at all is unusable
input (exit 2); an empty NEW is a finding (every record missing).

Streaming in bounded memory: each side's records go into a temporary SQLite file, (type, key, line,
digest) in one table and the record's JSON in another that only changed records are read from, and
the comparison is done by joins there, so two 1 GiB extracts need disk, not RAM.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from hashlib import blake2b
from pathlib import Path
from typing import IO, Any

import orjson

from harness.errors import UnusableInput
from harness.schemas.registry import SchemaRegistry
from harness.stream.records import RecordKind, differences, kinds
from harness.stream.validate import (
    LONG_LINE,
    MAX_LINE_BYTES,
    PARALLEL_FROM_BYTES,
    _open_source,
    no_messages,
    read_blocks,
    refuse_same_file,
    report_console,
)

OLD, NEW = 0, 1
SIDES = ("old", "new")
BATCH = 5000


@dataclass
class Problem:
    side: int
    line: int
    what: str

    def to_json(self) -> dict[str, Any]:
        return {"kind": "unreadable", "side": SIDES[self.side], "line": self.line, "problem": self.what}


@dataclass
class Difference:
    kind: str  # missing | extra | changed
    event_type: str
    key: str
    old_line: int | None
    new_line: int | None
    fields: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "eventType": self.event_type,
            "key": self.key,
            "oldLine": self.old_line,
            "newLine": self.new_line,
            "fields": self.fields,
        }


@dataclass
class TypeCounts:
    old: int = 0
    new: int = 0
    matched: int = 0
    changed: int = 0
    missing: int = 0
    extra: int = 0
    superseded_old: int = 0
    superseded_new: int = 0


@dataclass
class Reconciliation:
    per_type: dict[str, TypeCounts] = field(default_factory=dict)
    lines: list[int] = field(default_factory=lambda: [0, 0])
    messages: list[int] = field(default_factory=lambda: [0, 0])  # lines not blank, per side
    problems: Counter = field(default_factory=Counter)  # (side, what) -> count
    first_problems: list[Problem] = field(default_factory=list)
    first_differences: list[Difference] = field(default_factory=list)

    @property
    def differences(self) -> int:
        return sum(c.changed + c.missing + c.extra for c in self.per_type.values())

    @property
    def reconciled(self) -> bool:
        return self.differences == 0 and not self.problems


class Reconciler:
    def __init__(
        self, registry: SchemaRegistry, folder: Path, *, keep_first: int = 20, max_line: int | None = None
    ) -> None:
        self.kinds: dict[str, RecordKind] = kinds(registry)
        self.keep_first = keep_first
        self.max_line = max_line or MAX_LINE_BYTES
        self.block_size = 1 << 20
        self.db = sqlite3.connect(folder / "reconcile.db", isolation_level=None)
        # The records' JSON lives apart (appended in id order), so the table the joins compare the sides in
        # has small rows, clustered by key (WITHOUT ROWID: one B-tree, no second lookup per row).
        self.db.executescript(
            """
            PRAGMA journal_mode = OFF;
            PRAGMA synchronous = OFF;
            PRAGMA cache_size = -65536;
            CREATE TABLE rec (
                side INTEGER NOT NULL, type TEXT NOT NULL, key TEXT NOT NULL, line INTEGER NOT NULL,
                body INTEGER NOT NULL, digest BLOB NOT NULL, dups INTEGER NOT NULL DEFAULT 0,
                PRIMARY KEY (side, type, key)
            ) WITHOUT ROWID;
            CREATE TABLE body (id INTEGER PRIMARY KEY, json BLOB NOT NULL);
            """
        )
        self.result = Reconciliation()
        self.on_record: Any = None  # called with each Difference and Problem as it is found (--out)

    def close(self) -> None:
        self.db.close()

    def _problem(self, side: int, line: int, what: str) -> None:
        self.result.problems[(side, what.split(":")[0])] += 1
        problem = Problem(side, line, what)
        if len(self.result.first_problems) < self.keep_first:
            self.result.first_problems.append(problem)
        if self.on_record is not None:
            self.on_record(problem)

    def load(self, side: int, source: IO[bytes], workers: int = 1) -> None:
        """Read one side into the store; with workers > 1, blocks of lines are parsed in worker processes
        (at most two per worker in flight) and stored here in file order, so the last line with a key wins."""
        insert = (
            "INSERT INTO rec (side, type, key, line, body, digest) VALUES (?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (side, type, key) DO UPDATE SET line = excluded.line, body = excluded.body, "
            "digest = excluded.digest, dups = dups + 1"
        )
        blocks = read_blocks(source, self.max_line, self.block_size)
        self.db.execute("BEGIN")
        lines = seen = 0

        def store(part: tuple[list, list, list, int, int]) -> None:
            nonlocal lines, seen
            rows, bodies, problems, count, messages = part
            self.db.executemany(insert, rows)
            self.db.executemany("INSERT INTO body VALUES (?, ?)", bodies)
            for line, what in problems:
                self._problem(side, line, what)
            lines += count
            seen += messages

        if workers > 1:
            import multiprocessing
            from collections import deque
            from concurrent.futures import ProcessPoolExecutor

            context = multiprocessing.get_context("fork")
            with ProcessPoolExecutor(workers, mp_context=context, initializer=_init, initargs=(self,)) as pool:
                pending: deque = deque()
                first = 1
                for block in blocks:
                    long = [i for i, line in enumerate(block) if line is LONG_LINE]
                    pending.append(pool.submit(_block, side, first, b"\n".join(block), long))
                    first += len(block)
                    if len(pending) >= 2 * workers:
                        store(pending.popleft().result())
                while pending:
                    store(pending.popleft().result())
        else:
            first = 1
            for block in blocks:
                store(self.records(side, first, block))
                first += len(block)
        self.db.execute("COMMIT")
        self.result.lines[side] = lines
        self.result.messages[side] = seen

    def records(self, side: int, first: int, lines: list[bytes]) -> tuple[list, list, list, int, int]:
        """(rows (side, type, key, line, body id, digest), bodies (id, JSON), problems (line, what), lines,
        messages) of a block of lines, ready for the store. A body's id is the record's line, its place in
        the line and the side.

        A record's JSON has sorted keys: equal records are equal bytes (5 and 5.0 aside, which compare()
        settles field by field), so the digest decides which records to compare."""
        rows: list[tuple[Any, ...]] = []
        bodies: list[tuple[int, bytes]] = []
        problems: list[tuple[int, str]] = []
        seen = 0
        loads, dumps, sort, kinds_ = orjson.loads, orjson.dumps, orjson.OPT_SORT_KEYS, self.kinds
        for n, raw in enumerate(lines, first):
            if raw is LONG_LINE:
                problems.append((n, f"line too long: over {self.max_line:,} bytes, skipped unread"))
                continue
            try:
                msg = loads(raw)
            except orjson.JSONDecodeError:
                if raw.strip():
                    seen += 1
                    problems.append((n, "not JSON"))
                continue
            seen += 1
            event_type = msg.get("eventType") if type(msg) is dict else None
            kind = kinds_.get(event_type) if type(event_type) is str else None
            if kind is None:
                known = f": unknown eventType {event_type!r}" if isinstance(event_type, str) else ": no eventType"
                problems.append((n, "not a catalogue message" + known))
                continue
            found = False
            for i, (record, key) in enumerate(kind.record_list(msg)):
                found = True
                if key is None:
                    problems.append((n, f"record without its key: {kind.name} needs {kind.key_text}"))
                    continue
                body = dumps(record, option=sort)
                body_id = (((n << 24) | i) << 1) | side
                rows.append((side, event_type, key, n, body_id, blake2b(body, digest_size=16).digest()))
                bodies.append((body_id, body))
            if not found:
                problems.append((n, f"no record: {kind.name} carries none where the catalogue says"))
        return rows, bodies, problems, len(lines), seen

    def compare(self) -> Reconciliation:
        """Match the two sides in the store."""
        result = self.result
        q = self.db.execute
        for event_type, side, count, dups in q("SELECT type, side, COUNT(*), SUM(dups) FROM rec GROUP BY type, side"):
            counts = result.per_type.setdefault(event_type, TypeCounts())
            if side == OLD:
                counts.old, counts.superseded_old = count, dups
            else:
                counts.new, counts.superseded_new = count, dups
        for event_type, same in q(
            "SELECT o.type, COUNT(*) FROM rec o JOIN rec n ON n.side = 1 AND n.type = o.type AND n.key = o.key "
            "WHERE o.side = 0 AND o.digest = n.digest GROUP BY o.type"
        ):
            result.per_type[event_type].matched += same
        for event_type, key, old_line, new_line, old_body, new_body in q(
            "SELECT o.type, o.key, o.line, n.line, (SELECT json FROM body WHERE id = o.body), "
            "(SELECT json FROM body WHERE id = n.body) FROM rec o JOIN rec n "
            "ON n.side = 1 AND n.type = o.type AND n.key = o.key WHERE o.side = 0 AND o.digest != n.digest "
            "ORDER BY o.line"
        ):
            fields = list(differences(orjson.loads(old_body), orjson.loads(new_body)))
            if not fields:
                result.per_type[event_type].matched += 1  # equal as JSON (5 and 5.0)
                continue
            result.per_type[event_type].changed += 1
            self._difference(Difference("changed", event_type, key, old_line, new_line, fields))
        for kind, side, other in (("missing", OLD, NEW), ("extra", NEW, OLD)):
            for event_type, key, line in q(
                "SELECT a.type, a.key, a.line FROM rec a WHERE a.side = ? AND NOT EXISTS "
                "(SELECT 1 FROM rec b WHERE b.side = ? AND b.type = a.type AND b.key = a.key) ORDER BY a.line",
                (side, other),
            ):
                counts = result.per_type[event_type]
                setattr(counts, kind, getattr(counts, kind) + 1)
                lines = (line, None) if side == OLD else (None, line)
                self._difference(Difference(kind, event_type, key, *lines))
        return result

    def _difference(self, diff: Difference) -> None:
        if len(self.result.first_differences) < self.keep_first:
            self.result.first_differences.append(diff)
        if self.on_record is not None:
            self.on_record(diff)


_RECONCILER: Reconciler | None = None


def _init(reconciler: Reconciler) -> None:
    global _RECONCILER
    _RECONCILER = reconciler


def _block(side: int, first: int, block: bytes, long: list[int]) -> tuple[list, list, list, int, int]:
    lines = block.split(b"\n")
    for i in long:
        lines[i] = LONG_LINE
    return _RECONCILER.records(side, first, lines)


def run_reconcile(old: str, new: str, *, out: Path | None, show: int, root: Path | None) -> int:
    """The command: exit 0 reconciled, 1 not, 2 unusable input."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from harness.project import find_project

    if old == "-" and new == "-":
        raise UnusableInput("reconcile: OLD and NEW cannot both be standard input")
    project = find_project(root)
    registry = SchemaRegistry(project.schemas_dir)
    opened = [_open_source(old), _open_source(new)]
    sources = [source for source, _ in opened]
    sink = None
    if out is not None:
        for source in sources:
            refuse_same_file(source, out, "--out")
        try:
            sink = out.open("wb")
        except OSError as exc:
            raise UnusableInput(f"--out {out}: cannot write ({exc.strerror})") from None
    err = Console(stderr=True, highlight=False)
    with tempfile.TemporaryDirectory(prefix="em-harness-reconcile-") as tmp:
        rec = Reconciler(registry, Path(tmp), keep_first=show)
        if sink is not None:
            rec.on_record = lambda found: sink.write(orjson.dumps(found.to_json()) + b"\n")
        try:
            for side, source in enumerate(sources):
                if err.is_terminal:
                    err.print(f"  reading {SIDES[side]}...", end="\r")
                size = opened[side][1]
                parallel_from = int(os.environ.get("EM_HARNESS_PARALLEL_FROM", PARALLEL_FROM_BYTES))
                workers = (os.cpu_count() or 1) if size is not None and size > parallel_from else 1
                with source:
                    rec.load(side, source, workers)
                if side == OLD and not rec.result.messages[OLD]:
                    raise no_messages(old)
            result = rec.compare()
        except sqlite3.OperationalError as exc:
            raise UnusableInput(f"reconcile: the temporary store failed ({exc}); is the disk full?") from None
        finally:
            rec.close()
            if sink is not None:
                sink.close()

    console = report_console()
    table = Table(title=f"reconcile: {escape(old)} -> {escape(new)}", title_justify="left")
    for column in ("message", "key", "old", "new", "matched", "changed", "missing", "extra"):
        table.add_column(column, justify="left" if column in ("message", "key") else "right")
    key_text = {k.event_type: k.key_text for k in rec.kinds.values()}
    name = {k.event_type: k.name for k in rec.kinds.values()}
    for event_type in sorted(result.per_type, key=lambda t: name[t]):
        c = result.per_type[event_type]
        table.add_row(
            escape(name[event_type]),
            escape(key_text.get(event_type, "")),
            *(str(v) for v in (c.old, c.new, c.matched, c.changed, c.missing, c.extra)),
        )
    console.print(table)
    for (side, what), count in sorted(result.problems.items()):
        console.print(f"{SIDES[side]}: {what}: {count} line(s)", markup=False)
    for problem in result.first_problems:
        console.print(f"{SIDES[problem.side]} line {problem.line}: {problem.what}", markup=False)
    for diff in result.first_differences:
        where = ", ".join(
            f"{side} line {line}" for side, line in (("old", diff.old_line), ("new", diff.new_line)) if line
        )
        fields = f": {', '.join(diff.fields[:8])}" if diff.fields else ""
        console.print(
            f"{diff.kind}: {name[diff.event_type]} {key_text[diff.event_type]}={diff.key} ({where}){fields}",
            markup=False,
        )
    superseded = sum(c.superseded_old + c.superseded_new for c in result.per_type.values())
    records = sum(c.old for c in result.per_type.values())
    summary = (
        f"{records} record(s) in old, {sum(c.new for c in result.per_type.values())} in new: "
        f"{sum(c.matched for c in result.per_type.values())} matched, "
        f"{sum(c.changed for c in result.per_type.values())} changed, "
        f"{sum(c.missing for c in result.per_type.values())} missing, "
        f"{sum(c.extra for c in result.per_type.values())} extra"
    )
    if superseded:
        summary += f" ({superseded} superseded by a later line with the same key)"
    if result.problems:
        summary += f"; {sum(result.problems.values())} unusable line(s) or record(s)"
    verdict = "RECONCILED" if result.reconciled else "NOT RECONCILED"
    if sink is not None and not result.reconciled:
        summary += f"; every difference is in {out}"
    console.print(f"{verdict}: {summary}", markup=False)
    return 0 if result.reconciled else 1
