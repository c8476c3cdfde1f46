"""`em-harness diff --base REF`: the catalogue at a git ref against the working tree, run as a user runs it.

Each test commits a copy of the shipped catalogue (schemas/, contracts/, pyproject.toml) in a fresh git
repository under tmp_path, edits the working tree, and runs `python -m harness diff --base HEAD --root`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from harness.catalogue.asyncapi import AsyncApiDoc, build_asyncapi
from harness.evolve.diff import diff_asyncapi
from tests.helpers import Result, em

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Alice Example",
    "GIT_AUTHOR_EMAIL": "alice@example.com",
    "GIT_COMMITTER_NAME": "Alice Example",
    "GIT_COMMITTER_EMAIL": "alice@example.com",
    "GIT_CONFIG_NOSYSTEM": "1",
}


def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "commit.gpgsign=false", "-c", "core.hooksPath=/dev/null", *args],
        cwd=repo,
        check=True,
        capture_output=True,
        env={**os.environ, **GIT_ENV},
    )


def _copy_catalogue(root: Path, dest: Path) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copytree(root / "schemas", dest / "schemas")
    shutil.copytree(root / "contracts", dest / "contracts")
    shutil.copy(root / "pyproject.toml", dest / "pyproject.toml")
    return dest


def _commit(repo: Path, message: str = "catalogue") -> None:
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", message)


@pytest.fixture
def repo(tmp_path: Path, root: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A git repository whose one commit is the shipped catalogue."""
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    project = _copy_catalogue(root, tmp_path / "repo")
    _git(project, "init", "-q", "-b", "main")
    _commit(project)
    return project


def _diff(project: Path, *extra: str, base: str = "HEAD") -> Result:
    return em("diff", "--base", base, "--root", str(project), *extra)


def _edit_json(path: Path, edit) -> None:
    doc = json.loads(path.read_text("utf-8"))
    edit(doc)
    path.write_text(json.dumps(doc, indent=2) + "\n", "utf-8")


def _payload(doc: dict[str, Any]) -> dict[str, Any]:
    return doc["$defs"]["payload"]


def _last(r: Result) -> str:
    return r.out.strip().splitlines()[-1]


def _line(r: Result, *needles: str) -> str:
    """The one output line holding every needle."""
    hits = [line for line in r.out.splitlines() if all(n in line for n in needles)]
    assert len(hits) == 1, f"{needles} in:\n{r.out}"
    return hits[0]


# -- the verdicts -----------------------------------------------------------------------------
def test_no_change_exits_0(repo: Path):
    r = _diff(repo)
    assert r.code == 0, r.text
    assert _last(r) == "diff: no breaking change: 0 breaking, 0 compatible, 0 info (against HEAD)"


def test_optional_field_added_is_compatible(repo: Path):
    schema = repo / "schemas" / "case-status-returned" / "v1.json"
    _edit_json(schema, lambda d: _payload(d)["properties"].update(notes={"type": "string", "maxLength": 500}))
    r = _diff(repo)
    assert r.code == 0, r.text
    entry = _line(r, "compatible  case-status-returned/v1.json")
    assert entry.endswith("changed: 2 compatible changes (full, lenient)")
    assert "PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL  new #/$defs/payload/properties/notes" in r.out
    assert _last(r) == "diff: no breaking change: 0 breaking, 1 compatible, 0 info (against HEAD)"
    # a strict reading calls an added property in an open model breaking (old data may hold anything there)
    strict = _diff(repo, "--strict")
    assert strict.code == 1, strict.text
    assert "PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL" in strict.out


def test_breaking_change_to_v1_names_the_consumer_pact(repo: Path):
    def drop_serial(doc: dict[str, Any]) -> None:
        payload = _payload(doc)
        del payload["properties"]["serial_number"]
        payload["required"].remove("serial_number")

    _edit_json(repo / "schemas" / "equipment-installed" / "v1.json", drop_serial)
    r = _diff(repo)
    assert r.code == 1, r.text
    entry = _line(r, "BREAKING", "equipment-installed/v1.json")
    assert "breaks cemo, em-datastore" in entry
    assert "BREAKS  cemo <- field-monitoring-service  contracts/pacts/cemo-field-monitoring-service.json" in r.out
    assert "'a GPS monitoring device installed'" in r.out
    assert (
        "$.additionalInformation.serial_number  matching rule on a place the working tree no longer declares" in r.out
    )
    assert _last(r).startswith("diff: BREAKING: 1 breaking, 0 compatible, 0 info")


def test_new_major_version_file_is_info(repo: Path):
    v1 = repo / "schemas" / "equipment-installed" / "v1.json"
    v2 = v1.with_name("v2.json")
    doc = json.loads(v1.read_text("utf-8"))
    doc["$id"] = doc["$id"].replace("/v1.json", "/v2.json")
    doc["properties"]["version"]["const"] = 2
    del _payload(doc)["properties"]["serial_number"]
    _payload(doc)["required"].remove("serial_number")
    v2.write_text(json.dumps(doc, indent=2) + "\n", "utf-8")
    r = _diff(repo)
    assert r.code == 0, r.text
    entry = _line(r, "info", "equipment-installed/v2.json")
    assert "new major version electronic-monitoring.equipment-installed v2" in entry
    assert "allowed for a new major version" in entry
    assert _last(r) == "diff: no breaking change: 0 breaking, 0 compatible, 1 info (against HEAD)"
    # once committed, removing that version again is breaking
    _commit(repo, "v2")
    v2.unlink()
    gone = _diff(repo)
    assert gone.code == 1, gone.text
    assert "electronic-monitoring.equipment-installed v2 removed" in _line(gone, "BREAKING", "v2.json")


def test_channel_address_changed_is_breaking(repo: Path):
    asyncapi = repo / "contracts" / "asyncapi.yaml"
    text = asyncapi.read_text("utf-8")
    assert "address: electronic-monitoring.case-created\n" in text
    asyncapi.write_text(
        text.replace("address: electronic-monitoring.case-created\n", "address: electronic-monitoring.case-opened\n"),
        "utf-8",
    )
    r = _diff(repo)
    assert r.code == 1, r.text
    entry = _line(r, "BREAKING", "channel caseCreated")
    assert "address electronic-monitoring.case-created -> electronic-monitoring.case-opened" in entry
    assert _last(r) == "diff: BREAKING: 1 breaking, 0 compatible, 0 info (against HEAD)"


def test_shared_schema_change_is_judged_in_every_message_that_reaches_it(repo: Path):
    """A narrower caseId pattern in common/v1.json breaks the messages using it, named one by one."""
    _edit_json(
        repo / "schemas" / "common" / "v1.json",
        lambda d: d["$defs"]["caseId"].update(pattern="^[0-9a-f]{16}$"),
    )
    r = _diff(repo)
    assert r.code == 1, r.text
    assert "shared schema changed" in _line(r, "info        common/v1.json")
    assert "device-activated" not in r.out  # it reaches common/v1.json, but not caseId
    entry = _line(r, "BREAKING", "equipment-installed/v1.json")
    assert "unchanged; reaches changed common/v1.json" in entry
    assert "breaks cemo" in entry
    assert "PATTERN_CHANGED  new ../common/v1.json#/$defs/caseId/pattern" in r.out


def test_pact_changes_are_info(repo: Path):
    pact = repo / "contracts" / "pacts" / "cemo-field-monitoring-service.json"
    _edit_json(pact, lambda d: d["interactions"][0]["metadata"].update(note="reviewed"))
    r = _diff(repo)
    assert r.code == 0, r.text
    entry = _line(r, "info", "cemo -> field-monitoring-service")
    assert "interaction 'a GPS monitoring device installed' changed (metadata)" in entry


def test_json_output(repo: Path):
    asyncapi = repo / "contracts" / "asyncapi.yaml"
    asyncapi.write_text(
        asyncapi.read_text("utf-8").replace(
            "address: electronic-monitoring.case-created\n", "address: electronic-monitoring.case-opened\n"
        ),
        "utf-8",
    )
    _edit_json(
        repo / "schemas" / "case-status-returned" / "v1.json",
        lambda d: _payload(d)["properties"]["status"].update(enum=["approved", "rejected", "pending", "installed"]),
    )
    r = _diff(repo, "--json")
    assert r.code == 1, r.text
    data = json.loads(r.out)
    assert data["breaking"] is True and data["mode"] == "full" and data["lenient"] is True
    assert len(data["commit"]) == 40
    schema = next(e for e in data["entries"] if e["subject"] == "case-status-returned/v1.json")
    # 'scheduled' is used by no example: breaking by the policy, but no current consumer breaks
    assert schema["level"] == "breaking" and schema["consumers"]["breaks"] is False
    assert {c["impact"] for c in schema["consumers"]["changes"]} == {"used"}
    channel = next(e for e in data["entries"] if e["subject"] == "channel caseCreated")
    assert channel["level"] == "breaking"


def test_project_in_a_subfolder_of_the_repository(tmp_path: Path, root: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    top = tmp_path / "mono"
    project = _copy_catalogue(root, top / "contracts-catalogue")
    _git(top, "init", "-q", "-b", "main")
    _commit(top)
    assert _diff(project).code == 0
    (project / "schemas" / "case-created" / "v1.json").unlink()
    r = _diff(project)
    assert r.code == 1, r.text
    assert "electronic-monitoring.case-created v1 removed; consumers that used it: cemo, em-datastore" in r.out


# -- unusable input ---------------------------------------------------------------------------
def test_unknown_ref_is_one_line_exit_2(repo: Path):
    r = _diff(repo, base="no-such-branch")
    assert r.code == 2
    assert r.out == "" and r.err.count("\n") == 1
    assert "--base no-such-branch: no such commit, branch or tag" in r.err and "Traceback" not in r.err


def test_not_a_git_repository_is_one_line_exit_2(tmp_path: Path, root: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    project = _copy_catalogue(root, tmp_path / "plain")
    r = _diff(project)
    assert r.code == 2
    assert r.err.count("\n") == 1 and f"{project}: not a git repository" in r.err


def test_broken_file_at_the_base_names_it_at_the_ref(repo: Path):
    schema = repo / "schemas" / "case-created" / "v1.json"
    good = schema.read_text("utf-8")
    schema.write_text(good[:-20], "utf-8")
    _commit(repo, "broken")
    schema.write_text(good, "utf-8")
    r = _diff(repo)
    assert r.code == 2
    assert r.err.count("\n") == 1
    assert "HEAD:schemas/case-created/v1.json" in r.err and "invalid JSON" in r.err
    assert "em-harness-diff-" not in r.err  # the temporary folder is not named


def test_broken_file_in_the_working_tree_is_exit_2(repo: Path):
    (repo / "contracts" / "pacts" / "cemo-field-monitoring-service.json").write_text("{", "utf-8")
    r = _diff(repo)
    assert r.code == 2 and r.err.count("\n") == 1
    assert "cemo-field-monitoring-service.json" in r.err and "invalid JSON" in r.err


def test_transitive_mode_is_refused(repo: Path):
    r = _diff(repo, "--mode", "full-transitive")
    assert r.code == 2 and r.err.count("\n") == 1 and "--mode full-transitive" in r.err


# -- asyncapi classification, in memory -------------------------------------------------------
def _asyncapi(text: str, root: Path) -> AsyncApiDoc:
    return build_asyncapi(yaml.safe_load(text), base_dir=root / "contracts")


def test_channel_key_renamed_with_its_address_kept_is_info(root: Path):
    text = (root / "contracts" / "asyncapi.yaml").read_text("utf-8")
    assert text.count("\n  caseCreated:\n") == 1
    renamed = (
        text.replace("\n  caseCreated:\n", "\n  caseOpened:\n")
        .replace("#/channels/caseCreated'", "#/channels/caseOpened'")
        .replace("#/channels/caseCreated/", "#/channels/caseOpened/")
    )
    entries = diff_asyncapi(_asyncapi(text, root), _asyncapi(renamed, root))
    assert [(e.subject, e.change, e.level) for e in entries] == [("channel caseCreated", "renamed", "info")]
    assert entries[0].detail == "key caseCreated -> caseOpened; address electronic-monitoring.case-created kept"


def test_operations_removed_per_system(root: Path):
    raw = yaml.safe_load((root / "contracts" / "asyncapi.yaml").read_text("utf-8"))
    base = build_asyncapi(raw, base_dir=root / "contracts")
    edited = yaml.safe_load((root / "contracts" / "asyncapi.yaml").read_text("utf-8"))
    del edited["operations"]["fieldMonitoringService.send.caseCreated"]
    del edited["operations"]["cemo.receive.caseCreated"]
    entries = diff_asyncapi(base, build_asyncapi(edited, base_dir=root / "contracts"))
    found = {(e.subject, e.level, e.detail) for e in entries}
    assert found == {
        ("system field-monitoring-service", "breaking", "no longer sends caseCreated on channel caseCreated"),
        ("system cemo", "info", "no longer receives caseCreated on channel caseCreated"),
    }
    # and the other way round they are additions
    assert {e.level for e in diff_asyncapi(build_asyncapi(edited, base_dir=root / "contracts"), base)} == {"compatible"}
