"""What evidence may keep of a message: the schemas decide, through SchemaRegistry.redact().

A stored message is the message with every value its schema marks `x-personal-data` replaced by
REDACTED (`SchemaRegistry.personal`/`redact`: the one rule). Two cases the marks cannot decide keep
nothing in clear either:
- a field the schema does not declare (what data minimisation flags): no schema can say it is not
  personal, so its value is redacted too (`SchemaRegistry.undeclared`);
- a message with no schema (unknown eventType or version, not JSON): every value is redacted but the
  envelope's eventType, version and source, which say what it claimed to be.
A failure of a check quotes the value it found; when that value sits at a redacted place, the quote is
redacted as well, in `actual` and in the message text.
"""

from __future__ import annotations

import json
from typing import Any

from harness.schemas.registry import REDACTED, SchemaRegistry, redact_pointers

KEEP_WITHOUT_SCHEMA = ("eventType", "version", "source")


def _blank(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _blank(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_blank(v) for v in value]
    return REDACTED


def _at(body: Any, pointer: str) -> Any:
    node = body
    for part in [p for p in pointer.split("/")[1:]]:
        part = part.replace("~1", "/").replace("~0", "~")
        if isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            return None
    return node


class Redactor:
    def __init__(self, registry: SchemaRegistry) -> None:
        self.registry = registry

    def places(self, body: Any) -> list[str] | None:
        """JSON pointers of the values evidence may not keep, or None when no schema applies."""
        if not isinstance(body, dict):
            return None
        version = body.get("version")
        doc = self.registry.get(body.get("eventType"), version) if isinstance(version, int) else None
        if doc is None:
            return None
        return sorted(set(self.registry.personal(doc, body)) | set(self.registry.undeclared(doc, body)))

    def message(self, body: Any) -> Any:
        places = self.places(body)
        if places is None:
            if not isinstance(body, dict):
                return REDACTED
            return {k: (v if k in KEEP_WITHOUT_SCHEMA else _blank(v)) for k, v in body.items()}
        # redact() is the rule for what is personal; undeclared places are added on top of it.
        return redact_pointers(self.registry.redact(self._doc(body), body), places)

    def _doc(self, body: dict[str, Any]) -> Any:
        return self.registry.get(body["eventType"], body["version"])

    def recorded(self, rec: dict[str, Any] | None) -> dict[str, Any] | None:
        """A tap record (Recorded.to_json()) with its body made safe."""
        if rec is None:
            return None
        return {**rec, "body": self.message(rec.get("body"))}

    def failures(self, failures: list[dict[str, Any]], body: Any) -> list[dict[str, Any]]:
        """Check failures with any quoted value from a redacted place replaced."""
        places = self.places(body)
        if places is None:  # no schema: every value of the message is secret but what it claimed to be
            kept = {k: v for k, v in body.items() if k not in KEEP_WITHOUT_SCHEMA} if isinstance(body, dict) else body
            secrets = _quotes(kept)
        else:
            secrets = sorted({q for ptr in places for q in _quotes(_at(body, ptr))}, key=len, reverse=True)
        out = []
        for f in failures:
            f = dict(f)
            path = "/" + str(f.get("path") or "").lstrip("/")
            at_secret = places is None or any(path == p or path.startswith(p + "/") for p in places)
            if at_secret and not (places is None and path == "/version"):
                quoted = f.get("actual")
                f["actual"] = REDACTED
                if isinstance(quoted, str) and len(quoted) >= 3:  # the check's quote, perhaps cut short
                    for key in ("message", "expected"):
                        if isinstance(f.get(key), str):
                            f[key] = f[key].replace(quoted, REDACTED)
            for key in ("actual", "message", "expected"):
                text = f.get(key)
                if isinstance(text, str):
                    for secret in secrets:
                        text = text.replace(secret, REDACTED)
                    f[key] = text
            out.append(f)
        return out


def _quotes(value: Any) -> list[str]:
    """The ways a value can appear quoted in a failure message (longest first)."""
    if value is None or isinstance(value, bool):
        return []
    if isinstance(value, dict | list):
        out: list[str] = []
        for v in value.values() if isinstance(value, dict) else value:
            out.extend(_quotes(v))
        return sorted(set(out), key=len, reverse=True)
    forms = {json.dumps(value, ensure_ascii=False), repr(value), str(value)}
    return sorted((f for f in forms if len(f) >= 3), key=len, reverse=True)
