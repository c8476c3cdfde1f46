"""Every matcher and generator kind of the Pact compatibility suite, through the harness's one bridge to the
pact verifier, in the V4 and the V3 message form: each good message passes and each broken twin fails, at
the path the suite names.

The cases (tests/fixtures/pacts/foreign/compatibility-suite/cases.json) are the suite's own rule and
generator fixtures with the bodies of its scenarios. The verifier does not apply generators to the
message it compares, so a generated value never makes a broken message pass: with a matcher the actual
value must fit the matcher, without one it must equal the example; a ProviderState generator never takes
a value from the run (the state handler returns nothing).
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from harness.catalogue.pacts import load_pact
from harness.catalogue.pactverifier import Served, Verdict, verify_messages
from tests.verifying import FOREIGN

CASES = json.loads((FOREIGN / "compatibility-suite" / "cases.json").read_text())
JSON = "application/json"


def _binary(value: Any) -> bool:
    return isinstance(value, dict) and "base64" in value


def _v4_contents(example: Any) -> dict[str, Any]:
    if _binary(example):
        return {"content": example["base64"], "contentType": example["contentType"], "encoded": "base64"}
    return {"content": example, "contentType": JSON, "encoded": False}


def _interactions() -> list[dict[str, Any]]:
    """One message interaction per case: matchers, generators with a matcher, generators alone."""
    out = []
    for case in CASES["matchers"]:
        out.append(
            {
                "name": f"matcher {case['kind']}",
                "example": case["example"],
                "metadata": case.get("metadata", {}),
                "rules": case["rules"],
                "generators": None,
                "good": (case["good"], case.get("good_metadata", case.get("metadata", {}))),
                "broken": (case["broken"], case.get("broken_metadata", case.get("metadata", {}))),
                "where": case.get("path") or case["key"],
            }
        )
    for case in CASES["generators"]:
        rules = {"body": {"$.one": {"combine": "AND", "matchers": [case["matcher"]]}}}
        for with_matcher in (True, False):
            out.append(
                {
                    "name": f"generator {case['kind']}" + (" with a matcher" if with_matcher else " alone"),
                    "example": case["example"],
                    "metadata": {},
                    "rules": rules if with_matcher else None,
                    "generators": {"body": {"$.one": case["generator"]}},
                    # alone, any value but the example's fails: the generated value is not what is compared
                    "good": ((case["good"] if with_matcher else case["example"]), {}),
                    "broken": ((case["broken"] if with_matcher else case["good"]), {}),
                    "where": "$.one",
                }
            )
    return out


INTERACTIONS = _interactions()
STATE = [{"name": "a value the provider state knows", "params": {"id": "2000"}}]


def _pact(form: str) -> dict[str, Any]:
    entries = []
    for it in INTERACTIONS:
        if form == "V3" and _binary(it["example"]):
            continue  # binary contents are a V4 message's (contents.encoded)
        entry: dict[str, Any] = {"description": it["name"], "providerStates": STATE}
        if form == "V4":
            entry |= {"type": "Asynchronous/Messages", "contents": _v4_contents(it["example"])}
            entry["metadata"] = {"contentType": _v4_contents(it["example"])["contentType"], **it["metadata"]}
        else:
            entry |= {"contents": it["example"], "metaData": {"contentType": JSON, **it["metadata"]}}
        if it["rules"] is not None:
            entry["matchingRules"] = it["rules"]
        if it["generators"] is not None:
            entry["generators"] = it["generators"]
        entries.append(entry)
    doc: dict[str, Any] = {"consumer": {"name": "suite-consumer"}, "provider": {"name": "suite-provider"}}
    if form == "V4":
        doc |= {"interactions": entries, "metadata": {"pactSpecification": {"version": "4.0"}}}
    else:
        doc |= {"messages": entries, "metadata": {"pactSpecification": {"version": "3.0.0"}}}
    return doc


def _served_body(value: Any) -> Any:
    return base64.b64decode(value["base64"]) if _binary(value) else value


@pytest.fixture(scope="module")
def verdicts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Verdict]:
    """Every case's good and broken message, in both forms, judged in one verifier call."""
    folder = tmp_path_factory.mktemp("suite")
    served = []
    for form in ("V4", "V3"):
        path = folder / f"suite-consumer-suite-provider-{form}.json"
        path.write_text(json.dumps(_pact(form)))
        pact = load_pact(path)
        assert pact.problems == []
        by_name = {i.description: i for i in pact.interactions}
        for it in INTERACTIONS:
            if it["name"] not in by_name:
                continue
            interaction = by_name[it["name"]]
            for twin in ("good", "broken"):
                body, metadata = it[twin]
                meta = dict(metadata)
                if _binary(body):
                    meta["contentType"] = body["contentType"]
                ident = f"{form}|{it['name']}|{twin}"
                served.append(Served(ident, pact, interaction, interaction.parts[0], _served_body(body), meta))
    found, _ = verify_messages("suite-provider", served)
    return found


def _cases() -> list[Any]:
    """(form, case) pairs: every case in V4, every case but the binary one in V3."""
    return [
        pytest.param(form, it, id=f"{it['name']}-{form}")
        for form in ("V4", "V3")
        for it in INTERACTIONS
        if not (form == "V3" and _binary(it["example"]))
    ]


@pytest.mark.parametrize(("form", "it"), _cases())
def test_good_passes_and_broken_twin_fails(verdicts, form, it):
    good = verdicts[f"{form}|{it['name']}|good"]
    broken = verdicts[f"{form}|{it['name']}|broken"]
    assert good.judged and broken.judged
    assert good.passed, good.mismatches or good.error
    assert not broken.passed
    where = {m.get("path") or m.get("key") for m in broken.mismatches}
    assert it["where"] in where, broken.mismatches


def test_every_kind_of_the_suite_is_covered():
    kinds = {c["kind"].split(" ")[0] for c in CASES["matchers"]}
    assert kinds >= {
        "equality", "include", "type", "number", "integer", "decimal", "null", "date", "time", "timestamp",
        "boolean", "contentType", "values", "notEmpty", "semver", "eachKey", "eachValue", "arrayContains", "regex",
    }  # fmt: skip
    generators = {c["generator"]["type"] for c in CASES["generators"]}
    assert generators == {
        "RandomInt", "RandomDecimal", "RandomHexadecimal", "RandomString", "Regex", "Date", "Time", "DateTime",
        "Uuid", "RandomBoolean", "ProviderState", "MockServerURL",
    }  # fmt: skip
    uuid_formats = {c["generator"].get("format") for c in CASES["generators"] if c["generator"]["type"] == "Uuid"}
    assert uuid_formats == {None, "simple", "lower-case-hyphenated", "upper-case-hyphenated", "URN"}


def test_fixture_pact_files_are_what_the_loader_reads(tmp_path: Path):
    for form in ("V4", "V3"):
        path = tmp_path / f"p-{form}.json"
        path.write_text(json.dumps(_pact(form)))
        pact = load_pact(path)
        assert pact.form == ("V4" if form == "V4" else "V3 messages")
        eq = next(i for i in pact.interactions if i.description == "matcher equality")
        assert eq.matching_rules["$.one.a.status"].matchers[0].kind == "equality"
        v2 = next(i for i in pact.interactions if i.description == "matcher regex (V2 form)")
        assert v2.matching_rules["$.one"].matchers[0].attributes["regex"] == "\\w{3}\\d{3}"
