"""`em-harness diff --base REF`: the catalogue at a git ref against the working tree, the pull-request gate.

The catalogue at REF (schemas/, contracts/ of the project folder) is read with `git ls-tree` and
`git cat-file` into a temporary folder, and both sides are loaded with the loaders every other command
uses. Each difference becomes an `Entry` classed breaking, compatible or info:

- schemas, per message and version file: a version present on both sides whose text, or the text of a
  file it reaches by `$ref`, changed is checked with compat in the policy's mode (full by default,
  lenient: the catalogue forbids undeclared fields, so an open payload is closed in practice) and with
  the consumer impact of the working tree's pacts and flows; it is breaking when compat says so or a
  current consumer breaks. A new version file is info (a new major version may break the one before:
  that is why it is a new file). A removed version is breaking. Shared schemas (envelope, common) are
  info: their effect shows in every message that reaches them.
- asyncapi.yaml: a channel whose address changed, a channel or message removed, a message taken off a
  channel, a payload pointing at another schema, a system that stops sending a message: breaking.
  Additions are compatible; a channel key renamed with its address kept, or a system that stops
  receiving, is info.
- pacts and flows: interactions (per consumer-provider pair) and flow files added, removed or changed
  are info: the consumer changed what it expects, and verification, not this diff, judges a provider.

Anything unusable (not a git repository, an unknown ref, a broken file on either side) is an
UnusableInput: one line, exit code 2.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.catalogue.asyncapi import AsyncApiDoc, load_asyncapi
from harness.catalogue.pacts import Pact, load_pacts
from harness.errors import HarnessError, UnusableInput
from harness.evolve.compat import CompatResult, check, normalise_mode
from harness.evolve.impact import ANNOTATION_CODES, Flow, Impact, consumer_impact, load_flows
from harness.evolve.load import SchemaSource, load_file
from harness.jsonfile import load_yaml
from harness.project import find_project
from harness.schemas.registry import SchemaRegistry

LEVELS = ("breaking", "compatible", "info")
DIFF_MODES = ("backward", "forward", "full")


@dataclass
class Entry:
    """One difference between the catalogue at the base ref and the working tree."""

    area: str  # "schemas" | "asyncapi" | "pacts" | "flows"
    subject: str
    change: str  # "added" | "removed" | "changed" | "renamed"
    level: str  # "breaking" | "compatible" | "info"
    detail: str
    compat: CompatResult | None = None
    impact: Impact | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "area": self.area,
            "subject": self.subject,
            "change": self.change,
            "level": self.level,
            "detail": self.detail,
        }
        if self.compat is not None:
            out["compat"] = self.compat.to_dict()
        if self.impact is not None:
            out["consumers"] = self.impact.to_dict()
        return out


@dataclass
class DiffResult:
    base: str
    commit: str
    root: Path
    mode: str
    lenient: bool
    entries: list[Entry] = field(default_factory=list)

    @property
    def breaking(self) -> bool:
        return any(e.level == "breaking" for e in self.entries)

    def count(self, level: str) -> int:
        return sum(e.level == level for e in self.entries)

    def to_dict(self) -> dict[str, Any]:
        return {
            "base": self.base,
            "commit": self.commit,
            "root": str(self.root),
            "mode": self.mode,
            "lenient": self.lenient,
            "breaking": self.breaking,
            "counts": {level: self.count(level) for level in LEVELS},
            "entries": [e.to_dict() for e in self.entries],
        }


# -- reading the catalogue at a git ref ---------------------------------------------------------
def _git(args: list[str], cwd: Path, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(
            ["git", *args],
            cwd=cwd,
            input=stdin,
            capture_output=True,
            env={**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"},
            check=False,
        )
    except FileNotFoundError:
        raise HarnessError("git: not found; em-harness diff reads the base catalogue with git, install it") from None


def extract(root: Path, ref: str, dest: Path) -> str:
    """Write the project's schemas/ and contracts/ as they are at `ref` into `dest`; return the commit id."""
    top = _git(["rev-parse", "--show-toplevel"], root)
    if top.returncode != 0:
        raise UnusableInput(
            f"{root}: not a git repository; em-harness diff compares the working tree with a git ref "
            "(run it inside a repository, or pass --root)"
        )
    toplevel = Path(top.stdout.decode("utf-8", "replace").strip()).resolve()
    if ref.startswith("-") or not ref.strip():
        raise UnusableInput(f"--base {ref!r}: not a git ref; give a branch, tag or commit")
    found = _git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], root)
    if found.returncode != 0:
        raise UnusableInput(f"--base {ref}: no such commit, branch or tag in {toplevel}; check the ref (git log)")
    commit = found.stdout.decode().strip()
    prefix = Path(os.path.relpath(root.resolve(), toplevel)).as_posix()
    prefix = "" if prefix == "." else prefix + "/"
    listing = _git(
        ["ls-tree", "-r", "-z", "--full-tree", commit, "--", f"{prefix}schemas", f"{prefix}contracts"], toplevel
    )
    if listing.returncode != 0:
        raise UnusableInput(f"--base {ref}: git ls-tree failed: {listing.stderr.decode(errors='replace').strip()}")
    blobs: list[tuple[str, str]] = []
    for record in listing.stdout.decode("utf-8", "surrogateescape").split("\0"):
        if not record:
            continue
        meta, _, path = record.partition("\t")
        mode, kind, oid = meta.split()
        if kind == "blob" and mode != "120000":
            blobs.append((oid, path[len(prefix) :]))
    if not blobs:
        return commit
    batch = _git(["cat-file", "--batch"], toplevel, stdin="".join(f"{oid}\n" for oid, _ in blobs).encode())
    if batch.returncode != 0:
        raise UnusableInput(f"--base {ref}: git cat-file failed: {batch.stderr.decode(errors='replace').strip()}")
    data, pos = batch.stdout, 0
    for _, rel in blobs:
        end = data.index(b"\n", pos)
        size = int(data[pos:end].split()[2])
        content = data[end + 1 : end + 1 + size]
        pos = end + 1 + size + 1
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    return commit


# -- one side ---------------------------------------------------------------------------------
@dataclass
class Catalogue:
    """One side of the diff, loaded with the usual loaders."""

    root: Path
    schemas: dict[str, Path]
    """Schema files by their path under schemas/ (`case-created/v1.json`)."""
    registry: SchemaRegistry | None
    asyncapi: AsyncApiDoc | None
    pacts: list[Pact]
    pacts_raw: dict[Path, Any]
    flows: list[Flow]
    flows_raw: dict[str, Any]
    _sources: dict[tuple[str, str], SchemaSource] = field(default_factory=dict)

    def source(self, rel: str, side: str, label: str) -> SchemaSource:
        key = (rel, side)
        if key not in self._sources:
            source = load_file(self.schemas[rel], side=side)
            source.label = label
            self._sources[key] = source
        return self._sources[key]


def load_catalogue(root: Path) -> Catalogue:
    schemas_dir = root / "schemas"
    registry = SchemaRegistry(schemas_dir) if schemas_dir.is_dir() else None
    schemas = (
        {p.relative_to(schemas_dir).as_posix(): p for p in sorted(schemas_dir.rglob("*.json"))} if registry else {}
    )
    asyncapi_path = root / "contracts" / "asyncapi.yaml"
    asyncapi = load_asyncapi(asyncapi_path) if asyncapi_path.is_file() else None
    pacts = load_pacts(root / "contracts" / "pacts")
    pacts_raw = {p.path: json.loads(p.path.read_text("utf-8")) for p in pacts}
    flows_dir = root / "contracts" / "flows"
    flows = load_flows(flows_dir)
    flows_raw = {
        p.relative_to(flows_dir).as_posix(): load_yaml(p)
        for p in sorted([*flows_dir.glob("*.yaml"), *flows_dir.glob("*.yml")])
    }
    return Catalogue(root, schemas, registry, asyncapi, pacts, pacts_raw, flows, flows_raw)


def _is_message(contents: Any) -> bool:
    props = contents.get("properties") if isinstance(contents, dict) else None
    return (
        isinstance(props, dict)
        and isinstance((props.get("eventType") or {}).get("const"), str)
        and isinstance((props.get("version") or {}).get("const"), int)
    )


def _event_of(contents: dict[str, Any]) -> tuple[str, int]:
    return contents["properties"]["eventType"]["const"], contents["properties"]["version"]["const"]


# -- schemas ----------------------------------------------------------------------------------
def _texts(source: SchemaSource, schemas_dir: Path) -> dict[str, Any]:
    """Every file a schema reaches (itself included), by its path under schemas/, with its contents."""
    out: dict[str, Any] = {}
    for doc in source.documents.values():
        if doc.path is None:
            continue
        try:
            rel = doc.path.resolve().relative_to(schemas_dir.resolve()).as_posix()
        except ValueError:
            rel = str(doc.path)
        out[rel] = doc.contents
    return out


def _consumers_of(pacts: list[Pact], event_type: str, version: int) -> list[str]:
    found = []
    for pact in pacts:
        for i in pact.interactions:
            body = i.body if isinstance(i.body, dict) else {}
            et = i.metadata.get("eventType") if isinstance(i.metadata.get("eventType"), str) else body.get("eventType")
            if (et, body.get("version")) == (event_type, version) and pact.consumer not in found:
                found.append(pact.consumer)
    return found


def diff_schemas(base: Catalogue, head: Catalogue, *, ref: str, mode: str, lenient: bool) -> list[Entry]:
    entries: list[Entry] = []
    base_fallback = base.registry.referencing if base.registry else None
    head_fallback = head.registry.referencing if head.registry else None
    for rel in sorted(set(base.schemas) | set(head.schemas)):
        label_old, label_new = f"{ref}:schemas/{rel}", f"schemas/{rel}"
        if rel not in head.schemas:
            contents = json.loads(base.schemas[rel].read_text("utf-8"))
            if _is_message(contents):
                event_type, version = _event_of(contents)
                users = _consumers_of(base.pacts, event_type, version)
                who = f"; consumers that used it: {', '.join(users)}" if users else ""
                entries.append(Entry("schemas", rel, "removed", "breaking", f"{event_type} v{version} removed{who}"))
            else:
                entries.append(Entry("schemas", rel, "removed", "info", "shared schema removed"))
            continue
        new = head.source(rel, "new", label_new)
        if rel not in base.schemas:
            entries.append(_added(rel, new, head, mode=mode, lenient=lenient))
            continue
        old = base.source(rel, "old", label_old)
        before, after = _texts(old, base.root / "schemas"), _texts(new, head.root / "schemas")
        if before == after:
            continue
        through = sorted(k for k in set(before) | set(after) if k != rel and before.get(k) != after.get(k))
        own = before.get(rel) != after.get(rel)
        how = ("changed" if own else "unchanged") + (f"; reaches changed {', '.join(through)}" if through else "")
        if not _is_message(old.root.contents):
            if own:
                entries.append(Entry("schemas", rel, "changed", "info", "shared schema changed; judged per message"))
            continue
        result = check(old, new, mode=mode, lenient=lenient)
        changes = [(c.direction, ch) for c in result.checks for ch in c.changes]
        impact = consumer_impact(
            old,
            new,
            changes,
            head.pacts,
            head.flows,
            root=head.root,
            new_label="the working tree",
            old_fallback=base_fallback,
            new_fallback=head_fallback,
        )
        if not changes and not own:
            continue  # it reaches a changed file, but nothing it accepts changed
        breaking = sum(not ch.compatible for _, ch in changes)
        meaningful = [ch for _, ch in changes if ch.code not in ANNOTATION_CODES]
        policy = mode + (", lenient" if lenient else "")
        if breaking or impact.broken:
            level = "breaking"
            parts = []
            if breaking:
                parts.append(f"{breaking} breaking change{'s' if breaking != 1 else ''} ({policy})")
            broken = [c.consumer for c in impact.broken_consumers]
            if broken:
                parts.append(f"breaks {', '.join(broken)}")
            detail = f"{how}: " + "; ".join(parts)
        elif meaningful:
            level = "compatible"
            detail = f"{how}: {len(meaningful)} compatible change{'s' if len(meaningful) != 1 else ''} ({policy})"
        else:
            level = "info"
            detail = f"{how}: annotations, examples or layout only"
        entries.append(Entry("schemas", rel, "changed", level, detail, compat=result, impact=impact))
    return entries


def _added(rel: str, new: SchemaSource, head: Catalogue, *, mode: str, lenient: bool) -> Entry:
    contents = new.root.contents
    if not _is_message(contents):
        return Entry("schemas", rel, "added", "info", "shared schema added")
    event_type, version = _event_of(contents)
    folder, _, name = rel.rpartition("/")
    earlier = sorted(
        (int(k.rpartition("/")[2][1:-5]), k)
        for k in head.schemas
        if k.startswith(folder + "/") and k != rel and k.rpartition("/")[2][1:-5].isdigit()
    )
    earlier = [(n, k) for n, k in earlier if n < version]
    if not earlier:
        return Entry("schemas", rel, "added", "info", f"new message {event_type} v{version}")
    prev_rel = earlier[-1][1]
    prev = head.source(prev_rel, "old", f"schemas/{prev_rel}")
    result = check(prev, new, mode=mode, lenient=lenient)
    breaking = sum(not c.compatible for c in result.changes)
    return Entry(
        "schemas",
        rel,
        "added",
        "info",
        f"new major version {event_type} v{version}: {prev_rel.rpartition('/')[2]} -> {name} has {breaking} "
        f"breaking change{'s' if breaking != 1 else ''} ({mode}), allowed for a new major version",
        compat=result,
    )


# -- asyncapi ---------------------------------------------------------------------------------
def diff_asyncapi(base: AsyncApiDoc | None, head: AsyncApiDoc | None) -> list[Entry]:
    entries: list[Entry] = []
    b_channels = base.channels if base else {}
    h_channels = head.channels if head else {}
    b_messages = base.messages if base else {}
    h_messages = head.messages if head else {}

    def add(subject: str, change: str, level: str, detail: str) -> None:
        entries.append(Entry("asyncapi", subject, change, level, detail))

    renamed: dict[str, str] = {}
    added_keys = [k for k in h_channels if k not in b_channels]
    for key, channel in b_channels.items():
        if key in h_channels:
            continue
        twin = next(
            (k for k in added_keys if h_channels[k].address == channel.address and k not in renamed.values()), None
        )
        if twin is not None:
            renamed[key] = twin
            add(f"channel {key}", "renamed", "info", f"key {key} -> {twin}; address {channel.address} kept")
        else:
            add(f"channel {key}", "removed", "breaking", f"channel {channel.address} removed")
    for key in added_keys:
        if key not in renamed.values():
            add(f"channel {key}", "added", "compatible", f"channel {h_channels[key].address} added")
    for key, channel in b_channels.items():
        other = h_channels.get(renamed.get(key, key))
        if other is None:
            continue
        subject = f"channel {other.key}"
        if other.address != channel.address:
            add(subject, "changed", "breaking", f"address {channel.address} -> {other.address}")
        for m in channel.message_keys:
            if m not in other.message_keys:
                add(subject, "changed", "breaking", f"message {m} no longer on {other.address}")
        for m in other.message_keys:
            if m not in channel.message_keys:
                add(subject, "changed", "compatible", f"message {m} now also on {other.address}")
    for key, message in b_messages.items():
        if key not in h_messages:
            add(f"message {key}", "removed", "breaking", f"message {message.name} removed")
            continue
        now = h_messages[key]
        if now.payload_ref != message.payload_ref or now.payload != message.payload:
            add(
                f"message {key}",
                "changed",
                "breaking",
                f"payload {message.payload_ref or 'inline schema'} -> {now.payload_ref or 'inline schema'}: "
                "receivers get another schema (carry both messages on the channel while consumers move)",
            )
        if now.content_type != message.content_type:
            add(f"message {key}", "changed", "breaking", f"content type {message.content_type} -> {now.content_type}")
    for key, message in h_messages.items():
        if key not in b_messages:
            add(f"message {key}", "added", "compatible", f"message {message.name} added")

    def operations(doc: AsyncApiDoc | None) -> set[tuple[str, str, str, str]]:
        if doc is None:
            return set()
        out = set()
        for op in doc.operations.values():
            for m in op.message_keys:
                out.add(
                    (
                        op.system,
                        op.action,
                        renamed.get(op.channel_key, op.channel_key) if doc is base else op.channel_key,
                        m,
                    )
                )
        return out

    before, after = operations(base), operations(head)
    for system, action, channel, m in sorted(before - after):
        verb = "sends" if action == "send" else "receives"
        level = "breaking" if action == "send" else "info"
        add(f"system {system}", "removed", level, f"no longer {verb} {m} on channel {channel}")
    for system, action, channel, m in sorted(after - before):
        verb = "sends" if action == "send" else "receives"
        add(f"system {system}", "added", "compatible", f"now {verb} {m} on channel {channel}")
    return entries


# -- pacts and flows --------------------------------------------------------------------------
def _interactions(raw: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    items = [*(raw.get("interactions") or []), *(raw.get("messages") or [])] if isinstance(raw, dict) else []
    for i, item in enumerate(items):  # V4 interactions and V3 messages alike
        if not isinstance(item, dict):
            continue
        name = str(item.get("description", f"interaction {i}"))
        key = name if name not in out else f"{name} #{i}"
        out[key] = {k: v for k, v in item.items() if k != "key"}
    return out


def diff_pacts(base: Catalogue, head: Catalogue) -> list[Entry]:
    entries: list[Entry] = []

    def pairs(cat: Catalogue) -> dict[tuple[str, str], dict[str, Any]]:
        out: dict[tuple[str, str], dict[str, Any]] = {}
        for pact in cat.pacts:
            out.setdefault((pact.consumer, pact.provider), {}).update(_interactions(cat.pacts_raw[pact.path]))
        return out

    before, after = pairs(base), pairs(head)
    for pair in sorted(set(before) | set(after)):
        subject = f"{pair[0]} -> {pair[1]}"
        if pair not in after:
            entries.append(
                Entry("pacts", subject, "removed", "info", f"pact removed ({len(before[pair])} interactions)")
            )
            continue
        if pair not in before:
            entries.append(Entry("pacts", subject, "added", "info", f"pact added ({len(after[pair])} interactions)"))
            continue
        old, new = before[pair], after[pair]
        for name in sorted(set(old) | set(new)):
            if name not in new:
                entries.append(Entry("pacts", subject, "removed", "info", f"interaction {name!r} removed"))
            elif name not in old:
                entries.append(Entry("pacts", subject, "added", "info", f"interaction {name!r} added"))
            elif old[name] != new[name]:
                parts = sorted(k for k in set(old[name]) | set(new[name]) if old[name].get(k) != new[name].get(k))
                entries.append(
                    Entry("pacts", subject, "changed", "info", f"interaction {name!r} changed ({', '.join(parts)})")
                )
    return entries


def diff_flows(base: Catalogue, head: Catalogue) -> list[Entry]:
    entries = []
    for name in sorted(set(base.flows_raw) | set(head.flows_raw)):
        if name not in head.flows_raw:
            entries.append(Entry("flows", name, "removed", "info", "flow removed"))
        elif name not in base.flows_raw:
            entries.append(Entry("flows", name, "added", "info", "flow added"))
        elif base.flows_raw[name] != head.flows_raw[name]:
            entries.append(Entry("flows", name, "changed", "info", "flow changed"))
    return entries


# -- the command ------------------------------------------------------------------------------
def diff(
    base: str,
    root: str | os.PathLike[str] | None = None,
    *,
    mode: str = "full",
    lenient: bool = True,
) -> DiffResult:
    """The catalogue at git ref `base` against the working tree of the project at `root`."""
    mode = normalise_mode(mode)
    if mode not in DIFF_MODES:
        raise UnusableInput(
            f"--mode {mode}: diff compares a version with its own earlier text; use {', '.join(DIFF_MODES)}"
        )
    project = find_project(root)
    head = load_catalogue(project.root)
    with tempfile.TemporaryDirectory(prefix="em-harness-diff-") as tmp:
        tmp_root = Path(tmp)
        commit = extract(project.root, base, tmp_root)
        try:
            old = load_catalogue(tmp_root)
            entries = diff_schemas(old, head, ref=base, mode=mode, lenient=lenient)
        except HarnessError as exc:
            raise type(exc)(_at_ref(str(exc), tmp_root, base)) from None
        entries += diff_asyncapi(old.asyncapi, head.asyncapi)
        entries += diff_pacts(old, head)
        entries += diff_flows(old, head)
    return DiffResult(base=base, commit=commit, root=project.root, mode=mode, lenient=lenient, entries=entries)


def _at_ref(message: str, tmp_root: Path, ref: str) -> str:
    """A message about a file of the extracted copy names it as REF:path instead."""
    for form in {str(tmp_root.resolve()), str(tmp_root)}:
        message = message.replace(form + os.sep, f"{ref}:").replace(form, f"{ref}:")
    return message
