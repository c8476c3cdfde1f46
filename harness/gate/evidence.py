"""The evidence chain: append-only records, each chained by hash to the one before, optionally signed.

A record is the RFC 8785 (JCS) canonical JSON, as UTF-8, of

    {"seq": N, "kind": "...", "at": "<UTC RFC 3339>", "prev": "<hash of record N-1>", "payload": {...}}

Its hash is `sha256:<hex>` of exactly those bytes, and its signature (when a key is configured) is the
Ed25519 signature of exactly those bytes. The store keeps the bytes as they were hashed, so anybody can
re-check a record with `sha256sum` and `openssl pkeyutl -verify`, and re-check the chain by comparing
each record's `prev` with the hash of the record before it (the first record's `prev` is the all-zero
hash). A changed record no longer has its hash; a removed or reordered one breaks the next record's
`prev` (and `seq`); a re-hashed forgery breaks every signature after it. Cutting records off the end is
the one change a chain cannot show by itself: keep the head hash that `evidence verify` prints (or an
exported bundle) and pass it back with `--head` to prove nothing after it was dropped.

The signing key: EM_HARNESS_GATE_KEY names a PEM file with an Ed25519 private key (make one with
`openssl genpkey -algorithm ed25519 -out gate-key.pem`). Its public key is stored with the chain; an
auditor should check against a public key held outside the store (`evidence verify --public-key F`).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from harness.errors import HarnessError
from harness.gate.models import Evidence, EvidenceHead, SigningKey

GENESIS = "sha256:" + "0" * 64
ENV_KEY = "EM_HARNESS_GATE_KEY"


def now() -> datetime:
    return datetime.now(UTC)


def stamp(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def jsonable(value: Any) -> Any:
    """A copy JCS can always write: NaN/inf and integers beyond IEEE 754 doubles become strings.

    Evidence must keep whatever a supplier sent, even a value no canonical form exists for."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return value if abs(value) <= 2**53 - 1 else str(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    return str(value)


def canonical(value: Any) -> bytes:
    return rfc8785.dumps(jsonable(value))


# -- signing --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Signer:
    key: Ed25519PrivateKey
    key_id: str
    public_pem: str

    def sign(self, data: bytes) -> str:
        return self.key.sign(data).hex()


def public_pem(key: Ed25519PublicKey) -> str:
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def key_id_of(key: Ed25519PublicKey) -> str:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return sha256(raw)


def load_signer(path: str | os.PathLike[str] | None = None) -> Signer | None:
    """The configured signing key (EM_HARNESS_GATE_KEY), or None when signing is not configured."""
    path = path or os.environ.get(ENV_KEY)
    if not path:
        return None
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise HarnessError(f"{path}: cannot read the gate's signing key ({exc.strerror}); check {ENV_KEY}") from None
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise HarnessError(f"{path}: not an unencrypted PEM private key ({exc}); check {ENV_KEY}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise HarnessError(
            f"{path}: not an Ed25519 key; make one with `openssl genpkey -algorithm ed25519 -out {path}`"
        )
    pub = key.public_key()
    return Signer(key, key_id_of(pub), public_pem(pub))


def load_public_key(path: str | os.PathLike[str]) -> Ed25519PublicKey:
    try:
        key = serialization.load_pem_public_key(Path(path).read_bytes())
    except OSError as exc:
        raise HarnessError(f"{path}: cannot read the public key ({exc.strerror})") from None
    except ValueError as exc:
        raise HarnessError(f"{path}: not a PEM public key ({exc})") from None
    if not isinstance(key, Ed25519PublicKey):
        raise HarnessError(f"{path}: not an Ed25519 public key")
    return key


# -- appending ------------------------------------------------------------------------------------
def append(session: Session, head: EvidenceHead, kind: str, payload: dict[str, Any], signer: Signer | None) -> Evidence:
    """Add one record after the head (which the caller holds locked) and move the head to it."""
    at = now()
    seq = head.seq + 1
    data = canonical({"seq": seq, "kind": kind, "at": stamp(at), "prev": head.hash, "payload": payload})
    digest = sha256(data)
    record = Evidence(
        seq=seq,
        kind=kind,
        created_at=at,
        canonical=data.decode("utf-8"),
        hash=digest,
        prev_hash=head.hash,
        signature=signer.sign(data) if signer else None,
        key_id=signer.key_id if signer else None,
    )
    if signer is not None and session.get(SigningKey, signer.key_id) is None:
        session.add(SigningKey(key_id=signer.key_id, public_pem=signer.public_pem, created_at=at))
    session.add(record)
    head.seq, head.hash = seq, digest
    return record


def payload_of(record: Evidence) -> dict[str, Any]:
    return json.loads(record.canonical)["payload"]


# -- checking -------------------------------------------------------------------------------------
@dataclass
class ChainReport:
    records: int
    head: str
    signed: int
    problem: str | None = None
    bad_seq: int | None = None

    @property
    def intact(self) -> bool:
        return self.problem is None


def check_record(
    record: Evidence, expect_seq: int, prev: str, keys: dict[str, Ed25519PublicKey], trusted: Ed25519PublicKey | None
) -> str | None:
    """Why this record breaks the chain, or None."""
    data = record.canonical.encode("utf-8")
    if sha256(data) != record.hash:
        return f"its content does not match its hash {record.hash[:23]}...: the record was changed"
    try:
        body = json.loads(data)
    except ValueError:
        return "its content is not JSON: the record was changed"
    if canonical(body) != data:
        return "its content is not in canonical form: the record was changed"
    if record.seq != expect_seq or body.get("seq") != record.seq:
        return f"expected record {expect_seq} here: a record before it was removed or the records were reordered"
    if body.get("prev") != prev or record.prev_hash != prev:
        return "its link to the record before does not match: a record was removed, reordered or changed"
    if body.get("kind") != record.kind:
        return "its kind column does not match its content"
    if trusted is not None and not record.signature:
        return "it is not signed, but a public key was given to check signatures with"
    if record.signature:
        key = trusted if trusted is not None else keys.get(record.key_id or "")
        if key is None:
            return f"it is signed by key {record.key_id}, which the store does not hold"
        try:
            key.verify(bytes.fromhex(record.signature), data)
        except (InvalidSignature, ValueError):
            return "its signature does not verify: the record was changed or signed by another key"
    return None


def verify_chain(session: Session, trusted: Ed25519PublicKey | None = None, head: str | None = None) -> ChainReport:
    """Walk the whole chain in order; name the first record that breaks it."""
    keys = {
        row.key_id: serialization.load_pem_public_key(row.public_pem.encode())
        for row in session.execute(select(SigningKey)).scalars()
    }
    prev, count, signed, seen_head = GENESIS, 0, 0, head is None
    for record in session.execute(select(Evidence).order_by(Evidence.seq).execution_options(yield_per=500)).scalars():
        count += 1
        problem = check_record(record, count, prev, keys, trusted)  # type: ignore[arg-type]
        if problem:
            return ChainReport(count - 1, prev, signed, f"record {record.seq} ({record.kind}): {problem}", record.seq)
        signed += bool(record.signature)
        prev = record.hash
        seen_head = seen_head or record.hash == head
    stored = session.get(EvidenceHead, 1)
    if stored is not None and (stored.seq != count or stored.hash != prev):
        return ChainReport(
            count,
            prev,
            signed,
            f"the chain ends at record {count} but the store's head says record {stored.seq}: "
            "records were removed from the end",
            count + 1,
        )
    if not seen_head:
        return ChainReport(count, prev, signed, f"the chain does not contain the head {head} it was checked against")
    return ChainReport(count, prev, signed)
