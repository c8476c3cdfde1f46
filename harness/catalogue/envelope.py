"""The EM envelope's de-duplication id.

EM's notification publisher sets `eventId` to `sha256:<hex>` of the canonical payload. The catalogue
fixes "canonical" as: the message without `eventId`, keys sorted, no insignificant whitespace, UTF-8,
non-ASCII characters kept as they are. Producers and the harness compute it the same way, so a
duplicate is byte-for-byte detectable.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any


def canonical_bytes(message: dict[str, Any]) -> bytes:
    """The canonical form of a message for hashing: without eventId, sorted keys, compact."""
    body = {k: v for k, v in message.items() if k != "eventId"}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def event_id(message: dict[str, Any]) -> str:
    """`sha256:<hex>` of the canonical message."""
    return "sha256:" + hashlib.sha256(canonical_bytes(message)).hexdigest()


def seal(message: dict[str, Any]) -> dict[str, Any]:
    """Return a copy of the message with its eventId set from its content."""
    sealed = dict(message)
    sealed["eventId"] = event_id(message)
    return sealed
