"""pytest plugin (entry point `em_harness`): run em-harness from a supplier's own test suite.

Fixtures:
- `em_project`: the catalogue (found from EM_HARNESS_ROOT or the current folder);
- `em_registry`: compiled validators for every schema, to check what your code publishes;
- `em_verify`: a function that verifies a provider exactly as `em-harness verify` does and returns the
  run; `.passed` says whether it passed and `em_verify.explain(run)` the failures, one line each:

      def test_our_supplier_honours_the_contracts(em_verify):
          run = em_verify("field-monitoring-service", supplier_app="our_supplier.app:app")
          assert run.passed, em_verify.explain(run)
"""

from __future__ import annotations

import os

os.environ.setdefault("PACT_DO_NOT_TRACK", "true")

from typing import Any

import pytest


@pytest.fixture(scope="session")
def em_project():
    """The em-harness project (catalogue) the tests run against."""
    from harness.project import find_project

    return find_project()


@pytest.fixture(scope="session")
def em_registry(em_project):
    """Compiled validators for every schema of the catalogue."""
    from harness.schemas.registry import SchemaRegistry

    return SchemaRegistry(em_project.schemas_dir)


class Verify:
    """Callable fixture object: run the verify engine, return its RunFinished event."""

    def __init__(self, project: Any) -> None:
        self.project = project

    def __call__(self, provider: str, *, supplier_app: str | None = None, bus: str = "memory", **options: Any) -> Any:
        from harness.verify.engine import VerifyEngine
        from harness.verify.events import RunFinished

        engine = VerifyEngine(self.project, provider, bus_url=bus, supplier_app=supplier_app, **options)
        finished = None
        for event in engine.events():
            if isinstance(event, RunFinished):
                finished = event
        return finished

    @staticmethod
    def explain(run: Any) -> str:
        """Every failure of a run, one line each: interaction, check, path, what was expected and found."""
        lines = [f"infrastructure error: {run.error}"] if run.error else []
        for outcome in run.outcomes:
            for check in outcome.checks:
                for f in check.failures:
                    lines.append(
                        f"{outcome.key}: {check.check} at {f.path or '/'}: {f.message} "
                        f"(expected {f.expected}, got {f.actual})"
                    )
        return "\n".join(lines) or "all interactions passed"


@pytest.fixture
def em_verify(em_project) -> Verify:
    """Verify a provider against its contracts: `em_verify(provider, supplier_app="mod:app")`."""
    return Verify(em_project)
