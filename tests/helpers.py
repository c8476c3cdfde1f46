"""Running the real command line, as a user would."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def text(self) -> str:
        return self.out + self.err


def em(*args: str, cwd: Path | None = None, stdin: bytes | None = None, timeout: float = 300) -> Result:
    """Run `em-harness ARGS` in a subprocess and capture everything."""
    env = dict(os.environ, PACT_DO_NOT_TRACK="true", COLUMNS="200", NO_COLOR="1")
    proc = subprocess.run(
        [sys.executable, "-m", "harness", *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        env=env,
        timeout=timeout,
    )
    return Result(proc.returncode, proc.stdout.decode("utf-8", "replace"), proc.stderr.decode("utf-8", "replace"))


def planned(provider: str, root: Path | None = None) -> int:
    """How many interactions verify plans for a provider: what a full pass reports ("PASS: N of N")."""
    from harness.project import find_project
    from harness.verify.plan import make_plan

    return len(make_plan(find_project(root or Path(__file__).resolve().parent.parent), provider).interactions)
