"""Running lint and verify in this process on a catalogue copy that holds chosen pact files only.

Faster than the command line (no interpreter start per run) and it yields the same events: what the
tests assert is the whole verdict a user sees (exit code, every interaction's checks, the console lines).
"""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path
from typing import Any

from rich.console import Console

from harness.catalogue.lint import CHECKS, check_pact_structure, lint_project
from harness.project import find_project
from harness.report.console import ConsoleSink
from harness.verify.engine import VerifyEngine
from harness.verify.events import Event, RunFinished

ROOT = Path(__file__).resolve().parent.parent
FOREIGN = ROOT / "tests" / "fixtures" / "pacts" / "foreign"
FMS = "field-monitoring-service"


def catalogue(tmp: Path, *pacts: Path | tuple[str, Any]) -> Path:
    """A copy of the catalogue whose contracts/pacts holds only the given pact files (a path, or (name, JSON))."""
    dest = tmp / "project"
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    shutil.copytree(ROOT / "schemas", dest / "schemas")
    shutil.copytree(ROOT / "contracts", dest / "contracts")
    shutil.copy(ROOT / "pyproject.toml", dest / "pyproject.toml")
    for apps in ("providers", "consumers", "wirekit"):  # loaded from the project folder, as in a checkout
        (dest / apps).symlink_to(ROOT / apps, target_is_directory=True)
    for old in (dest / "contracts" / "pacts").glob("*.json"):
        old.unlink()
    for pact in pacts:
        if isinstance(pact, tuple):
            name, doc = pact
            (dest / "contracts" / "pacts" / name).write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
        else:
            shutil.copy(pact, dest / "contracts" / "pacts" / pact.name)
    return dest


def fixture(name: str, twin: str = "good") -> Path:
    """tests/fixtures/pacts/foreign/<tool>/<name>/<twin>/<consumer>-<provider>.json"""
    (found,) = sorted((FOREIGN / name / twin).glob("*.json"))
    return found


class Run:
    """One verify run: its events, the finished run and what the console printed."""

    def __init__(self, events: list[Event]) -> None:
        self.events = events
        finished = [e for e in events if isinstance(e, RunFinished)]
        assert len(finished) == 1
        self.finished: RunFinished = finished[0]
        buffer = io.StringIO()
        sink = ConsoleSink(Console(file=buffer, width=250, highlight=False, color_system=None))
        for event in events:
            sink(event)
        self.console = buffer.getvalue()

    @property
    def code(self) -> int:
        return self.finished.exit_code

    def outcome(self, key: str) -> Any:
        (found,) = [o for o in self.finished.outcomes if o.key == key]
        return found

    @property
    def keys(self) -> list[str]:
        return [o.key for o in self.finished.outcomes]

    def failing(self) -> dict[str, list[str]]:
        return {o.key: [c.check for c in o.checks if not c.passed] for o in self.finished.outcomes if not o.passed}

    def lines(self, start: str) -> list[str]:
        return [line for line in self.console.splitlines() if line.startswith(start)]


def verify(project: Path, provider: str = FMS, app: str | None = None, bus: str = "memory", **kw: Any) -> Run:
    """Verify the pact interactions of the copy. Flows are left out unless asked for (flows=None runs them
    all): these tests are about pacts, and the flows have their own (tests/test_verify_behaviour.py)."""
    # No fixed seed: the in-process reference apps keep their state between runs of one process, and
    # fresh identifiers per run keep one run's orders from being duplicates of another's.
    kw.setdefault("flows", [])
    engine = VerifyEngine(find_project(project), provider, bus_url=bus, supplier_app=app, **kw)
    return Run(list(engine.events()))


def lint(project: Path) -> list[str]:
    """The lint findings about pacts and states, rendered as the command prints them (the schema and
    AsyncAPI checks, which these tests never change, are left out)."""
    pacts_and_states = CHECKS[CHECKS.index(check_pact_structure) :]
    found, _ = lint_project(find_project(project), pacts_and_states)
    return [f.render() for f in found if f.file.startswith(("contracts/pacts/", "contracts/states/"))]


def errors(lines: list[str]) -> list[str]:
    return [line for line in lines if ": warning: " not in line]
