"""The store: migrations on first use, durability (two publishers at once, kill -9 mid-write), one clear
line for a store that cannot be used, and no personal value kept in clear."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from sqlalchemy import func, inspect, select

from harness.gate import evidence
from harness.gate.models import CheckResultRow, Evidence, EvidenceHead, Verification, Version
from harness.gate.store import PAUSE_ENV, Store
from harness.project import find_project
from harness.schemas.registry import SchemaRegistry
from harness.verify.engine import VerifyEngine
from harness.verify.plan import make_plan
from tests.helpers import em

ROOT = Path(__file__).resolve().parents[2]
FMS = "field-monitoring-service"
TABLES = {
    "gate_pacticipants",
    "gate_versions",
    "gate_pact_contents",
    "gate_pact_publications",
    "gate_verifications",
    "gate_interaction_results",
    "gate_check_results",
    "gate_environments",
    "gate_deployments",
    "gate_evidence",
    "gate_evidence_head",
    "gate_signing_keys",
    "gate_catalogue_files",
    "gate_catalogue_sets",
    "alembic_version",
}


def _verify_cmd(store: str, version: str) -> list[str]:
    return [sys.executable, "-m", "harness", "verify", "--provider", FMS, "--publish", "--provider-version", version,
            "--store", store, "--root", str(ROOT)]  # fmt: skip


def _env(**extra: str) -> dict[str, str]:
    return dict(os.environ, PACT_DO_NOT_TRACK="true", COLUMNS="200", NO_COLOR="1", **extra)


def test_migrations_run_on_first_use_and_only_once(store_url: str) -> None:
    store = Store.open(store_url)
    try:
        names = set(inspect(store.engine).get_table_names())
        assert names >= TABLES
        with store.engine.connect() as conn:
            from alembic.runtime.migration import MigrationContext

            assert MigrationContext.configure(conn).get_current_revision() == "0001"
        with store.read() as session:
            head = session.get(EvidenceHead, 1)
            assert (head.seq, head.hash) == (0, evidence.GENESIS)
    finally:
        store.dispose()
    again = Store.open(store_url)  # a second open finds the head revision and changes nothing
    again.dispose()


def test_two_verify_publish_at_once_are_both_recorded(store_url: str) -> None:
    procs = [
        subprocess.Popen(_verify_cmd(store_url, v), env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for v in ("5.0.0", "5.0.1")
    ]
    outs = [p.communicate(timeout=300) for p in procs]
    for p, (out, err) in zip(procs, outs, strict=True):
        assert p.returncode == 0, (out + err).decode()
    store = Store.open(store_url)
    try:
        with store.read() as session:
            versions = session.execute(select(Version.number).join(Verification.provider_version)).scalars().all()
            assert sorted(set(versions)) == ["5.0.0", "5.0.1"]
            assert session.execute(select(func.count(Verification.id))).scalar_one() == 8  # 4 pacts each
            kinds = session.execute(select(Evidence.kind).order_by(Evidence.seq)).scalars().all()
            assert kinds == ["verification", "verification"]
            assert evidence.verify_chain(session).intact
    finally:
        store.dispose()


def test_kill_9_mid_publish_leaves_no_partial_record(store_url: str) -> None:
    first = em("publish", "--consumer-version", "1.0.0", "--store", store_url, "--root", str(ROOT))
    assert first.code == 0, first.text
    proc = subprocess.Popen(
        _verify_cmd(store_url, "6.6.6"),
        env=_env(**{PAUSE_ENV: "120"}),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    marker = threading.Event()

    def watch() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            if b"gate write in progress" in line:
                marker.set()
                return

    threading.Thread(target=watch, daemon=True).start()
    try:
        assert marker.wait(240), "the verify run never reached its write"
        # the write is flushed (rows sent, evidence appended) but not committed: kill it there
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
    store = Store.open(store_url)
    try:
        with store.read() as session:
            assert session.execute(select(func.count(Verification.id))).scalar_one() == 0
            assert session.execute(select(func.count(CheckResultRow.id))).scalar_one() == 0
            assert session.execute(select(Version).where(Version.number == "6.6.6")).first() is None
            assert session.get(EvidenceHead, 1).seq == 7  # the seven publish records, nothing after
            assert evidence.verify_chain(session).intact
    finally:
        store.dispose()
    # the lock died with the process: the next writer goes through
    after = em("verify", "--provider", FMS, "--publish", "--provider-version", "6.6.7", "--store", store_url)
    assert after.code == 0, after.text


def test_a_corrupt_store_is_one_line_and_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "gate.db"
    bad.write_bytes(b"this is not a database, it is a note somebody saved here\n" * 200)
    r = em("can-i-deploy", "--pacticipant", "cemo", "--version", "1", "--to", "production", "--store", str(bad))
    assert r.code == 2
    lines = r.err.strip().splitlines()
    assert len(lines) == 1, r.err
    assert str(bad) in lines[0] and "not a gate store or is damaged" in lines[0]
    assert "Traceback" not in r.text


def test_an_unreachable_store_is_one_line_and_exit_2() -> None:
    url = "postgresql://postgres@127.0.0.1:9/em_harness_nowhere"
    for args in (
        ["evidence", "verify"],
        ["verify", "--provider", FMS, "--publish", "--provider-version", "1"],
    ):
        started = time.monotonic()
        r = em(*args, "--store", url)
        assert r.code == 2, r.text
        lines = r.err.strip().splitlines()
        assert len(lines) == 1, r.err
        assert "store postgresql://postgres@127.0.0.1:9/em_harness_nowhere: cannot open" in lines[0]
        assert "is the database server running" in lines[0]
        assert time.monotonic() - started < 120


def test_a_store_url_that_is_not_a_database_url(tmp_path: Path) -> None:
    r = em("evidence", "verify", "--store", "mysql+nothing://x/y")
    assert r.code == 2 and "only SQLite and PostgreSQL are supported" in r.err


SEED = 11
_SCENARIOS: dict[int, list] = {}


def _personal_values(seed: int, registry: SchemaRegistry) -> set[str]:
    """Every personal value (by the schemas' marks, PII canaries included) the seeded run sent, as text.

    The report holds none of them in clear, so they come from the run's plan: the same seed gives the same
    stimuli (tokens and canaries are drawn before the bus is touched)."""
    engine = VerifyEngine(find_project(ROOT), FMS, seed=seed)
    scenarios = _SCENARIOS[seed] = engine._scenarios(make_plan(engine.project, FMS))
    out: set[str] = set(engine.canaries.planted) if engine.canaries else set()

    def leaves(value: object) -> list[str]:
        if isinstance(value, dict):
            return [x for v in value.values() for x in leaves(v)]
        if isinstance(value, list):
            return [x for v in value for x in leaves(v)]
        return [str(value)] if isinstance(value, str | int) and not isinstance(value, bool) else []

    for sc in scenarios:
        for stim in sc.stimuli:
            body = stim.body
            doc = registry.get(body.get("eventType"), body.get("version"))
            if doc is None:
                continue
            for ptr in registry.personal(doc, body):
                node = body
                for part in ptr.split("/")[1:]:
                    node = node[int(part)] if isinstance(node, list) else node[part]
                out.update(v for v in leaves(node) if len(v) >= 4)
    return out


def test_no_personal_value_is_kept_in_clear(sqlite_url: str, tmp_path: Path) -> None:
    """A supplier that leaks the wearer's date of birth: the run's personal values are nowhere in the store."""
    report = tmp_path / "run.json"
    r = em(
        "verify", "--provider", FMS, "--supplier-app", "providers.faulty.leaks_date_of_birth:app",
        "--publish", "--provider-version", "7.0.0", "--store", sqlite_url, "--json", str(report),
        "--seed", str(SEED),
    )  # fmt: skip
    assert r.code in (0, 1), r.text
    run = json.loads(report.read_text())
    secrets = _personal_values(SEED, SchemaRegistry(ROOT / "schemas"))
    replayed = {sc.outcome.key: sc.stimuli[0].body for sc in _SCENARIOS.get(SEED, [])}
    ran = {it["key"]: it["stimuli"][0]["body"] for it in run["interactions"] if it["stimuli"]}
    assert ran and all(  # the replay drew the run's own values (order ids are not personal: kept in clear)
        body["additionalInformation"]["order_id"] == replayed[key]["additionalInformation"]["order_id"]
        for key, body in ran.items()
        if "order_id" in body.get("additionalInformation", {})
    )
    assert len(secrets) > 10  # names, dates of birth, addresses, identifiers of the synthetic wearers
    store = Store.open(sqlite_url)
    try:
        with store.read() as session:
            kept = [r.canonical for r in session.execute(select(Evidence)).scalars()]
            kept += [c.failures for c in session.execute(select(CheckResultRow)).scalars()]
            text = "\n".join(kept)
            payload = json.loads(kept[0])["payload"]
    finally:
        store.dispose()
    found = sorted(s for s in secrets if s in text)
    assert not found, f"personal values kept in clear: {found[:5]}"
    # the evidence still holds the messages, with the personal places marked
    leak = next(i for i in payload["interactions"] if i["key"] == "cemo / a completed install visit")
    assert leak["captured"]["body"]["additionalInformation"]["date_of_birth"] == "<redacted>"
    assert leak["stimuli"] and "<redacted>" in json.dumps(leak["stimuli"])
    minimisation = next(c for c in leak["checks"] if c["check"] == "data-minimisation")
    assert minimisation["failures"][0]["actual"] == "<redacted>"
