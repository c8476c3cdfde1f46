"""`em-harness validate-stream`: recorded traffic or a migration extract, validated line by line.

Memory stays constant: one line at a time, counts per message type, and only the first few errors
kept for the summary (`--errors-out` streams every invalid line to a file as it goes). Validity is
decided by jsonschema-rs; only an invalid line pays for jsonschema's exact messages.
"""

from __future__ import annotations

import os
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import orjson

from harness.errors import UnusableInput
from harness.schemas.registry import SchemaRegistry, pointer

# The kinds of bad line, in the order the summary lists them.
NOT_UTF8 = "not UTF-8"
NOT_JSON = "not JSON"
NOT_OBJECT = "not a JSON object"
NO_EVENT_TYPE = "no eventType"
NO_VERSION = "no integer version"
UNKNOWN_TYPE = "unknown eventType"
UNKNOWN_VERSION = "unknown version"
INVALID = "breaks its schema"
KINDS = (NOT_UTF8, NOT_JSON, NOT_OBJECT, NO_EVENT_TYPE, NO_VERSION, UNKNOWN_TYPE, UNKNOWN_VERSION, INVALID)


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

    def __init__(self, registry: SchemaRegistry, *, keep_first: int = 20) -> None:
        self.registry = registry
        self.keep_first = keep_first
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
    ) -> StreamSummary:
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
                event_type = msg.get("eventType")
                version = msg.get("version")
                check = fast.get((event_type, version)) if type(version) is int else None
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
        bad = BadLine(n, kind, event_type, reasons, raw)
        if len(summary.first) < self.keep_first:
            summary.first.append(bad)
        if on_bad is not None:
            on_bad(bad)


# -- parallel: both cores on a large file ---------------------------------------------------------
_WORKER: StreamValidator | None = None


def _worker_init(validator: StreamValidator) -> None:
    global _WORKER
    _WORKER = validator


def _worker_run(task: tuple[int, bytes, bool]) -> tuple[int, StreamSummary, list[BadLine]]:
    first_line, block, keep_all = task
    bad: list[BadLine] = []
    summary = _WORKER.run(block.split(b"\n")[:-1], on_bad=bad.append if keep_all else None)
    for b in (*bad, *summary.first):
        b.line += first_line - 1
    return first_line, summary, bad


def _blocks(source: IO[bytes], size: int) -> Iterator[tuple[int, bytes]]:
    """Blocks of whole lines, each with the number of its first line."""
    line = 1
    while True:
        block = source.read(size)
        if not block:
            return
        if not block.endswith(b"\n"):
            block += source.readline()
            if not block.endswith(b"\n"):
                block += b"\n"
        yield line, block
        line += block.count(b"\n")


def run_parallel(
    validator: StreamValidator,
    source: IO[bytes],
    workers: int,
    on_bad: Callable[[BadLine], None] | None = None,
    on_progress: Callable[[int], None] | None = None,
    block_size: int = 1 << 20,
) -> StreamSummary:
    """The same verdicts as StreamValidator.run, with blocks of lines validated in worker processes.

    At most two blocks per worker are in flight, so memory stays bounded whatever the file's size;
    results are merged in file order, so --errors-out lists lines in order.
    """
    import multiprocessing
    from collections import deque
    from concurrent.futures import ProcessPoolExecutor

    total = StreamSummary()
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_worker_init, initargs=(validator,)) as pool:
        pending: deque = deque()
        blocks = _blocks(source, block_size)

        def drain_one() -> None:
            _, part, bad = pending.popleft().result()
            total.lines += part.lines
            total.blank += part.blank
            total.valid.update(part.valid)
            total.invalid.update(part.invalid)
            total.problems.update(part.problems)
            total.first.extend(part.first[: validator.keep_first - len(total.first)])
            if on_bad is not None:
                for b in bad:
                    on_bad(b)
            if on_progress is not None:
                on_progress(total.lines)

        for first_line, block in blocks:
            pending.append(pool.submit(_worker_run, (first_line, block, on_bad is not None)))
            if len(pending) >= 2 * workers:
                drain_one()
        while pending:
            drain_one()
    return total


def _open_source(file: str) -> tuple[IO[bytes], int | None]:
    if file == "-":
        return sys.stdin.buffer, None
    path = Path(file)
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        raise UnusableInput(f"{path}: no such file; give a .jsonl file or - for standard input") from None
    except IsADirectoryError:
        raise UnusableInput(f"{path}: is a folder; give a .jsonl file") from None
    except OSError as exc:
        raise UnusableInput(f"{path}: unreadable ({exc.strerror})") from None
    return handle, path.stat().st_size


PARALLEL_FROM_BYTES = 8 << 20  # below this, starting worker processes costs more than it saves


def run_validate_stream(
    file: str, *, errors_out: Path | None, show: int, root: Path | None, jobs: int | None = None
) -> int:
    """The command: validate, print a summary, exit 0 all valid, 1 some invalid."""
    from rich.console import Console
    from rich.table import Table

    from harness.project import find_project

    project = find_project(root)
    registry = SchemaRegistry(project.schemas_dir)
    validator = StreamValidator(registry, keep_first=show)
    source, size = _open_source(file)
    sink = None
    if errors_out is not None:
        try:
            sink = errors_out.open("wb")
        except OSError as exc:
            raise UnusableInput(f"{errors_out}: cannot write ({exc.strerror})") from None
    err = Console(stderr=True, highlight=False)

    def write_bad(bad: BadLine) -> None:
        sink.write(orjson.dumps(bad.to_json()) + b"\n")

    def progress(n: int) -> None:
        if err.is_terminal:
            err.print(f"  {n:,} lines...", end="\r")

    workers = jobs if jobs is not None else (os.cpu_count() or 1)
    parallel = workers > 1 and size is not None and size > PARALLEL_FROM_BYTES
    try:
        with source:
            if parallel:
                summary = run_parallel(validator, source, workers, write_bad if sink else None, progress)
            else:
                summary = validator.run(source, on_bad=write_bad if sink else None, on_progress=progress)
    finally:
        if sink is not None:
            sink.close()

    out = Console(highlight=False, soft_wrap=True)
    table = Table(title=f"validate-stream: {file}", title_justify="left")
    table.add_column("eventType")
    table.add_column("version", justify="right")
    table.add_column("valid", justify="right")
    table.add_column("invalid", justify="right")
    for key in sorted(set(summary.valid) | set(summary.invalid)):
        table.add_row(key[0], str(key[1]), str(summary.valid[key]), str(summary.invalid[key]))
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
    if sink is not None and summary.bad:
        line += f"; every invalid line is in {errors_out}"
    out.print(line, markup=False)
    return 1 if summary.bad else 0
