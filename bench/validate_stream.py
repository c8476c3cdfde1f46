"""Benchmark: validate-stream's engine against plain jsonschema and against parsing alone.

Generates N synthetic messages across the catalogue (every message type's examples, with varied ids,
1% invalid by a single realistic fault) and reports, in one process and one run:
  (a) messages/s through validate-stream's engine (StreamValidator.run),
  (b) messages/s with plain jsonschema (Draft 2020-12, formats on) on the same lines,
  (c) messages/s for orjson parsing alone: the ceiling.
Targets (issue 2): (a) >= 40% of (c) and (a) >= 30x (b).

Then the commands, as a user runs them, on a synthetic migration extract written to a temporary file
(`--extract-lines` lines, or `--extract-gib` GiB): the catalogue's examples over and over, each round with
its own ids (case, device, activation, position, violation, visit, alert, order), so references hold
within a round and keys are distinct, 1% invalid. Reported for each: lines/s, MB/s, wall time and the
peak RSS of its largest process (os.wait4):
  (d) validate-stream FILE
  (e) validate-stream FILE --integrity
  (f) reconcile FILE FILE2 (FILE2: the same extract with 0.1% of lines dropped and 0.1% changed);
      its rate counts the lines of both files.
Targets (issue 13): (e) and (f) >= 50% of (d)'s lines/s; memory bounded whatever the file's size.

    python bench/validate_stream.py [--messages 200000] [--jsonschema-sample 20000]
    python bench/validate_stream.py --skip-engine --extract-gib 1      # the bounded-memory claim

jsonschema is slow enough (a few thousand/s) that it runs on a sample of the same lines.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

os.environ.setdefault("PACT_DO_NOT_TRACK", "true")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import jsonschema
import orjson

from harness.catalogue.envelope import seal
from harness.schemas.mutate import mutations
from harness.schemas.registry import FORMAT_CHECKER, SchemaRegistry
from harness.stream.validate import StreamValidator, run_parallel

ROOT = Path(__file__).resolve().parent.parent


def generate(registry: SchemaRegistry, n: int, invalid_ratio: float, seed: int = 7) -> tuple[list[bytes], int]:
    """n JSON lines; about invalid_ratio of them broken by one fault that the schema catches."""
    rng = random.Random(seed)
    docs = registry.messages()
    pools = []
    for doc in docs:
        bad = [m for _, m in mutations(doc.contents["examples"][0]) if not registry.fast(doc).is_valid(m)]
        pools.append((doc, doc.contents["examples"], bad))
    lines, n_invalid = [], 0
    for i in range(n):
        doc, examples, bad = pools[i % len(pools)]
        if bad and rng.random() < invalid_ratio:
            message = rng.choice(bad)
            n_invalid += 1
        else:
            message = dict(rng.choice(examples))
            message["description"] = f"synthetic message {i} {uuid.UUID(int=rng.getrandbits(128))}"
            message = seal(message)
        lines.append(orjson.dumps(message) + b"\n")
    return lines, n_invalid


def rate(n: int, seconds: float) -> float:
    return n / seconds if seconds > 0 else float("inf")


# -- the commands on a synthetic extract -------------------------------------------------------------
ID_FIELDS = {
    "caseId",
    "device_id",
    "deviceId",
    "device_activation_id",
    "position_id",
    "sys_id",
    "visit_id",
    "alert_id",
    "order_id",
    "orderId",
}


def _remap(value: Any, rnd: int) -> Any:
    """The value with every id replaced by this round's id (the same old id gives the same new one)."""
    if isinstance(value, dict):
        return {k: (_new_id(v, rnd) if k in ID_FIELDS else _remap(v, rnd)) for k, v in value.items()}
    if isinstance(value, list):
        return [_remap(v, rnd) for v in value]
    return value


def _new_id(value: Any, rnd: int) -> Any:
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return value + rnd * 10_000_000
    if isinstance(value, str) and len(value) == 32:
        return hashlib.md5(f"{value}:{rnd}".encode()).hexdigest()
    if isinstance(value, str) and len(value) == 36 and value.count("-") == 4:
        return str(uuid.UUID(hashlib.md5(f"{value}:{rnd}".encode()).hexdigest()))
    return _remap(value, rnd)


def write_extract(registry: SchemaRegistry, path: Path, *, lines: int, size: int, seed: int = 11) -> tuple[int, int]:
    """A synthetic extract of `lines` lines or `size` bytes (whichever is given); returns (lines, bytes)."""
    rng = random.Random(seed)
    docs = [d for d in registry.messages() if not d.name.startswith("sim-")]
    examples = [e for d in docs for e in d.contents["examples"]]
    bad = [m for d in docs for _, m in mutations(d.contents["examples"][0]) if not registry.fast(d).is_valid(m)]
    n = written = rnd = 0
    with path.open("wb") as out:
        while (lines and n < lines) or (size and written < size):
            for example in examples:
                if rng.random() < 0.01:
                    message = rng.choice(bad)
                else:
                    message = _remap(example, rnd)
                    body = orjson.dumps(
                        {k: v for k, v in message.items() if k != "eventId"}, option=orjson.OPT_SORT_KEYS
                    )
                    message["eventId"] = "sha256:" + hashlib.sha256(body).hexdigest()
                line = orjson.dumps(message) + b"\n"
                out.write(line)
                n, written = n + 1, written + len(line)
                if (lines and n >= lines) or (size and written >= size):
                    break
            rnd += 1
    return n, written


def write_new_side(old: Path, new: Path) -> None:
    """What the new side holds: the extract with one line in a thousand dropped and one in a thousand changed
    (a field added to its record)."""
    with old.open("rb") as src, new.open("wb") as out:
        for n, line in enumerate(src, 1):
            if n % 1000 == 0:
                continue
            if n % 1000 == 500:  # a record the migration changed
                message = orjson.loads(line)
                if isinstance(message, dict) and isinstance(message.get("additionalInformation"), dict):
                    message["additionalInformation"]["migrated"] = True
                    line = orjson.dumps(message) + b"\n"
            out.write(line)


def _hwm(pid: int) -> int:
    """VmHWM (peak RSS) in bytes of a process and of its children, as /proc shows them now (0 when gone)."""
    total = 0
    try:
        with open(f"/proc/{pid}/status") as status:
            total = next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmHWM:"))
        with open(f"/proc/{pid}/task/{pid}/children") as children:
            kids = [int(k) for k in children.read().split()]
    except (OSError, StopIteration, ValueError):
        return total
    return max([total, *(_hwm(k) for k in kids)])


def run_command(args: list[str]) -> tuple[float, int, int]:
    """(seconds, peak RSS in bytes of the command's largest process, exit code).

    The peak is VmHWM read from /proc while the command runs (every 50 ms, and it only grows): not
    wait4's ru_maxrss, which counts the benchmark's own memory copied into the child before exec."""
    env = dict(os.environ, PACT_DO_NOT_TRACK="true")
    t = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "harness", *args, "--root", str(ROOT)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    peak = 0
    while proc.poll() is None:
        peak = max(peak, _hwm(proc.pid))
        time.sleep(0.05)
    seconds = time.perf_counter() - t
    return seconds, peak, proc.returncode


def bench_commands(registry: SchemaRegistry, lines: int, size: int, repeat: int) -> None:
    with tempfile.TemporaryDirectory(prefix="em-harness-bench-") as tmp:
        old, new = Path(tmp) / "extract.jsonl", Path(tmp) / "new.jsonl"
        t = time.perf_counter()
        n, written = write_extract(registry, old, lines=lines, size=size)
        write_new_side(old, new)
        n_new, new_bytes = sum(1 for _ in new.open("rb")), new.stat().st_size
        print(
            f"\nextract: {n:,} lines, {written / 1e6:,.0f} MB (mean {written / n:.0f} bytes/line), written in "
            f"{time.perf_counter() - t:.0f} s; new side {n_new:,} lines; {os.cpu_count()} cores, load average "
            f"{os.getloadavg()[0]:.1f}"
        )
        runs = [
            ("(d) validate-stream", ["validate-stream", str(old)], n, written, 1),
            ("(e) validate-stream --integrity", ["validate-stream", str(old), "--integrity"], n, written, 1),
            ("(f) reconcile OLD NEW", ["reconcile", str(old), str(new)], n + n_new, written + new_bytes, 1),
        ]
        # The machine may be shared: each command runs `repeat` times, interleaved, and its best run counts.
        best: dict[str, tuple[float, int, int]] = {}
        for _ in range(repeat):
            for name, args, *_ in runs:
                got = run_command(args)
                if name not in best or got[0] < best[name][0]:
                    best[name] = got
        plain = None
        for name, _, count, size_bytes, expected in runs:
            seconds, peak, code = best[name]
            rate = count / seconds
            plain = plain or rate
            print(
                f"{name:33}: {rate:10,.0f} lines/s {size_bytes / 1e6 / seconds:7,.1f} MB/s  {seconds:7.1f} s  "
                f"peak RSS {peak / 2**20:6,.0f} MiB  exit {code}  ({rate / plain:.0%} of (d))"
            )
            assert code == expected, f"{name}: exit {code}, expected {expected}"
        print("targets: (e) and (f) >= 50% of (d)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=200_000)
    parser.add_argument("--jsonschema-sample", type=int, default=20_000)
    parser.add_argument("--invalid", type=float, default=0.01)
    parser.add_argument("--extract-lines", type=int, default=200_000, help="lines of the extract for (d)-(f)")
    parser.add_argument("--extract-gib", type=float, default=0, help="instead: an extract of this many GiB")
    parser.add_argument("--skip-engine", action="store_true", help="only (d)-(f)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each command; the best counts")
    args = parser.parse_args()

    registry = SchemaRegistry(ROOT / "schemas")
    if not args.skip_engine:
        bench_engine(registry, args)
    size = int(args.extract_gib * 2**30)
    bench_commands(registry, 0 if size else args.extract_lines, size, args.repeat)


def bench_engine(registry: SchemaRegistry, args: Any) -> None:
    lines, n_invalid = generate(registry, args.messages, args.invalid)
    size = sum(len(line) for line in lines)
    print(
        f"{len(lines):,} messages, {len(registry.messages())} message types, {n_invalid:,} invalid, "
        f"mean {size / len(lines):.0f} bytes"
    )

    validator = StreamValidator(registry)
    validator.run(lines[:2000])  # warm up: compile, caches

    t = time.perf_counter()
    for line in lines:
        orjson.loads(line)
    c = rate(len(lines), time.perf_counter() - t)

    t = time.perf_counter()
    summary = validator.run(lines)
    a1 = rate(len(lines), time.perf_counter() - t)
    assert summary.bad == n_invalid, (summary.bad, n_invalid)

    workers = os.cpu_count() or 1
    blob = io.BytesIO(b"".join(lines))
    t = time.perf_counter()
    summary = run_parallel(validator, blob, workers)
    a = rate(len(lines), time.perf_counter() - t)
    assert summary.bad == n_invalid, (summary.bad, n_invalid)

    sample = lines[: args.jsonschema_sample]
    plain = {
        (d.event_type, d.version): jsonschema.Draft202012Validator(
            d.contents, registry=registry.referencing, format_checker=FORMAT_CHECKER
        )
        for d in registry.messages()
    }
    t = time.perf_counter()
    bad_plain = 0
    for line in sample:
        message = orjson.loads(line)
        check = plain.get((message.get("eventType"), message.get("version")))
        bad_plain += check is None or not check.is_valid(message)
    b = rate(len(sample), time.perf_counter() - t)

    print(f"(a) validate-stream engine : {a:12,.0f} msg/s  ({workers} worker processes, as the command runs)")
    print(f"    the same, one process  : {a1:12,.0f} msg/s  ({a1 / c:.0%} of (c))")
    print(f"(b) plain jsonschema       : {b:12,.0f} msg/s  (on {len(sample):,} of the same lines)")
    print(f"(c) orjson parse only      : {c:12,.0f} msg/s")
    print(f"(a)/(c) = {a / c:.0%}   (target >= 40%)")
    print(f"(a)/(b) = {a / b:.1f}x  (target >= 30x)")


if __name__ == "__main__":
    main()
