"""`em-harness stub`: a supplier stub built from the contract passes verify, and the MoJ's consumer apps reach
the domain state their pact tests expect when they run against it over NATS."""

from __future__ import annotations

import asyncio
import importlib
import socket
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest

from harness.catalogue.envelope import event_id
from harness.errors import HarnessError
from harness.schemas.registry import SchemaRegistry
from harness.stub.command import run_stub
from harness.stub.model import CLOCK_ACK
from harness.stub.run import BusStub, build_model
from harness.verify.flows import to_time
from tests.helpers import em
from tests.verifying import FMS, verify

ROOT = Path(__file__).resolve().parent.parent
NATS = "nats://127.0.0.1:4222"
STUB_APP = "harness.stub.apps:field_monitoring_service"


def _nats() -> str:
    try:
        with socket.create_connection(("127.0.0.1", 4222), timeout=1):
            return NATS
    except OSError:
        pytest.skip("NATS not reachable on 127.0.0.1:4222 (run scripts/services.sh)")


@pytest.fixture(autouse=True)
def _bus_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """verify sets EM_BUS_URL for the app it loads; put it back, so later tests build their apps for memory."""
    monkeypatch.setenv("EM_BUS_URL", "memory")
    monkeypatch.delenv("EM_CHANNEL_PREFIX", raising=False)


def test_the_stub_passes_verify_with_every_flow_and_fault_in_memory() -> None:
    run = verify(ROOT, FMS, STUB_APP, flows=None, faults=["duplicate", "redeliver", "reorder", "delay", "poison"])
    assert run.code == 0, run.failing()
    assert run.failing() == {}
    last = run.console.strip().splitlines()[-1]
    assert last.startswith("PASS: 28 of 28 interaction(s), 8 of 8 flow(s), 19 of 19 fault run(s) passed"), last


@pytest.mark.parametrize("bus", ["memory://rabbit", "memory://redis", "memory://kafka"])
def test_the_stub_passes_verify_on_every_memory_broker_kind(bus: str) -> None:
    run = verify(ROOT, FMS, STUB_APP, bus=bus)
    assert run.code == 0, run.failing()
    assert run.console.strip().splitlines()[-1].startswith("PASS: 28 of 28 interaction(s) passed")


def test_every_answer_is_schema_valid_correlated_and_sealed() -> None:
    """What the stub says for each state: valid against its schema, its eventId RFC 8785, the order's ids."""
    model = build_model(FMS, ROOT)
    registry = SchemaRegistry(ROOT / "schemas")
    docs = {d.event_type: d for d in registry.messages()}
    outs = model.play("equipment has been removed")
    assert [o.address.removeprefix("electronic-monitoring.") for o in outs] == [
        "case-created",
        "case-status-returned",
        "visit-completed",
        "equipment-installed",
        "case-status-returned",
        "case-status-returned",
        "equipment-removed",
        "visit-completed",
    ]  # no pact example nor flow of this state shows the monitoring-ended its description promises
    case_ids = set()
    for out in outs:
        assert registry.errors(docs[out.body["eventType"]], out.body) == [], out.address
        assert out.body["eventId"] == event_id(out.body)
        assert out.headers == {"eventType": out.body["eventType"], "content-type": "application/json"}
        case_ids.add(out.body["additionalInformation"]["caseId"])
    assert len(case_ids) == 1  # one case, announced by case-created, carried by every later message
    statuses = [o.body["additionalInformation"].get("status") for o in outs if o.address.endswith("status-returned")]
    assert statuses == ["approved", "installed", "scheduled"]


def test_a_redelivered_order_is_answered_once_and_poison_is_dropped() -> None:
    model = build_model(FMS, ROOT)
    (order,) = [o for o in _stimuli(model, "an order has been submitted")]
    first = model.receive(order.channel, order.body)
    assert [o.address for o in first] == [
        "electronic-monitoring.case-created",
        "electronic-monitoring.case-status-returned",
    ]
    assert model.receive(order.channel, order.body) == []  # the same eventId again: nothing new
    assert [len(c.pending) for c in model.contexts] == [0]  # nor is it kept as an order's next step
    assert model.receive(order.channel, "not json") == []
    assert model.receive("electronic-monitoring.case-created", first[0].body) == []  # not consumed by the FMS


def test_the_stub_follows_the_virtual_clock() -> None:
    model = build_model(FMS, ROOT)
    (ack,) = model.receive("em-harness.sim-clock", {"eventType": "em-harness.sim-clock", "now": "2026-06-20T17:00:00Z"})
    assert (ack.address, ack.body) == (
        CLOCK_ACK,
        {"eventType": CLOCK_ACK, "provider": FMS, "now": "2026-06-20T17:00:00Z"},
    )
    (order,) = _stimuli(model, "an order has been submitted")
    outs = model.receive(order.channel, order.body)
    assert {o.body["occurredAt"] for o in outs} == {"2026-06-20T17:00:00Z"}
    # The order-intake flow's rule: the case is opened when the order arrived (the order's own occurredAt).
    created = to_time(outs[0].body["additionalInformation"]["createdAt"])
    assert abs((created - to_time(order.body["occurredAt"])).total_seconds()) < 1


def _stimuli(model: Any, state: str) -> list[Any]:
    import random

    from harness.simulate.stimuli import Tokens, build_stimuli

    definition = model.states.states[state]
    return build_stimuli(definition, {}, Tokens(random.Random(7)), model.plan.examples, model.plan.channels)


def test_the_command_refuses_what_it_cannot_do_in_one_line() -> None:
    for kw, words in (
        ({"bus": "memory"}, "on the memory bus verify attaches it in-process with --supplier-app " + STUB_APP),
        ({"bus": "nats://[bold]nope"}, "nats://[bold]nope"),
        ({"bus": NATS, "once": True}, "--once needs --play STATE"),
        ({"bus": NATS, "play": "no such state"}, "--play 'no such state': no such provider state of " + FMS),
    ):
        args = {"bus": None, "channel_prefix": None, "play": None, "once": False, "root": ROOT, **kw}
        with pytest.raises(HarnessError) as caught:
            run_stub(FMS, **args)
        assert words in str(caught.value)
    result = em("stub", "--provider", "no-such-supplier", "--bus", NATS, cwd=ROOT)
    assert result.code == 2 and result.out == ""
    assert result.err.splitlines() == [
        "em-harness: error: unknown provider 'no-such-supplier'; the catalogue knows: cemo, crime-matching, "
        "em-compliance, em-data-insights, em-datastore, em-harness, field-monitoring-service, "
        "monitoring-data-service, probation-alerts"
    ]


def test_the_stub_process_passes_verify_on_nats(tmp_path: Path) -> None:
    """The stub as any supplier is attached: a process verify starts, on a real broker."""
    url = _nats()
    stub = f"{sys.executable} -m harness stub --provider {FMS}"
    result = em("verify", "--provider", FMS, "--bus", url, "--supplier-cmd", stub, cwd=ROOT, timeout=300)
    assert result.code == 0, result.text[-3000:]
    assert "PASS: 28 of 28 interaction(s), 8 of 8 flow(s) passed" in result.out


# -- the MoJ's consumer apps against the stub, over NATS ----------------------------------------------
def _one(outs: list[Any], message: str, pointer: str) -> Any:
    values = {_at(o.body, pointer) for o in outs if o.address == f"electronic-monitoring.{message}"}
    assert len(values) == 1, (message, values)
    return values.pop()


def _at(body: Any, pointer: str) -> Any:
    for part in pointer.strip("/").split("/"):
        body = body[int(part)] if isinstance(body, list) else body[part]
    return body


def _cemo(svc: Any, outs: list[Any]) -> bool:
    order = svc.orders.get(_one(outs, "case-created", "/additionalInformation/orderId"))
    if order is None:
        return False
    return {s.status for s in order.statuses} == {"approved", "installed"} and len(order.fitted_devices) == 1


def _stored(svc: Any, outs: list[Any]) -> bool:
    return sum(1 for o in outs if o.body["eventId"] in {r.event_id for r in svc.history()}) == len(outs) == 3


def _actions(svc: Any, outs: list[Any]) -> bool:
    case_id = _one(outs, "case-created", "/additionalInformation/caseId")
    return len([a for a in svc.open_actions() if a.case_id == case_id]) == 2  # the alert and the violation


def _active(svc: Any, outs: list[Any]) -> bool:
    device = _one(outs, "device-activated", "/additionalInformation/device_id")
    return [a.device_id for a in svc.active_devices()] == [device]


def _timeline(svc: Any, outs: list[Any]) -> bool:
    person = _one(outs, "positions-reported", "/additionalInformation/positions/0/person_id")
    return len(svc.timeline(person_id=person)) == 5


MDS = "monitoring-data-service"
CONSUMERS: dict[str, tuple[str, str, dict[str, Any], Any]] = {
    # app: the provider and state the stub plays (with its params), and the domain state its pact tests expect
    "cemo": (FMS, "a device has been fitted", {}, _cemo),
    "em_datastore": (FMS, "monitoring has ended", {}, _stored),
    "probation_alerts": (FMS, "a device has been tampered with", {}, _actions),
    "em_compliance": (MDS, "a device has been activated", {}, _active),
    "crime_matching": (MDS, "a device has reported positions", {"count": 5}, lambda svc, outs: len(svc) == 5),
    "em_data_insights": (MDS, "a device has reported positions", {"count": 5}, _timeline),
}


async def test_every_consumer_app_reaches_its_state_against_the_stub(monkeypatch: pytest.MonkeyPatch) -> None:
    url = _nats()
    prefix = f"stub-{uuid.uuid4().hex[:10]}."
    monkeypatch.setenv("EM_BUS_URL", url)
    monkeypatch.setenv("EM_CHANNEL_PREFIX", prefix)
    apps = {name: importlib.reload(importlib.import_module(f"consumers.{name}.app")) for name in CONSUMERS}
    stubs = {p: BusStub(build_model(p, ROOT), url, prefix) for p in (FMS, MDS)}
    started: list[Any] = []
    try:
        for module in apps.values():
            await module.app.start()
            started.append(module.app)
            await module.broker._connection.flush()  # subscribed on the server before anything is played
        for stub in stubs.values():
            await stub.start()
        played: dict[tuple[str, str], list[Any]] = {}
        for provider, state, params, _ in CONSUMERS.values():
            if (provider, state) not in played:
                played[provider, state] = await stubs[provider].play(state, params)
        reached: dict[str, bool] = {}
        for _ in range(100):
            reached = {
                name: bool(check(apps[name].service, played[provider, state]))
                for name, (provider, state, _, check) in CONSUMERS.items()
            }
            if all(reached.values()):
                break
            await asyncio.sleep(0.05)
        assert reached == dict.fromkeys(CONSUMERS, True)
        assert apps["em_datastore"].service.count() == sum(len(outs) for outs in played.values())
    finally:
        for stub in stubs.values():
            await stub.stop()
        for started_app in started:
            await started_app.stop()
        monkeypatch.delenv("EM_BUS_URL")
        monkeypatch.delenv("EM_CHANNEL_PREFIX")
        for module in apps.values():  # later tests get the apps built for the memory bus again
            importlib.reload(module)
