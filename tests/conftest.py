"""Shared fixtures. PACT_DO_NOT_TRACK is set before anything can import pact."""

from __future__ import annotations

import os

os.environ.setdefault("PACT_DO_NOT_TRACK", "true")

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def root() -> Path:
    """The project folder with the shipped catalogue."""
    return ROOT


@pytest.fixture
def catalogue_copy(tmp_path: Path) -> Path:
    """A writable copy of the shipped catalogue (schemas/, contracts/, pyproject.toml) to break on purpose."""
    dest = tmp_path / "project"
    dest.mkdir()
    shutil.copytree(ROOT / "schemas", dest / "schemas")
    shutil.copytree(ROOT / "contracts", dest / "contracts")
    shutil.copy(ROOT / "pyproject.toml", dest / "pyproject.toml")
    return dest
