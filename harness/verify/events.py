"""The typed events the engine yields, and the records they carry. Sinks read these and nothing else."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from harness.bus.recorded import Recorded  # the bus's record type, re-exported for the sinks

# Check names: one JUnit testcase per interaction and check.
PACT = "pact"
SCHEMA = "schema"
CHANNEL = "channel"
MINIMISATION = "data-minimisation"
DEADLINE = "deadline"
CORRELATION = "correlation"  # the answer carries this interaction's ids (contracts/states correlation rules)
EVENT_ID = "event-id"  # eventId is sha256 of the RFC 8785 canonical form, on every message the supplier sent
FLOW = "flow"  # a flow's counts, order and value rules (contracts/flows)
FAULT_CHECKS = ("fault-duplicate", "fault-reorder", "fault-delay", "fault-redeliver", "fault-poison")
INTERACTION_CHECKS = (DEADLINE, CHANNEL, SCHEMA, MINIMISATION, CORRELATION, EVENT_ID, PACT)
"""The checks of one pact interaction, in report order."""
CHECKS = (*INTERACTION_CHECKS, FLOW, *FAULT_CHECKS)
"""Every check name, in report order. A pact interaction has deadline .. pact; a flow has flow, correlation,
event-id and data-minimisation; a fault run of a flow has its fault-<name> check."""


@dataclass
class Failure:
    """What broke, in words a supplier's developer understands."""

    path: str  # JSON pointer into the message ("" for the whole message)
    expected: str
    actual: str
    message: str

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "expected": self.expected, "actual": self.actual, "message": self.message}


@dataclass
class CheckResult:
    check: str
    passed: bool
    failures: list[Failure] = field(default_factory=list)
    skipped: str | None = None  # why the check could not run (e.g. no message captured)
    pending: bool = False
    """The check belongs to a pending interaction (V4 `pending: true`): reported, never failing the run."""

    def to_json(self) -> dict[str, Any]:
        return {
            "check": self.check,
            "passed": self.passed,
            "skipped": self.skipped,
            "failures": [f.to_json() for f in self.failures],
            "pending": self.pending,
        }


@dataclass
class InteractionOutcome:
    """Everything about one pact interaction (or one schema-only check of a published message type)."""

    key: str  # "<consumer> / <description>"
    consumer: str
    description: str
    states: list[tuple[str, dict[str, Any]]]
    event_type: str
    channel: str
    deadline: float
    stimuli: list[Recorded] = field(default_factory=list)
    captured: Recorded | None = None
    elapsed: float | None = None  # seconds from the stimulus it answers (the last one before it) to the message
    checks: list[CheckResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    pending: bool = False
    """A pending interaction (V4 `pending: true`): verified and reported, but its failure never fails the
    run; counted apart, as the Pact Broker does."""
    problem: str | None = None
    """Why the interaction could not be run (a provider state not defined, a request that is no
    catalogue message); it is then a failure naming this, never a pass."""
    kind: str = "pact"
    """pact (a pact interaction), flow (a contracts/flows flow) or fault (a flow under a delivery fault)."""
    messages: list[Recorded] = field(default_factory=list)
    """Every supplier message tied to this interaction (by its tokens), the captured one included."""

    @property
    def passed(self) -> bool:
        """Every check ran and passed. An interaction nothing judged has not passed."""
        return bool(self.checks) and all(c.passed for c in self.checks)

    @property
    def verdict(self) -> str:
        """pass, FAIL, or for a pending interaction "pending: passed" / "pending: failed"."""
        if self.pending:
            return "pending: passed" if self.passed else "pending: failed"
        return "pass" if self.passed else "FAIL"

    def check(self, name: str) -> CheckResult | None:
        return next((c for c in self.checks if c.check == name), None)

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "consumer": self.consumer,
            "description": self.description,
            "states": [{"name": n, "params": p} for n, p in self.states],
            "eventType": self.event_type,
            "channel": self.channel,
            "deadlineSeconds": self.deadline,
            "passed": self.passed,
            "elapsedSeconds": None if self.elapsed is None else round(self.elapsed, 6),
            "stimuli": [s.to_json() for s in self.stimuli],
            "captured": None if self.captured is None else self.captured.to_json(),
            "checks": [c.to_json() for c in self.checks],
            "notes": self.notes,
            "pending": self.pending,
            "verdict": self.verdict,
            "problem": self.problem,
            "kind": self.kind,
            "messages": [m.seq for m in self.messages],
        }


# -- the stream -------------------------------------------------------------------------------
@dataclass
class RunStarted:
    provider: str
    bus: str
    supplier: str
    interactions: int
    pacts: list[str]
    notes: list[str] = field(default_factory=list)
    """Interactions the run leaves out and why (HTTP interactions of a combined pact file, ...)."""
    catalogue_version: str = ""
    catalogue_hash: str = ""
    """The catalogue verified against (harness.catalogue.fingerprint): every report prints both."""


@dataclass
class SupplierHeard:
    """The first message from a supplier arrived (any channel, the readiness message included).

    The console holds its header until then: a run where no supplier ever speaks opens with saying so."""


@dataclass
class InteractionStarted:
    key: str
    index: int
    total: int


@dataclass
class InteractionSettled:
    """The bus phase of one interaction is over: a message was captured, or the deadline passed."""

    outcome: InteractionOutcome


@dataclass
class Judged:
    """All checks of one interaction are done."""

    outcome: InteractionOutcome


@dataclass
class RunFinished:
    provider: str
    outcomes: list[InteractionOutcome]
    recorded: list[Recorded]
    seconds: float
    error: str | None = None  # an infrastructure or harness error that ended the run early
    supplier_output: str = ""
    notes: list[str] = field(default_factory=list)
    """Interactions the run left out and why (out of scope: HTTP interactions, ...)."""
    clock: str = ""  # how the supplier's time ran: the virtual clock from an instant, or the wall clock
    interrupted: str | None = None
    """The signal that stopped the run early (SIGINT, SIGTERM), else None; `error` then says so too."""
    catalogue_version: str = ""
    catalogue_hash: str = ""
    """The catalogue verified against (harness.catalogue.fingerprint): every report prints both."""
    coverage: Any = None
    """harness.verify.coverage.Coverage of the supplier's messages (None when not computed)."""
    min_coverage: float | None = None
    """--min-coverage: the percentage every coverage measure must reach (None: no minimum)."""

    heard: bool | None = None
    """Did any supplier message arrive (the engine's own count, which leaves out the poison it published)?
    None: judge from `recorded`."""

    @property
    def supplier_silent(self) -> bool:
        """Nothing on the bus came from any supplier during the run: most likely none is attached."""
        if self.heard is not None:
            return not self.heard
        return not any(r.direction == "supplier" for r in self.recorded)

    @property
    def coverage_short(self) -> list[str]:
        """One line per coverage measure below --min-coverage, naming what was missing."""
        if self.min_coverage is None or self.coverage is None:
            return []
        return self.coverage.shortfalls(self.min_coverage)

    @property
    def passed(self) -> bool:
        """No error, at least one interaction, and every interaction that is not pending passed."""
        return self.error is None and bool(self.outcomes) and all(o.passed for o in self.outcomes if not o.pending)

    @property
    def counts(self) -> dict[str, int]:
        """Interactions by verdict: passed and failed (those that count), and the pending ones apart."""
        counted = [o for o in self.outcomes if not o.pending]
        pending = [o for o in self.outcomes if o.pending]
        return {
            "passed": sum(o.passed for o in counted),
            "failed": sum(not o.passed for o in counted),
            "pendingPassed": sum(o.passed for o in pending),
            "pendingFailed": sum(not o.passed for o in pending),
        }

    @property
    def verdict(self) -> str:
        """The run's verdict word, as every report prints it: ERROR, PASS or FAIL."""
        return "ERROR" if self.error else ("PASS" if self.exit_code == 0 else "FAIL")

    def tallies(self) -> list[str]:
        """'N of M' passed per kind of run (interactions always, flows and fault runs when there are any);
        pending interactions are counted apart (counts)."""
        parts = []
        for kind, noun in (("pact", "interaction(s)"), ("flow", "flow(s)"), ("fault", "fault run(s)")):
            rows = [o for o in self.outcomes if o.kind == kind and not o.pending]
            if rows or kind == "pact":
                parts.append(f"{sum(o.passed for o in rows)} of {len(rows)} {noun}")
        return parts

    @property
    def exit_code(self) -> int:
        """2 on an error; 1 when an interaction failed or a coverage measure is below --min-coverage."""
        if self.interrupted is not None:  # as a shell reports a process a signal stopped: 128 + the signal
            return 128 + (15 if self.interrupted == "SIGTERM" else 2)
        if self.error is not None:
            return 2
        return 0 if self.passed and not self.coverage_short else 1


Event = RunStarted | SupplierHeard | InteractionStarted | InteractionSettled | Judged | RunFinished
