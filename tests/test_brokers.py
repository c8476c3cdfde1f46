"""`verify` on the machine's real brokers: same verdicts as in memory, suppliers in other processes,
isolation between runs, bounded failures, and a broker that disappears mid-run."""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import pkgutil
import shlex
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import providers.faulty
from tests.helpers import em

BROKERS = {
    "nats": ("nats://127.0.0.1:4222", 4222),
    "amqp": ("amqp://guest:guest@127.0.0.1:5672/", 5672),
    "redis": ("redis://127.0.0.1:6379", 6379),
}
REFERENCE = {
    "field-monitoring-service": "providers.field_monitoring:app",
    "monitoring-data-service": "providers.monitoring_data:app",
    "cemo": "consumers.cemo.publisher:app",
}
FAULTY = sorted(m.name for m in pkgutil.iter_modules(providers.faulty.__path__) if not m.name.startswith("_"))


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


def _command(provider: str, app: str, bus: str, report: Path, extra: list[str]) -> list[str]:
    return [sys.executable, "-m", "harness", "verify", "--provider", provider, "--supplier-app", app, "--bus", bus,
            *extra, "--json", str(report)]  # fmt: skip


def _verify_all(root: Path, tmp: Path, provider: str, app: str, extra: list[str], buses: dict[str, str]) -> dict:
    """Run verify on several buses at once (each run has its own channel prefix): name -> (exit, verdicts)."""
    env = dict(os.environ, PACT_DO_NOT_TRACK="true")
    procs = {}
    for name, bus in buses.items():
        report = tmp / f"{name}.json"
        procs[name] = (
            subprocess.Popen(
                _command(provider, app, bus, report, extra), cwd=root, env=env, stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
            ),
            report,
        )  # fmt: skip
    out = {}
    for name, (proc, report) in procs.items():
        text = proc.communicate(timeout=900)[0].decode("utf-8", "replace")
        assert proc.returncode in (0, 1), f"{name}: exit {proc.returncode}\n{text[-3000:]}"
        out[name] = (proc.returncode, _verdicts(report))
    return out


def _extra(app: str) -> list[str]:
    """The options a supplier is verified with on every bus.

    The reference suppliers: everything (the FMS with every fault). A faulty supplier: its CAUGHT_BY's
    options (a fault), on the pact interactions and flows of the state that exposes its bug (CAUGHT_IN);
    that it fails nothing else is shown by the full run of tests/test_verify.py, in memory. This keeps the
    parity test to a few minutes for some twenty suppliers on four buses."""
    if app == REFERENCE["field-monitoring-service"]:
        return ["--faults", "all"]
    if app in REFERENCE.values():
        return []
    from harness.catalogue.flows import load_flows
    from harness.catalogue.pacts import load_pacts

    module = importlib.import_module(app.split(":")[0])
    root = Path(__file__).resolve().parent.parent
    args = shlex.split(module.CAUGHT_BY)[1:]
    for pact in load_pacts(root / "contracts" / "pacts"):
        for it in pact.interactions:
            if pact.provider == module.PROVIDER and module.CAUGHT_IN in [s for s, _ in it.states]:
                args += ["--interaction", f"{pact.consumer} / {it.description}"]
    flows = [f.name for f in load_flows(root / "contracts" / "flows") if f.given == module.CAUGHT_IN]
    for name in flows or ["none"]:
        args += ["--flow", name]
    return args


SUPPLIERS = [(p, app) for p, app in REFERENCE.items()] + [
    (importlib.import_module(f"providers.faulty.{m}").PROVIDER, f"providers.faulty.{m}:app") for m in FAULTY
]


@pytest.mark.parametrize(("provider", "app"), SUPPLIERS, ids=[a.split(":")[0] for _, a in SUPPLIERS])
def test_same_verdicts_on_memory_and_every_real_broker(provider, app, root, tmp_path):
    """Every check of every interaction, flow and fault run gives the same verdict in memory, on NATS,
    RabbitMQ and Redis; a faulty supplier fails exactly the checks it declares (FAILS) on each."""
    extra = _extra(app)
    runs = _verify_all(root, tmp_path, provider, app, extra, {"memory": "memory"})
    code, memory = runs["memory"]
    expected_code = 0 if app in REFERENCE.values() else 1
    assert code == expected_code
    if app not in REFERENCE.values():
        module = importlib.import_module(app.split(":")[0])
        failing = {check for checks in memory.values() for check, ok in checks.items() if ok is False}
        assert failing and failing <= set(module.FAILS), failing
        if hasattr(module, "CHECK"):
            assert failing == {module.CHECK}, failing
    reachable = {kind: BROKERS[kind][0] for kind in BROKERS if _reachable(BROKERS[kind][1])}
    for kind, (real_code, real) in _verify_all(root, tmp_path, provider, app, extra, reachable).items():
        assert real_code == code, f"{kind}: exit {real_code}, memory {code}"
        assert real == memory, f"{kind} differs from memory: " + json.dumps(
            {k: (memory.get(k), real.get(k)) for k in set(memory) | set(real) if memory.get(k) != real.get(k)}
        )


def test_supplier_in_another_process(root, tmp_path):
    url = _broker("nats")
    report = tmp_path / "report.json"
    cmd = f"{sys.executable} -m providers.field_monitoring"
    result = em(
        "verify",
        "--provider",
        "field-monitoring-service",
        "--bus",
        url,
        "--supplier-cmd",
        cmd,
        "--json",
        str(report),
        cwd=root,
    )
    assert result.code == 0, result.text
    data = json.loads(report.read_text())
    assert "FastStream app starting" in data["supplierOutput"]  # the supplier's own output is in the report
    assert any(r["channel"] == "em-harness.ready" for r in data["recorded"])


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
    ],
)
def test_supplier_process_that_never_gets_ready_is_exit_2(cmd, message, root):
    url = _broker("nats")
    result = em(
        "verify",
        "--provider",
        "field-monitoring-service",
        "--bus",
        url,
        "--supplier-cmd",
        cmd,
        "--ready-timeout",
        "2",
        cwd=root,
    )
    assert result.code == 2, result.text
    assert message in result.err and "Traceback" not in result.err


@pytest.mark.parametrize(
    ("bus", "words"),
    [
        ("nats://127.0.0.1:1", "no broker answered within 2 s"),
        ("amqp://guest:guest@127.0.0.1:1/", "cannot connect"),
        ("redis://127.0.0.1:1", "cannot connect"),
        ("kafka://127.0.0.1:1", "cannot connect"),
        ("nats://127.0.0.1:port", "the port is not a number"),
        ("ftp://127.0.0.1", "unknown transport"),
        ("nats://", "no host"),
        ("memory://pigeon", "use memory"),
    ],
)
def test_bad_or_unreachable_bus_is_one_line_and_exit_2(bus, words, root):
    result = em(
        "verify",
        "--provider",
        "field-monitoring-service",
        "--bus",
        bus,
        "--supplier-app",
        "providers.field_monitoring:app",
        "--connect-timeout",
        "2",
        cwd=root,
        timeout=60,
    )
    assert result.code == 2, result.text
    assert bus in result.err and words in result.err
    assert len(result.err.strip().splitlines()) == 1, result.err


def test_supplier_cmd_needs_a_broker(root):
    result = em("verify", "--provider", "field-monitoring-service", "--supplier-cmd", "true", cwd=root)
    assert result.code == 2 and "--supplier-cmd runs the supplier in another process" in result.err


@pytest.mark.parametrize("kind", ["nats", "redis", "amqp"])
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


class _Proxy:
    """A TCP proxy in front of a broker that the test can cut, as if the broker went away."""

    def __init__(self, port: int) -> None:
        self.target = port
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.conns: list[socket.socket] = []
        self.open = True
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
            upstream = socket.create_connection(("127.0.0.1", self.target))
            self.conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(a: socket.socket, b: socket.socket) -> None:
        try:
            while data := a.recv(65536):
                b.sendall(data)
        except OSError:
            pass

    def cut(self) -> None:
        self.open = False
        with contextlib.suppress(OSError):
            self.server.shutdown(socket.SHUT_RDWR)  # wakes the accepting thread; no new connection gets through
        self.server.close()
        for c in self.conns:
            with contextlib.suppress(OSError):
                c.shutdown(socket.SHUT_RDWR)
            c.close()


@pytest.mark.parametrize("kind", ["nats", "amqp", "redis"])
def test_broker_lost_mid_run_is_an_infrastructure_error_with_the_record_kept(kind, root, tmp_path):
    url = _broker(kind)
    proxy = _Proxy(BROKERS[kind][1])
    proxied = url.replace(f":{BROKERS[kind][1]}", f":{proxy.port}")
    report = tmp_path / "report.json"
    # This faulty supplier never answers one interaction, so the run lasts past its 5 s deadline.
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "harness",
            "verify",
            "--provider",
            "field-monitoring-service",
            "--bus",
            proxied,
            "--supplier-app",
            "providers.faulty.never_sends_monitoring_ended:app",
            "--json",
            str(report),
        ],
        cwd=root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=dict(os.environ, PACT_DO_NOT_TRACK="true"),
    )
    # Cut once the harness and the supplier are both connected and the interactions are under way
    # (a slow machine may take a while to start), while one interaction still waits on its deadline.
    for _ in range(300):
        if len(proxy.conns) >= 4 or proc.poll() is not None:
            break
        time.sleep(0.1)
    time.sleep(1.5)
    proxy.cut()
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 2, (out + err).decode()
    assert b"infrastructure error" in out + err
    data = json.loads(report.read_text())
    assert data["passed"] is False and data["exitCode"] == 2 and "infrastructure error" in data["error"]
    assert any(r["direction"] == "stimulus" for r in data["recorded"])
    assert any(r["direction"] == "supplier" for r in data["recorded"])


NODE_SUPPLIER = Path(__file__).resolve().parent.parent / "providers" / "fms_node"
NODE_PART = ["case created", "a case status of approved", "rejected", "case status returned message"]


def test_node_supplier_is_verified_by_the_same_command(root, tmp_path):
    """A supplier in another language passes the part of the FMS contract it implements, over NATS: its
    interactions, its flows and every delivery fault of them, on the virtual clock."""
    import shutil

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
        "verify",
        "--provider",
        "monitoring-data-service",
        "--bus",
        "container:nats",
        "--supplier-app",
        "providers.monitoring_data:app",
        cwd=root,
        timeout=600,
    )
    assert result.code == 0, result.text
    assert "PASS:" in result.out


def test_jetstream_run_has_a_stream_of_its_own_and_removes_it(root):
    import asyncio

    import nats

    url = _broker("nats") + "?jetstream=true"
    result = em(
        "verify",
        "--provider",
        "field-monitoring-service",
        "--bus",
        url,
        "--supplier-cmd",
        f"{sys.executable} -m providers.field_monitoring",
        cwd=root,
    )
    assert result.code == 0, result.text

    async def streams() -> list[str]:
        nc = await nats.connect("nats://127.0.0.1:4222")
        try:
            return [s.config.name for s in await nc.jetstream().streams_info()]
        finally:
            await nc.close()

    assert not [s for s in asyncio.run(streams()) if s.startswith("EMH_")]  # nothing replays into the next run
