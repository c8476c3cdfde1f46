"""Packaging: `pip install em-harness` installs the harness only; the reference and faulty suppliers, the MoJ
apps and their wire kit are loaded from the project folder. A supplier's own repository, with a `providers`
module of its own, verifies against a catalogue checkout found by --root or EM_HARNESS_ROOT."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

from tests.helpers import planned

ROOT = Path(__file__).resolve().parent.parent

# A supplier's own code, in its own repository: a Field Monitoring Service that opens a case for every order.
# Written from the wire protocol with FastStream and rfc8785 only; nothing from the catalogue checkout.
OWN_SUPPLIER = '''
"""Our own FMS (a supplier's repository): case-created for every order-submitted."""

import hashlib
import os
from datetime import UTC, datetime

import rfc8785
from faststream import FastStream
from faststream.nats import NatsBroker

LOADED_FROM = __file__
broker = NatsBroker()
prefix = os.environ.get("EM_CHANNEL_PREFIX", "")


def seal(message):
    body = {k: v for k, v in message.items() if k != "eventId"}
    return {**body, "eventId": "sha256:" + hashlib.sha256(rfc8785.dumps(body)).hexdigest()}


@broker.subscriber(prefix + "electronic-monitoring.order-submitted")
async def on_order(order: dict) -> None:
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    case_id = hashlib.md5(order["additionalInformation"]["order_id"].encode()).hexdigest()
    reply = {
        "eventType": "electronic-monitoring.case-created",
        "version": 1,
        "occurredAt": now,
        "publishedAt": now,
        "description": "Case opened",
        "source": "field-monitoring-service",
        "personReference": order["personReference"],
        "additionalInformation": {
            "orderId": order["additionalInformation"]["order_id"],
            "caseId": case_id,
            "caseState": {"name": "NEW", "number": 1},
            "createdAt": now,
        },
    }
    headers = {"eventType": reply["eventType"], "content-type": "application/json"}
    await broker.publish(seal(reply), prefix + reply["eventType"], headers=headers)


app = FastStream(broker)
'''


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    if result.returncode != 0:
        pytest.skip(f"cannot build the wheel here: {result.stderr.strip()[-300:]}")
    return next(out.glob("em_harness-*.whl"))


def test_the_package_installs_the_harness_only(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    top = {name.split("/", 1)[0] for name in names}
    assert top == {"harness", next(t for t in top if t.endswith(".dist-info"))}, sorted(top)
    assert "harness/bus/sqs.py" in names and "harness/bus/registry.py" in names
    assert not [n for n in names if n.startswith(("providers/", "consumers/", "wirekit/", "tests/"))]


def test_the_installed_harness_imports_no_reference_app(tmp_path: Path) -> None:
    """In the project's own environment `providers` and `consumers` are not importable outside the folder."""
    for module in ("providers", "consumers", "wirekit"):
        result = subprocess.run([sys.executable, "-c", f"import {module}"], cwd=tmp_path, capture_output=True)
        assert result.returncode != 0, f"{module} is installed as a top-level package"


def _supplier_repo(tmp_path: Path) -> Path:
    repo = tmp_path / "supplier-repo"
    (repo / "providers").mkdir(parents=True)
    (repo / "providers" / "__init__.py").write_text('"""The supplier\'s own package, also named providers."""\n')
    (repo / "providers" / "fms.py").write_text(textwrap.dedent(OWN_SUPPLIER))
    return repo


@pytest.mark.parametrize("how", ["--root", "EM_HARNESS_ROOT"])
def test_a_supplier_repository_verifies_against_a_catalogue_checkout(how: str, tmp_path: Path) -> None:
    repo = _supplier_repo(tmp_path)
    report = tmp_path / "run.json"
    env = {**os.environ, "PACT_DO_NOT_TRACK": "true", "NO_COLOR": "1", "COLUMNS": "200"}
    args = ["verify", "--provider", "field-monitoring-service", "--supplier-app", "providers.fms:app"]
    args += ["--interaction", "cemo / a case created for a new order", "--json", str(report)]
    if how == "--root":
        args += ["--root", str(ROOT)]
    else:
        env["EM_HARNESS_ROOT"] = str(ROOT)
    result = subprocess.run(
        [sys.executable, "-m", "harness", *args], cwd=repo, capture_output=True, text=True, env=env, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr
    data = json.loads(report.read_text())
    assert [i["key"] for i in data["interactions"]] == ["cemo / a case created for a new order"]
    assert data["passed"] is True
    # The supplier's own `providers` was imported, not the catalogue checkout's reference suppliers.
    check = "import providers.fms as m, sys; print(m.LOADED_FROM)"
    loaded = subprocess.run([sys.executable, "-c", check], cwd=repo, capture_output=True, text=True, env=env)
    assert loaded.stdout.strip() == str(repo / "providers" / "fms.py")


def test_the_readme_newcomer_command_runs_from_the_project_folder() -> None:
    """`em-harness verify --provider field-monitoring-service` in the project folder: the default app
    (pyproject's [tool.em-harness.providers]) is loaded from the folder, not from site-packages."""
    result = subprocess.run(
        [sys.executable, "-m", "harness", "verify", "--provider", "field-monitoring-service"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PACT_DO_NOT_TRACK": "true", "NO_COLOR": "1", "COLUMNS": "200"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    n = planned("field-monitoring-service")
    assert f"PASS: {n} of {n}" in result.stdout
