"""`evidence export`: a self-contained audit bundle that standard tools can re-check without em-harness.

DIR/README.md             how to re-check everything (sha256sum, jq, openssl), and check.sh doing it
DIR/record.json           the exported record's payload, pretty-printed (the verification itself)
DIR/junit.xml             its checks as JUnit (verification records)
DIR/chain/NNNNNN.json     every record from the first up to the exported one: the exact bytes hashed
DIR/chain/NNNNNN.sig      its Ed25519 signature (raw 64 bytes), when it was signed
DIR/chain/index.tsv       seq, kind, hash, prev, signing key file
DIR/keys/*.pem            the public keys that signed them
DIR/contracts/pacts/*.json  the exact pacts the record names: sha256sum of each is its pact hash
DIR/catalogue/...         every file of the verified catalogue (schemas/, contracts/) and FILES.sha256
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

from sqlalchemy import select
from sqlalchemy.orm import Session

from harness.errors import HarnessError
from harness.gate.evidence import payload_of
from harness.gate.models import CatalogueFile, CatalogueSet, Evidence, PactContent, SigningKey


def _target(session: Session, seq: int | None) -> Evidence:
    if seq is not None:
        rec = session.get(Evidence, seq)
        if rec is None:
            raise HarnessError(f"--record {seq}: the evidence chain has no such record")
        return rec
    rec = session.execute(
        select(Evidence).where(Evidence.kind == "verification").order_by(Evidence.seq.desc()).limit(1)
    ).scalar_one_or_none()
    if rec is None:
        raise HarnessError("the evidence chain holds no verification yet: give --record N")
    return rec


def _safe_name(text: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in text)


def export(session: Session, out: Path, seq: int | None) -> dict[str, Any]:
    target = _target(session, seq)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise HarnessError(f"{out}: exists and is not an empty folder; give a new --out")
    try:
        (out / "chain").mkdir(parents=True, exist_ok=True)
        (out / "keys").mkdir(exist_ok=True)
    except OSError as exc:
        raise HarnessError(f"{out}: cannot create the bundle ({exc.strerror})") from None
    keys = {k.key_id: k.public_pem for k in session.execute(select(SigningKey)).scalars()}
    index = ["seq\tkind\thash\tprev\tkey"]
    count = 0
    for rec in session.execute(
        select(Evidence).where(Evidence.seq <= target.seq).order_by(Evidence.seq).execution_options(yield_per=500)
    ).scalars():
        count += 1
        name = f"{rec.seq:06d}"
        (out / "chain" / f"{name}.json").write_bytes(rec.canonical.encode("utf-8"))
        key_file = "-"
        if rec.signature:
            (out / "chain" / f"{name}.sig").write_bytes(bytes.fromhex(rec.signature))
            key_file = f"keys/{(rec.key_id or 'unknown').removeprefix('sha256:')[:16]}.pem"
            if rec.key_id in keys:
                (out / key_file).write_text(keys[rec.key_id], "utf-8")
        index.append(f"{rec.seq}\t{rec.kind}\t{rec.hash}\t{rec.prev_hash}\t{key_file}")
    (out / "chain" / "index.tsv").write_text("\n".join(index) + "\n", "utf-8")
    payload = payload_of(target)
    (out / "record.json").write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", "utf-8")
    pacts = _write_pacts(session, out, payload)
    has_catalogue = _write_catalogue(session, out, payload.get("contractSetHash"))
    if target.kind == "verification":
        (out / "junit.xml").write_text(junit(payload), "utf-8")
    (out / "README.md").write_text(readme(target, payload, pacts, has_catalogue), "utf-8")
    (out / "check.sh").write_text(CHECK_SCRIPT, "utf-8")
    return {"record": target.seq, "kind": target.kind, "chain": count, "hash": target.hash}


def _write_pacts(session: Session, out: Path, payload: dict[str, Any]) -> list[str]:
    written = []
    for entry in payload.get("pacts", []) or []:
        sha = entry.get("sha")
        content = session.execute(select(PactContent).where(PactContent.sha == sha)).scalar_one_or_none()
        if content is None:
            continue
        name = f"{_safe_name(content.consumer.name)}-{_safe_name(content.provider.name)}.json"
        (out / "contracts" / "pacts").mkdir(parents=True, exist_ok=True)
        (out / "contracts" / "pacts" / name).write_bytes(content.content.encode("utf-8"))
        written.append(name)
    return written


def _write_catalogue(session: Session, out: Path, content_hash: str | None) -> bool:
    if not content_hash:
        return False
    found = session.get(CatalogueSet, content_hash)
    if found is None:
        return False
    lines = []
    base = out / "catalogue"
    for rel, digest in json.loads(found.files):
        path = base / rel
        if not path.resolve().is_relative_to(base.resolve()):
            raise HarnessError(f"catalogue file {rel!r} would escape the bundle; the store is not trustworthy")
        path.parent.mkdir(parents=True, exist_ok=True)
        blob = session.get(CatalogueFile, digest)
        path.write_bytes(blob.content if blob is not None else b"")
        lines.append(f"{digest}  {rel}")
    (base / "FILES.sha256").write_text("\n".join(lines) + "\n", "utf-8")
    return True


def junit(payload: dict[str, Any]) -> str:
    provider = payload.get("provider", "?")
    suite = ET.Element("testsuite", name=f"em-harness verify {provider} {payload.get('version', '')}")
    tests = failures = skipped = 0
    for it in payload.get("interactions", []) or []:
        for check in it.get("checks", []) or []:
            tests += 1
            case = ET.SubElement(
                suite,
                "testcase",
                classname=f"{provider}.{it.get('consumer')}",
                name=f"{it.get('description')} [{check.get('check')}]",
            )
            if check.get("skipped"):
                skipped += 1
                ET.SubElement(case, "skipped", message=str(check["skipped"]))
            elif not check.get("passed"):
                failures += 1
                fails = check.get("failures") or []
                el = ET.SubElement(
                    case,
                    "failure",
                    message=str(fails[0].get("message") if fails else "failed"),
                    type=str(check.get("check")),
                )
                el.text = "\n".join(
                    f"{f.get('path') or '/'}: {f.get('message')} (expected {f.get('expected')}, got {f.get('actual')})"
                    for f in fails
                )
    suite.set("tests", str(tests))
    suite.set("failures", str(failures))
    suite.set("errors", "0")
    suite.set("skipped", str(skipped))
    root = ET.Element("testsuites")
    root.append(suite)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


CHECK_SCRIPT = r"""#!/usr/bin/env bash
# Re-check this evidence bundle with standard tools only (bash, coreutils, jq, openssl 3). Run it from
# the bundle's folder: `bash check.sh`. It stops at the first problem with a line saying what broke.
set -euo pipefail
cd "$(dirname "$0")"
fail() { echo "BROKEN: $*" >&2; exit 1; }

# 1. The chain: each record's hash is the SHA-256 of its file; each record names the hash of the one
#    before it as "prev" (the first names the all-zero hash) and its own position as "seq".
prev="sha256:0000000000000000000000000000000000000000000000000000000000000000"
n=0
while IFS=$'\t' read -r seq kind hash prevhash key; do
  [ "$seq" = "seq" ] && continue
  n=$((n + 1))
  file="chain/$(printf '%06d' "$seq").json"
  [ -f "$file" ] || fail "record $seq: $file is missing"
  actual="sha256:$(sha256sum "$file" | cut -d' ' -f1)"
  [ "$actual" = "$hash" ] || fail "record $seq: its file does not hash to $hash"
  [ "$(jq -r .seq "$file")" = "$n" ] || fail "record $seq: expected record $n here"
  [ "$(jq -r .prev "$file")" = "$prev" ] || fail "record $seq: its prev does not match the record before"
  [ "$prevhash" = "$prev" ] || fail "record $seq: index.tsv disagrees with the chain"
  # 2. The signature, when the record was signed: Ed25519 over exactly the record's bytes.
  if [ -f "chain/$(printf '%06d' "$seq").sig" ]; then
    openssl pkeyutl -verify -pubin -inkey "$key" -rawin -in "$file" \
      -sigfile "chain/$(printf '%06d' "$seq").sig" >/dev/null || fail "record $seq: signature does not verify"
  fi
  prev="$hash"
  last="$file"
done < chain/index.tsv
echo "chain: $n record(s) intact, head $prev"

# 3. record.json is the last record's payload.
diff <(jq -S .payload "$last") <(jq -S . record.json) >/dev/null || fail "record.json is not the record's payload"

# 4. The pacts: the SHA-256 of each file is the pact hash the record names.
for sha in $(jq -r '.pacts[]?.sha' record.json); do
  found=""
  for f in contracts/pacts/*.json; do
    [ "sha256:$(sha256sum "$f" | cut -d' ' -f1)" = "$sha" ] && found="$f"
  done
  [ -n "$found" ] || fail "no pact in contracts/pacts hashes to $sha"
  echo "pact: $found is $sha"
done

# 5. The catalogue: every file's SHA-256, then the contract-set hash over "<path>\0<sha256>\n" lines in
#    path order (byte order), which must equal the record's contractSetHash.
if [ -f catalogue/FILES.sha256 ]; then
  (cd catalogue && sha256sum --quiet -c FILES.sha256) || fail "a catalogue file does not match FILES.sha256"
  computed="sha256:$(cd catalogue && LC_ALL=C sort -k2 FILES.sha256 | while read -r digest path; do
    printf '%s\0%s\n' "$path" "$digest"; done | sha256sum | cut -d' ' -f1)"
  [ "$computed" = "$(jq -r .contractSetHash record.json)" ] || fail "the catalogue does not hash to contractSetHash"
  echo "catalogue: contract-set hash $computed"
fi
echo "bundle intact"
"""


def readme(target: Evidence, payload: dict[str, Any], pacts: list[str], has_catalogue: bool) -> str:
    what = target.kind
    if what == "verification":
        verdicts = "\n".join(
            f"- {p.get('consumer')}: {'passed' if p.get('success') else 'FAILED'}"
            f"{' (pending)' if p.get('pending') else ''}, pact `{p.get('sha')}`"
            for p in payload.get("pacts", [])
        )
        summary = (
            f"Verification of **{payload.get('provider')} {payload.get('version')}**"
            f" (branch {payload.get('branch') or '-'}) by {payload.get('tool')} on bus `{payload.get('bus')}`,"
            f" against catalogue {payload.get('catalogueVersion')} with contract-set hash"
            f" `{payload.get('contractSetHash')}`.\n\n{verdicts}\n"
        )
    else:
        summary = f"A `{what}` record:\n\n```json\n{json.dumps(payload, indent=2, ensure_ascii=False)}\n```\n"
    signed = "signed (Ed25519)" if target.signature else "not signed (the gate had no signing key configured)"
    script = CHECK_SCRIPT.split("\n", 3)[3]
    catalogue_line = (
        "every file of the verified catalogue (schemas/ and contracts/) and FILES.sha256"
        if has_catalogue
        else "not included (the record names no stored catalogue)"
    )
    return f"""# em-harness evidence bundle: record {target.seq}

{summary}
Record {target.seq} has hash `{target.hash}` and is {signed}. It is the last of the
{target.seq} records of the chain included here (`chain/`), from the first record ever written.

## What is here

- `record.json`: the record's payload (what was verified, every check of every interaction, the stimuli
  sent and the messages captured, with every personal value replaced by `<redacted>`).
- `junit.xml`: the same checks as JUnit XML (for verification records).
- `chain/NNNNNN.json`: each record exactly as it was hashed and signed: RFC 8785 canonical JSON of
  `{{seq, kind, at, prev, payload}}`; `chain/NNNNNN.sig`: its Ed25519 signature (raw 64 bytes);
  `chain/index.tsv`: seq, kind, hash, prev and key file of each record; `keys/`: the public keys.
- `contracts/pacts/`: the exact pacts the record names ({", ".join(pacts) or "none"}); the SHA-256 of each
  file is the pact hash in the record.
- `catalogue/`: {catalogue_line}.

## How to re-check it (standard tools: bash, coreutils, jq, openssl 3)

Run `bash check.sh` in this folder, or the same commands by hand:

```bash
{script.rstrip()}
```

What each step proves:
1. a record's hash is the SHA-256 of its bytes, and each record names the hash of the one before it, so
   a changed, removed or reordered record breaks the chain at that point;
2. each signature verifies against the public key, so nobody without the private key could have rebuilt
   the chain after changing it: compare the key in `keys/` with the one the MoJ holds for the gate;
3. the payload you read in `record.json` is the one in the chain;
4. the pacts here are the ones verified;
5. the catalogue here is the one verified: the contract-set hash is the SHA-256 over one line
   `<path>\\0<sha256 of the file>\\n` per file under schemas/ and contracts/, in path order.

A chain cannot show by itself that records were cut off its end: keep the head hash of each bundle you
receive and ask the gate (`em-harness evidence verify --head HASH`) to prove it still contains it.
"""
