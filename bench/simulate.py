"""Benchmark: `simulate` at scale: 1,000 wearers for one simulated day, on the memory bus and on NATS.

The world is the caseload-day scenario (contracts/scenarios/caseload-day.yaml: every wearer on a curfew with
a home unit and a GPS tag with two zones, fixes every minute uploaded every 30 minutes), run against the
reference Field Monitoring Service in simulated time (the virtual clock, one tick a simulated minute) and
scored. Each bus runs in its own process, so the peak memory (max RSS) is that run's own. Reported per bus:
world build time, run wall time (publishing, the supplier's work, clock ticks), scoring time, total wall
time, messages published and received, messages/s (published + received over the run's wall time), peak
memory, the harness process's CPU time and the load average at the end (on a shared machine the wall
time is the one that suffers), and the verdict. Targets: total under 60 s on memory, under 5 minutes on NATS.

    python bench/simulate.py [--subjects 1000] [--days 1] [--buses memory,nats] [--seed 1]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
import uuid
from pathlib import Path

os.environ.setdefault("PACT_DO_NOT_TRACK", "true")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

URLS = {"memory": "memory", "nats": "nats://127.0.0.1:4222"}
TARGETS = {"memory": 60.0, "nats": 300.0}
SCENARIO = "caseload-day"
PROVIDER = "field-monitoring-service"


def one(bus: str, subjects: int, days: int, seed: int) -> dict:
    from harness.project import find_project
    from harness.simulate.command import make_world
    from harness.simulate.run import run_world
    from harness.simulate.score import score

    started = time.monotonic()
    cpu0 = time.process_time()
    scenario, world = make_world(ROOT, SCENARIO, subjects, days, seed)
    built = time.monotonic()
    result = run_world(
        find_project(ROOT),
        world,
        PROVIDER,
        bus_url=URLS[bus],
        supplier_app="providers.field_monitoring:app",
        channel_prefix=None if bus == "memory" else f"bench-sim-{uuid.uuid4().hex[:8]}.",
    )
    ran = time.monotonic()
    sc = score(world, result.reported, scenario.thresholds)
    done = time.monotonic()
    cpu = time.process_time() - cpu0
    return {
        "bus": bus,
        "wearers": subjects,
        "days": days,
        "build_s": round(built - started, 1),
        "run_s": round(ran - built, 1),
        "score_s": round(done - ran, 1),
        "wall_s": round(done - started, 1),
        "cpu_s": round(cpu, 1),
        "load": round(os.getloadavg()[0], 1),
        "published": result.published,
        "received": result.received,
        "messages_per_s": round((result.published + result.received) / max(ran - built, 1e-9)),
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
        "breaches": len(world.breaches),
        "passed": sc.passed and result.error is None,
        "failures": [f"{k} {m} {v}" for k, m, v, _ in sc.failures],
        "error": result.error,
        "target_s": TARGETS[bus],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--subjects", type=int, default=1000)
    parser.add_argument("--days", type=int, default=1)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--buses", default="memory,nats")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one(args.one, args.subjects, args.days, args.seed)))
        return 0
    ok = True
    for bus in args.buses.split(","):
        if bus not in URLS:
            print(f"unknown bus {bus!r} (memory, nats)", file=sys.stderr)
            return 2
        cmd = [sys.executable, __file__, "--one", bus, "--subjects", str(args.subjects), "--days", str(args.days)]
        proc = subprocess.run([*cmd, "--seed", str(args.seed)], capture_output=True, text=True, cwd=ROOT)
        if proc.returncode != 0:
            print(f"{bus}: failed\n{proc.stderr[-2000:]}", file=sys.stderr)
            ok = False
            continue
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        met = r["wall_s"] < r["target_s"]
        ok = ok and met and r["passed"]
        print(
            f"{bus:6} {r['wearers']} wearers x {r['days']} day: wall {r['wall_s']} s (build {r['build_s']}, run "
            f"{r['run_s']}, score {r['score_s']}; target < {r['target_s']:g} s: {'met' if met else 'MISSED'}; "
            f"harness process CPU {r['cpu_s']} s, load average {r['load']}), "
            f"{r['published']} published + {r['received']} received = {r['messages_per_s']} msg/s, peak "
            f"{r['peak_mb']} MB, {r['breaches']} breaches, verdict {'PASS' if r['passed'] else 'FAIL'}"
            + (f" ({'; '.join(r['failures'])})" if r["failures"] else "")
            + (f" error: {r['error']}" if r["error"] else "")
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
