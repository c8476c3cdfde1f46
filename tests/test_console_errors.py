"""The console after a run ended by an error: counted against the plan, the error itself on stderr."""

from __future__ import annotations

import io

from rich.console import Console

from harness.report.console import ConsoleSink
from harness.verify.events import CheckResult, InteractionOutcome, RunFinished, RunStarted


def _outcome(key: str, checks: list[CheckResult]) -> InteractionOutcome:
    return InteractionOutcome(key, "cemo", key, [], "case-created", "electronic-monitoring.case-created", 5.0,
                              checks=checks)  # fmt: skip


def _run(error: str | None, planned: int = 27) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    sink = ConsoleSink(Console(file=out, width=250, color_system=None), Console(file=err, width=250, color_system=None))
    settled_pass = [_outcome(f"cemo / passed {i}", [CheckResult("deadline", True), CheckResult("pact", True)])
                    for i in range(6)]  # fmt: skip
    settled_fail = [_outcome("cemo / failed", [CheckResult("deadline", True), CheckResult("pact", False)])]
    cut = [_outcome(f"cemo / cut {i}", [CheckResult("deadline", False, skipped="the run ended: broker lost")])
           for i in range(3)]  # fmt: skip
    sink(RunStarted("field-monitoring-service", "nats://127.0.0.1:4222", "an app", planned, ["p.json"]))
    sink(RunFinished("field-monitoring-service", settled_pass + settled_fail + cut, [], 3.2, error=error))
    return out.getvalue(), err.getvalue()


def test_after_an_error_the_summary_counts_what_was_planned_and_the_error_is_on_stderr():
    out, err = _run("infrastructure error: broker 'nats://127.0.0.1:4222' lost mid-run")
    assert out.splitlines()[-1] == (
        "ERROR: 7 of 27 planned run(s) settled before the error, 6 of them passed; the run is not a pass "
        "(the error is on stderr) in 3.2 s"
    )
    assert "PASS" not in out and "infrastructure error" not in out
    assert err.strip() == "ERROR infrastructure error: broker 'nats://127.0.0.1:4222' lost mid-run"


def test_without_an_error_nothing_goes_to_stderr_and_the_summary_is_the_verdict():
    out, err = _run(None, planned=10)
    assert err == ""
    assert out.splitlines()[-1].startswith("FAIL: 6 of 10 interaction(s) passed in 3.2 s")
