"""pytest plugin (entry point `em_harness`): fixtures for a supplier's own test suite.

`em_project` finds the catalogue (from EM_HARNESS_ROOT or the current folder); `em_registry` gives the
compiled schemas so a test can validate what its code publishes.
"""

from __future__ import annotations

import os

os.environ.setdefault("PACT_DO_NOT_TRACK", "true")

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
