"""Running the real command line for the gate's tests, with extra environment when a test needs it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.helpers import Result


def em(*args: str, extra_env: dict[str, str] | None = None, cwd: Path | None = None, timeout: float = 300) -> Result:
    """Run `em-harness ARGS` in a subprocess, as tests.helpers.em does, with `extra_env` added."""
    env = dict(os.environ, PACT_DO_NOT_TRACK="true", COLUMNS="200", NO_COLOR="1", **(extra_env or {}))
    proc = subprocess.run(
        [sys.executable, "-m", "harness", *args], cwd=cwd, capture_output=True, env=env, timeout=timeout
    )
    return Result(proc.returncode, proc.stdout.decode("utf-8", "replace"), proc.stderr.decode("utf-8", "replace"))
