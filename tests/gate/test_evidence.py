"""The evidence chain: intact, and after tampering (a changed, reordered or removed record, a re-signed forgery,
a cut-off tail, a table row that no longer matches its record); the export bundle re-checked with standard
tools exactly as its README tells an auditor."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import delete, select, update

from harness.gate.models import Deployment, Evidence, EvidenceHead, Verification
from harness.gate.store import Store
from tests.gate.support import em
from tests.helpers import Result

ROOT = Path(__file__).resolve().parents[2]
FMS = "field-monitoring-service"


@pytest.fixture(scope="module")
def signed_store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A SQLite store with signed records: 7 publications, a passing and a failing verification, deployments."""
    base = tmp_path_factory.mktemp("evidence")
    key = base / "gate-key.pem"
    subprocess.run(["openssl", "genpkey", "-algorithm", "ed25519", "-out", str(key)], check=True)
    subprocess.run(["openssl", "pkey", "-in", str(key), "-pubout", "-out", str(base / "gate-pub.pem")], check=True)
    db = base / "gate.db"
    store = f"sqlite:///{db}"
    env = {"EM_HARNESS_GATE_KEY": str(key)}
    steps = [
        ["publish", "--consumer-version", "1.0.0", "--root", str(ROOT)],
        ["verify", "--provider", FMS, "--publish", "--provider-version", "2.0.0", "--root", str(ROOT)],
        ["verify", "--provider", FMS, "--publish", "--provider-version", "2.1.0", "--root", str(ROOT),
         "--supplier-app", "providers.faulty.wrong_enum_case:app"],
        ["record-deployment", "--pacticipant", "probation-alerts", "--version", "1.0.0", "--env", "production",
         "--create-env"],
    ]  # fmt: skip
    for args in steps:
        r = em(*args, "--store", store, extra_env=env)
        assert r.code in (0, 1), r.text
    return db, base / "gate-pub.pem"


def copy_of(signed_store: tuple[Path, Path], tmp_path: Path) -> str:
    db, _ = signed_store
    target = tmp_path / "gate.db"
    shutil.copy(db, target)
    return f"sqlite:///{target}"


def tamper(url: str, change: Callable) -> None:  # type: ignore[type-arg]
    store = Store.open(url)
    try:
        with store.engine.begin() as conn:
            change(conn)
    finally:
        store.dispose()


def check(url: str, *extra: str) -> Result:
    return em("evidence", "verify", "--store", url, *extra)


def test_an_untouched_chain_is_intact_and_signed(signed_store: tuple[Path, Path], tmp_path: Path) -> None:
    url = copy_of(signed_store, tmp_path)
    r = check(url, "--public-key", str(signed_store[1]))
    assert r.code == 0, r.text
    assert re.search(r"intact: 11 record\(s\), 11 signed; head sha256:[0-9a-f]{64}", r.out), r.out


def test_a_changed_record_is_named(signed_store: tuple[Path, Path], tmp_path: Path) -> None:
    url = copy_of(signed_store, tmp_path)

    def flip(conn) -> None:
        text = conn.execute(select(Evidence.canonical).where(Evidence.seq == 9)).scalar_one()
        assert '"success":false' in text
        conn.execute(
            update(Evidence)
            .where(Evidence.seq == 9)
            .values(canonical=text.replace('"success":false', '"success":true'))
        )

    tamper(url, flip)
    r = check(url)
    assert r.code == 1
    assert "record 9 (verification): its content does not match its hash" in r.out
    assert "intact up to record 8" in r.out


def test_a_rehashed_forgery_fails_its_signature_and_the_next_link(
    signed_store: tuple[Path, Path], tmp_path: Path
) -> None:
    url = copy_of(signed_store, tmp_path)

    def forge(conn) -> None:
        import hashlib

        text = conn.execute(select(Evidence.canonical).where(Evidence.seq == 9)).scalar_one()
        forged = text.replace('"success":false', '"success":true')
        digest = "sha256:" + hashlib.sha256(forged.encode()).hexdigest()
        conn.execute(update(Evidence).where(Evidence.seq == 9).values(canonical=forged, hash=digest))

    tamper(url, forge)
    r = check(url)
    assert r.code == 1
    assert "record 9 (verification): its signature does not verify" in r.out


def test_a_removed_record_is_named(signed_store: tuple[Path, Path], tmp_path: Path) -> None:
    url = copy_of(signed_store, tmp_path)
    tamper(url, lambda conn: conn.execute(delete(Evidence).where(Evidence.seq == 4)))
    r = check(url)
    assert r.code == 1
    assert "record 5 (publish): expected record 4 here" in r.out


def test_an_unsigned_chain_rebuilt_after_a_removal_breaks_at_the_link(
    signed_store: tuple[Path, Path], tmp_path: Path
) -> None:
    """Renumbered and re-hashed records after a removed one, signatures dropped: the `prev` link still breaks."""
    import hashlib

    url = copy_of(signed_store, tmp_path)

    def rebuild(conn) -> None:
        conn.execute(delete(Evidence).where(Evidence.seq == 4))
        for seq in range(5, 12):
            text = conn.execute(select(Evidence.canonical).where(Evidence.seq == seq)).scalar_one()
            body = json.loads(text)
            body["seq"] = seq - 1
            import rfc8785

            data = rfc8785.dumps(body).decode()
            digest = "sha256:" + hashlib.sha256(data.encode()).hexdigest()
            conn.execute(
                update(Evidence)
                .where(Evidence.seq == seq)
                .values(seq=seq - 1, canonical=data, hash=digest, signature=None, key_id=None)
            )
        conn.execute(update(EvidenceHead).values(seq=10))

    tamper(url, rebuild)
    r = check(url)
    assert r.code == 1
    assert "record 4 (publish): its link to the record before does not match" in r.out


def test_reordered_records_are_named(signed_store: tuple[Path, Path], tmp_path: Path) -> None:
    url = copy_of(signed_store, tmp_path)

    def swap(conn) -> None:
        conn.execute(update(Evidence).where(Evidence.seq == 2).values(seq=-2))
        conn.execute(update(Evidence).where(Evidence.seq == 3).values(seq=2))
        conn.execute(update(Evidence).where(Evidence.seq == -2).values(seq=3))

    tamper(url, swap)
    r = check(url)
    assert r.code == 1
    assert "record 2 (publish): expected record 2 here" in r.out or "record 2 (publish): its link" in r.out


def test_a_cut_off_tail_is_caught_by_the_head_or_the_remembered_head(
    signed_store: tuple[Path, Path], tmp_path: Path
) -> None:
    url = copy_of(signed_store, tmp_path)
    head = re.search(r"head (sha256:[0-9a-f]{64})", check(url).out).group(1)
    tamper(url, lambda conn: conn.execute(delete(Evidence).where(Evidence.seq == 11)))
    r = check(url)
    assert r.code == 1 and "records were removed from the end" in r.out

    def cover_up(conn) -> None:
        prev = conn.execute(select(Evidence.hash).where(Evidence.seq == 10)).scalar_one()
        conn.execute(update(EvidenceHead).values(seq=10, hash=prev))

    tamper(url, cover_up)
    r = check(url)
    assert r.code == 1 and "deployment" in r.out and "does not match evidence record 11" in r.out  # its row remains
    tamper(url, lambda conn: conn.execute(delete(Deployment).where(Deployment.evidence_seq == 11)))
    assert check(url).code == 0  # a chain cut off cleanly, rows and all, cannot show it by itself...
    r = check(url, "--head", head)
    assert r.code == 1 and f"does not contain the head {head}" in r.out  # ...the head kept from before does


def test_records_signed_by_another_key_fail_against_the_trusted_key(
    signed_store: tuple[Path, Path], tmp_path: Path
) -> None:
    url = copy_of(signed_store, tmp_path)
    other = tmp_path / "other.pem"
    subprocess.run(["openssl", "genpkey", "-algorithm", "ed25519", "-out", str(tmp_path / "k.pem")], check=True)
    subprocess.run(["openssl", "pkey", "-in", str(tmp_path / "k.pem"), "-pubout", "-out", str(other)], check=True)
    r = check(url, "--public-key", str(other))
    assert r.code == 1 and "record 1 (publish): its signature does not verify" in r.out


def test_a_table_row_that_disagrees_with_its_record_is_caught(signed_store: tuple[Path, Path], tmp_path: Path) -> None:
    url = copy_of(signed_store, tmp_path)
    tamper(url, lambda conn: conn.execute(update(Verification).values(success=True)))
    r = check(url)
    assert r.code == 1 and "does not match evidence record 9" in r.out
    decision = em("can-i-deploy", "--pacticipant", FMS, "--version", "2.1.0", "--to", "production", "--store", url)
    assert decision.code == 0  # the tables were forged into a "yes": evidence verify is what catches it


def _readme_commands(readme: str) -> str:
    block = re.search(r"```bash\n(.*?)```", readme, re.S)
    assert block, "the bundle's README shows the commands to run"
    return block.group(1)


def test_the_export_bundle_rechecks_with_standard_tools(signed_store: tuple[Path, Path], tmp_path: Path) -> None:
    url = copy_of(signed_store, tmp_path)
    out = tmp_path / "bundle"
    r = em("evidence", "export", "--out", str(out), "--store", url)
    assert r.code == 0, r.text
    assert "exported evidence record 9 (verification)" in r.out
    record = json.loads((out / "record.json").read_text())
    assert record["provider"] == FMS and record["version"] == "2.1.0"
    assert {p["consumer"]: p["success"] for p in record["pacts"]}["probation-alerts"] is False
    junit = (out / "junit.xml").read_text()
    assert 'name="a tamper violation [schema]"' in junit and "<failure" in junit
    assert sorted(p.name for p in (out / "contracts" / "pacts").iterdir()) == [
        "cemo-field-monitoring-service.json",
        "em-data-insights-field-monitoring-service.json",
        "em-datastore-field-monitoring-service.json",
        "probation-alerts-field-monitoring-service.json",
    ]
    assert (out / "catalogue" / "contracts" / "asyncapi.yaml").is_file()
    commands = _readme_commands((out / "README.md").read_text())

    def audit(folder: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["bash", "-c", commands], cwd=folder, capture_output=True, text=True, timeout=120)

    ok = audit(out)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "chain: 9 record(s) intact" in ok.stdout
    assert "catalogue: contract-set hash " + record["contractSetHash"] in ok.stdout
    assert ok.stdout.strip().endswith("bundle intact")

    for name, breaks, expected in [
        ("pact", lambda d: _edit(d / "contracts/pacts/cemo-field-monitoring-service.json", "cemo", "cemx"),
         "no pact in contracts/pacts hashes to"),
        ("record", lambda d: _edit(d / "chain/000003.json", "1.0.0", "1.0.9"), "record 3: its file does not hash"),
        ("removed", lambda d: (d / "chain/000005.json").unlink(), "record 5: chain/000005.json is missing"),
        ("signature", lambda d: (d / "chain/000002.sig").write_bytes(bytes(64)), "record 2: signature does not verify"),
        ("catalogue", lambda d: _edit(d / "catalogue/contracts/asyncapi.yaml", "channels", "chanels"),
         "a catalogue file does not match"),
    ]:  # fmt: skip
        copy = tmp_path / f"bundle-{name}"
        shutil.copytree(out, copy)
        breaks(copy)
        broken = audit(copy)
        assert broken.returncode != 0, f"{name}: {broken.stdout}"
        assert expected in broken.stderr + broken.stdout, f"{name}: {broken.stderr}"


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def test_export_refuses_a_folder_in_use_and_an_unknown_record(signed_store: tuple[Path, Path], tmp_path: Path) -> None:
    url = copy_of(signed_store, tmp_path)
    used = tmp_path / "used"
    used.mkdir()
    (used / "notes.txt").write_text("keep me")
    r = em("evidence", "export", "--out", str(used), "--store", url)
    assert r.code == 2 and "not an empty folder" in r.err
    r = em("evidence", "export", "--out", str(tmp_path / "new"), "--record", "99", "--store", url)
    assert r.code == 2 and "--record 99: the evidence chain has no such record" in r.err
