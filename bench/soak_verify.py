"""Soak: run `em-harness verify` for one supplier N times per bus and count verdict changes.

A verdict is (interaction or flow or fault run, check) -> pass / fail / skipped. Every run is compared
with the first run on the same bus and with the first run on memory; the target is zero changes: the
same supplier gets the same verdict on every run and every bus. Runs are real command lines (a process
each, a fresh channel prefix each), `--at-once K` starts K of them together on one broker.

    python bench/soak_verify.py --runs 20 --bus memory,nats,amqp,redis
    python bench/soak_verify.py --runs 3 --at-once 3 --bus nats,redis --faults all
    python bench/soak_verify.py --runs 4 --at-once 4 --bus nats,amqp,redis,kafka,sqs   # verdicts under load
    python bench/soak_verify.py --supplier-app providers.faulty.wrong_correlation:app --runs 5
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUSES = {
    "memory": "memory",
    "nats": "nats://127.0.0.1:4222",
    "amqp": "amqp://guest:guest@127.0.0.1:5672/",
    "redis": "redis://127.0.0.1:6379",
    "kafka": "kafka://127.0.0.1:9092",
    "sqs": "sqs://127.0.0.1:5000?region=eu-west-2",
}
# The local SNS/SQS emulator (moto) takes any credentials; a real AWS run brings its own from the usual chain.
for _key, _value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
    os.environ.setdefault(_key, _value)


def verdicts(report: Path) -> dict[str, str]:
    data = json.loads(report.read_text())
    out = {}
    for i in data["interactions"]:
        for c in i["checks"]:
            out[f"{i['key']} [{c['check']}]"] = "skip" if c["skipped"] else ("pass" if c["passed"] else "FAIL")
    if data.get("error"):
        out["(run) [error]"] = "ERROR"
    return out


def start(args: argparse.Namespace, bus: str, report: Path) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "harness", "verify", "--provider", args.provider, "--bus", bus, "--json", str(report)]
    if args.supplier_app:
        cmd += ["--supplier-app", args.supplier_app]
    elif bus != "memory":
        cmd += ["--supplier-app", args.default_app]
    if args.faults:
        cmd += ["--faults", args.faults]
    env = dict(os.environ, PACT_DO_NOT_TRACK="true")
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--provider", default="field-monitoring-service")
    parser.add_argument("--supplier-app", default=None, help="default: the reference supplier of the provider")
    parser.add_argument("--bus", default="memory,nats,amqp,redis", help=f"comma-separated: {', '.join(BUSES)}")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--at-once", type=int, default=1, help="runs started together on the same bus")
    parser.add_argument("--faults", default=None, help="passed to verify --faults")
    parser.add_argument("--keep", type=Path, default=None, help="copy the JSON report of every changed run here")
    args = parser.parse_args()
    args.default_app = {
        "field-monitoring-service": "providers.field_monitoring:app",
        "monitoring-data-service": "providers.monitoring_data:app",
        "cemo": "consumers.cemo.publisher:app",
    }.get(args.provider, "")
    reference: dict[str, str] | None = None
    total_changes = 0
    print(f"{'bus':8} {'runs':>5} {'exit codes':>12} {'verdicts':>9} {'changes':>8} {'vs memory':>10} {'s/run':>7}")
    with tempfile.TemporaryDirectory(prefix="em-harness-soak-") as tmp:
        for name in args.bus.split(","):
            bus = BUSES[name.strip()]
            first: dict[str, str] | None = None
            codes: dict[int, int] = {}
            changes = against_memory = 0
            started = time.monotonic()
            done = 0
            while done < args.runs:
                batch = min(args.at_once, args.runs - done)
                procs = []
                for k in range(batch):
                    report = Path(tmp) / f"{name}-{done + k}.json"
                    procs.append((start(args, bus, report), report))
                for proc, report in procs:
                    _, err = proc.communicate(timeout=1800)
                    codes[proc.returncode] = codes.get(proc.returncode, 0) + 1
                    if not report.is_file():
                        print(f"  {name}: run without a report (exit {proc.returncode}): {err.decode()[-500:]}")
                        changes += 1
                        continue
                    got = verdicts(report)
                    if first is None:
                        first = got
                    diff = sorted(k for k in set(first) | set(got) if first.get(k) != got.get(k))
                    if diff:
                        changes += 1
                        print(f"  {name} run {done + 1}: {len(diff)} verdict(s) changed, e.g. {diff[:3]}")
                        if args.keep is not None:
                            import shutil

                            args.keep.mkdir(parents=True, exist_ok=True)
                            shutil.copy(report, args.keep / report.name)
                    if reference is not None and got != reference:
                        against_memory += 1
                    done += 1
            if name == "memory" or reference is None:
                reference = first
            total_changes += changes
            per = (time.monotonic() - started) / max(args.runs, 1)
            shown = ",".join(f"{c}x{n}" for c, n in sorted(codes.items()))
            print(
                f"{name:8} {args.runs:>5} {shown:>12} {len(first or {}):>9} {changes:>8} "
                f"{against_memory if name != 'memory' else '-':>10} {per:>7.1f}"
            )
    print(f"verdict changes: {total_changes} (target 0)")
    return 0 if total_changes == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
