"""The reference apps' wire kit (wirekit/) follows the wire protocol on its own: it imports nothing from the
harness, and where the kit and the harness each implement a rule (eventIds, SNS/SQS naming and FIFO groups),
the two independent implementations agree on the catalogue's own examples."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from harness.bus import sqs as harness_sqs
from harness.catalogue.envelope import event_id as harness_event_id
from wirekit import bus as kit_bus
from wirekit import sqs as kit_sqs
from wirekit.envelope import event_id as kit_event_id

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = [
    (path.parent.name, i, example)
    for path in sorted((ROOT / "schemas").glob("*/v1.json"))
    for i, example in enumerate(json.loads(path.read_text()).get("examples", []))
    if isinstance(example, dict) and "eventId" in example
]


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("folder", ["providers", "consumers", "wirekit"])
def test_the_apps_and_their_kit_import_nothing_from_the_harness(folder: str) -> None:
    offenders = [str(p.relative_to(ROOT)) for p in (ROOT / folder).rglob("*.py") if "harness" in _imports(p)]
    assert offenders == []


def test_the_kit_and_the_harness_compute_the_same_event_ids() -> None:
    assert len(EXAMPLES) > 20
    for name, i, example in EXAMPLES:
        assert kit_event_id(example) == example["eventId"] == harness_event_id(example), f"{name} example {i}"


def test_the_kit_event_id_changes_with_the_content() -> None:
    _, _, example = EXAMPLES[0]
    assert kit_event_id({**example, "description": "changed"}) != example["eventId"]


def test_channel_names_carry_the_run_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EM_CHANNEL_PREFIX", "emh-0123456789ab.")
    assert kit_bus.channel("em-harness.ready") == "emh-0123456789ab.em-harness.ready"
    monkeypatch.setenv("EM_CHANNEL_PREFIX", "")
    assert kit_bus.channel("electronic-monitoring.case-created") == "electronic-monitoring.case-created"


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("memory", "nats"),
        ("memory://rabbit", "amqp"),
        ("nats://127.0.0.1:4222", "nats"),
        ("amqps://u:p@h:5671/", "amqp"),
        ("rediss://h:6380", "redis"),
        ("kafka://h:9092", "kafka"),
        ("sqs://127.0.0.1:5000?region=eu-west-2", "sqs"),
        ("sqss://sqs.example:443?region=eu-west-2", "sqs"),
    ],
)
def test_the_kit_builds_a_broker_of_the_right_kind(url: str, kind: str) -> None:
    assert kit_bus.kind_of(kit_bus.broker_from_url(url)) == kind


def test_sns_sqs_names_and_endpoints_agree_with_the_harness() -> None:
    for prefix in ("emh-0123456789ab.", "", "a.b.c-d_e."):
        assert kit_sqs._safe(prefix) == harness_sqs.safe(prefix)
        assert all(c.isalnum() or c in "-_" for c in harness_sqs.safe(prefix))
    for url in ("sqs://127.0.0.1:5000?region=eu-west-1", "sqss://host.example?region=eu-west-2", "sqs://aws"):
        assert kit_sqs._endpoint(url) == harness_sqs.endpoint(url)
    assert harness_sqs.endpoint("sqs://aws?region=eu-west-1") == (None, "eu-west-1")
    assert harness_sqs.endpoint("sqss://h:8443?region=eu-west-1") == ("https://h:8443", "eu-west-1")


def test_fifo_message_groups_are_per_case_then_per_order() -> None:
    import hashlib

    def sha(text: str) -> str:
        return hashlib.sha256(text.encode()).hexdigest()

    case = {"additionalInformation": {"caseId": "0f1e2d3c4b5a69788796a5b4c3d2e1f0", "order_id": "o-1"}}
    order = {"additionalInformation": {"order_id": "7d7b9a52-1c1e-4d55-9a6e-2f6f0c1b0a01"}}
    snake = {"additionalInformation": {"case_id": "c-9"}}
    assert harness_sqs.group_id(case, "x") == "case:" + sha("0f1e2d3c4b5a69788796a5b4c3d2e1f0")
    assert harness_sqs.group_id(snake, "x") == "case:" + sha("c-9")
    assert harness_sqs.group_id(order, "x") == "order:" + sha("7d7b9a52-1c1e-4d55-9a6e-2f6f0c1b0a01")
    assert harness_sqs.group_id({"provider": "p"}, "em-harness.ready") == "channel:em-harness.ready"
    assert harness_sqs.dedup_id({"eventId": "sha256:ab"}, b"{}") == "sha256:ab"
    assert harness_sqs.dedup_id({}, b"{}") == "sha256:" + sha("{}")


def test_topic_of_reads_the_catalogue_binding() -> None:
    assert harness_sqs.topic_of({"sns": {"name": "em-domain-events", "ordering": {"type": "standard"}}}) == (
        "em-domain-events",
        False,
    )
    assert harness_sqs.topic_of({"sns": {"name": "t.fifo"}}) == ("t.fifo", True)
    assert harness_sqs.topic_of({"sns": {"name": "t", "ordering": {"type": "FIFO"}}}) == ("t", True)
    assert harness_sqs.topic_of({}) == (harness_sqs.DEFAULT_TOPIC, False)
