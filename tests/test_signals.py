"""SIGTERM and SIGINT during verify: the supplier (its whole process group) is stopped, what the run created
on the bus is removed, the partial report is written and says "interrupted", and the exit code is 143 or
130. No temporary file outlives the run. An interaction that had not settled is not judged (its checks
are skipped, naming the interruption): the supplier is never blamed for the run's end."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from tests.test_brokers import _broker, _left_on

ROOT = Path(__file__).resolve().parent.parent
INTERACTION = "a case created for a new order"
SUPPLIER = f"{sys.executable} -m tests.suppliers.never_answers"


def _start(args: list[str], tmp: Path, **env: str) -> subprocess.Popen:
    environment = dict(os.environ, PACT_DO_NOT_TRACK="true", NO_COLOR="1", TMPDIR=str(tmp / "tmp"), **env)
    (tmp / "tmp").mkdir()
    return subprocess.Popen(
        [sys.executable, "-m", "harness", "verify", "--provider", "field-monitoring-service", *args],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _gone(pid: int, within: float = 5.0) -> bool:
    """The process has exited (a zombie waiting for init to reap it counts as gone)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (FileNotFoundError, ProcessLookupError, IndexError):
            return True
        if state in ("Z", "X"):
            return True
        time.sleep(0.1)
    return False


def _assert_interrupted(report: Path, name: str, code: int) -> None:
    data = json.loads(report.read_text())
    assert data["exitCode"] == code and data["passed"] is False
    assert data["error"] == f"interrupted by {name}: the run stopped before every interaction settled"
    (interaction,) = data["interactions"]
    assert interaction["checks"] and all(c["skipped"] and not c["passed"] for c in interaction["checks"])
    assert all(c["skipped"].startswith(f"not settled: interrupted by {name}") for c in interaction["checks"])


@pytest.mark.parametrize(("name", "code"), [("SIGTERM", 143), ("SIGINT", 130)])
def test_a_signal_on_the_memory_bus_writes_the_partial_report(name, code, tmp_path):
    report, mark = tmp_path / "run.json", tmp_path / "mark"
    proc = _start(
        ["--supplier-app", "tests.suppliers.drops_case_created:app", "--interaction", INTERACTION,
         "--json", str(report)],
        tmp_path,
        EM_TEST_MARK=str(mark),
    )  # fmt: skip
    try:
        for _ in range(400):
            if mark.exists() or proc.poll() is not None:
                break
            time.sleep(0.05)
        time.sleep(0.5)  # the supplier has dropped its answer: the interaction waits for it (5 s)
        proc.send_signal(getattr(signal, name))
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == code, (out + err).decode()
    assert b"Traceback" not in err
    _assert_interrupted(report, name, code)
    assert list((tmp_path / "tmp").iterdir()) == []


def test_sigterm_stops_the_supplier_process_group_and_cleans_the_bus(tmp_path):
    url = _broker("nats")
    prefix = f"emh-t{uuid.uuid4().hex[:10]}."
    report, pids = tmp_path / "run.json", tmp_path / "pids"
    proc = _start(
        ["--bus", url, "--channel-prefix", prefix, "--supplier-cmd", SUPPLIER, "--interaction", INTERACTION,
         "--json", str(report)],
        tmp_path,
        EM_TEST_PIDS=str(pids),
    )  # fmt: skip
    try:
        for _ in range(300):
            if (pids.exists() and pids.read_text().strip()) or proc.poll() is not None:
                break
            time.sleep(0.05)
        leader, child = (int(p) for p in pids.read_text().split())
        time.sleep(1.0)
        at = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
        took = time.monotonic() - at
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 143, (out + err).decode()
    assert took < 15, f"SIGTERM to exit took {took:.1f} s"
    assert _gone(leader) and _gone(child), "the supplier's process group outlived the run"
    _assert_interrupted(report, "SIGTERM", 143)
    assert _left_on("nats", prefix) == []
    assert list((tmp_path / "tmp").iterdir()) == []  # the supplier's log file is gone too
