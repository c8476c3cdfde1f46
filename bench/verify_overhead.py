"""Benchmark: what em-harness adds on top of pact verification itself.

For each provider, in one process and one run:
  (a) `verify` on the memory bus against the reference supplier, as a user runs it: plan, bus, virtual
      clock, stimuli with PII canaries, supplier, tap, every pact interaction and every flow of the
      provider, every local check (correlation, event-id, flows, canaries, redaction), and the pact
      verification;
  (a') the same with no flow (`--flow none`): what the pact interactions alone cost;
  (b) pact-python's Verifier alone over the same pacts, with a static message_handler returning the
      very messages (a) captured.
Reports (a)/(b) and (a')/(b) per provider and for the full suite. Target: (a)/(b) at most 1.3 for the full
suite. A flow with a `never` step (a negative assertion) waits its whole deadline (5 s) after its last
stimulus: an absence can only be seen by waiting, and that wait is the floor of (a) for the FMS.

    python bench/verify_overhead.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("PACT_DO_NOT_TRACK", "true")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import orjson  # noqa: E402
from pact import Verifier  # noqa: E402

from harness.project import find_project  # noqa: E402
from harness.verify.engine import VerifyEngine  # noqa: E402
from harness.verify.events import RunFinished  # noqa: E402
from harness.verify.judge import quiet_fds  # noqa: E402

PROVIDERS = ["field-monitoring-service", "monitoring-data-service", "cemo"]


def run_harness(provider: str, flows: list[str] | None = None) -> tuple[float, RunFinished, list[str]]:
    """Time one verify run; also return the pact files it verified (its own plan's)."""
    engine = VerifyEngine(find_project(ROOT), provider, flows=flows)
    t = time.perf_counter()
    finished = None
    for event in engine.events():
        if isinstance(event, RunFinished):
            finished = event
    return time.perf_counter() - t, finished, engine.plan.pact_paths


def run_pact_alone(provider: str, run: RunFinished, pact_paths: list[str]) -> float:
    messages = {}
    for o in run.outcomes:
        if o.kind == "pact" and o.captured is not None:
            meta = {"contentType": "application/json", "channel": o.captured.channel, **o.captured.headers}
            messages[o.description] = {
                "contents": orjson.dumps(o.captured.body),
                "metadata": meta,
                "content_type": "application/json",
            }
    t = time.perf_counter()
    verifier = Verifier(provider).set_coloured_output(enabled=False)
    for path in pact_paths:
        verifier.add_source(path)
    verifier.message_handler(messages).state_handler(lambda *a, **k: None, teardown=True)
    with quiet_fds(), contextlib.suppress(RuntimeError):
        verifier.verify()
    return time.perf_counter() - t


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    total_a = total_p = total_b = 0.0
    print(
        f"{'provider':28} {'runs':>5} {'(a) verify':>11} {'(a) no flow':>12} {'(b) pact':>9} "
        f"{'(a)/(b)':>8} {'no flow/(b)':>12}"
    )
    for provider in PROVIDERS:
        runs_a, runs_p, runs_b = [], [], []
        for _ in range(args.repeat):
            seconds, run, pact_paths = run_harness(provider)
            assert run is not None and run.error is None and run.passed, run and run.error
            runs_a.append(seconds)
            runs_p.append(run_harness(provider, flows=[])[0])
            runs_b.append(run_pact_alone(provider, run, pact_paths))
        a, p, b = statistics.median(runs_a), statistics.median(runs_p), statistics.median(runs_b)
        total_a += a
        total_p += p
        total_b += b
        print(f"{provider:28} {len(run.outcomes):>5} {a:>10.2f}s {p:>11.2f}s {b:>8.2f}s {a / b:>8.2f} {p / b:>12.2f}")
    print(
        f"{'full suite':28} {'':>5} {total_a:>10.2f}s {total_p:>11.2f}s {total_b:>8.2f}s {total_a / total_b:>8.2f} "
        f"{total_p / total_b:>12.2f}  (target (a)/(b) <= 1.3)"
    )


if __name__ == "__main__":
    main()
