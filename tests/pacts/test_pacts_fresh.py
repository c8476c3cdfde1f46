"""The committed pacts in contracts/pacts are what the consumer tests write today.

Pacts are artefacts other people use (provider verification, can-i-deploy, diff), so a change to a
consumer test that is not followed by scripts/write_pacts.sh must fail here, naming the file and the
interaction that differs. Library version numbers in the metadata block are not compared.
"""

from __future__ import annotations

import os

os.environ.setdefault("PACT_DO_NOT_TRACK", "true")

from pathlib import Path

import pytest

from tests.pacts import support as s

REGENERATE = "run scripts/write_pacts.sh and commit contracts/pacts"


def _regenerating_committed() -> bool:
    chosen = os.environ.get("EM_PACT_DIR")
    return bool(chosen) and Path(chosen).resolve() == s.PACTS_DIR.resolve()


def stale_report(fresh_dir: Path, committed_dir: Path) -> list[str]:
    """Every way the committed pact files differ from freshly written ones, one line each."""
    fresh = {p.name: p for p in fresh_dir.glob("*.json")}
    committed = {p.name: p for p in committed_dir.glob("*.json")}
    problems = [f"contracts/pacts/{name}: missing" for name in sorted(set(fresh) - set(committed))]
    problems += [f"contracts/pacts/{name}: no consumer test writes it" for name in sorted(set(committed) - set(fresh))]
    for name in sorted(set(fresh) & set(committed)):
        new, old = s.comparable(fresh[name]), s.comparable(committed[name])
        if new == old:
            continue
        for key in ("consumer", "provider", "pactSpecification"):
            if new[key] != old[key]:
                problems.append(f"contracts/pacts/{name}: {key} differs")
        new_by = {i["description"]: i for i in new["interactions"]}
        old_by = {i["description"]: i for i in old["interactions"]}
        for desc in sorted(set(new_by) - set(old_by)):
            problems.append(f"contracts/pacts/{name}: interaction {desc!r} is missing")
        for desc in sorted(set(old_by) - set(new_by)):
            problems.append(f"contracts/pacts/{name}: interaction {desc!r} is no longer written")
        for desc in sorted(set(new_by) & set(old_by)):
            if new_by[desc] != old_by[desc]:
                problems.append(f"contracts/pacts/{name}: interaction {desc!r} differs")
        if list(new_by) != list(old_by) and set(new_by) == set(old_by):
            problems.append(f"contracts/pacts/{name}: interactions are in a different order")
    return problems


@pytest.mark.skipif(
    _regenerating_committed(), reason="this run writes contracts/pacts itself (EM_PACT_DIR); nothing to compare"
)
def test_committed_pacts_are_fresh(tmp_path: Path) -> None:
    s.write_all(tmp_path)
    problems = stale_report(tmp_path, s.PACTS_DIR)
    assert not problems, "stale pacts (" + REGENERATE + "):\n" + "\n".join(problems)


def test_a_stale_pact_is_reported(tmp_path: Path) -> None:
    """The comparison itself: an edited interaction, a missing file and an orphan file are all named."""
    fresh, committed = tmp_path / "fresh", tmp_path / "committed"
    written = s.write_all(fresh)
    committed.mkdir()
    for path in written[1:]:
        (committed / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    edited = committed / written[-1].name
    edited.write_text(edited.read_text(encoding="utf-8").replace("sha256", "sha512", 1))
    (committed / "someone-else.json").write_text(written[1].read_text(encoding="utf-8"), encoding="utf-8")
    problems = stale_report(fresh, committed)
    assert f"contracts/pacts/{written[0].name}: missing" in problems
    assert "contracts/pacts/someone-else.json: no consumer test writes it" in problems
    assert any(p.startswith(f"contracts/pacts/{edited.name}: interaction ") for p in problems)


def test_library_versions_in_metadata_are_ignored(tmp_path: Path) -> None:
    fresh, committed = tmp_path / "fresh", tmp_path / "committed"
    written = s.write(s.all_pact_defs()[0], fresh)
    committed.mkdir()
    text = written.read_text(encoding="utf-8")
    assert '"pactRust"' in text
    (committed / written.name).write_text(text.replace('"ffi": "', '"ffi": "9.', 1), encoding="utf-8")
    assert stale_report(fresh, committed) == []
