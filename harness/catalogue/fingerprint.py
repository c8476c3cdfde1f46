"""The catalogue's identity: its version and a content hash over every file contract authors edit.

Reports print it and the gate stores it with every verification, so "which contracts was this supplier
verified against" has one answer that anybody can recompute from a checkout: the SHA-256 over the sorted
list of (path relative to the project, SHA-256 of the file's bytes) for every regular file under
schemas/ and contracts/ (asyncapi.yaml, pacts, states, flows, scenarios). Nothing else goes in: not file
times, not the harness's own version.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from harness.jsonfile import load_yaml
from harness.project import Project

FOLDERS = ("schemas", "contracts")


@dataclass(frozen=True)
class Fingerprint:
    version: str
    """asyncapi.yaml's info.version ("unknown" when it cannot be read)."""
    content_hash: str
    """sha256:<hex> over the catalogue's files (see the module docstring)."""
    files: tuple[tuple[str, str], ...]
    """(relative path, sha256 hex of its bytes), sorted by path."""

    def __str__(self) -> str:
        return f"catalogue {self.version} ({self.content_hash[:19]})"


def catalogue_files(project: Project) -> list[Path]:
    """Every regular file of the catalogue, sorted by relative path."""
    out = []
    for folder in FOLDERS:
        base = project.root / folder
        if base.is_dir():
            out.extend(p for p in base.rglob("*") if p.is_file() and not p.is_symlink())
    return sorted(out, key=lambda p: p.relative_to(project.root).as_posix())


def file_digests(project: Project) -> tuple[tuple[str, str], ...]:
    return tuple(
        (p.relative_to(project.root).as_posix(), hashlib.sha256(p.read_bytes()).hexdigest())
        for p in catalogue_files(project)
    )


def content_hash(digests: tuple[tuple[str, str], ...]) -> str:
    """The hash over (path, digest) lines: `<path>\\0<hex>\\n` for each file, in path order."""
    h = hashlib.sha256()
    for rel, digest in digests:
        h.update(rel.encode("utf-8") + b"\0" + digest.encode("ascii") + b"\n")
    return "sha256:" + h.hexdigest()


def catalogue_version(project: Project) -> str:
    try:
        doc = load_yaml(project.asyncapi_path)  # the one reader: a FIFO or an alias bomb never hangs
        version = doc["info"]["version"]
    except Exception:  # any unreadable catalogue still has a hash; lint reports the file itself
        return "unknown"
    return str(version)


def fingerprint(project: Project) -> Fingerprint:
    digests = file_digests(project)
    return Fingerprint(catalogue_version(project), content_hash(digests), digests)
