"""Mutations of valid messages: the faults real suppliers make, applied one at a time.

Used to show the two validators agree (tests), to seed invalid traffic (bench) and, later, for fault
injection. A mutation is not guaranteed to make the message invalid (an unconstrained field may take
any value); callers that need invalid ones check with the registry.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Iterator
from typing import Any


def _leaves(node: Any, path: tuple = ()) -> Iterator[tuple[tuple, Any]]:
    if isinstance(node, dict):
        for k, v in node.items():
            yield (*path, k), v
            yield from _leaves(v, (*path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield (*path, i), v
            yield from _leaves(v, (*path, i))


def _set(doc: Any, path: tuple, value: Any) -> None:
    for p in path[:-1]:
        doc = doc[p]
    doc[path[-1]] = value


def _delete(doc: Any, path: tuple) -> None:
    for p in path[:-1]:
        doc = doc[p]
    del doc[path[-1]]


def _variants(value: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(value, bool):
        yield "bool as string", str(value).lower()
    elif isinstance(value, int):
        yield "integer as string", str(value)
        yield "integer negated", -value - 1
        yield "integer as float", value + 0.5
    elif isinstance(value, float):
        yield "number as string", str(value)
        yield "number out of range", value * 1000 + 1000
    elif isinstance(value, str):
        yield "string as integer", 42
        yield "string upper-cased", value.upper()
        yield "string title-cased", value.title()
        yield "string emptied", ""
        if "T" in value and value.endswith("Z"):
            yield "UTC time as London local", value.replace("T", " ").rstrip("Z")[:19]
        if len(value) == 19 and value[10] == " ":
            yield "London local time as UTC", value.replace(" ", "T") + "Z"
        yield "string suffixed", value + "x"
        yield "string too long", value * 200 if value else "x" * 2000
    elif isinstance(value, list):
        yield "array emptied", []
        yield "array as object", {"items": value}
    elif isinstance(value, dict):
        yield "object as array", [value]
        yield "object emptied", {}
    elif value is None:
        yield "null as string", "null"


def mutations(message: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every single-fault variant of a message, described as 'pointer: fault'."""
    for path, value in list(_leaves(message)):
        ptr = "/" + "/".join(str(p) for p in path)
        removed = copy.deepcopy(message)
        _delete(removed, path)
        yield f"{ptr}: removed", removed
        for fault, new in _variants(value):
            changed = copy.deepcopy(message)
            _set(changed, path, new)
            yield f"{ptr}: {fault}", changed
    extra = copy.deepcopy(message)
    extra["undeclaredField"] = "value"
    yield "/undeclaredField: added", extra


def sample_mutations(message: dict[str, Any], k: int, rng: random.Random) -> list[tuple[str, dict[str, Any]]]:
    """k mutations chosen at random (all of them when there are fewer)."""
    every = list(mutations(message))
    return every if len(every) <= k else rng.sample(every, k)
