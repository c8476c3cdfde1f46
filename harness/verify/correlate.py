"""Correlation: is a supplier message the answer to *this* interaction?

The rules are declared once per provider, in the `correlation:` section of contracts/states/<provider>.yaml
(see harness.catalogue.states.Correlation): which token of the interaction each answer echoes and where,
which values the supplier announces (case-created's caseId) and what every personReference identifier
must be. A message is a *candidate* when it mentions any token of the interaction (harness.simulate.stimuli
.mentions); it is *correlated* when it also keeps every rule. The engine chooses answers among correlated
candidates first, and a chosen answer that breaks a rule fails the `correlation` check with both values.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from harness.catalogue.states import Correlation, Expect
from harness.schemas.registry import REDACTED
from harness.verify.events import Failure, Recorded

EVENT_PREFIX = "electronic-monitoring."
SIM_PREFIX = "em-harness."
PERSONAL = "/personReference/"  # identifiers there are marked x-personal-data: never quoted


def message_of(rec: Recorded) -> str:
    """The message folder of a record (eventType without its prefix; the channel when there is none)."""
    event_type = rec.body.get("eventType") if isinstance(rec.body, dict) else None
    name = event_type if isinstance(event_type, str) else rec.channel
    return name.removeprefix(EVENT_PREFIX).removeprefix(SIM_PREFIX)


def values_at(body: Any, pointer: str) -> Iterator[tuple[str, Any]]:
    """(concrete pointer, value) for a JSON pointer in which `*` matches every item of an array."""
    parts = [p.replace("~1", "/").replace("~0", "~") for p in pointer.lstrip("/").split("/")]

    def walk(node: Any, i: int, here: str) -> Iterator[tuple[str, Any]]:
        if i == len(parts):
            yield here, node
            return
        part = parts[i]
        if part == "*" and isinstance(node, list):
            for j, item in enumerate(node):
                yield from walk(item, i + 1, f"{here}/{j}")
        elif isinstance(node, dict) and part in node:
            yield from walk(node[part], i + 1, f"{here}/{part.replace('~', '~0').replace('/', '~1')}")
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            yield from walk(node[int(part)], i + 1, f"{here}/{part}")

    yield from walk(body, 0, "")


def _text(value: Any) -> str:
    return "null" if value is None else str(value)


class Correlator:
    """The correlation rules of a provider applied to one interaction's tokens."""

    def __init__(self, rules: Correlation, tokens: dict[str, Any], owners: dict[str, str] | None = None) -> None:
        self.rules = rules
        self.tokens = {k: _text(v) for k, v in tokens.items()}
        self.owners = owners if owners is not None else {}
        """token value -> the interaction it belongs to (to say whose order an answer is about)."""
        self.announced: dict[str, list[str]] = {name: [] for name in rules.announced}

    def learn(self, records: list[Recorded]) -> None:
        """Note what the supplier announced for this interaction, from its own correlated announcements."""
        for rec in sorted(records, key=lambda r: r.seq):
            for name, (message, pointer) in self.rules.announced.items():
                if message_of(rec) != message or self._echo_failures(rec, announcing=True):
                    continue
                for _, value in values_at(rec.body, pointer):
                    if value is not None and _text(value) not in self.announced[name]:
                        self.announced[name].append(_text(value))

    def _expected(self, expect: Expect) -> list[str] | None:
        """The acceptable values for an expectation; None when this interaction has no such token."""
        if expect.kind == "token":
            value = self.tokens.get(expect.name)
            return None if value is None else [value]
        return self.announced.get(expect.name, [])

    def _check(self, rec: Recorded, pointer: str, value: Any, expects: list[Expect]) -> Failure | None:
        wanted: list[str] = []
        known = False
        for expect in expects:
            values = self._expected(expect)
            if values is None:
                continue
            known = True
            wanted.extend(values)
        if not known or _text(value) in wanted:
            return None
        names = " or ".join(str(e) for e in expects)
        if pointer.startswith(PERSONAL):
            # A CRN or NOMS number is personal data: name whose it is, never print it.
            owner = self.owners.get(_text(value))
            whose = f" (it belongs to {owner})" if owner else ""
            return Failure(
                pointer,
                f"this interaction's {names}",
                REDACTED,
                f"{message_of(rec)} carries at {pointer} an identifier that is not this interaction's {names}{whose}: "
                "the answer is not about this interaction (values redacted: personal data)",
            )
        if not wanted:
            return Failure(
                pointer,
                names,
                repr(_text(value)),
                f"{message_of(rec)} carries {pointer} {_text(value)!r}, but no "
                f"{' or '.join(self.rules.announced[e.name][0] for e in expects if e.kind == 'announced')} "
                f"of this interaction announced one",
            )
        owner = self.owners.get(_text(value))
        whose = f" (that value belongs to {owner})" if owner else ""
        return Failure(
            pointer,
            " or ".join(repr(w) for w in wanted),
            repr(_text(value)),
            f"{message_of(rec)} carries {pointer} {_text(value)!r} where this interaction's {names} is "
            f"{' or '.join(repr(w) for w in wanted)}{whose}: the answer is not about this interaction",
        )

    def _echo_failures(self, rec: Recorded, *, announcing: bool = False) -> list[Failure]:
        out = []
        for pointer, expects in self.rules.echo.get(message_of(rec), {}).items():
            if announcing and any(e.kind == "announced" for e in expects):
                continue  # the announcement itself is what announces
            for where, value in values_at(rec.body, pointer):
                failure = self._check(rec, where, value, expects)
                if failure is not None:
                    out.append(failure)
        if self.rules.identifiers and isinstance(rec.body, dict):
            for where, value in values_at(rec.body, "/personReference/identifiers/*/value"):
                failure = self._check(rec, where, value, self.rules.identifiers)
                if failure is not None:
                    out.append(failure)
        return out

    def failures(self, rec: Recorded) -> list[Failure]:
        """Why `rec` is not an answer of this interaction (empty when it keeps every rule)."""
        return self._echo_failures(rec, announcing=False)

    def correlated(self, rec: Recorded) -> bool:
        return not self.failures(rec)

    def carries(self, rec: Recorded, where: dict[str, Any]) -> bool:
        """Does the message carry these values (JSON pointer -> value)?"""
        for pointer, wanted in where.items():
            found = [v for _, v in values_at(rec.body, pointer)]
            if not found or any(_text(v) != _text(wanted) for v in found):
                return False
        return True
