"""The one bridge to pact-python's Verifier: serve messages to it, one call, and read its verdict on each.

Two users, one rule of matching (the verifier's own, never a second implementation):
- verify judges each message a supplier published against the pact part it answers;
- lint serves every part's own example, so an example that fails its own matcher (a regex it does
  not match, a date not in its format, an invalid regex) is found exactly as the verifier would find it.

The verifier asks for a message by description alone, and descriptions are not unique (two
interactions may share one under different provider states, and a synchronous interaction has
several messages). So each message to judge is served from a temporary pact in which it is an
interaction of its own, described by a unique `ident`: a V3 message stays a V3 message (the
verifier reads its rules as V3), a V4 asynchronous message stays as it is, and a synchronous
request or response becomes an asynchronous message with that part's contents, metadata, rules and
generators (pact-python's verifier compares a synchronous interaction's first response only, and
fails any with more than one). Every part is read back from the file by its JSON pointer, so what
is verified is byte for byte what the consumer wrote.

The verifier's verdict on each ident is read from `results["interactionResults"]` (pending ones
too: their mismatches are not under `errors`). An ident it reports nothing on is returned as not
judged, never as a pass. The state handler does nothing and returns nothing: provider states are
set on the bus, and no value of the run may flow into an expected value through a ProviderState
generator (the verifier does not apply generators to expected messages; the tests keep it so).
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from harness.catalogue.pacts import ASYNC, V3_MESSAGES, Interaction, Pact, Part
from harness.jsonfile import load_json

os.environ.setdefault("PACT_DO_NOT_TRACK", "true")


@dataclass
class Served:
    """One message to judge: the pact part it must satisfy and the message to serve."""

    ident: str
    pact: Pact
    interaction: Interaction
    part: Part
    body: Any
    """The message body to serve: JSON (dict, list, ...), text (str) or bytes."""
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass
class Verdict:
    ident: str
    judged: bool
    mismatches: list[dict[str, Any]] = field(default_factory=list)
    """The verifier's mismatch items (path or key, expected, actual, mismatch, type), each once."""
    error: str | None = None
    """A failure that is no mismatch (the handler failed, a rule could not be read), else None."""

    @property
    def passed(self) -> bool:
        return self.judged and not self.mismatches and self.error is None


def pointer_get(doc: Any, pointer: str) -> Any:
    """The value at a JSON pointer (None when there is none)."""
    node = doc
    for token in [t.replace("~1", "/").replace("~0", "~") for t in pointer.split("/")[1:]] if pointer else []:
        if isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        elif isinstance(node, dict) and token in node:
            node = node[token]
        else:
            return None
    return node


def _entry(raw_doc: dict[str, Any], s: Served) -> tuple[str, dict[str, Any]]:
    """The interaction to put in the temporary pact for one served message, and its form."""
    raw = pointer_get(raw_doc, s.interaction.pointer)
    raw = dict(raw) if isinstance(raw, dict) else {}
    if s.pact.form == V3_MESSAGES:
        raw["description"] = s.ident
        return V3_MESSAGES, raw
    if s.part.role == "message":
        raw["description"] = s.ident
        return ASYNC, raw
    part = pointer_get(raw_doc, s.part.pointer)
    part = part if isinstance(part, dict) else {}
    entry: dict[str, Any] = {"type": ASYNC, "description": s.ident}
    for key in ("providerStates", "pending"):
        if key in raw:
            entry[key] = raw[key]
    for key in ("contents", "metadata", "matchingRules", "generators"):
        if key in part:
            entry[key] = part[key]
    return ASYNC, entry


def _sources(folder: Path, served: list[Served]) -> list[Path]:
    """Temporary pact files holding one interaction per served message, grouped by source file and form."""
    docs: dict[Path, dict[str, Any]] = {}
    grouped: dict[tuple[Path, str], list[dict[str, Any]]] = {}
    for s in served:
        if s.pact.path not in docs:
            docs[s.pact.path] = s.pact.raw if s.pact.raw is not None else load_json(s.pact.path)
        form, entry = _entry(docs[s.pact.path], s)
        grouped.setdefault((s.pact.path, form), []).append(entry)
    out = []
    for n, ((path, form), entries) in enumerate(sorted(grouped.items(), key=lambda kv: (str(kv[0][0]), kv[0][1]))):
        src = docs[path]
        doc: dict[str, Any] = {"consumer": src.get("consumer"), "provider": src.get("provider")}
        if form == V3_MESSAGES:
            doc["messages"] = entries
            doc["metadata"] = {"pactSpecification": {"version": "3.0.0"}}
        else:
            doc["interactions"] = entries
            doc["metadata"] = {"pactSpecification": {"version": "4.0"}}
        target = folder / f"{n:03d}-{path.stem}.json"
        target.write_text(json.dumps(doc), "utf-8")
        out.append(target)
    return out


def _contents(body: Any) -> bytes:
    if isinstance(body, bytes | bytearray):
        return bytes(body)
    return body.encode("utf-8") if isinstance(body, str) else orjson.dumps(body)


PORT_ATTEMPTS = 4
"""pact-python serves the messages and state callbacks on local ports it finds free by binding port 0 and
closing it again; a process starting at the same moment can take the port before the server binds it
(EADDRINUSE). Nothing was verified then, so the call is simply made again."""


def verify_messages(provider: str, served: list[Served]) -> tuple[dict[str, Verdict], str]:
    """Judge every served message with one Verifier call; returns the verdict by ident and the verifier's text."""
    if not served:
        return {}, ""
    from pact import Verifier

    by_ident = {s.ident: s for s in served}
    if len(by_ident) != len(served):
        raise ValueError("served messages need unique idents")

    def handler(name: str, metadata: dict[str, Any] | None = None) -> dict[str, Any]:
        s = by_ident[name]
        meta = {"contentType": "application/json", **s.metadata}
        return {"contents": _contents(s.body), "metadata": meta, "content_type": meta["contentType"]}

    def no_state(*_args: Any, **_kwargs: Any) -> None:
        return None

    failure = None
    with tempfile.TemporaryDirectory(prefix="em-harness-pacts-") as tmp:
        sources = _sources(Path(tmp), served)
        for attempt in range(PORT_ATTEMPTS):
            failure = None
            verifier = Verifier(provider).set_coloured_output(enabled=False)
            for source in sources:
                verifier.add_source(source)
            verifier.message_handler(handler).state_handler(no_state, teardown=True)
            try:
                with quiet_fds():
                    verifier.verify()
            except RuntimeError:
                pass  # a failed verification raises; the results say why
            except OSError as exc:
                failure = f"the pact verifier failed: {type(exc).__name__}: {exc}"
                if exc.errno == errno.EADDRINUSE and attempt + 1 < PORT_ATTEMPTS:
                    continue  # pact-python picks its local ports by probing: another process took one first
            except Exception as exc:  # the verifier itself broke: nothing it did not report on has passed
                failure = f"the pact verifier failed: {type(exc).__name__}: {exc}"
            break
        results = verifier.results or {}
        text = verifier.output(strip_ansi=True)
    verdicts: dict[str, Verdict] = {}
    for result in results.get("interactionResults", []) or []:
        ident = result.get("description")
        if ident not in by_ident or ident in verdicts:
            continue
        verdicts[ident] = _verdict(ident, result)
    for ident in by_ident:
        if ident not in verdicts:
            why = failure or "the pact verifier reported nothing on it"
            verdicts[ident] = Verdict(ident, judged=False, error=why)
    return verdicts, text


def _verdict(ident: str, result: dict[str, Any]) -> Verdict:
    mismatch = result.get("mismatch")
    outcome = str(result.get("result", ""))
    if not mismatch:
        if outcome.lower() in ("ok", "success", "passed", "pass"):
            return Verdict(ident, judged=True)
        return Verdict(
            ident, judged=True, error=f"the pact verifier reported {outcome or 'a failure'} without a reason"
        )
    items = mismatch.get("mismatches") if isinstance(mismatch, dict) else None
    if not items:
        message = mismatch.get("message") if isinstance(mismatch, dict) else None
        return Verdict(ident, judged=True, error=str(message or json.dumps(mismatch)[:500]))
    once: list[dict[str, Any]] = []
    seen: set[str] = set()
    for item in items:
        if not isinstance(item, dict):
            continue
        fingerprint = json.dumps(item, sort_keys=True)
        if fingerprint not in seen:
            seen.add(fingerprint)
            once.append(item)
    return Verdict(ident, judged=True, mismatches=once)


@contextlib.contextmanager
def quiet_fds() -> Any:
    """Silence file descriptors 1 and 2 while the pact FFI and its relay server print to them directly.

    Their text is kept by the verifier (verifier.output()) and goes into the JSON report.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        yield
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in (*saved, devnull):
            os.close(fd)
