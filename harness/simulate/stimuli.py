"""Turn a provider state (contracts/states/<provider>.yaml) into concrete, correlatable messages.

Every interaction gets fresh tokens (order id, CRN, device id, ...). The state's `set` pointers put
them into the stimuli; the supplier echoes them in what it publishes; the engine finds the supplier's
answer by looking for any of the interaction's token values in the captured message. That is how many
interactions can run on one bus at the same time without mistaking one's reply for another's.
"""

from __future__ import annotations

import copy
import random
import re
import string
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from harness.catalogue.envelope import seal
from harness.errors import HarnessError

_PLACEHOLDER = re.compile(r"\{(token:)?([A-Za-z_][A-Za-z0-9_]*)\}")


class Tokens:
    """Fresh synthetic identifiers, unique within a run."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self.values: dict[str, Any] = {}

    def get(self, kind: str) -> Any:
        if kind not in self.values:
            self.values[kind] = self._make(kind)
        return self.values[kind]

    def _make(self, kind: str) -> Any:
        r = self._rng
        if kind in ("order_id", "uuid", "visit_id", "alert_id", "request_id"):
            return str(uuid.UUID(int=r.getrandbits(128), version=4))
        if kind == "crn":
            return r.choice("XYZ") + f"{r.randrange(10**6):06d}"
        if kind == "noms":
            letters = string.ascii_uppercase
            return r.choice("ABG") + f"{r.randrange(10**4):04d}" + r.choice(letters) + r.choice(letters)
        if kind in ("device_id", "person_id", "device_activation_id", "position_id"):
            return r.randrange(10**8, 10**9)
        if kind in ("case_id", "sys_id", "case_ref"):
            return f"{r.getrandbits(128):032x}"
        if kind == "serial_number":
            return f"SN-{r.randrange(10**8):08d}"
        return f"{kind}-{r.getrandbits(48):012x}"

    def correlation_values(self) -> set[str]:
        """The token values as strings: what to look for in the supplier's messages."""
        return {str(v) for v in self.values.values()}


@dataclass
class Stimulus:
    channel: str
    message: str  # schema folder name
    body: dict[str, Any]
    delay: float
    after: str | None = None  # eventType the supplier must have answered with before this is sent
    after_where: dict[str, Any] | None = None  # JSON pointer -> value that answer must carry
    advance: float = 0.0  # simulated seconds to move the virtual clock forward first

    def stamped(self, now: str) -> dict[str, Any]:
        """The body with its envelope times set to `now` (the run's clock), sealed again."""
        return stamp(self.body, now)


def _substitute(value: Any, params: dict[str, Any], tokens: Tokens) -> Any:
    if not isinstance(value, str):
        return value
    whole = _PLACEHOLDER.fullmatch(value)
    if whole:  # "{token:device_id}" alone keeps the token's own type (an integer stays an integer)
        return tokens.get(whole.group(2)) if whole.group(1) else params.get(whole.group(2), value)

    def repl(m: re.Match) -> str:
        return str(tokens.get(m.group(2)) if m.group(1) else params.get(m.group(2), m.group(0)))

    return _PLACEHOLDER.sub(repl, value)


def set_pointer(doc: Any, pointer: str, value: Any) -> None:
    """Set a JSON pointer's value, creating objects on the way; `-` appends to an array."""
    parts = [p.replace("~1", "/").replace("~0", "~") for p in pointer.lstrip("/").split("/")]
    node = doc
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if isinstance(node, list):
            if part == "-":
                if last:
                    node.append(value)
                    return
                node.append({})
                node = node[-1]
                continue
            idx = int(part)
            if last:
                node[idx] = value
                return
            node = node[idx]
        else:
            if last:
                if value is None:
                    node.pop(part, None)
                else:
                    node[part] = value
                return
            node = node.setdefault(part, {})


def now_utc() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def stamp(body: dict[str, Any], now: str) -> dict[str, Any]:
    """A copy of a stimulus with occurredAt/publishedAt set to `now`, resealed (its eventId changes)."""
    out = {k: v for k, v in body.items() if k != "eventId"}
    for key in ("occurredAt", "publishedAt"):
        if key in out:
            out[key] = now
    return seal(out)


def build_stimuli(
    state: Any,
    params: dict[str, Any],
    tokens: Tokens,
    examples: dict[str, dict[str, Any]],
    channels: dict[str, str],
) -> list[Stimulus]:
    """The concrete messages for one state: examples[0] of each stimulus's schema, with `set` applied."""
    merged = {name: spec.get("default") for name, spec in (state.params or {}).items() if isinstance(spec, dict)}
    merged.update(params or {})
    out = []
    for stim in state.stimuli:
        if stim.message not in examples:
            raise HarnessError(f"provider state {state.name!r}: stimulus {stim.message!r} has no schema example")
        body = copy.deepcopy(examples[stim.message])
        for pointer, raw in (stim.set or {}).items():
            set_pointer(body, pointer, _substitute(raw, merged, tokens))
        if "occurredAt" in body:
            body["occurredAt"] = now_utc()
        if "publishedAt" in body:
            body["publishedAt"] = now_utc()
        after = getattr(stim, "after", None)
        out.append(
            Stimulus(
                channels[stim.message],
                stim.message,
                seal(body),
                float(stim.delay or 0),
                None if after is None else channels.get(after, after),
                dict(getattr(stim, "after_where", None) or {}) or None,
                float(getattr(stim, "advance", 0) or 0),
            )
        )
    return out


def mentions(body: Any, values: set[str]) -> bool:
    """Does any leaf of the message carry one of the values?

    Equal as strings, or, for values of 8 characters or more (uuids, CRNs, generated names), contained
    in a string leaf: a supplier may embed an id in a file name or a reference.
    """
    long_values = [v for v in values if len(v) >= 8]
    stack = [body]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
        elif node is not None and not isinstance(node, bool):
            text = str(node)
            if text in values or (isinstance(node, str) and any(v in text for v in long_values)):
                return True
    return False
