"""`em-harness validate-stream`: recorded traffic or a migration extract, validated line by line.

Memory stays constant: one line at a time, counts per message type, and only the first few errors
kept for the summary (`--errors-out` streams every invalid line to a file as it goes). Validity is
decided by jsonschema-rs; only an invalid line pays for jsonschema's exact messages.

Lines are read in blocks and split here, never with readline(): a line longer than `max_line` bytes
is a bad line ("line too long"), skipped without ever being held whole, so a 1 GiB line cannot
exhaust memory. `--integrity` also checks references across lines (harness/stream/integrity.py):
the facts of each message are extracted where it is validated (a worker process on the parallel
path) and checked by the parent at the end.
"""

from __future__ import annotations

import os
import sqlite3
import stat
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from typing import IO, Any

import orjson

from harness.errors import HarnessError, UnusableInput
from harness.schemas.registry import REDACTED, SchemaRegistry, pointer

# The kinds of bad line, in the order the summary lists them.
NOT_UTF8 = "not UTF-8"
NOT_JSON = "not JSON"
NOT_OBJECT = "not a JSON object"
NO_EVENT_TYPE = "no eventType"
NO_VERSION = "no integer version"
UNKNOWN_TYPE = "unknown eventType"
UNKNOWN_VERSION = "unknown version"
INVALID = "breaks its schema"
TOO_LONG = "line too long"
KINDS = (
    TOO_LONG,
    NOT_UTF8,
    NOT_JSON,
    NOT_OBJECT,
    NO_EVENT_TYPE,
    NO_VERSION,
    UNKNOWN_TYPE,
    UNKNOWN_VERSION,
    INVALID,
)

MAX_LINE_BYTES = 16 << 20
"""The longest line read (16 MiB: a thousand times a large positions batch); longer is a bad line."""

LONG_LINE = bytes(bytearray(b"\x00 line too long \x00"))
"""Stands in for a line over the bound (compared by identity: no line read from a file is this object)."""

OnMessage = Callable[[int, dict[str, Any]], None]


@dataclass
class BadLine:
    line: int
    kind: str
    event_type: str | None
    reasons: list[tuple[str, str]]  # (JSON pointer, message)
    raw: bytes

    def to_json(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "kind": self.kind,
            "eventType": self.event_type,
            "reasons": [{"pointer": p, "message": m} for p, m in self.reasons],
            "raw": self.raw.decode("utf-8", errors="replace").rstrip("\r\n"),
        }


@dataclass
class StreamSummary:
    lines: int = 0
    blank: int = 0
    valid: Counter = field(default_factory=Counter)  # "eventType v1" -> count
    invalid: Counter = field(default_factory=Counter)  # "eventType v1" -> count
    problems: Counter = field(default_factory=Counter)  # kind -> count
    first: list[BadLine] = field(default_factory=list)

    @property
    def messages(self) -> int:
        return self.lines - self.blank

    @property
    def bad(self) -> int:
        return sum(self.problems.values())


class StreamValidator:
    """Validates JSON lines against the schema named by each line's eventType and version."""

    def __init__(self, registry: SchemaRegistry, *, keep_first: int = 20, max_line: int = MAX_LINE_BYTES) -> None:
        self.registry = registry
        self.keep_first = keep_first
        self.max_line = max_line
        # Compile every message schema once, up front: the loop below only looks them up.
        self._fast: dict[tuple[str, int], Any] = {}
        for doc in registry.messages():
            self._fast[(doc.event_type, doc.version)] = registry.fast(doc).is_valid
        self._known_types = {t for t, _ in self._fast}

    def run(
        self,
        lines: Iterable[bytes],
        on_bad: Callable[[BadLine], None] | None = None,
        on_progress: Callable[[int], None] | None = None,
        on_message: OnMessage | None = None,
    ) -> StreamSummary:
        """Validate every line; `on_message(line, message)` also sees every JSON object (for --integrity)."""
        summary = StreamSummary()
        valid, invalid, fast, loads = summary.valid, summary.invalid, self._fast, orjson.loads
        n = 0
        for n, raw in enumerate(lines, 1):
            try:
                msg = loads(raw)
            except orjson.JSONDecodeError:
                if not raw.strip():
                    summary.blank += 1
                    continue
                self._bad(summary, on_bad, n, raw, None)
                continue
            if type(msg) is dict:
                if on_message is not None:
                    on_message(n, msg)
                event_type = msg.get("eventType")
                version = msg.get("version")
                check = fast.get((event_type, version)) if type(version) is int and type(event_type) is str else None
                if check is not None:
                    if check(msg):
                        valid[(event_type, version)] += 1
                    else:
                        invalid[(event_type, version)] += 1
                        self._bad(summary, on_bad, n, raw, msg)
                    continue
            self._bad(summary, on_bad, n, raw, msg)
        summary.lines = n
        return summary

    def _classify(self, raw: bytes, msg: Any) -> tuple[str, str | None, list[tuple[str, str]]]:
        if raw is LONG_LINE:
            return TOO_LONG, None, [("", f"longer than {self.max_line:,} bytes; skipped without reading it whole")]
        if msg is None:
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                return NOT_UTF8, None, [("", f"invalid UTF-8 byte at column {exc.start + 1}")]
            try:
                orjson.loads(raw)
            except orjson.JSONDecodeError as exc:
                return NOT_JSON, None, [("", str(exc).split(": line ")[0])]
        if not isinstance(msg, dict):
            return NOT_OBJECT, None, [("", f"a message is a JSON object, this is {type(msg).__name__}")]
        event_type = msg.get("eventType")
        if not isinstance(event_type, str):
            return NO_EVENT_TYPE, None, [("/eventType", "missing or not a string")]
        version = msg.get("version")
        if type(version) is not int:
            return NO_VERSION, event_type, [("/version", "missing or not an integer")]
        if event_type not in self._known_types:
            return UNKNOWN_TYPE, event_type, [("/eventType", f"{event_type!r} is not in the catalogue")]
        doc = self.registry.get(event_type, version)
        if doc is None:
            known = ", ".join(str(v) for v in self.registry.versions_of(event_type))
            return UNKNOWN_VERSION, event_type, [("/version", f"version {version} unknown (catalogue has {known})")]
        # jsonschema-rs' own messages: exact enough for a stream, and a hundred times cheaper than
        # jsonschema's when a migration extract has thousands of bad lines (the engines agree on validity).
        reasons = [(pointer(e.instance_path), e.message) for e in self.registry.fast(doc).iter_errors(msg)]
        return INVALID, event_type, sorted(reasons) or [("", "invalid")]

    def _bad(self, summary: StreamSummary, on_bad: Any, n: int, raw: bytes, msg: Any) -> None:
        kind, event_type, reasons = self._classify(raw, msg)
        summary.problems[kind] += 1
        if on_bad is None and len(summary.first) >= self.keep_first:
            return
        if kind == INVALID:
            reasons, raw = self._unpersonal(msg, reasons, raw)
        bad = BadLine(n, kind, event_type, reasons, b"" if raw is LONG_LINE else raw)
        if len(summary.first) < self.keep_first:
            summary.first.append(bad)
        if on_bad is not None:
            on_bad(bad)

    def _unpersonal(
        self, msg: dict[str, Any], reasons: list[tuple[str, str]], raw: bytes
    ) -> tuple[list[tuple[str, str]], bytes]:
        """An invalid line of a known message type, with no personal value in clear: the schema's
        `x-personal-data` values are redacted in the line kept for --errors-out and wherever a reason quotes
        them (jsonschema-rs quotes the failing instance: `"Y47" does not match ...`, or a whole object)."""
        doc = self.registry.get(msg["eventType"], msg["version"])
        if doc is None:
            return reasons, raw
        pointers = self.registry.personal(doc, msg)
        if not pointers:
            return reasons, raw
        values = sorted({v for v in _leaves(_at_pointers(msg, pointers))}, key=len, reverse=True)
        quoted = [orjson.dumps(v).decode() for v in values]

        def scrub(text: str) -> str:
            for v, q in zip(values, quoted, strict=True):
                text = text.replace(q, REDACTED)
                if len(v) >= 3:
                    text = text.replace(v, REDACTED)
            return text

        return [(ptr, scrub(m)) for ptr, m in reasons], orjson.dumps(self.registry.redact(doc, msg))


def _at_pointers(msg: Any, pointers: list[str]) -> list[Any]:
    out = []
    for ptr in pointers:
        node = msg
        for part in (p.replace("~1", "/").replace("~0", "~") for p in ptr.split("/")[1:]):
            if isinstance(node, dict) and part in node:
                node = node[part]
            elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            else:
                break
        else:
            out.append(node)
    return out


def _leaves(value: Any) -> Iterator[str]:
    """Every scalar under a value, as text (booleans and null say nothing about a person)."""
    if isinstance(value, dict):
        for v in value.values():
            yield from _leaves(v)
    elif isinstance(value, list):
        for v in value:
            yield from _leaves(v)
    elif isinstance(value, str | int | float) and not isinstance(value, bool):
        yield str(value)


def read_blocks(source: IO[bytes], max_line: int = MAX_LINE_BYTES, size: int = 1 << 20) -> Iterator[list[bytes]]:
    """The lines of a stream (without their newline), a block at a time, in bounded memory.

    A line longer than max_line bytes comes out as LONG_LINE: its bytes are dropped as they are read.
    """
    carry: list[bytes] = []  # the unfinished line so far
    carried = 0
    long = False  # the unfinished line is already over the bound
    while block := source.read(size):
        lines = block.split(b"\n")
        tail = lines.pop()
        if lines:
            if long:
                lines[0] = LONG_LINE
            elif carry:
                lines[0] = b"".join((*carry, lines[0]))
            if max(map(len, lines)) > max_line:
                lines = [LONG_LINE if len(line) > max_line else line for line in lines]
            carry, carried, long = [], 0, False
        if not long and tail:
            carry.append(tail)
            carried += len(tail)
            if carried > max_line:
                carry, carried, long = [], 0, True
        if lines:
            yield lines
    if long:
        yield [LONG_LINE]
    elif carry:
        yield [b"".join(carry)]


def read_lines(source: IO[bytes], max_line: int = MAX_LINE_BYTES) -> Iterator[bytes]:
    return chain.from_iterable(read_blocks(source, max_line))


# -- parallel: both cores on a large file ---------------------------------------------------------
_WORKER: StreamValidator | None = None
_FACTS: Any = None


def _worker_init(validator: StreamValidator, facts: Any) -> None:
    global _WORKER, _FACTS
    _WORKER, _FACTS = validator, facts


Task = tuple[int, bytes, list[int], bool]
Rows = tuple[list, list, list] | None  # a block's integrity rows (provided, wanted, ids), for --integrity


def _worker_run(task: Task) -> tuple[int, StreamSummary, list[BadLine], Rows]:
    first_line, block, long, keep_all = task
    lines = block.split(b"\n")
    for i in long:
        lines[i] = LONG_LINE
    bad: list[BadLine] = []
    rows: Rows = None
    on_message = None
    if _FACTS is not None:
        provided: list = []
        wanted: list = []
        ids: list = []
        rows, collect, offset = (provided, wanted, ids), _FACTS.collect, first_line - 1

        def on_message(n: int, msg: dict[str, Any]) -> None:
            collect(n + offset, msg, provided, wanted, ids)

    summary = _WORKER.run(lines, on_bad=bad.append if keep_all else None, on_message=on_message)
    # A bad line kept for the summary is the same object as the one for --errors-out: shift it once.
    for b in {id(b): b for b in (*bad, *summary.first)}.values():
        b.line += first_line - 1
    return first_line, summary, bad, rows


def run_parallel(
    validator: StreamValidator,
    source: IO[bytes],
    workers: int,
    on_bad: Callable[[BadLine], None] | None = None,
    on_progress: Callable[[int], None] | None = None,
    block_size: int = 1 << 20,
    integrity: Any = None,
) -> StreamSummary:
    """The same verdicts as StreamValidator.run, with blocks of lines validated in worker processes.

    At most two blocks per worker are in flight, so memory stays bounded whatever the file's size;
    results are merged in file order, so --errors-out lists lines in order. With `integrity` (an
    IntegrityChecker) the workers extract each message's facts and ship them back; the parent stores them.
    """
    import multiprocessing
    from collections import deque
    from concurrent.futures import ProcessPoolExecutor

    total = StreamSummary()
    context = multiprocessing.get_context("fork")
    extractor = integrity.extract if integrity is not None else None
    with ProcessPoolExecutor(
        workers, mp_context=context, initializer=_worker_init, initargs=(validator, extractor)
    ) as pool:
        pending: deque = deque()

        def drain_one() -> None:
            _, part, bad, rows = pending.popleft().result()
            total.lines += part.lines
            total.blank += part.blank
            total.valid.update(part.valid)
            total.invalid.update(part.invalid)
            total.problems.update(part.problems)
            total.first.extend(part.first[: validator.keep_first - len(total.first)])
            if on_bad is not None:
                for b in bad:
                    on_bad(b)
            if integrity is not None and rows is not None:
                integrity.add_rows(*rows)
            if on_progress is not None:
                on_progress(total.lines)

        first_line = 1
        for lines in read_blocks(source, validator.max_line, block_size):
            long = [i for i, line in enumerate(lines) if line is LONG_LINE]
            task = (first_line, b"\n".join(lines), long, on_bad is not None)
            pending.append(pool.submit(_worker_run, task))
            first_line += len(lines)
            if len(pending) >= 2 * workers:
                drain_one()
        while pending:
            drain_one()
    return total


def _open_source(file: str) -> tuple[IO[bytes], int | None]:
    if file == "-":
        stdin = sys.stdin
        if stdin is None or stdin.closed:  # started with stdin closed (`<&-`): Python leaves it None
            raise UnusableInput("standard input is closed; give a .jsonl file, or pipe the lines in")
        return stdin.buffer, None
    path = Path(file)
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        raise UnusableInput(f"{path}: no such file; give a .jsonl file or - for standard input") from None
    except IsADirectoryError:
        raise UnusableInput(f"{path}: is a folder; give a .jsonl file") from None
    except OSError as exc:
        raise UnusableInput(f"{path}: unreadable ({exc.strerror})") from None
    info = os.fstat(handle.fileno())
    if stat.S_ISDIR(info.st_mode):
        handle.close()
        raise UnusableInput(f"{path}: is a folder; give a .jsonl file")
    return handle, info.st_size if stat.S_ISREG(info.st_mode) else None


def refuse_same_file(source: IO[bytes], out: Path, option: str) -> None:
    """An output that is the input (the same path, a hard link or a symlink to it) would be emptied
    before it is read: refuse before anything is opened for writing."""
    try:
        target = os.stat(out)
        here = os.fstat(source.fileno())
    except (OSError, ValueError):
        return  # the output does not exist yet (or the input has no file): it cannot be the input
    if (target.st_dev, target.st_ino) == (here.st_dev, here.st_ino):
        raise UnusableInput(f"{option} {out}: that is an input file; write it elsewhere (the input was not touched)")


def _stdout_closed() -> None:
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    raise HarnessError("standard output closed before the report was written (broken pipe)")


def report_console() -> Any:
    """The console the report goes to. A reader of stdout that went away (`| head -1`) is one line on
    stderr and exit 2: not rich's silent exit 1 (which would read as "some lines invalid"), nor a
    traceback at the interpreter's last flush (stdout is pointed at /dev/null first)."""
    from rich.console import Console

    console = Console(highlight=False, soft_wrap=True)
    console.on_broken_pipe = _stdout_closed  # type: ignore[method-assign]
    return console


def no_messages(file: str) -> UnusableInput:
    where = "standard input" if file == "-" else file
    return UnusableInput(f"{where}: no messages (empty, or only blank lines); give the extract or traffic to check")


PARALLEL_FROM_BYTES = 8 << 20  # below this, starting worker processes costs more than it saves


def run_validate_stream(
    file: str,
    *,
    errors_out: Path | None,
    show: int,
    root: Path | None,
    jobs: int | None = None,
    integrity: bool = False,
    max_line: int = MAX_LINE_BYTES,
    parallel_from: int | None = None,
) -> int:
    """The command: validate, print a summary, exit 0 all valid (and intact), 1 some invalid, 2 unusable input.

    `parallel_from` (bytes; default PARALLEL_FROM_BYTES, or EM_HARNESS_PARALLEL_FROM) is the file size from
    which worker processes are used.
    """
    from harness.project import find_project

    project = find_project(root)
    registry = SchemaRegistry(project.schemas_dir)
    validator = StreamValidator(registry, keep_first=show, max_line=max_line)
    source, size = _open_source(file)
    sink = None
    try:
        if errors_out is not None:
            refuse_same_file(source, errors_out, "--errors-out")
            try:
                sink = errors_out.open("wb")
            except OSError as exc:
                raise UnusableInput(f"{errors_out}: cannot write ({exc.strerror})") from None
        with tempfile.TemporaryDirectory(prefix="em-harness-integrity-") as tmp:
            return _validate(file, source, size, validator, sink, errors_out, jobs, integrity, parallel_from, tmp)
    finally:
        if file != "-":
            source.close()
        if sink is not None:
            sink.close()


def _validate(
    file: str,
    source: IO[bytes],
    size: int | None,
    validator: StreamValidator,
    sink: IO[bytes] | None,
    errors_out: Path | None,
    jobs: int | None,
    integrity: bool,
    parallel_from: int | None,
    tmp: str,
) -> int:
    from rich.console import Console

    from harness.stream.integrity import IntegrityChecker

    err = Console(stderr=True, highlight=False)

    def write(found: Any) -> None:
        sink.write(orjson.dumps(found.to_json()) + b"\n")

    def progress(n: int) -> None:
        if err.is_terminal:
            err.print(f"  {n:,} lines...", end="\r")

    if parallel_from is None:
        parallel_from = int(os.environ.get("EM_HARNESS_PARALLEL_FROM", PARALLEL_FROM_BYTES))
    workers = jobs if jobs is not None else (os.cpu_count() or 1)
    parallel = workers > 1 and size is not None and size > parallel_from
    checker = IntegrityChecker(validator.registry, Path(tmp), keep_first=validator.keep_first) if integrity else None
    try:
        if parallel:
            summary = run_parallel(validator, source, workers, write if sink else None, progress, integrity=checker)
        else:
            on_message = checker.add if checker is not None else None
            summary = validator.run(
                read_lines(source, validator.max_line),
                on_bad=write if sink else None,
                on_progress=progress,
                on_message=on_message,
            )
        if summary.messages == 0:
            raise no_messages(file)
        held = checker.finish(write if sink else None) if checker is not None else None
    except sqlite3.OperationalError as exc:
        raise UnusableInput(f"validate-stream --integrity: the temporary store failed ({exc}); disk full?") from None
    finally:
        if checker is not None:
            checker.close()

    return _print(file, summary, held, sink, errors_out)


def _print(file: str, summary: StreamSummary, held: Any, sink: Any, errors_out: Path | None) -> int:
    from rich.markup import escape
    from rich.table import Table

    out = report_console()
    table = Table(title=f"validate-stream: {escape(file)}", title_justify="left")
    table.add_column("eventType")
    table.add_column("version", justify="right")
    table.add_column("valid", justify="right")
    table.add_column("invalid", justify="right")
    for key in sorted(set(summary.valid) | set(summary.invalid)):
        table.add_row(escape(key[0]), str(key[1]), str(summary.valid[key]), str(summary.invalid[key]))
    out.print(table)
    for kind in KINDS:
        if summary.problems[kind]:
            out.print(f"{kind}: {summary.problems[kind]}", markup=False)
    for bad in summary.first:
        where = f"line {bad.line}"
        for ptr, message in bad.reasons[:5]:
            out.print(f"{where}: {bad.kind}: {ptr or '/'}: {message}", markup=False)
    total_valid = sum(summary.valid.values())
    line = f"{summary.messages} message(s): {total_valid} valid, {summary.bad} invalid"
    if held is not None:
        for d in held.first_dangling:
            name = d.event_type.rsplit(".", 1)[-1] if isinstance(d.event_type, str) else "?"
            key = f" {d.key}" if d.key else ""
            text = f"line {d.line}: dangling reference: {name}{key}: {d.reference} {d.value} not found"
            out.print(text, markup=False)
        for dup in held.first_duplicates:
            out.print(
                f"line {dup.line}: duplicate eventId {dup.event_id} (first on line {dup.first_line})", markup=False
            )
        if held.intact:
            line += "; references intact, no duplicate eventId"
        else:
            line += f"; {held.dangling} dangling reference(s), {held.duplicates} duplicate eventId(s)"
    failed = bool(summary.bad) or (held is not None and not held.intact)
    if sink is not None and failed:
        line += f"; every finding is in {errors_out}"
    out.print(line, markup=False)
    return 1 if failed else 0
