"""Probation alerts: supplier violations and alerts become actions for the responsible officer.

An officer needs a short list: what is open, what is urgent, what was closed and why. Each violation
(by its sys_id) and each alert (by alert_id) is one action. A violation update carries the whole
current record, so it re-decides the action: an accepted reasonable excuse or an authorised absence
closes it with the supplier's outcome reason, an inactive violation closes it, an escalation raises
its priority. Cases are assigned to officers; actions on unassigned cases wait in "unallocated".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from consumers.messages import Consumer, InvalidMessage, UnknownReference, payload

UNALLOCATED = "unallocated"
PRIORITY_RANK = {"high": 0, "medium": 1, "low": 2}
VIOLATION_CATEGORIES = ("curfew", "exclusion_zone", "inclusion_zone", "tamper", "alcohol", "attendance")
ALERT_PRIORITY = {
    "investigation_violation": "high",
    "indication_noncompliance": "high",
    "investigation_special": "medium",
    "indication_fault": "low",
    "device_maintenance": "low",
    "notification_alert": "low",
}
LONG_ABSENCE_SECONDS = 3600
_NEVER = datetime.max.replace(tzinfo=UTC)


@dataclass
class Action:
    action_id: str
    case_id: str
    source: str  # violation | alert
    title: str
    priority: str
    status: str = "open"
    opened_at: datetime | None = None
    closed_reason: str | None = None
    history: list[str] = field(default_factory=list)

    @property
    def is_open(self) -> bool:
        return self.status == "open"


def violation_priority(category: str, duration: int | None, whole_curfew: bool, escalated: bool) -> str:
    """Zone and tamper breaches put a victim or the monitoring itself at risk: high. Long absences too."""
    if category in ("exclusion_zone", "tamper") or whole_curfew or escalated:
        return "high"
    if duration is not None and duration >= LONG_ABSENCE_SECONDS:
        return "high"
    return "medium"


class OfficerActions(Consumer):
    handlers = {
        "electronic-monitoring.violation-raised": "violation_raised",
        "electronic-monitoring.violation-updated": "violation_updated",
        "electronic-monitoring.alert-raised": "alert_raised",
    }

    def __init__(self) -> None:
        self.actions: dict[str, Action] = {}
        self.officers: dict[str, str] = {}

    # -- officers -------------------------------------------------------------------------------
    def assign(self, case_id: str, officer: str) -> None:
        """Make an officer responsible for a case (and so for its actions, past and future)."""
        if not officer or officer == UNALLOCATED:
            raise ValueError("an officer needs a name")
        self.officers[case_id] = officer

    def officer_for(self, case_id: str) -> str:
        return self.officers.get(case_id, UNALLOCATED)

    # -- queries --------------------------------------------------------------------------------
    def action(self, action_id: str) -> Action:
        try:
            return self.actions[action_id]
        except KeyError:
            raise UnknownReference(f"no action {action_id}") from None

    def open_actions(self, officer: str | None = None) -> list[Action]:
        """Open actions, most urgent first, then oldest first; for one officer when named."""
        found = [
            a
            for a in self.actions.values()
            if a.is_open and (officer is None or self.officer_for(a.case_id) == officer)
        ]
        return sorted(found, key=lambda a: (PRIORITY_RANK[a.priority], a.opened_at or _NEVER, a.action_id))

    def close(self, action_id: str, reason: str) -> Action:
        """An officer closes an action by hand."""
        action = self.action(action_id)
        if not action.is_open:
            raise ValueError(f"action {action_id} is already closed")
        action.status, action.closed_reason = "closed", reason
        action.history.append(f"closed by officer: {reason}")
        return action

    # -- handlers -------------------------------------------------------------------------------
    def _violation(self, message: dict[str, Any], verb: str) -> Action:
        p = payload(message)
        sys_id = p.text("sys_id")
        category = p.choice("category", VIOLATION_CATEGORIES)
        active = p.boolean("active")
        state = p.text("state")
        duration = p.integer("duration", optional=True, minimum=0)
        excused = p.yes("reasonable_excuse")
        authorised = p.yes("authorised_absence")
        outcome = p.text("outcome_reason", optional=True)
        if excused and not outcome:
            raise InvalidMessage(f"{p.where}: a reasonable excuse without an outcome_reason")
        response = p.text("response_action", optional=True)
        escalated = response is not None and "escalat" in response.lower()
        priority = violation_priority(category, duration, p.yes("out_for_entire_curfew_period"), escalated)
        action_id = f"violation:{sys_id}"
        action = self.actions.get(action_id)
        if action is None:
            action = Action(
                action_id=action_id,
                case_id=p.text("caseId"),
                source="violation",
                title=p.text("short_description", optional=True) or f"{category} violation",
                priority=priority,
                opened_at=p.london("start"),
            )
            self.actions[action_id] = action
        action.priority = priority
        if excused:
            action.status, action.closed_reason = "closed", f"reasonable excuse accepted: {outcome}"
        elif authorised:
            action.status, action.closed_reason = "closed", "authorised absence"
        elif not active:
            action.status, action.closed_reason = "closed", outcome or f"closed by the supplier ({state})"
        else:
            action.status, action.closed_reason = "open", None
        action.history.append(f"{verb}: {state}, {action.status}, {priority}")
        return action

    def violation_raised(self, message: dict[str, Any]) -> Action:
        return self._violation(message, "raised")

    def violation_updated(self, message: dict[str, Any]) -> Action:
        return self._violation(message, "updated")

    def alert_raised(self, message: dict[str, Any]) -> Action:
        """An alert is one action; the same alert_id again (a redelivery) changes nothing."""
        p = payload(message)
        action_id = f"alert:{p.text('alert_id')}"
        alert_class = p.choice("alert_class", ALERT_PRIORITY)
        raised = p.london("raised_at")
        existing = self.actions.get(action_id)
        if existing is not None:
            return existing
        action = Action(
            action_id=action_id,
            case_id=p.text("caseId"),
            source="alert",
            title=p.text("alert_type"),
            priority=ALERT_PRIORITY[alert_class],
            opened_at=raised,
        )
        action.history.append(f"alert {alert_class}")
        self.actions[action_id] = action
        return action
