"""PII canaries: unique synthetic personal values planted in the stimuli, then searched for everywhere.

Every interaction's order gets a wearer whose name, alias, date of birth and first address line are made
up for that interaction alone ("Canaqzkfwhrb Testmvnqplsd", born 1961-04-27). The harness then searches
every string of every message the supplier publishes, on every channel, free text included; a canary
found outside a field the message's schema marks `x-personal-data` fails `data-minimisation`. Reports
never show a canary's value: they name the field it was planted in.
"""

from __future__ import annotations

import random
import re
import string
from datetime import date, timedelta
from typing import Any

from harness.simulate.stimuli import set_pointer

# Where canaries go in a stimulus (JSON pointer -> how to make one), when the stimulus has that field.
WEARER = "/additionalInformation/device_wearer"
PLANTED = {
    f"{WEARER}/first_name": "name",
    f"{WEARER}/last_name": "name",
    f"{WEARER}/alias": "name",
    f"{WEARER}/date_of_birth": "date",
    f"{WEARER}/address_1": "street",
}


def _get(body: Any, pointer: str) -> Any:
    node = body
    for part in pointer.lstrip("/").split("/"):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


class Canaries:
    """The canaries of a run: value -> (interaction key, the field it was planted in)."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.planted: dict[str, tuple[str, str]] = {}
        self._pattern: re.Pattern[str] | None = None
        self._count = 0
        self._lowered: dict[str, str] = {}

    def _search(self) -> re.Pattern[str]:
        """One pattern for every canary (case-insensitive): a search costs one pass over a string."""
        if self._pattern is None or len(self.planted) != self._count:
            alternatives = sorted(self.planted, key=len, reverse=True)
            self._pattern = re.compile("|".join(re.escape(v) for v in alternatives), re.IGNORECASE)
            self._count = len(self.planted)
            self._lowered = {v.lower(): v for v in self.planted}
        return self._pattern

    def _letters(self, n: int) -> str:
        return "".join(self.rng.choice(string.ascii_lowercase) for _ in range(n))

    def _make(self, kind: str) -> str:
        while True:
            if kind == "name":
                value = "Cana" + self._letters(8)
            elif kind == "date":
                value = (date(1940, 1, 1) + timedelta(days=self.rng.randrange(23000))).isoformat()
            else:
                value = f"{self.rng.randrange(2, 999)} Canary{self._letters(6)} Street"
            if value not in self.planted:
                return value

    def plant(self, body: dict[str, Any], owner: str) -> dict[str, str]:
        """Replace the planted fields present in `body` with fresh canaries; returns value -> field."""
        out = {}
        for pointer, kind in PLANTED.items():
            if not isinstance(_get(body, pointer), str):
                continue
            value = self._make(kind).capitalize() if kind == "name" else self._make(kind)
            set_pointer(body, pointer, value)
            field = pointer.rsplit("/", 2)[-2] + "." + pointer.rsplit("/", 1)[-1]
            self.planted[value] = (owner, field)
            out[value] = field
        return out

    def find(self, body: Any) -> list[tuple[str, str]]:
        """(JSON pointer, canary value) of every canary inside a string of the message."""
        if not self.planted:
            return []
        pattern = self._search()
        hits = []
        stack: list[tuple[str, Any]] = [("", body)]
        while stack:
            here, node = stack.pop()
            if isinstance(node, dict):
                stack.extend((f"{here}/{k.replace('~', '~0').replace('/', '~1')}", v) for k, v in node.items())
            elif isinstance(node, list):
                stack.extend((f"{here}/{i}", v) for i, v in enumerate(node))
            elif isinstance(node, str):
                hits.extend((here, self._lowered[m.group(0).lower()]) for m in pattern.finditer(node))
        return hits

    def scrub(self, value: Any) -> Any:
        """A copy with every canary inside a string replaced by <canary>."""
        if isinstance(value, dict):
            return {k: self.scrub(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.scrub(v) for v in value]
        if isinstance(value, str) and self.planted:
            return self._search().sub("<canary>", value)
        return value
