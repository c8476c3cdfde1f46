"""Lint of contracts/flows and of the states files' correlation rules: each broken reference is one
finding naming the file, the place and the problem."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.helpers import em

FLOW = "contracts/flows/order-lifecycle.yaml"
FMS_STATES = "contracts/states/field-monitoring-service.yaml"


def _edit(root: Path, rel: str, change) -> None:
    path = root / rel
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def test_shipped_flows_and_rules_are_clean(root):
    result = em("lint", cwd=root)
    assert result.code == 0, result.text


@pytest.mark.parametrize(
    ("rel", "change", "words"),
    [
        (FLOW, lambda d: d["steps"][0].update(message="case-teleported"), "no message schema schemas/case-teleported/"),
        (FLOW, lambda d: d["steps"][0].update(message="order-submitted"), "does not send order-submitted"),
        (
            FLOW,
            lambda d: d["steps"][1].update(where={"$.additionalInformation.stauts": "approved"}),
            "$.additionalInformation.stauts",
        ),
        (FLOW, lambda d: d["steps"][2].update(after=["approval"]), "no step 'approval' in this flow"),
        (
            FLOW,
            lambda d: d["steps"][3]["rules"][0].update(equal=["$.additionalInformation.device_id", "vist:$.a"]),
            "no step 'vist'",
        ),
        (
            FLOW,
            lambda d: d["steps"][3]["rules"][0].update(
                equal=["$.additionalInformation.device", "stimulus.sim-field-visit:$.additionalInformation.device_id"]
            ),
            "$.additionalInformation.device",
        ),
        (
            FLOW,
            lambda d: d["steps"][3]["rules"][0].update(
                equal=["$.additionalInformation.device_id", "stimulus.sim-field-visit[3]:$.additionalInformation.x"]
            ),
            "sends 1 sim-field-visit stimulus",
        ),
        (FLOW, lambda d: d.update(given="a state nobody wrote"), "state 'a state nobody wrote' is not defined"),
        (FLOW, lambda d: d["steps"][0].update(count="twice"), "count is one of once"),
        (FLOW, lambda d: d.update(faults=["earthquake"]), "faults is a list of duplicate"),
        (FLOW, lambda d: d["correlation"][0].update({"as": "nobody"}), "no step 'nobody'"),
        (
            FMS_STATES,
            lambda d: d["correlation"]["echo"]["case-created"].update(
                {"/additionalInformation/orderId": "{token:ordr}"}
            ),
            "no state of this file makes the token 'ordr'",
        ),
        (
            FMS_STATES,
            lambda d: d["correlation"]["echo"]["visit-completed"].update(
                {"/additionalInformation/caseId": "{announced:case}"}
            ),
            "'case' is not declared under correlation/announced",
        ),
        (
            FMS_STATES,
            lambda d: d["correlation"]["echo"]["case-created"].update(
                {"/additionalInformation/ordreId": "{token:order_id}"}
            ),
            "ordreId",
        ),
        (
            FMS_STATES,
            lambda d: d["correlation"]["echo"]["case-status-returned"].pop("/additionalInformation/orderId"),
            "declares correlationId $message.payload#/additionalInformation/orderId for case-status-returned",
        ),
        (
            FMS_STATES,
            lambda d: d["correlation"]["echo"].update(
                {"device-activated": {"/additionalInformation/device_id": "{token:device_id}"}}
            ),
            "does not send device-activated",
        ),
    ],
)
def test_lint_rejects_a_broken_flow_or_correlation_rule(catalogue_copy, rel, change, words):
    _edit(catalogue_copy, rel, change)
    result = em("lint", str(catalogue_copy), cwd=catalogue_copy)
    assert result.code == 1, result.text
    lines = [line for line in result.out.splitlines() if Path(rel).name in line]
    assert any(words in line for line in lines), result.out
