"""Where the pact tests write their files: EM_PACT_DIR (scripts/write_pacts.sh sets contracts/pacts), else a tmp dir."""

from __future__ import annotations

import os

os.environ.setdefault("PACT_DO_NOT_TRACK", "true")

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def pact_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The output folder for pact files; never the committed contracts/pacts unless asked for by EM_PACT_DIR."""
    chosen = os.environ.get("EM_PACT_DIR")
    if chosen:
        path = Path(chosen).resolve()
        path.mkdir(parents=True, exist_ok=True)
        return path
    return tmp_path_factory.mktemp("pacts")
