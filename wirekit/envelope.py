"""eventId: `sha256:<hex>` of the message without `eventId`, in RFC 8785 (JCS) canonical JSON, as UTF-8."""

from __future__ import annotations

import hashlib
from typing import Any

import rfc8785


def event_id(message: dict[str, Any]) -> str:
    """The eventId a message must carry (raises rfc8785.CanonicalizationError for NaN, huge integers)."""
    body = {k: v for k, v in message.items() if k != "eventId"}
    return "sha256:" + hashlib.sha256(rfc8785.dumps(body)).hexdigest()


def seal(message: dict[str, Any]) -> dict[str, Any]:
    """A copy of the message with its eventId set from its content."""
    return {**message, "eventId": event_id(message)}
