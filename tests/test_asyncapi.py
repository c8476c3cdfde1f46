"""contracts/asyncapi.yaml and its loader: the shipped catalogue is valid AsyncAPI 3.0.0 and says who
sends and receives what; broken documents give findings at the right pointer and line."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from harness.catalogue.asyncapi import (
    asyncapi_schema,
    build_asyncapi,
    lint_asyncapi,
    load_asyncapi,
    validate_asyncapi,
)
from harness.catalogue.yamlpos import line_of, load_yaml, yaml_line_map
from harness.errors import UnusableInput

ROOT = Path(__file__).resolve().parents[1]
ASYNCAPI = ROOT / "contracts" / "asyncapi.yaml"

# The message table of the catalogue: folder -> (producer, consumers).
TABLE: dict[str, tuple[str, list[str]]] = {
    "order-submitted": ("cemo", ["field-monitoring-service"]),
    "order-varied": ("cemo", ["field-monitoring-service"]),
    "order-ended": ("cemo", ["field-monitoring-service"]),
    "case-created": ("field-monitoring-service", ["cemo", "em-datastore"]),
    "case-status-returned": ("field-monitoring-service", ["cemo", "em-datastore"]),
    "visit-completed": ("field-monitoring-service", ["cemo", "em-datastore"]),
    "equipment-installed": ("field-monitoring-service", ["cemo", "em-datastore"]),
    "equipment-removed": ("field-monitoring-service", ["cemo", "em-datastore"]),
    "device-activated": ("monitoring-data-service", ["em-compliance", "em-datastore"]),
    "device-deactivated": ("monitoring-data-service", ["em-compliance", "em-datastore"]),
    "positions-reported": ("monitoring-data-service", ["em-data-insights", "crime-matching", "em-datastore"]),
    "device-event-reported": ("monitoring-data-service", ["em-data-insights", "em-compliance", "em-datastore"]),
    "violation-raised": ("field-monitoring-service", ["em-data-insights", "probation-alerts", "em-datastore"]),
    "violation-updated": ("field-monitoring-service", ["em-data-insights", "probation-alerts", "em-datastore"]),
    "alert-raised": ("field-monitoring-service", ["probation-alerts", "em-datastore"]),
    "monitoring-ended": ("field-monitoring-service", ["cemo", "em-datastore"]),
    "supplier-file-delivered": ("monitoring-data-service", ["em-datastore"]),
}


def camel(name: str) -> str:
    head, *rest = name.split("-")
    return head + "".join(part.capitalize() for part in rest)


@pytest.fixture(scope="module")
def raw() -> dict[str, Any]:
    return yaml.safe_load(ASYNCAPI.read_text("utf-8"))


@pytest.fixture(scope="module")
def doc():
    return load_asyncapi(ASYNCAPI)


def findings_without_files(document: Any) -> list[tuple[str, str]]:
    """Findings of a mutated copy of the catalogue, independent of which schema files exist."""
    return [tuple(f) for f in validate_asyncapi(document)]


# --- the shipped document ------------------------------------------------------------------------


def test_shipped_document_has_zero_findings_with_its_schema_files(raw):
    assert validate_asyncapi(raw, base_dir=ASYNCAPI.parent) == []


SIM = ["sim-device-telemetry", "sim-field-visit", "sim-wearer-contact", "sim-file-drop", "sim-order-request"]


def test_shipped_document_loads_strictly():
    doc = load_asyncapi(ASYNCAPI, strict=True)
    # + readiness + simulation channels + the virtual clock and its acknowledgement
    assert len(doc.messages) == len(TABLE) + 1 + len(SIM) + 2


def test_the_virtual_clock_is_declared(doc):
    """Simulated time reaches a supplier on em-harness.sim-clock; it answers on em-harness.sim-clock-ack."""
    assert doc.channel_for_event_type("em-harness.sim-clock").key == "simClock"
    assert doc.producers_of("simClock") == ["em-harness"]
    assert sorted(doc.consumers_of("simClock")) == ["field-monitoring-service", "monitoring-data-service"]
    assert sorted(doc.producers_of("simClockAck")) == ["field-monitoring-service", "monitoring-data-service"]
    payload = doc.messages["simClock"].payload
    assert payload["required"] == ["eventType", "eventId", "now"]


def test_simulation_channels_are_the_harness_s_own(doc):
    for folder in SIM:
        message = doc.message(folder)
        assert message.harness and message.event_type == f"em-harness.{folder}"
        assert doc.producers_of(folder) == ["em-harness"]


def test_every_message_of_the_table_is_in_the_catalogue(doc):
    domain = {m.name for m in doc.messages.values() if not m.harness}
    assert domain == set(TABLE)
    for folder in TABLE:
        message = doc.messages[camel(folder)]
        assert message.name == folder
        assert message.event_type == f"electronic-monitoring.{folder}"
        assert message.payload_ref == f"../schemas/{folder}/v1.json"
        assert message.schema_path == ROOT / "schemas" / folder / "v1.json"
        assert message.content_type == "application/json"
        assert message.headers["properties"]["eventType"]["const"] == message.event_type
        channel = doc.channels[camel(folder)]
        assert channel.address == f"electronic-monitoring.{folder}"
        assert channel.message_keys == (camel(folder),)


@pytest.mark.parametrize("folder", sorted(TABLE))
def test_producer_and_consumers_match_the_table(doc, folder):
    producer, consumers = TABLE[folder]
    assert doc.producers_of(folder) == [producer]
    assert sorted(doc.consumers_of(folder)) == sorted(consumers)
    send = doc.operations[f"{camel(producer)}.send.{camel(folder)}"]
    assert (send.action, send.system, send.channel_key) == ("send", producer, camel(folder))
    for consumer in consumers:
        receive = doc.operations[f"{camel(consumer)}.receive.{camel(folder)}"]
        assert (receive.action, receive.system, receive.message_keys) == ("receive", consumer, (camel(folder),))


def test_lookups_by_key_name_and_event_type(doc):
    assert doc.producers_of("positionsReported") == ["monitoring-data-service"]
    assert doc.consumers_of("electronic-monitoring.positions-reported") == [
        "em-data-insights",
        "crime-matching",
        "em-datastore",
    ]
    assert doc.consumers_of("alert-raised") == ["probation-alerts", "em-datastore"]
    assert doc.channel_for_event_type("electronic-monitoring.case-created").key == "caseCreated"
    assert doc.channel_for_event_type("electronic-monitoring.no-such-thing") is None
    with pytest.raises(KeyError, match="no-such-message"):
        doc.producers_of("no-such-message")


def test_messages_by_system(doc):
    assert doc.messages_sent_by("cemo") == ["orderSubmitted", "orderVaried", "orderEnded"]
    assert set(doc.messages_received_by("cemo")) == {
        "caseCreated",
        "caseStatusReturned",
        "visitCompleted",
        "equipmentInstalled",
        "equipmentRemoved",
        "monitoringEnded",
    }
    assert doc.messages_received_by("crime-matching") == ["positionsReported"]
    assert doc.messages_sent_by("em-datastore") == []
    assert len(doc.messages_received_by("em-datastore")) == 14
    assert "harnessReady" not in doc.messages_sent_by("field-monitoring-service")
    assert doc.messages_sent_by("field-monitoring-service", include_harness=True)[-2:] == [
        "harnessReady",
        "simClockAck",
    ]
    assert doc.systems() == sorted(
        {
            "em-harness",
            "cemo",
            "field-monitoring-service",
            "monitoring-data-service",
            "em-datastore",
            "em-data-insights",
            "crime-matching",
            "em-compliance",
            "probation-alerts",
        }
    )


def test_order_submitted_is_answered_by_case_created(doc):
    send = doc.operations["cemo.send.orderSubmitted"]
    assert send.reply_channel_key == "caseCreated"
    assert send.reply_message_keys == ("caseCreated",)
    assert doc.replies_to("order-submitted") == ["caseCreated"]
    assert doc.replies_to("case-created") == []
    assert doc.messages["caseCreated"].correlation_location == "$message.payload#/additionalInformation/orderId"
    assert doc.messages["orderSubmitted"].correlation_location == "$message.payload#/additionalInformation/order_id"


def test_harness_ready_channel(doc):
    channel = doc.channel_for_event_type("em-harness.ready")
    assert channel is not None and channel.harness and channel.key == "harnessReady"
    message = doc.messages["harnessReady"]
    assert message.harness and message.payload_ref is None and message.schema_path is None
    assert message.payload["required"] == ["provider", "pid", "subscribed"]
    assert sorted(doc.producers_of("harnessReady")) == ["cemo", "field-monitoring-service", "monitoring-data-service"]
    assert not any(m.harness for m in doc.messages.values() if m.name in TABLE)


def test_bindings_and_servers(doc):
    amqp = doc.channels["orderSubmitted"].bindings["amqp"]
    assert amqp["exchange"]["name"] == "em.domain-events"
    assert amqp["exchange"]["type"] == "topic" and amqp["exchange"]["durable"] is True
    for channel in doc.channels.values():
        assert channel.bindings["kafka"]["topic"] == channel.address
    assert doc.operations["cemo.send.orderSubmitted"].bindings["amqp"]["cc"] == [
        "electronic-monitoring.order-submitted"
    ]
    assert doc.operations["emDatastore.receive.caseCreated"].bindings["nats"]["queue"] == "em-datastore"
    assert {key: s.protocol for key, s in doc.servers.items()} == {
        "memory": "memory",
        "amqp": "amqp",
        "nats": "nats",
        "redis": "redis",
        "kafka": "kafka",
        "sns": "sns",
    }
    # SNS/SQS: every channel on the one domain-events topic; each receiving system's queue is its system id.
    assert {c.bindings["sns"]["name"] for c in doc.channels.values()} == {"em-domain-events"}
    for op in doc.operations.values():
        if op.action == "receive":
            assert op.bindings["sqs"]["queues"] == [{"name": op.system, "fifoQueue": False}], op.key


def test_vendored_schema_is_self_contained():
    """Validation never leaves the machine: every schema $ref (not the examples' data) is local."""

    def refs(node: Any) -> list[str]:
        if isinstance(node, dict):
            found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
            return found + [r for key, value in node.items() if key != "examples" for r in refs(value)]
        if isinstance(node, list):
            return [r for item in node for r in refs(item)]
        return []

    schema = asyncapi_schema()
    every = refs(schema)
    assert len(every) > 100
    assert [ref for ref in every if not ref.startswith("#/definitions/")] == []
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema"


# --- broken documents ------------------------------------------------------------------------------


def test_unknown_message_in_a_channel_is_reported_at_its_pointer(raw):
    broken = copy.deepcopy(raw)
    broken["channels"]["caseStatusReturned"]["messages"]["x"] = {"$ref": "#/components/messages/noSuchMessage"}
    found = findings_without_files(broken)
    assert found == [("/channels/caseStatusReturned/messages/x/$ref", found[0][1])]
    assert "noSuchMessage" in found[0][1]


def test_operation_action_publish_fails_schema_validation(raw):
    broken = copy.deepcopy(raw)
    broken["operations"]["cemo.send.orderSubmitted"]["action"] = "publish"
    found = findings_without_files(broken)
    assert [p for p, _ in found] == ["/operations/cemo.send.orderSubmitted/action"]
    assert "'publish'" in found[0][1] and "'send'" in found[0][1]


@pytest.mark.parametrize(
    ("mutate", "pointer", "words"),
    [
        (
            lambda d: d["channels"]["caseCreated"]["bindings"]["amqp"]["exchange"].update(type="fan"),
            "/channels/caseCreated/bindings/amqp/exchange/type",
            "'fan'",
        ),
        (lambda d: d["channels"]["caseCreated"].update(publish={}), "/channels/caseCreated/publish", "not allowed"),
        (
            lambda d: d["operations"]["cemo.send.orderSubmitted"].pop("x-system"),
            "/operations/cemo.send.orderSubmitted",
            "x-system",
        ),
        (
            lambda d: d["operations"]["cemo.send.orderSubmitted"].update(channel={"$ref": "#/channels/nope"}),
            "/operations/cemo.send.orderSubmitted/channel/$ref",
            "unknown channel 'nope'",
        ),
        (
            lambda d: d["operations"]["cemo.send.orderSubmitted"]["messages"].__setitem__(
                0, {"$ref": "#/channels/caseCreated/messages/caseCreated"}
            ),
            "/operations/cemo.send.orderSubmitted/messages/0/$ref",
            "not a message of this operation's channel",
        ),
        (
            lambda d: d["operations"]["cemo.send.orderSubmitted"]["reply"].update(channel={"$ref": "#/channels/x"}),
            "/operations/cemo.send.orderSubmitted/reply/channel/$ref",
            "unknown channel 'x'",
        ),
        (
            lambda d: d["components"]["messages"]["caseCreated"].update(
                correlationId={"$ref": "#/components/correlationIds/missing"}
            ),
            "/components/messages/caseCreated/correlationId/$ref",
            "points at nothing",
        ),
        (
            lambda d: d["components"]["messages"]["caseCreated"]["headers"]["properties"]["eventType"].update(
                const="electronic-monitoring.case-made"
            ),
            "/components/messages/caseCreated/headers/properties/eventType/const",
            "differs from the channel address",
        ),
        (
            lambda d: d["channels"]["caseCreated"].update(address="electronic-monitoring.order-submitted"),
            "/channels/caseCreated/address",
            "also the address of channel 'orderSubmitted'",
        ),
        (
            lambda d: d["components"]["messages"]["caseCreated"].update(name="case-made"),
            "/components/messages/caseCreated/name",
            "payload schema folder 'case-created'",
        ),
        (lambda d: d.update(asyncapi="2.6.0"), "/asyncapi", "'3.0.0'"),
        (lambda d: d.pop("info"), "", "'info' is a required property"),
    ],
)
def test_broken_documents_give_findings_at_the_right_pointer(raw, mutate, pointer, words):
    broken = copy.deepcopy(raw)
    mutate(broken)
    found = findings_without_files(broken)
    assert any(p == pointer and words in message for p, message in found), found


def test_not_a_mapping_is_one_finding():
    assert validate_asyncapi(["asyncapi", "3.0.0"]) == [("", "expected a mapping at the top level, found a list")]


def test_missing_payload_files_are_findings(tmp_path):
    (tmp_path / "contracts").mkdir()
    target = tmp_path / "contracts" / "asyncapi.yaml"
    target.write_text(ASYNCAPI.read_text("utf-8"), "utf-8")
    found = validate_asyncapi(load_yaml(target), base_dir=target.parent)
    assert len(found) == len(TABLE) + len(SIM)
    assert all(f.pointer.endswith("/payload/$ref") and "no file" in f.message for f in found)
    assert load_asyncapi(target).messages["caseCreated"].schema_path == tmp_path / "schemas/case-created/v1.json"
    with pytest.raises(UnusableInput, match=r"asyncapi\.yaml:\d+: /components/messages/\w+/payload/\$ref: .*no file"):
        load_asyncapi(target, strict=True)


def test_payload_schema_event_type_must_match_the_channel(tmp_path, raw):
    (tmp_path / "contracts").mkdir()
    for folder in [*TABLE, *SIM]:
        schema_dir = tmp_path / "schemas" / folder
        schema_dir.mkdir(parents=True)
        prefix = "em-harness" if folder in SIM else "electronic-monitoring"
        event_type = "electronic-monitoring.case-made" if folder == "case-created" else f"{prefix}.{folder}"
        (schema_dir / "v1.json").write_text(json.dumps({"x-event-type": event_type}), "utf-8")
    found = validate_asyncapi(raw, base_dir=tmp_path / "contracts")
    assert [(f.pointer, "x-event-type" in f.message) for f in found] == [
        ("/components/messages/caseCreated/payload", True)
    ]


def test_lint_gives_the_line_of_the_pointer(tmp_path):
    text = ASYNCAPI.read_text("utf-8").replace(
        "      - $ref: '#/channels/orderVaried/messages/orderVaried'",
        "      - $ref: '#/channels/orderVaried/messages/orderVariedTypo'",
        1,
    )
    (tmp_path / "contracts").mkdir()
    target = tmp_path / "contracts" / "asyncapi.yaml"
    target.write_text(text, "utf-8")
    expected_line = text.splitlines().index("      - $ref: '#/channels/orderVaried/messages/orderVariedTypo'") + 1
    located = [(line, f) for line, f in lint_asyncapi(target) if "no file" not in f.message]
    assert [(line, f.pointer) for line, f in located] == [
        (expected_line, "/operations/cemo.send.orderVaried/messages/0/$ref")
    ]


# --- unusable input --------------------------------------------------------------------------------


def test_yaml_syntax_error_names_the_file_and_line(tmp_path):
    target = tmp_path / "asyncapi.yaml"
    target.write_text("asyncapi: 3.0.0\ninfo:\n  title: [unclosed\n  version: 1.0.0\nchannels: {}\n", "utf-8")
    with pytest.raises(UnusableInput) as caught:
        load_asyncapi(target)
    message = str(caught.value)
    assert message.startswith(f"{target}:4: not valid YAML")
    assert "\n" not in message


def test_missing_file_and_non_mapping_are_unusable(tmp_path):
    with pytest.raises(UnusableInput, match=r"nope\.yaml: no such file"):
        load_asyncapi(tmp_path / "nope.yaml")
    target = tmp_path / "list.yaml"
    target.write_text("- asyncapi\n- 3.0.0\n", "utf-8")
    with pytest.raises(
        UnusableInput, match=r"list\.yaml: not an AsyncAPI document \(expected a mapping, found a list\)"
    ):
        load_asyncapi(target)


def test_build_skips_what_does_not_follow_the_conventions(raw):
    broken = copy.deepcopy(raw)
    broken["operations"]["cemo.send.orderSubmitted"]["channel"] = {"$ref": "#/channels/nope"}
    del broken["operations"]["cemo.send.orderVaried"]["x-system"]
    doc = build_asyncapi(broken)
    assert "cemo.send.orderSubmitted" not in doc.operations
    assert "cemo.send.orderVaried" not in doc.operations
    assert doc.producers_of("order-submitted") == []
    assert doc.messages_sent_by("cemo") == ["orderEnded"]


# --- YAML positions --------------------------------------------------------------------------------


def test_yaml_line_map_maps_keys_items_and_escapes():
    text = "a:\n  b/c: 1\n  list:\n    - x\n    -\n      y~z: 2\nanchor: &one {k: 1}\nalias: *one\n"
    lines = yaml_line_map(text)
    assert lines[""] == 1
    assert lines["/a"] == 1
    assert lines["/a/b~1c"] == 2
    assert lines["/a/list/0"] == 4
    assert lines["/a/list/1"] == 6
    assert lines["/a/list/1/y~0z"] == 6
    assert lines["/anchor/k"] == 7
    assert lines["/alias"] == 8
    assert line_of(lines, "/a/list/1/missing/deeper") == 6
    assert line_of(lines, "/nothing") == 1
    assert yaml_line_map("") == {"": 1}


def test_yaml_line_map_survives_recursive_aliases():
    lines = yaml_line_map("loop: &a [*a, 1]\n")
    assert lines["/loop"] == 1 and lines["/loop/0"] == 1
