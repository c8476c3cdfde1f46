"""Benchmark: the gate on PostgreSQL with 100,000 verification records and 50 pacticipants.

In one process, on a PostgreSQL database of its own (created on the local server, dropped at the end):
  - seed: 50 pacticipants (20 consumers, 30 providers, each consumer with pacts to 3 providers), 1,000
    consumer versions publishing 60 pacts in 600 distinct contents, 50,000 provider versions and 100,000
    verifications (each with an interaction and two checks), two environments with a version of every
    pacticipant deployed in each;
  - can-i-deploy: the decision for random provider and consumer versions to production, in process
    (harness.gate.decide, a fresh read transaction each) and through the ASGI app (GET /matrix, as
    `pact broker can-i-deploy` asks): p50 and p95 in ms, against a baseline of one primary-key lookup in
    the same process. Target (issue 11): p95 under 100 ms;
  - publish throughput: `em-harness publish`'s write (one transaction with its evidence record) per second,
    and verify --publish's write (a verification of 4 pacts with 27 interactions and their checks).

    python bench/gate.py [--queries 300] [--publishes 200] [--pg postgresql://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

os.environ.setdefault("PACT_DO_NOT_TRACK", "true")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, insert, select, text  # noqa: E402

from harness.gate import decide, record  # noqa: E402
from harness.gate.models import (  # noqa: E402
    CheckResultRow,
    Deployment,
    Environment,
    InteractionResult,
    PactContent,
    Pacticipant,
    PactPublication,
    Verification,
    Version,
)
from harness.gate.store import Store  # noqa: E402

CONSUMERS, PROVIDERS, PER_CONSUMER = 20, 30, 3
CONSUMER_VERSIONS, CONTENTS_PER_PAIR = 50, 10
VERIFICATIONS = 100_000


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def insert_returning(session, model, rows: list[dict]) -> list[int]:
    ids: list[int] = []
    for i in range(0, len(rows), 5000):
        ids.extend(
            session.execute(insert(model).returning(model.id, sort_by_parameter_order=True), rows[i : i + 5000])
            .scalars()
            .all()
        )
    return ids


def seed(store: Store, rng: random.Random) -> dict:
    now = datetime.now(UTC)
    started = time.perf_counter()
    with store.write() as (session, _head):
        consumers = insert_returning(
            session, Pacticipant, [{"name": f"consumer-{i:02d}", "created_at": now} for i in range(CONSUMERS)]
        )
        providers = insert_returning(
            session, Pacticipant, [{"name": f"supplier-{i:02d}", "created_at": now} for i in range(PROVIDERS)]
        )
        pairs = [
            (c, providers[(ci * PER_CONSUMER + k) % PROVIDERS])
            for ci, c in enumerate(consumers)
            for k in range(PER_CONSUMER)
        ]
        content_rows = []
        for c, p in pairs:
            for n in range(CONTENTS_PER_PAIR):
                body = {"consumer": {"name": str(c)}, "provider": {"name": str(p)}, "interactions": [{"n": n}]}
                content_rows.append(
                    {"sha": f"sha256:{uuid.uuid4().hex}{uuid.uuid4().hex}", "consumer_id": c, "provider_id": p,
                     "content": json.dumps(body), "created_at": now}
                )  # fmt: skip
        content_ids = insert_returning(session, PactContent, content_rows)
        contents = {}  # (consumer, provider) -> [content ids]
        for row, cid in zip(content_rows, content_ids, strict=True):
            contents.setdefault((row["consumer_id"], row["provider_id"]), []).append(cid)
        cver_rows = [
            {"pacticipant_id": c, "number": f"1.{v}.0", "branch": "main", "created_at": now}
            for c in consumers
            for v in range(CONSUMER_VERSIONS)
        ]
        cver_ids = insert_returning(session, Version, cver_rows)
        cversions = {}
        for row, vid in zip(cver_rows, cver_ids, strict=True):
            cversions.setdefault(row["pacticipant_id"], []).append(vid)
        pubs = []
        for c, p in pairs:
            for v, vid in enumerate(cversions[c]):
                pubs.append(
                    {"consumer_version_id": vid, "provider_id": p, "pact_content_id": contents[(c, p)][v // 5],
                     "evidence_seq": 0, "created_at": now}
                )  # fmt: skip
        insert_returning(session, PactPublication, pubs)
        per_provider = VERIFICATIONS // PROVIDERS // 2  # each provider has two consumers
        pver_rows = [
            {"pacticipant_id": p, "number": f"2.{v}.0", "branch": "main", "created_at": now}
            for p in providers
            for v in range(per_provider)
        ]
        pver_ids = insert_returning(session, Version, pver_rows)
        pversions = {}
        for row, vid in zip(pver_rows, pver_ids, strict=True):
            pversions.setdefault(row["pacticipant_id"], []).append(vid)
        consumers_of = {}
        for c, p in pairs:
            consumers_of.setdefault(p, []).append(c)
        ver_rows = []
        for p in providers:
            for vid in pversions[p]:
                for c in consumers_of[p]:
                    ver_rows.append(
                        {"pact_content_id": rng.choice(contents[(c, p)]), "provider_version_id": vid,
                         "success": rng.random() < 0.9, "pending": False, "source": "bench",
                         "contract_set_hash": "sha256:bench", "executed_at": now, "evidence_seq": 0}
                    )  # fmt: skip
        while len(ver_rows) < VERIFICATIONS:
            ver_rows.append(dict(ver_rows[len(ver_rows) % 1000]))
        ver_ids = insert_returning(session, Verification, ver_rows)
        ir_rows = [
            {"verification_id": vid, "key": "consumer / an interaction", "consumer": "consumer",
             "description": "an interaction", "passed": row["success"], "pending": False}
            for vid, row in zip(ver_ids, ver_rows, strict=True)
        ]  # fmt: skip
        ir_ids = insert_returning(session, InteractionResult, ir_rows)
        check_rows = [
            {"interaction_id": iid, "check": check, "passed": ir["passed"] or check == "deadline", "skipped": None,
             "pending": None,
             "failures": "[]" if ir["passed"] or check == "deadline" else json.dumps(
                 [{"path": "/additionalInformation/status", "expected": "one of the allowed values",
                   "actual": "'Approved'", "message": "'Approved' is not one of ['approved', 'rejected']"}])}
            for iid, ir in zip(ir_ids, ir_rows, strict=True)
            for check in ("deadline", "schema")
        ]  # fmt: skip
        insert_returning(session, CheckResultRow, check_rows)
        envs = insert_returning(
            session,
            Environment,
            [{"uuid": str(uuid.uuid4()), "name": n, "display_name": n.title(), "production": n == "production",
              "created_at": now, "evidence_seq": 0} for n in ("test", "production")],
        )  # fmt: skip
        deps = []
        for env in envs:
            for c in consumers:
                deps.append({"version_id": rng.choice(cversions[c][-10:]), "environment_id": env})
            for p in providers:
                deps.append({"version_id": rng.choice(pversions[p][-50:]), "environment_id": env})
        insert_returning(
            session,
            Deployment,
            [{**d, "uuid": str(uuid.uuid4()), "deployed_at": now, "evidence_seq": 0} for d in deps],
        )
    with store.engine.connect() as conn:
        conn.execute(text("ANALYZE"))  # fresh planner statistics, as autovacuum would give a live store
    return {
        "seconds": time.perf_counter() - started,
        "pversions": pversions,
        "cversions": cversions,
        "verifications": len(ver_rows),
        "pacticipants": len(consumers) + len(providers),
    }


def bench_can_i_deploy(store: Store, data: dict, rng: random.Random, n: int) -> dict:
    names = {}
    with store.read() as session:
        for pid, number in session.execute(select(Pacticipant.id, Pacticipant.name)):
            names[pid] = number
        numbers = dict(session.execute(select(Version.id, Version.number)).all())
    asks = []
    for _ in range(n):
        if rng.random() < 0.7:
            p = rng.choice(list(data["pversions"]))
            asks.append((names[p], numbers[rng.choice(data["pversions"][p][-200:])]))
        else:
            c = rng.choice(list(data["cversions"]))
            asks.append((names[c], numbers[rng.choice(data["cversions"][c])]))
    baseline, decisions, answers = [], [], {"yes": 0, "no": 0}
    any_id = next(iter(numbers))
    for name, number in asks:
        t = time.perf_counter()
        with store.read() as session:
            session.get(Version, any_id)
        baseline.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        with store.read() as session:
            d = decide.can_i_deploy(session, name, number, "production")
        decisions.append((time.perf_counter() - t) * 1000)
        answers["yes" if d.deployable else "no"] += 1
    import warnings

    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from starlette.testclient import TestClient

    from harness.gate.web.app import create_app

    client = TestClient(create_app(store, token="bench"), client=("127.0.0.1", 50000))
    http = []
    for name, number in asks:
        t = time.perf_counter()
        r = client.get(
            "/matrix",
            params=[("q[][pacticipant]", name), ("q[][version]", number), ("latestby", "cvpv"),
                    ("environment", "production")],
        )  # fmt: skip
        http.append((time.perf_counter() - t) * 1000)
        assert r.status_code == 200, r.text
    return {"baseline": baseline, "decide": decisions, "http": http, "answers": answers}


def bench_publish(store: Store, n: int) -> dict:
    pact = json.loads((ROOT / "contracts/pacts/cemo-field-monitoring-service.json").read_text())
    started = time.perf_counter()
    for i in range(n):
        with store.write() as (session, head):
            record.publish(session, head, None, consumer="cemo", number=f"9.{i}.0", branch="main", pacts=[pact])
    publishes = n / (time.perf_counter() - started)
    from harness.catalogue.fingerprint import fingerprint
    from harness.gate.commands import load_pact_files
    from harness.project import find_project

    project = find_project(ROOT)
    fms = [p for _, p in load_pact_files(project) if p["provider"]["name"] == "field-monitoring-service"]
    interactions = [
        {"key": f"{p['consumer']['name']} / {i['description']}", "consumer": p["consumer"]["name"],
         "description": i["description"], "passed": True, "pending": False, "stimuli": [], "captured": None,
         "checks": [{"check": c, "passed": True, "skipped": None, "failures": []}
                    for c in ("deadline", "channel", "schema", "data-minimisation", "pact")]}
        for p in fms
        for i in p["interactions"]
    ]  # fmt: skip
    fp = fingerprint(project)
    m = max(20, n // 4)
    started = time.perf_counter()
    for i in range(m):
        with store.write() as (session, head):
            record.store_catalogue(session, fp, lambda rel: (ROOT / rel).read_bytes())
            record.record_verification(
                session, head, None, provider="field-monitoring-service", number=f"8.{i}.0", branch=None,
                pacts=fms, interactions=interactions, context={"contractSetHash": fp.content_hash},
            )  # fmt: skip
    verifications = m / (time.perf_counter() - started)
    return {"publishes": publishes, "verifications": verifications, "interactions": len(interactions)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--publishes", type=int, default=200)
    ap.add_argument(
        "--pg", default=os.environ.get("EM_HARNESS_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    )
    args = ap.parse_args()
    name = f"emh_gate_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(args.pg, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))  # no SQLAlchemy construct for it; the name is ours
    url = args.pg.rsplit("/", 1)[0] + "/" + name
    store = Store.open(url)
    rng = random.Random(11)
    try:
        data = seed(store, rng)
        print(
            f"seeded {data['pacticipants']} pacticipants and {data['verifications']:,} verification records "
            f"in {data['seconds']:.1f} s (PostgreSQL database {name})"
        )
        cid = bench_can_i_deploy(store, data, rng, args.queries)
        base50 = statistics.median(cid["baseline"])
        for label, values in (
            ("can-i-deploy (in process)", cid["decide"]),
            ("can-i-deploy (GET /matrix)", cid["http"]),
        ):
            p50, p95 = pct(values, 0.50), pct(values, 0.95)
            print(
                f"{label}: p50 {p50:.1f} ms, p95 {p95:.1f} ms over {len(values)} queries "
                f"({p50 / base50:.0f}x / {p95 / base50:.0f}x a primary-key lookup's p50 of {base50:.2f} ms); "
                f"target p95 < 100 ms: {'met' if p95 < 100 else 'NOT met'}"
            )
        print(f"answers: {cid['answers']['yes']} yes, {cid['answers']['no']} no")
        pub = bench_publish(store, args.publishes)
        print(
            f"publish throughput: {pub['publishes']:.0f} publications/s; verify --publish writes: "
            f"{pub['verifications']:.1f}/s (4 pacts, {pub['interactions']} interactions, 5 checks each)"
        )
    finally:
        store.dispose()
        with admin.connect() as conn:
            conn.execute(
                text(
                    "select pg_terminate_backend(pid) from pg_stat_activity "
                    "where datname = :n and pid <> pg_backend_pid()"
                ),
                {"n": name},
            )
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


if __name__ == "__main__":
    main()
