"""Benchmark: validate-stream's engine against plain jsonschema and against parsing alone.

Generates N synthetic messages across the catalogue (every message type's examples, with varied ids,
1% invalid by a single realistic fault) and reports, in one process and one run:
  (a) messages/s through validate-stream's engine (StreamValidator.run),
  (b) messages/s with plain jsonschema (Draft 2020-12, formats on) on the same lines,
  (c) messages/s for orjson parsing alone: the ceiling.
Targets (issue 2): (a) >= 40% of (c) and (a) >= 30x (b).

    python bench/validate_stream.py [--messages 200000] [--jsonschema-sample 20000]

jsonschema is slow enough (a few thousand/s) that it runs on a sample of the same lines.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import sys
import time
import uuid
from pathlib import Path

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=200_000)
    parser.add_argument("--jsonschema-sample", type=int, default=20_000)
    parser.add_argument("--invalid", type=float, default=0.01)
    args = parser.parse_args()

    registry = SchemaRegistry(ROOT / "schemas")
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
