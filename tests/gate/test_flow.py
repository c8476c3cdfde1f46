"""The gate end to end, as a user runs it, on SQLite and on PostgreSQL: publish, verify --publish against the
reference supplier and a faulty one on the memory bus, record-deployment, can-i-deploy yes and no, pending."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import Result, em

ROOT = Path(__file__).resolve().parents[2]
FMS = "field-monitoring-service"
FAULTY = "providers.faulty.wrong_enum_case:app"  # sends 'Curfew'/'Tamper': probation-alerts' pact fails


def verify(store: str, version: str, *extra: str, root: Path = ROOT) -> Result:
    return em(
        "verify", "--provider", FMS, "--publish", "--provider-version", version, "--store", store,
        "--root", str(root), *extra,
    )  # fmt: skip


def cid(store: str, name: str, version: str, env: str = "production", output: str = "json") -> Result:
    return em("can-i-deploy", "--pacticipant", name, "--version", version, "--to", env, "--store", store, "-o", output)


def test_the_gate_from_publish_to_can_i_deploy(store_url: str) -> None:
    published = em(
        "publish", "--consumer-version", "1.0.0", "--branch", "main", "--store", store_url, "--root", str(ROOT)
    )
    assert published.code == 0, published.text
    assert "published probation-alerts 1.0.0 -> field-monitoring-service" in published.out

    good = verify(store_url, "2.0.0")
    assert good.code == 0, good.text
    assert "gate: probation-alerts pact" in good.out and "passed" in good.out
    assert "pending" not in good.out.split("PASS:")[-1]

    bad = verify(store_url, "2.1.0", "--supplier-app", FAULTY)
    assert bad.code == 1, bad.text  # the pacts passed before (2.0.0): not pending, the failure fails the run
    assert "gate: probation-alerts pact" in bad.out and "failed" in bad.out
    assert "gate: cemo pact" in bad.out

    for name, version in (("cemo", "1.0.0"), ("probation-alerts", "1.0.0")):
        dep = em(
            "record-deployment", "--pacticipant", name, "--version", version, "--env", "production",
            "--create-env", "--store", store_url,
        )  # fmt: skip
        assert dep.code == 0, dep.text

    yes = cid(store_url, FMS, "2.0.0")
    assert yes.code == 0, yes.text
    answer = json.loads(yes.out)
    assert answer["answer"] == "yes" and answer["reasons"] == []
    assert {(r["consumer"], r["status"]) for r in answer["matrix"]} == {("cemo", "pass"), ("probation-alerts", "pass")}

    no = cid(store_url, FMS, "2.1.0")
    assert no.code == 1, no.text
    answer = json.loads(no.out)
    assert answer["answer"] == "no"
    assert {(r["consumer"], r["status"]) for r in answer["matrix"]} == {("cemo", "pass"), ("probation-alerts", "fail")}
    (reason,) = answer["reasons"]
    # in words: which counterpart, which interaction, what broke
    assert "probation-alerts 1.0.0 (deployed in production)" in reason
    assert "field-monitoring-service 2.1.0" in reason
    assert "interaction 'probation-alerts / a tamper violation' failed" in reason
    assert "/additionalInformation/category" in reason and "'Tamper'" in reason

    table = cid(store_url, FMS, "2.1.0", output="table")
    assert table.code == 1
    assert "why not" in table.out and "a tamper violation" in table.out
    assert "no: field-monitoring-service 2.1.0 cannot go to production" in table.out

    # a version nobody verified against a deployed consumer: never verified, said so
    never = em("can-i-deploy", "--pacticipant", FMS, "--version", "9.9.9", "--to", "production", "--store", store_url)
    assert never.code == 1 and "version 9.9.9 of field-monitoring-service is not known" in never.out

    # the consumer side: cemo 1.0.0 against the FMS deployed there
    dep = em(
        "record-deployment", "--pacticipant", FMS, "--version", "2.1.0", "--env", "production", "--store", store_url
    )
    assert dep.code == 0, dep.text
    consumer_side = cid(store_url, "probation-alerts", "1.0.0")
    assert consumer_side.code == 1
    assert "field-monitoring-service 2.1.0 (deployed in production)" in json.loads(consumer_side.out)["reasons"][0]
    assert cid(store_url, "cemo", "1.0.0").code == 0

    # undeploying the faulty supplier: nothing left to check probation-alerts against
    gone = em("record-undeployment", "--pacticipant", FMS, "--env", "production", "--store", store_url)
    assert gone.code == 0, gone.text
    after = cid(store_url, "probation-alerts", "1.0.0")
    assert after.code == 0, after.text
    assert "no version of field-monitoring-service is deployed in production" in json.loads(after.out)["notes"][0]

    # and once probation-alerts has left production, the faulty supplier has no failing counterpart there
    assert em("record-undeployment", "--pacticipant", "probation-alerts", "--env", "production",
              "--store", store_url).code == 0  # fmt: skip
    freed = cid(store_url, FMS, "2.1.0")
    assert freed.code == 0, freed.text
    assert [r["consumer"] for r in json.loads(freed.out)["matrix"]] == ["cemo"]


def test_pending_never_fails_the_supplier_but_blocks_the_gate(sqlite_url: str) -> None:
    """A pact the provider never passed is pending: verify --publish exits 0, can-i-deploy says no."""
    assert em("publish", "--consumer-version", "1.0.0", "--store", sqlite_url, "--root", str(ROOT)).code == 0
    # pacts only: pending is a pact's state (the flows of the catalogue bind every supplier at once)
    first = verify(sqlite_url, "0.9.0", "--supplier-app", FAULTY, "--flow", "none")
    assert first.code == 0, first.text
    assert "pending: failed" in first.out and "PASS with pending" in first.out
    assert "FAIL probation-alerts / a tamper violation" in first.out  # still reported, loudly
    for name in ("probation-alerts", "cemo"):
        em("record-deployment", "--pacticipant", name, "--version", "1.0.0", "--env", "test", "--create-env",
           "--store", sqlite_url)  # fmt: skip
    blocked = cid(sqlite_url, FMS, "0.9.0", env="test")
    assert blocked.code == 1
    (reason,) = json.loads(blocked.out)["reasons"]
    assert "verification failed (pending: this pact has never passed for the provider)" in reason
    # once a version passed the pact, it is no longer pending: the same fault now fails the build
    assert verify(sqlite_url, "1.0.0").code == 0
    again = verify(sqlite_url, "1.0.1", "--supplier-app", FAULTY)
    assert again.code == 1, again.text
    assert "pending: failed" not in again.out and "PASS with pending" not in again.out


def test_a_newly_published_pact_is_pending_for_a_supplier_that_passed_the_old_one(
    sqlite_url: str, catalogue_copy: Path
) -> None:
    assert verify(sqlite_url, "2.0.0", root=catalogue_copy).code == 0
    pact_file = catalogue_copy / "contracts" / "pacts" / "probation-alerts-field-monitoring-service.json"
    pact = json.loads(pact_file.read_text())
    tamper = next(i for i in pact["interactions"] if i["description"] == "a tamper violation")
    tamper["matchingRules"]["body"]["$.additionalInformation.category"] = {
        "combine": "AND",
        "matchers": [{"match": "regex", "regex": "^TAMPER$"}],
    }
    pact_file.write_text(json.dumps(pact, indent=2))
    assert em("publish", "--consumer-version", "1.1.0", "--consumer", "probation-alerts", "--store", sqlite_url,
              "--root", str(catalogue_copy)).code == 0  # fmt: skip
    run = verify(sqlite_url, "2.0.0", root=catalogue_copy)
    assert run.code == 0, run.text
    assert "gate: probation-alerts pact" in run.out and "pending: failed" in run.out
    assert "gate: cemo pact" in run.out
    assert em("record-deployment", "--pacticipant", "probation-alerts", "--version", "1.1.0", "--env", "production",
              "--create-env", "--store", sqlite_url).code == 0  # fmt: skip
    blocked = cid(sqlite_url, FMS, "2.0.0")
    assert blocked.code == 1
    assert "a tamper violation" in json.loads(blocked.out)["reasons"][0]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--publish"], "--publish needs --provider-version"),
        (["--provider-version", "1"], "--provider-version is for --publish"),
        (["--publish", "--provider-version", "1", "--interaction", "cemo"], "drop --interaction"),
    ],
)
def test_publish_options_are_checked_before_anything_runs(args: list[str], message: str, sqlite_url: str) -> None:
    r = em("verify", "--provider", FMS, "--store", sqlite_url, *args)
    assert r.code == 2
    assert message in r.err and "Traceback" not in r.err
