"""Every pact the consumer tests write agrees with the catalogue.

- each interaction's example body is a valid message of its eventType (version 1), formats on, and
  carries no property its schema does not declare (so every matching rule sits on a schema path);
- each matching rule's kind fits the JSON type the example (and so the schema) has at that path;
- metadata names the channel and eventType; states and parameters come from the provider's vocabulary;
- the set of pairs covers every message type that has a consumer in contracts/asyncapi.yaml.
"""

from __future__ import annotations

import os

os.environ.setdefault("PACT_DO_NOT_TRACK", "true")

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from harness.schemas.registry import SchemaRegistry
from tests.pacts import support as s

STRING_RULES = {"regex", "datetime", "timestamp", "date", "time", "include"}


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    folder = tmp_path_factory.mktemp("bodies")
    return [json.loads(p.read_text(encoding="utf-8")) for p in s.write_all(folder)]


@pytest.fixture(scope="module")
def registry() -> SchemaRegistry:
    return SchemaRegistry(s.SCHEMAS)


def values_at(body: Any, path: str) -> list[Any]:
    """The body's values at a pact rule path like $.a.b[*].c (every item for [*])."""
    found = [body]
    for token in re.findall(r"\.([^.\[]+)|\[(\*|\d+)\]", path.removeprefix("$")):
        key, index = token
        nxt = []
        for value in found:
            if key and isinstance(value, dict) and key in value:
                nxt.append(value[key])
            elif index == "*" and isinstance(value, list):
                nxt.extend(value)
            elif index.isdigit() and isinstance(value, list) and int(index) < len(value):
                nxt.append(value[int(index)])
        found = nxt
    return found


def fits(rule: dict[str, Any], value: Any) -> bool:
    kind = rule["match"]
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind in ("number", "decimal"):
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind in STRING_RULES:
        return isinstance(value, str)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "eachKey":
        return isinstance(value, dict)
    if kind == "type":
        return not ("min" in rule or "max" in rule) or isinstance(value, list)
    return False


def parts(interaction: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(role, part) for each message of an interaction: an async message, or a sync request and its responses."""
    if interaction["type"] == "Synchronous/Messages":
        return [("request", interaction["request"]), *(("response", r) for r in interaction["response"])]
    return [("message", interaction)]


def test_pairs_and_counts(written: list[dict[str, Any]]) -> None:
    pairs = {(p["consumer"]["name"], p["provider"]["name"]) for p in written}
    assert len(pairs) >= 5 and len(pairs) == len(written)
    assert sum(len(p["interactions"]) for p in written) >= 25


def test_every_consumed_message_type_is_covered(written: list[dict[str, Any]]) -> None:
    asyncapi = yaml.safe_load((s.ROOT / "contracts" / "asyncapi.yaml").read_text(encoding="utf-8"))
    address = {key: ch["address"] for key, ch in asyncapi["channels"].items()}
    consumed = set()
    for op in asyncapi["operations"].values():
        event_type = address[op["channel"]["$ref"].split("/")[-1]]
        if op["action"] == "receive" and event_type.startswith("electronic-monitoring."):
            consumed.add((op["x-system"], event_type))
    sent_by = {
        (op["x-system"], address[op["channel"]["$ref"].split("/")[-1]])
        for op in asyncapi["operations"].values()
        if op["action"] == "send"
    }
    covered = {
        (p["consumer"]["name"], part["metadata"]["eventType"])
        for p in written
        for i in p["interactions"]
        for role, part in parts(i)
        if role != "request"
    }
    requests = {
        (p["consumer"]["name"], part["metadata"]["eventType"])
        for p in written
        for i in p["interactions"]
        for role, part in parts(i)
        if role == "request"
    }
    assert consumed - covered == set()
    assert covered - consumed == set(), "a pact for a message the consumer does not receive in asyncapi.yaml"
    assert requests <= sent_by, "a synchronous request the consumer does not send in asyncapi.yaml"


def test_bodies_are_valid_messages(written: list[dict[str, Any]], registry: SchemaRegistry) -> None:
    problems = []
    for pact in written:
        for interaction, (role, part) in ((i, rp) for i in pact["interactions"] for rp in parts(i)):
            body = part["contents"]["content"]
            where = f"{pact['consumer']['name']}-{pact['provider']['name']}: {interaction['description']} ({role})"
            doc = registry.get(body["eventType"], body["version"])
            if doc is None:
                problems.append(f"{where}: no schema for {body['eventType']} v{body['version']}")
                continue
            problems += [f"{where}: {e}" for e in registry.errors(doc, body)]
            problems += [f"{where}: {p} is not in the schema" for p in registry.undeclared(doc, body)]
    assert not problems, "\n".join(problems)


def test_rules_fit_the_example_types(written: list[dict[str, Any]]) -> None:
    problems = []
    for pact in written:
        for interaction, (_, part) in ((i, rp) for i in pact["interactions"] for rp in parts(i)):
            body = part["contents"]["content"]
            for path, group in part["matchingRules"]["body"].items():
                values = values_at(body, path)
                if not values:
                    problems.append(f"{interaction['description']}: rule on {path}, a path the example lacks")
                for rule in group["matchers"]:
                    problems += [
                        f"{interaction['description']}: {rule['match']} rule on {path} holding {v!r}"
                        for v in values
                        if not fits(rule, v)
                    ]
    assert not problems, "\n".join(problems)


def test_metadata_states_and_descriptions(written: list[dict[str, Any]]) -> None:
    for pact in written:
        provider = pact["provider"]["name"]
        descriptions = [i["description"] for i in pact["interactions"]]
        assert len(descriptions) == len(set(descriptions))
        for interaction in pact["interactions"]:
            assert interaction["type"] in ("Asynchronous/Messages", "Synchronous/Messages")
            for _, part in parts(interaction):
                event_type = part["contents"]["content"]["eventType"]
                assert part["metadata"] == {
                    "contentType": "application/json",
                    "eventType": event_type,
                    "channel": event_type,
                }
            for state in interaction.get("providerStates", []):
                assert state["name"] in s.STATES[provider]
                assert set(state.get("params", {})) <= s.STATES[provider][state["name"]]


def test_unknown_state_or_parameter_is_refused() -> None:
    base = s.all_pact_defs()[0]
    exp = base.expectations[0]
    for bad in (
        s.Expectation(exp.description, "a device has exploded", exp.body, exp.check),
        s.Expectation(exp.description, exp.state, exp.body, exp.check, {"colour": "red"}),
    ):
        with pytest.raises(ValueError, match=r"no state|takes no parameter"):
            s.build(s.PactDef(base.consumer, base.provider, base.make_service, (bad,)))


def test_duplicate_descriptions_are_refused() -> None:
    base = s.all_pact_defs()[0]
    twice = (base.expectations[0], base.expectations[0])
    with pytest.raises(ValueError, match="share a description"):
        s.build(s.PactDef(base.consumer, base.provider, base.make_service, twice))


def test_a_rule_on_a_path_the_example_lacks_is_refused() -> None:
    with pytest.raises(ValueError, match=r"additionalInformation\.nope"):
        s.body("case-created", 0, {"nope": s.TEXT})


def test_values_at_reads_rule_paths() -> None:
    body = {"a": {"b": [{"c": 1}, {"c": 2}]}}
    assert values_at(body, "$.a.b[*].c") == [1, 2]
    assert values_at(body, "$.a.b[1].c") == [2]
    assert values_at(body, "$.a.x") == []
    assert Path(s.PACTS_DIR).name == "pacts"


def test_state_vocabulary_matches_contracts_states() -> None:
    """The states the pact tests may use are defined in contracts/states, with the same parameters (the states
    files may define more: flows drive states no pact names)."""
    files = sorted((s.ROOT / "contracts" / "states").glob("*.yaml"))
    if not files:
        pytest.skip("contracts/states has no state files yet")
    defined = {}
    for path in files:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        defined[doc["provider"]] = {
            name: frozenset((spec or {}).get("params") or {}) for name, spec in doc["states"].items()
        }
    assert {p: {k: defined.get(p, {}).get(k) for k in states} for p, states in s.STATES.items()} == s.STATES
