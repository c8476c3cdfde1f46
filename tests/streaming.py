"""validate-stream and reconcile in-process: the command line through typer's CliRunner, with the exit
code and the one stderr line em-harness's main() would give for a HarnessError."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from harness.cli import app
from harness.errors import HarnessError
from tests.helpers import Result

ROOT = Path(__file__).resolve().parent.parent


def cli(*args: str, stdin: bytes | None = None, env: dict[str, str] | None = None, root: Path = ROOT) -> Result:
    runner = CliRunner(env={"COLUMNS": "200", "NO_COLOR": "1", **(env or {})})
    result = runner.invoke(app, [*args, "--root", str(root)], input=stdin)
    exc = result.exception
    if isinstance(exc, HarnessError):
        return Result(exc.exit_code, result.stdout, f"em-harness: error: {exc}\n")
    if exc is not None and not isinstance(exc, SystemExit):
        raise exc
    return Result(result.exit_code, result.stdout, result.stderr)
