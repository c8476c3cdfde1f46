"""`em-harness gate serve` speaks the Pact Broker API: driven here by the real, official Pact CLI (the `pact`
binary of the PyPI package pact-python-cli), never by a hand-written client: `pact broker publish`,
environments, `record-deployment`, `can-i-deploy`, `describe-version`, `record-undeployment`, and
`pact verifier --broker-url` fetching pacts for verification and publishing its results."""

from __future__ import annotations

import base64
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import select

from harness.gate import evidence
from harness.gate.models import Evidence
from harness.gate.store import Store
from tests.gate.support import em

ROOT = Path(__file__).resolve().parents[2]
PACTS = ROOT / "contracts" / "pacts"
TOKEN = "test-token-7f3a"
FMS = "field-monitoring-service"


def pact_binary() -> str | None:
    here = Path(sys.executable).parent / "pact"
    return str(here) if here.exists() else shutil.which("pact")


PACT = pact_binary()
pytestmark = pytest.mark.skipif(PACT is None, reason="the official Pact CLI (pip install pact-python-cli) is absent")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def gate(store_url: str, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """A running `em-harness gate serve` on a free loopback port, over a fresh store."""
    port = free_port()
    log = (tmp_path / "serve.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "harness", "gate", "serve", "--port", str(port), "--store", store_url],
        env=dict(os.environ, EM_HARNESS_GATE_TOKEN=TOKEN, PACT_DO_NOT_TRACK="true"),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(url + "/", timeout=2) as r:
                    assert r.status == 200
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError((tmp_path / "serve.log").read_text()) from None
                time.sleep(0.2)
        yield url, store_url
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def pact(*args: str, token: bool = False) -> subprocess.CompletedProcess[str]:
    cmd = [PACT, *args]
    if token:
        cmd += ["--broker-token", TOKEN]
    env = dict(os.environ, PACT_DO_NOT_TRACK="true", NO_COLOR="1")
    env.pop("PACT_BROKER_TOKEN", None)
    return subprocess.run(cmd, capture_output=True, text=True, timeout=180, env=env)  # type: ignore[arg-type]


class MessageProvider:
    """A supplier as `pact verifier` sees one over HTTP: POST {description} answers with that message.

    It answers with the pacts' own example messages (optionally with one fault: category values in
    capitals), so what is under test is the broker conversation, not a supplier."""

    def __init__(self, consumer: str, shout: bool = False) -> None:
        doc = json.loads((PACTS / f"{consumer}-{FMS}.json").read_text())
        self.messages = {}
        for i in doc["interactions"]:
            # a synchronous message is answered with its (first) response
            part = i["response"][0] if i.get("type") == "Synchronous/Messages" else i
            self.messages[i["description"]] = (part["contents"]["content"], part.get("metadata", {}))
        self.shout = shout
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                asked = json.loads(self.rfile.read(int(self.headers.get("content-length") or 0)) or b"{}")
                body, meta = provider.messages.get(asked.get("description"), ({}, {}))
                body = json.loads(json.dumps(body))
                info = body.get("additionalInformation", {})
                if provider.shout and isinstance(info.get("category"), str):
                    info["category"] = info["category"].upper()
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Pact-Message-Metadata", base64.b64encode(json.dumps(meta).encode()).decode())
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_the_official_pact_cli_against_the_gate(gate: tuple[str, str]) -> None:
    url, store = gate
    b = ["-b", url]

    listed = pact("broker", "list-environments", *b)
    assert listed.returncode == 0, listed.stdout + listed.stderr

    refused = pact("broker", "create-environment", *b, "--name", "production", "--production")
    assert refused.returncode != 0 and "writes need Authorization: Bearer" in refused.stdout
    made = pact("broker", "create-environment", *b, "--name", "production", "--production", token=True)
    assert made.returncode == 0 and "Created production environment" in made.stdout, made.stdout + made.stderr

    published = pact(
        "broker", "publish", str(PACTS / f"probation-alerts-{FMS}.json"), str(PACTS / f"cemo-{FMS}.json"), *b,
        "--consumer-app-version", "1.0.0", "--branch", "main", token=True,
    )  # fmt: skip
    assert published.returncode == 0, published.stdout + published.stderr
    assert published.stdout.count("Pact published for") == 2

    # The same contract published by em-harness has the same content hash: verifications carry over.
    again = em("publish", "--consumer-version", "1.0.0", "--consumer", "cemo", "--store", store, "--root", str(ROOT))
    assert again.code == 0 and "content already known" in again.out, again.text

    for version, extra in (("2.0.0", []), ("2.1.0", ["--supplier-app", "providers.faulty.wrong_enum_case:app"])):
        run = em("verify", "--provider", FMS, "--publish", "--provider-version", version, "--store", store, *extra)
        assert run.code in (0, 1), run.text

    deployed = pact(
        "broker", "record-deployment", *b, "--pacticipant", "probation-alerts", "--version", "1.0.0",
        "--environment", "production", token=True,
    )  # fmt: skip
    assert deployed.returncode == 0 and "Recorded deployment of probation-alerts" in deployed.stdout, deployed.stdout

    yes = pact(
        "broker", "can-i-deploy", *b, "--pacticipant", FMS, "--version", "2.0.0", "--to-environment", "production"
    )
    assert yes.returncode == 0, yes.stdout + yes.stderr
    assert "Computer says yes" in yes.stdout and "probation-alerts" in yes.stdout

    no = pact(
        "broker", "can-i-deploy", *b, "--pacticipant", FMS, "--version", "2.1.0", "--to-environment", "production"
    )
    assert no.returncode != 0, no.stdout
    assert "Computer says no" in no.stdout
    assert "interaction 'probation-alerts / a tamper violation' failed" in no.stdout

    as_json = pact(
        "broker", "can-i-deploy", *b, "--pacticipant", FMS, "--version", "2.1.0", "--to-environment", "production",
        "--output", "json",
    )  # fmt: skip
    summary = json.loads(as_json.stdout.strip().splitlines()[0])["summary"]
    assert summary["deployable"] is False and summary["failed"] == 1

    described = pact("broker", "describe-version", *b, "--pacticipant", FMS, "--version", "2.0.0", "--output", "json")
    assert described.returncode == 0 and json.loads(described.stdout)["number"] == "2.0.0"
    where = pact("broker", "describe-version", *b, "--pacticipant", "probation-alerts", "--environment", "production")
    assert where.returncode == 0 and "1.0.0" in where.stdout and "Deployed" in where.stdout, where.stdout

    # pact verifier --broker-url: pacts for verification in, verification results out (with the token)
    good = MessageProvider("cemo")
    bad = MessageProvider("probation-alerts", shout=True)
    try:
        passed = pact(
            "verifier", "--broker-url", url, "--provider-name", FMS, "--hostname", "127.0.0.1",
            "--port", str(good.port), "--filter-consumer", "cemo", "--publish", "--provider-version", "3.0.0",
            "--provider-branch", "main", "--enable-pending", "--token", TOKEN,
        )  # fmt: skip
        assert passed.returncode == 0, passed.stdout + passed.stderr
        failed = pact(
            "verifier", "--broker-url", url, "--provider-name", FMS, "--hostname", "127.0.0.1",
            "--port", str(bad.port), "--filter-consumer", "probation-alerts", "--publish",
            "--provider-version", "3.1.0", "--token", TOKEN,
        )  # fmt: skip
        assert failed.returncode != 0, failed.stdout
    finally:
        good.close()
        bad.close()
    verdict = em("can-i-deploy", "--pacticipant", FMS, "--version", "3.1.0", "--to", "production", "-o", "json",
                 "--store", store)  # fmt: skip
    assert verdict.code == 1, verdict.text
    reason = json.loads(verdict.out)["reasons"][0]
    assert "probation-alerts 1.0.0 (deployed in production)" in reason, reason
    assert "a tamper violation" in reason, reason
    described = pact("broker", "describe-version", *b, "--pacticipant", FMS, "--version", "3.0.0", "--output", "json")
    assert json.loads(described.stdout)["branch"] == "main"

    gone = pact(
        "broker", "record-undeployment", *b, "--pacticipant", "probation-alerts", "--environment", "production",
        token=True,
    )  # fmt: skip
    assert gone.returncode == 0, gone.stdout + gone.stderr
    after = pact(
        "broker", "can-i-deploy", *b, "--pacticipant", FMS, "--version", "2.1.0", "--to-environment", "production"
    )
    assert after.returncode == 0, after.stdout

    # every write is in the evidence chain, and the chain is intact
    gate_store = Store.open(store)
    try:
        with gate_store.read() as session:
            records = session.execute(select(Evidence).order_by(Evidence.seq)).scalars().all()
            kinds = [r.kind for r in records]
            sources = [evidence.payload_of(r).get("source") for r in records]
            assert evidence.verify_chain(session).intact
    finally:
        gate_store.dispose()
    assert kinds.count("environment") == 1 and kinds.count("deployment") == 1 and kinds.count("undeployment") == 1
    assert "Pact Broker API (contracts/publish)" in sources and "pact verifier" in sources
    assert "Pact Broker API (record-deployment)" in sources and "Pact Broker API (record-undeployment)" in sources
    assert kinds.count("verification") == 4  # two by em-harness verify, two by pact verifier


def test_reads_are_loopback_only_unless_opened_and_writes_need_the_token(sqlite_url: str) -> None:
    from starlette.testclient import TestClient

    from harness.gate.web.app import create_app

    store = Store.open(sqlite_url)
    try:
        outside = TestClient(create_app(store, token=TOKEN), client=("192.0.2.7", 40000))
        assert outside.get("/environments").status_code == 403
        assert "reads are open to this machine only" in outside.get("/environments").json()["errors"][0]
        assert outside.get("/environments", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
        opened = TestClient(create_app(store, token=TOKEN, open_reads=True), client=("192.0.2.7", 40000))
        assert opened.get("/environments").status_code == 200
        assert opened.post("/environments", json={"name": "x"}).status_code == 401
        wrong = opened.post("/environments", json={"name": "x"}, headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        local = TestClient(create_app(store, token=TOKEN), client=("127.0.0.1", 40000))
        assert local.get("/environments").status_code == 200
        assert local.get("/ui").status_code == 200
        made = local.post("/environments", json={"name": "staging"}, headers={"Authorization": f"Bearer {TOKEN}"})
        assert made.status_code == 201 and made.json()["displayName"] == "Staging"
        closed = TestClient(create_app(store, token=""), client=("127.0.0.1", 40000))
        refused = closed.post("/environments", json={"name": "y"}, headers={"Authorization": "Bearer "})
        assert refused.status_code == 403 and "takes no writes" in refused.json()["errors"][0]
        page = local.get("/ui", headers={"Accept": "text/html"})
        assert "script" not in page.text.lower() and "http://" not in page.text and "https://" not in page.text
        assert page.headers["content-security-policy"].startswith("default-src 'none'")
    finally:
        store.dispose()
