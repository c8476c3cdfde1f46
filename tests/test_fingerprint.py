"""The catalogue fingerprint: a version and a content hash anyone can recompute from a checkout."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

from harness.catalogue.fingerprint import fingerprint
from harness.project import Project


def _copy(root: Path, tmp: Path) -> Project:
    for folder in ("schemas", "contracts"):
        shutil.copytree(root / folder, tmp / folder)
    return Project(root=tmp)


def test_the_hash_is_the_documented_recipe(root: Path) -> None:
    fp = fingerprint(Project(root=root))
    lines = b""
    for rel, _ in fp.files:
        lines += rel.encode() + b"\0" + hashlib.sha256((root / rel).read_bytes()).hexdigest().encode() + b"\n"
    assert fp.content_hash == "sha256:" + hashlib.sha256(lines).hexdigest()
    assert any(rel.startswith("contracts/pacts/") for rel, _ in fp.files)
    assert any(rel.startswith("schemas/") for rel, _ in fp.files)
    assert fp.version == "1.0.0"


def test_any_edit_rename_or_new_file_changes_the_hash(root: Path, tmp_path: Path) -> None:
    project = _copy(root, tmp_path)
    before = fingerprint(project).content_hash
    assert fingerprint(project).content_hash == before  # stable
    state = tmp_path / "contracts" / "states" / "cemo.yaml"
    state.write_text(state.read_text() + "\n", encoding="utf-8")
    edited = fingerprint(project).content_hash
    assert edited != before
    state.rename(state.with_name("cemo2.yaml"))
    assert fingerprint(project).content_hash not in (before, edited)
    (tmp_path / "contracts" / "flows").mkdir(exist_ok=True)
    (tmp_path / "contracts" / "flows" / "new.yaml").write_text("x: 1\n", encoding="utf-8")
    assert len({before, edited, fingerprint(project).content_hash}) == 3
