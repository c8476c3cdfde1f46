"""The EM envelope's de-duplication id.

EM's notification publisher sets `eventId` to `sha256:<hex>` of the canonical payload. The catalogue
fixes "canonical" by a standard, not by prose: the message without `eventId`, serialised with the JSON
Canonicalization Scheme (RFC 8785, JCS), which fixes key order (UTF-16 code units), number formatting
(ECMAScript's shortest round trip: 5.0 is written 5) and string escaping, as UTF-8. Any language has a
maintained implementation (`rfc8785` on PyPI, `canonicalize` on npm), so a producer in any language and
the harness compute the same id, and a duplicate is byte-for-byte detectable.
"""

from __future__ import annotations

import hashlib
from typing import Any

import rfc8785


class NotCanonicalisable(ValueError):
    """The message holds a value JCS cannot write (a NaN, an integer beyond IEEE 754 double precision)."""


def canonical_bytes(message: dict[str, Any]) -> bytes:
    """The canonical form of a message for hashing: without eventId, RFC 8785 (JCS), UTF-8."""
    body = {k: v for k, v in message.items() if k != "eventId"}
    try:
        return rfc8785.dumps(body)
    except (rfc8785.CanonicalizationError, TypeError) as exc:
        raise NotCanonicalisable(f"the message has no RFC 8785 canonical form: {exc}") from None


def event_id(message: dict[str, Any]) -> str:
    """`sha256:<hex>` of the canonical message."""
    return "sha256:" + hashlib.sha256(canonical_bytes(message)).hexdigest()


def seal(message: dict[str, Any]) -> dict[str, Any]:
    """Return a copy of the message with its eventId set from its content."""
    sealed = dict(message)
    sealed["eventId"] = event_id(message)
    return sealed
