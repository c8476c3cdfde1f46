"""`simulate` on a real broker with the supplier as a process (--supplier-cmd), as a supplier in another
language would run: NATS, the reference FMS started by the harness, a small world. One test; skips where
NATS is not running (scripts/services.sh starts it)."""

from __future__ import annotations

import json
import socket
import sys
from pathlib import Path

import pytest

from harness.simulate.command import run_simulate


def _nats() -> str:
    try:
        with socket.create_connection(("127.0.0.1", 4222), timeout=1):
            return "nats://127.0.0.1:4222"
    except OSError:
        pytest.skip("NATS not reachable on 127.0.0.1:4222 (run scripts/services.sh)")


def test_reference_supplier_process_on_nats_meets_the_thresholds(tmp_path: Path) -> None:
    out = tmp_path / "nats.json"
    lines: list[str] = []
    code = run_simulate(
        "gps-zones",
        "field-monitoring-service",
        subjects=2,
        bus=_nats(),
        supplier_cmd=f"{sys.executable} -m providers.field_monitoring",
        json_out=out,
        echo=lines.append,
    )
    data = json.loads(out.read_text())
    assert code == 0, "\n".join(lines)
    assert data["error"] is None and data["passed"] and not data["events"]
    assert {k["kind"] for k in data["kinds"]} == {"exclusion_zone", "inclusion_zone", "tamper"}
    assert data["published"] > 500 and data["received"] > 0
