"""The JavaScript field monitoring service (providers/fms_node), judged from Python with the catalogue's own
tools: it runs as a separate Node.js process on the real NATS at 127.0.0.1:4222, exactly as
`em-harness verify --supplier-cmd` runs a supplier, and what it publishes must be schema-valid, carry no
undeclared field, correlate with the order, be sealed with the eventId the harness computes, and satisfy
the pact interactions of CEMO and the EM datastore for a new order.

Needs `node` on PATH and the package installed (`npm ci` runs once per session when node_modules is
missing); the bus tests need NATS. Each skips with the reason when what it needs is not there.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from harness.catalogue.envelope import event_id, seal
from harness.schemas.registry import SchemaRegistry

ROOT = Path(__file__).resolve().parents[2]
FMS_NODE = ROOT / "providers" / "fms_node"
NATS_HOST, NATS_PORT = "127.0.0.1", 4222
NATS_URL = f"nats://{NATS_HOST}:{NATS_PORT}"
REGISTRY = SchemaRegistry(ROOT / "schemas")
ORDER_EXAMPLE = REGISTRY.get("electronic-monitoring.order-submitted", 1).contents["examples"][0]
CASE_CREATED = "electronic-monitoring.case-created"
STATUS_RETURNED = "electronic-monitoring.case-status-returned"
WAIT = 10.0


@pytest.fixture(scope="session")
def node() -> str:
    """The node executable, with the supplier's packages installed (npm ci once when missing)."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not on PATH: install Node.js 18 or later to test providers/fms_node")
    if not (FMS_NODE / "node_modules" / "nats").is_dir():
        npm = shutil.which("npm")
        if npm is None:
            pytest.skip("providers/fms_node/node_modules is missing and npm is not on PATH to run `npm ci`")
        done = subprocess.run(
            [npm, "ci", "--prefix", str(FMS_NODE), "--no-audit", "--no-fund"],
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        if done.returncode != 0:
            last = (done.stderr.strip().splitlines() or ["no output"])[-1]
            pytest.skip(f"`npm ci --prefix providers/fms_node` failed: {last}")
    return node


@pytest.fixture(scope="session")
def nats_up() -> None:
    try:
        with socket.create_connection((NATS_HOST, NATS_PORT), timeout=1.0):
            pass
    except OSError as exc:
        pytest.skip(f"NATS is not reachable at {NATS_URL} ({exc}); start it with scripts/services.sh")


def order(order_id: str | None = None, **changes: Any) -> dict[str, Any]:
    """examples[0] of order-submitted with a fresh order_id (or the one given), sealed."""
    body = copy.deepcopy(ORDER_EXAMPLE)
    body.pop("eventId")
    body["additionalInformation"]["order_id"] = order_id or str(uuid.uuid4())
    for pointer, value in changes.items():
        *path, last = pointer.split("__")
        target = body
        for key in path:
            target = target[key]
        if value is None:
            target.pop(last, None)
        else:
            target[last] = value
    return seal(body)


@dataclass
class Received:
    subject: str
    headers: dict[str, str]
    body: dict[str, Any]


@dataclass
class Supplier:
    """The Node supplier under test, and a NATS client listening on its prefix."""

    prefix: str
    proc: subprocess.Popen[bytes]
    log: Path
    nc: Any
    ready: Received
    inbox: asyncio.Queue[Received] = field(default_factory=asyncio.Queue)

    async def send(self, body: dict[str, Any]) -> None:
        await self.nc.publish(
            self.prefix + body["eventType"],
            json.dumps(body).encode("utf-8"),
            headers={"eventType": body["eventType"], "content-type": "application/json"},
        )
        await self.nc.flush()

    async def next(self, timeout: float = WAIT) -> Received:
        return await asyncio.wait_for(self.inbox.get(), timeout)

    async def quiet(self, seconds: float = 0.5) -> list[Received]:
        """Whatever else arrives within `seconds` (expected: nothing)."""
        await asyncio.sleep(seconds)
        out = []
        while not self.inbox.empty():
            out.append(self.inbox.get_nowait())
        return out

    def output(self) -> str:
        return self.log.read_text("utf-8", errors="replace")


def _received(msg: Any) -> Received:
    return Received(msg.subject, dict(msg.headers or {}), json.loads(msg.data))


@contextlib.asynccontextmanager
async def supplier(node: str, tmp_path: Path) -> AsyncIterator[Supplier]:
    """Start `node index.js` with EM_BUS_URL and a unique EM_CHANNEL_PREFIX; stop it with SIGTERM."""
    import nats

    prefix = f"t{uuid.uuid4().hex[:12]}."
    nc = await nats.connect(NATS_URL, connect_timeout=2, max_reconnect_attempts=0)
    ready_sub = await nc.subscribe(prefix + "em-harness.ready")
    queue: asyncio.Queue[Received] = asyncio.Queue()

    async def collect(msg: Any) -> None:
        await queue.put(_received(msg))

    for event_type in (CASE_CREATED, STATUS_RETURNED):
        await nc.subscribe(prefix + event_type, cb=collect)
    await nc.flush()
    log = tmp_path / f"{prefix}log"
    env = {**os.environ, "EM_BUS_URL": NATS_URL, "EM_CHANNEL_PREFIX": prefix}
    with log.open("wb") as out:
        proc = subprocess.Popen([node, "index.js"], cwd=FMS_NODE, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        try:
            ready = _received(await ready_sub.next_msg(timeout=15))
        except Exception:
            pytest.fail(f"the Node supplier sent no readiness message within 15 s:\n{log.read_text('utf-8')}")
        yield Supplier(prefix, proc, log, nc, ready, queue)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        await nc.drain()


def assert_valid(body: dict[str, Any]) -> None:
    doc = REGISTRY.get(body["eventType"], body["version"])
    assert doc is not None, body["eventType"]
    assert REGISTRY.fast(doc).is_valid(body), [str(e) for e in REGISTRY.errors(doc, body)]
    assert REGISTRY.undeclared(doc, body) == []
    assert body["eventId"] == event_id(body)


def assert_envelope(got: Received, prefix: str, event_type: str) -> None:
    assert got.subject == prefix + event_type
    assert got.headers.get("eventType") == event_type
    assert got.headers.get("content-type") == "application/json"
    assert got.body["eventType"] == event_type
    assert got.body["source"] == "field-monitoring-service"
    assert got.body["version"] == 1
    assert got.body["occurredAt"].endswith("Z")
    assert_valid(got.body)


# -- without a broker ------------------------------------------------------------------------------------
def test_node_unit_tests_pass(node: str) -> None:
    done = subprocess.run(
        [node, "--test", "test/"], cwd=FMS_NODE, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "# fail 0" in done.stdout


def _node_event_ids(node: str, docs: list[Any]) -> list[str]:
    script = (
        "const {eventId} = require('./lib/canonical');"
        "let s='';process.stdin.on('data',d=>s+=d).on('end',()=>"
        "process.stdout.write(JSON.stringify(JSON.parse(s).map(eventId))));"
    )
    done = subprocess.run(
        [node, "-e", script],
        cwd=FMS_NODE,
        input=json.dumps(docs, ensure_ascii=False),
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
        check=True,
    )
    return json.loads(done.stdout)


def test_event_ids_agree_with_the_harness_on_every_catalogue_example(node: str) -> None:
    examples = [ex for doc in REGISTRY.messages() for ex in doc.contents.get("examples", [])]
    assert len(examples) > 20
    assert _node_event_ids(node, examples) == [ex["eventId"] for ex in examples]


def test_event_ids_agree_with_the_harness_on_awkward_documents(node: str) -> None:
    docs: list[Any] = [
        {"b": 1, "a": {"d": [3, {"z": None, "y": True}], "c": "x"}},
        {"\U0001f600": 1, "\uff5a": 2, "é": 3, "E": 4, "": 5},  # RFC 8785: UTF-16 code unit order
        {"text": 'Zoë "quoted" \\ back\nnew\ttab\u0001\u001f\u007f\u2028\u2029 Ω 漢字 \U0001f600'},
        {"n": [0, -1, 7, 2**53 - 1, -(2**53) + 1, 0.1, 51.5074, -0.1278, 1e-05, 0.0001, 1.5e16, 1e21, 5e-324]},
        {"floats that look like integers": [5.0, -0.0, 100.0, 1e16, 1e15, 0.0]},
        {"nested": {"empty_list": [], "empty_object": {}, "false": False}},
        [],
    ]
    assert _node_event_ids(node, docs) == [event_id(d) if isinstance(d, dict) else event_id({}) for d in docs]
    # the check can fail: a different document gives a different id
    assert _node_event_ids(node, [{"a": 1}]) != [event_id({"a": 2})]


def test_unusable_bus_url_is_one_line_and_exit_2(node: str) -> None:
    env = {**os.environ, "EM_BUS_URL": "amqp://guest:secret@127.0.0.1:5672/"}
    done = subprocess.run([node, "index.js"], cwd=FMS_NODE, env=env, capture_output=True, text=True, timeout=30)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "not a nats://host:port URL" in lines[0]
    assert "secret" not in lines[0]


def test_unreachable_broker_is_one_line_and_exit_2(node: str) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "EM_BUS_URL": f"nats://127.0.0.1:{port}"}
    done = subprocess.run([node, "index.js"], cwd=FMS_NODE, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1
    assert f"cannot connect to nats://127.0.0.1:{port}" in lines[0]


# -- on NATS --------------------------------------------------------------------------------------------
@pytest.mark.usefixtures("nats_up")
async def test_ready_then_case_created_and_approved(node: str, tmp_path: Path) -> None:
    async with supplier(node, tmp_path) as fms:
        assert fms.ready.subject == fms.prefix + "em-harness.ready"
        assert fms.ready.headers.get("eventType") == "em-harness.ready"
        assert fms.ready.body == {
            "provider": "field-monitoring-service",
            "pid": fms.proc.pid,
            "subscribed": [fms.prefix + "electronic-monitoring.order-submitted", fms.prefix + "em-harness.sim-clock"],
        }
        sent = order()
        await fms.send(sent)
        created, status = await fms.next(), await fms.next()
        assert_envelope(created, fms.prefix, CASE_CREATED)
        assert_envelope(status, fms.prefix, STATUS_RETURNED)
        order_id = sent["additionalInformation"]["order_id"]
        info, reply = created.body["additionalInformation"], status.body["additionalInformation"]
        assert info["orderId"] == order_id
        assert info["caseState"] == {"name": "NEW", "number": 1}
        assert reply["orderId"] == order_id
        assert reply["caseId"] == info["caseId"]
        assert reply["status"] == "approved"
        assert reply["reasons"] == []
        for got in (created, status):
            assert got.body["personReference"] == sent["personReference"]
        assert await fms.quiet() == []
        assert f"orderId={order_id}" in fms.output()


@pytest.mark.usefixtures("nats_up")
async def test_duplicate_is_rejected_and_redelivery_ignored(node: str, tmp_path: Path) -> None:
    async with supplier(node, tmp_path) as fms:
        first = order()
        order_id = first["additionalInformation"]["order_id"]
        await fms.send(first)
        case_id = (await fms.next()).body["additionalInformation"]["caseId"]
        await fms.next()
        await fms.send(first)  # the same message again: at-least-once delivery
        assert await fms.quiet() == []
        await fms.send(order(order_id, description="Order resubmitted"))
        rejected = await fms.next()
        assert_envelope(rejected, fms.prefix, STATUS_RETURNED)
        reply = rejected.body["additionalInformation"]
        assert reply["status"] == "rejected"
        assert reply["caseId"] == case_id
        assert reply["orderId"] == order_id
        assert [r["section"] for r in reply["reasons"]] == ["duplicate_submission"]
        assert await fms.quiet() == []  # no second case


@pytest.mark.usefixtures("nats_up")
async def test_no_usable_address_opens_the_case_and_rejects_it(node: str, tmp_path: Path) -> None:
    async with supplier(node, tmp_path) as fms:
        homeless = order(
            additionalInformation__device_wearer__no_fixed_address="true",
            additionalInformation__device_wearer__address_1=None,
            additionalInformation__device_wearer__address_post_code=None,
        )
        await fms.send(homeless)
        created, status = await fms.next(), await fms.next()
        assert_envelope(created, fms.prefix, CASE_CREATED)
        assert_envelope(status, fms.prefix, STATUS_RETURNED)
        reply = status.body["additionalInformation"]
        assert reply["status"] == "rejected"
        assert reply["reasons"][0]["section"] == "other"
        assert reply["reasons"][0]["details"]


@pytest.mark.usefixtures("nats_up")
async def test_unreadable_orders_are_dropped_and_the_supplier_survives(node: str, tmp_path: Path) -> None:
    async with supplier(node, tmp_path) as fms:
        await fms.nc.publish(fms.prefix + "electronic-monitoring.order-submitted", b"{not json")
        await fms.send(order("not-a-uuid"))
        assert await fms.quiet() == []
        await fms.send(order())
        assert (await fms.next()).body["eventType"] == CASE_CREATED
        assert "order_id: expected a UUID" in fms.output()


@pytest.mark.usefixtures("nats_up")
async def test_sigterm_drains_and_exits_0(node: str, tmp_path: Path) -> None:
    async with supplier(node, tmp_path) as fms:
        await fms.send(order())
        await fms.next()
        fms.proc.send_signal(signal.SIGTERM)
        code = await asyncio.get_running_loop().run_in_executor(None, fms.proc.wait, 10)
        assert code == 0, fms.output()
        assert "SIGTERM: draining the connection" in fms.output()
        assert fms.output().rstrip().endswith("fms-node: stopped")


# -- the pacts -----------------------------------------------------------------------------------------
PACT_INTERACTIONS = {
    "cemo-field-monitoring-service.json": ("a case created for a new order", "a case status of approved"),
    "em-datastore-field-monitoring-service.json": (
        "a case created message, envelope only",
        "a case status returned message, envelope only",
    ),
}


def _verify_pacts(served: dict[str, dict[str, Any]]) -> list[Any]:
    """pact-python's Verifier on copies of the pacts holding only the interactions above (described by
    "<file> / <description>"), serving `served[eventType]` for each. Returns the verifier's errors."""
    from pact import Verifier

    with tempfile.TemporaryDirectory(prefix="fms-node-pacts-") as tmp:
        verifier = Verifier("field-monitoring-service").set_coloured_output(enabled=False)
        wanted: dict[str, str] = {}
        for name, descriptions in PACT_INTERACTIONS.items():
            pact = json.loads((ROOT / "contracts" / "pacts" / name).read_text("utf-8"))
            kept = []
            for interaction in pact["interactions"]:
                if interaction["description"] in descriptions:
                    key = f"{name} / {interaction['description']}"
                    wanted[key] = interaction["metadata"]["eventType"]
                    interaction["description"] = key
                    kept.append(interaction)
            assert len(kept) == len(descriptions), name
            pact["interactions"] = kept
            path = Path(tmp) / name
            path.write_text(json.dumps(pact), "utf-8")
            verifier.add_source(path)

        def handler(name: str, metadata: dict[str, Any] | None = None) -> dict[str, Any]:
            event_type = wanted[name]
            meta = {"contentType": "application/json", "channel": event_type, "eventType": event_type}
            contents = json.dumps(served[event_type]).encode("utf-8")
            return {"contents": contents, "metadata": meta, "content_type": "application/json"}

        verifier.message_handler(handler).state_handler(lambda *a, **k: None, teardown=True)
        with contextlib.suppress(RuntimeError):  # a failed verify raises; the results say why
            verifier.verify()
        return list(verifier.results.get("errors") or [])


@pytest.mark.usefixtures("nats_up")
async def test_messages_satisfy_the_cemo_and_datastore_pacts(node: str, tmp_path: Path) -> None:
    os.environ.setdefault("PACT_DO_NOT_TRACK", "true")
    async with supplier(node, tmp_path) as fms:
        await fms.send(order())
        created, status = await fms.next(), await fms.next()
    served = {CASE_CREATED: created.body, STATUS_RETURNED: status.body}
    assert _verify_pacts(served) == []
    # the same check fails for a message that breaks the pact (an upper-case caseId)
    broken = copy.deepcopy(created.body)
    broken["additionalInformation"]["caseId"] = broken["additionalInformation"]["caseId"].upper()
    errors = _verify_pacts({CASE_CREATED: seal(broken), STATUS_RETURNED: status.body})
    assert errors
    assert all("case created for a new order" in str(e.get("interaction")) for e in errors)
