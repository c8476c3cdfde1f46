"""Protective tests: for each verify check, a supplier that fails that check and no other, and the whole
verdict asserted (exit code, the failing check, every other check passing, the line naming interaction,
field and expectation). The faulty suppliers in providers/faulty hold the others (data-minimisation,
correlation, event-id: one check each; deadline and channel: a message that is late or on the wrong
channel cannot also satisfy its pact, so those fail with the pact check, and test_verify asserts exactly
that set). Run in this process on the memory bus, one interaction each.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.verifying import verify

ROOT = Path(__file__).resolve().parent.parent
KEY = "cemo / a GPS monitoring device installed"
CHECKS = {"deadline", "channel", "schema", "data-minimisation", "correlation", "event-id", "pact"}


@pytest.mark.parametrize(
    ("app", "check", "said", "why"),
    [
        ("pact_only", "pact", "pact at /additionalInformation/device_class",
         "Expected 'home monitoring unit' (String) to be equal to 'GPS monitoring device' (String)"),
        ("schema_only", "schema", "schema at /additionalInformation/serial_number",
         "is too long (expected the schema's maxLength rule"),
        ("wrong_identity", "correlation", "correlation at /additionalInformation/device_id",
         "where this interaction's {token:device_id} is"),
    ],
)  # fmt: skip
def test_only_one_check_fails(app, check, said, why):
    run = verify(ROOT, app=f"tests.suppliers.one_check:{app}", only=[KEY])
    assert run.code == 1, run.console
    assert run.keys == [KEY]
    outcome = run.outcome(KEY)
    verdicts = {c.check: c.passed for c in outcome.checks}
    assert set(verdicts) == CHECKS
    assert {c for c, ok in verdicts.items() if not ok} == {check}, verdicts
    assert not [c for c in outcome.checks if c.skipped], "no check is skipped: each one judged the message"
    (line,) = run.lines(f"FAIL {KEY}")
    assert line.startswith(f"FAIL {KEY}: {said}: ") and why in line, line


def test_the_reference_passes_the_same_interaction():
    """The control: without the edit, every check passes (so each failure above is the edit's)."""
    run = verify(ROOT, app="providers.field_monitoring:app", only=[KEY])
    assert run.code == 0, run.console
    assert all(c.passed for c in run.outcome(KEY).checks)
