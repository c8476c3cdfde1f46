"""contracts/asyncapi.yaml: load it into a small model and check it.

The AsyncAPI document says which system sends and receives which message on which channel. The
harness needs exactly that (who to stimulate, what to tap, which schema judges a message), so the
loader keeps only those facts, in dataclasses, and leaves AsyncAPI's full object model alone.

Catalogue conventions the loader relies on (and `validate_asyncapi` checks):
- channels and components/messages are keyed by the message folder in camelCase (orderSubmitted);
  a channel's `address` is the eventType and its messages are `$ref`s to `#/components/messages/<key>`;
- every operation names its system in `x-system` and refers to its channel and that channel's messages;
- a message payload is a `$ref` to `../schemas/<message>/v<N>.json` (relative to the document) or an
  inline schema (the harness's own channels, marked `x-harness: true`).

A finding about a reference points at the `$ref` member itself
(`/channels/caseStatusReturned/messages/x/$ref`), so its line is the line of the faulty value.

Validation is offline: the official AsyncAPI 3.0.0 JSON Schema is vendored (see vendor/README.md)
and every `$ref` in it is local.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, NamedTuple

import jsonschema
from jsonschema import Draft7Validator
from referencing import Registry

from harness.catalogue.yamlpos import line_of, load_yaml, pointer_of, split_pointer, yaml_line_map
from harness.errors import UnusableInput
from harness.jsonfile import load_json, read_text

VENDORED_SCHEMA = "asyncapi-3.0.0.json"
SYSTEM_ID = re.compile(r"^[a-z]+(-[a-z]+)*$")
_SCHEMA_FILE_REF = re.compile(r"(?:^|/)schemas/(?P<folder>[^/]+)/v(?P<version>[0-9]+)\.json$")
_MESSAGE_IN_CHANNEL = re.compile(r"^#/channels/(?P<channel>[^/]+)/messages/(?P<message>[^/]+)$")


class AsyncApiFinding(NamedTuple):
    """One problem in the document: a JSON pointer into it and a sentence saying what is wrong."""

    pointer: str
    message: str


@dataclass(frozen=True)
class Server:
    key: str
    host: str
    protocol: str
    pathname: str | None = None


@dataclass(frozen=True)
class Channel:
    key: str
    address: str
    message_keys: tuple[str, ...]
    bindings: dict[str, Any] = field(default_factory=dict, compare=False)
    harness: bool = False


@dataclass(frozen=True)
class Message:
    key: str
    name: str
    title: str | None
    content_type: str
    payload_ref: str | None
    schema_path: Path | None
    """The payload's schema file, resolved against the document's folder (None for inline payloads)."""
    payload: dict[str, Any] | None = field(default=None, compare=False)
    """An inline payload schema (harness channels); None when the payload is a file reference."""
    headers: dict[str, Any] | None = field(default=None, compare=False)
    correlation_location: str | None = None
    event_type: str | None = None
    """The address of the (first) channel carrying the message: the HMPPS eventType."""
    harness: bool = False


@dataclass(frozen=True)
class Operation:
    key: str
    action: str
    system: str
    channel_key: str
    message_keys: tuple[str, ...]
    reply_channel_key: str | None = None
    reply_message_keys: tuple[str, ...] = ()
    bindings: dict[str, Any] = field(default_factory=dict, compare=False)


@dataclass
class AsyncApiDoc:
    """The facts of asyncapi.yaml the harness uses, with lookups by message, system and event type."""

    path: Path | None
    raw: dict[str, Any]
    servers: dict[str, Server]
    channels: dict[str, Channel]
    messages: dict[str, Message]
    operations: dict[str, Operation]

    def message(self, name: str) -> Message:
        """A message by key (caseCreated), name / schema folder (case-created) or eventType."""
        if name in self.messages:
            return self.messages[name]
        for message in self.messages.values():
            if name in (message.name, message.event_type):
                return message
        raise KeyError(f"no message {name!r} in {self.path or 'the AsyncAPI document'}")

    def channel_for_event_type(self, event_type: str) -> Channel | None:
        """The channel whose address is this eventType (the same string on every bus)."""
        for channel in self.channels.values():
            if channel.address == event_type:
                return channel
        return None

    def channels_of(self, message: str) -> list[Channel]:
        """The channels that carry a message."""
        key = self.message(message).key
        return [channel for channel in self.channels.values() if key in channel.message_keys]

    def _systems_doing(self, action: str, message: str) -> list[str]:
        key = self.message(message).key
        systems: list[str] = []
        for op in self.operations.values():
            if op.action == action and key in op.message_keys and op.system not in systems:
                systems.append(op.system)
        return systems

    def producers_of(self, message: str) -> list[str]:
        """The systems with a send operation for the message, in document order."""
        return self._systems_doing("send", message)

    def consumers_of(self, message: str) -> list[str]:
        """The systems with a receive operation for the message, in document order."""
        return self._systems_doing("receive", message)

    def _messages_of(self, action: str, system: str, include_harness: bool) -> list[str]:
        keys: list[str] = []
        for op in self.operations.values():
            if op.action != action or op.system != system:
                continue
            for key in op.message_keys:
                harness = key in self.messages and self.messages[key].harness
                if key not in keys and (include_harness or not harness):
                    keys.append(key)
        return keys

    def messages_sent_by(self, system: str, *, include_harness: bool = False) -> list[str]:
        """Message keys a system sends; the harness's own signals only when asked for."""
        return self._messages_of("send", system, include_harness)

    def messages_received_by(self, system: str, *, include_harness: bool = False) -> list[str]:
        """Message keys a system receives; the harness's own signals only when asked for."""
        return self._messages_of("receive", system, include_harness)

    def systems(self) -> list[str]:
        """Every system id named by an operation, sorted."""
        return sorted({op.system for op in self.operations.values()})

    def replies_to(self, message: str) -> list[str]:
        """Message keys declared as the reply to a message (order-submitted -> case-created)."""
        key = self.message(message).key
        replies: list[str] = []
        for op in self.operations.values():
            if key in op.message_keys:
                replies.extend(k for k in op.reply_message_keys if k not in replies)
        return replies


# --- validation ------------------------------------------------------------------------------------


@cache
def asyncapi_schema() -> dict[str, Any]:
    """The vendored AsyncAPI 3.0.0 JSON Schema (Draft 7)."""
    text = resources.files("harness.catalogue.vendor").joinpath(VENDORED_SCHEMA).read_text("utf-8")
    return json.loads(text)


def _refuse_retrieval(uri: str) -> Any:
    raise LookupError(f"{uri}: the AsyncAPI schema is validated offline; remote references are not fetched")


@cache
def _validator() -> Draft7Validator:
    # A registry that refuses to retrieve keeps validation offline even if a future vendored schema
    # gains a remote $ref (jsonschema would otherwise fall back to fetching it).
    return Draft7Validator(
        asyncapi_schema(),
        registry=Registry(retrieve=_refuse_retrieval),
        format_checker=Draft7Validator.FORMAT_CHECKER,
    )


def validate_asyncapi(raw_doc: Any, base_dir: str | Path | None = None) -> list[AsyncApiFinding]:
    """Check a parsed AsyncAPI document against the AsyncAPI 3.0.0 schema and the catalogue's rules.

    Every local `$ref` must resolve inside the document; channel messages must be component messages;
    operations must name a channel, messages of that channel and a system; replies likewise. With
    `base_dir` (the document's folder) every file `$ref` must exist and a payload schema's
    `x-event-type` must match its channel's address. Findings are sorted by pointer.
    """
    if not isinstance(raw_doc, dict):
        return [AsyncApiFinding("", f"expected a mapping at the top level, found {_kind(raw_doc)}")]
    findings: list[AsyncApiFinding] = []
    for error in _validator().iter_errors(raw_doc):
        findings.append(_explain(error))
    findings.extend(_semantic_findings(raw_doc, Path(base_dir) if base_dir is not None else None))
    unique = dict.fromkeys(findings)
    return sorted(unique, key=lambda f: (f.pointer, f.message))


def lint_asyncapi(path: str | Path) -> list[tuple[int, AsyncApiFinding]]:
    """Validate an AsyncAPI file: (line, finding) pairs for a linter to print as `file:line: pointer: problem`.

    Raises UnusableInput when the file is missing or is not YAML.
    """
    path = Path(path)
    raw = load_yaml(path)
    findings = validate_asyncapi(raw, base_dir=path.parent)
    if not findings:
        return []
    lines = yaml_line_map(read_text(path))
    return [(line_of(lines, finding.pointer), finding) for finding in findings]


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    return {dict: "a mapping", list: "a list", str: "a string", bool: "a boolean"}.get(
        type(value), f"a {type(value).__name__}"
    )


def _short(value: Any, limit: int = 60) -> str:
    text = json.dumps(value, default=str) if not isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _is_reference_branch(errors: list[jsonschema.ValidationError], at: tuple[Any, ...]) -> bool:
    """True when a oneOf/anyOf branch failed only because the value is not a `{$ref: ...}` Reference."""
    return all(e.validator == "required" and tuple(e.absolute_path) == at and "'$ref'" in e.message for e in errors)


def _is_type_branch(errors: list[jsonschema.ValidationError], at: tuple[Any, ...]) -> bool:
    return all(e.validator == "type" and tuple(e.absolute_path) == at for e in errors)


def _narrow(error: jsonschema.ValidationError) -> jsonschema.ValidationError:
    """Follow oneOf/anyOf into the one alternative the author evidently meant, for a precise message.

    AsyncAPI wraps almost every object in `oneOf: [Reference, Object]`; the raw error ("is not valid
    under any of the given schemas") hides the real problem inside the Object branch.
    """
    while error.validator in ("oneOf", "anyOf") and error.context:
        at = tuple(error.absolute_path)
        branches: dict[Any, list[jsonschema.ValidationError]] = {}
        for sub in error.context:
            branches.setdefault(sub.relative_schema_path[0], []).append(sub)
        meant = [
            errs for errs in branches.values() if not _is_reference_branch(errs, at) and not _is_type_branch(errs, at)
        ]
        if len(meant) != 1:
            break
        error = max(meant[0], key=lambda e: (len(e.absolute_path), e.validator != "required"))
    return error


def _explain(error: jsonschema.ValidationError) -> AsyncApiFinding:
    error = _narrow(error)
    path = list(error.absolute_path)
    instance = error.instance
    if error.validator == "additionalProperties" and isinstance(instance, dict):
        schema = error.schema if isinstance(error.schema, dict) else {}
        allowed = set(schema.get("properties", {}))
        patterns = [re.compile(p) for p in schema.get("patternProperties", {})]
        extra = [k for k in instance if k not in allowed and not any(p.search(k) for p in patterns)]
        if len(extra) == 1:
            return AsyncApiFinding(
                pointer_of([*path, extra[0]]), f"property {extra[0]!r} is not allowed here (AsyncAPI 3.0.0)"
            )
        if extra:
            return AsyncApiFinding(
                pointer_of(path), f"properties {', '.join(map(repr, extra))} are not allowed here (AsyncAPI 3.0.0)"
            )
    if error.validator in ("oneOf", "anyOf"):
        return AsyncApiFinding(
            pointer_of(path), f"{_short(instance)} matches none of the forms AsyncAPI 3.0.0 allows here"
        )
    if error.validator == "enum":
        allowed_values = ", ".join(_short(v, 30) for v in error.validator_value)
        return AsyncApiFinding(pointer_of(path), f"{_short(instance)} is not one of: {allowed_values}")
    if error.validator == "pattern":
        return AsyncApiFinding(
            pointer_of(path), f"{_short(instance)} does not match the pattern {error.validator_value}"
        )
    if error.validator == "const":
        return AsyncApiFinding(pointer_of(path), f"{_short(instance)} must be {_short(error.validator_value)}")
    message = error.message
    if len(message) > 200:
        message = message[:197] + "..."
    return AsyncApiFinding(pointer_of(path), message)


# --- semantic checks -----------------------------------------------------------------------------


_MISSING = object()
_Add = Callable[[str, str], None]


def _resolve(doc: Any, ref: str) -> Any:
    """The value a local `#/...` reference points at, or _MISSING."""
    try:
        tokens = split_pointer(ref)
    except ValueError:
        return _MISSING
    node = doc
    for token in tokens:
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            return _MISSING
    return node


def _walk_refs(node: Any, pointer: str = "") -> Iterator[tuple[str, str]]:
    """Every (pointer of the object holding `$ref`, ref) in the document."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            yield pointer, ref
        for key, value in node.items():
            yield from _walk_refs(value, f"{pointer}/{_esc(key)}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _walk_refs(value, f"{pointer}/{index}")


def _esc(key: Any) -> str:
    return str(key).replace("~", "~0").replace("/", "~1")


def _ref_of(value: Any) -> str | None:
    if isinstance(value, dict) and isinstance(value.get("$ref"), str):
        return value["$ref"]
    return None


def _component_key(ref: str | None, section: str) -> str | None:
    """`#/components/<section>/<key>` -> key (or `#/channels/<key>` for section 'channels')."""
    if ref is None:
        return None
    prefix = "#/channels/" if section == "channels" else f"#/components/{section}/"
    if not ref.startswith(prefix):
        return None
    rest = ref[len(prefix) :]
    return None if "/" in rest or not rest else rest.replace("~1", "/").replace("~0", "~")


def _payload_ref(message: dict[str, Any]) -> str | None:
    """A payload's schema reference: `payload.$ref`, or a Multi Format Schema's `payload.schema.$ref`."""
    payload = message.get("payload")
    ref = _ref_of(payload)
    if ref is None and isinstance(payload, dict):
        ref = _ref_of(payload.get("schema"))
    return ref


def _is_remote(ref: str) -> bool:
    return bool(re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", ref))


def _semantic_findings(doc: dict[str, Any], base_dir: Path | None) -> list[AsyncApiFinding]:
    found: list[AsyncApiFinding] = []

    def add(pointer: str, message: str) -> None:
        found.append(AsyncApiFinding(pointer, message))

    # Every reference resolves: local ones inside the document, file ones on disk. A reference the
    # checks below explain more precisely (unknown message, unknown channel) is reported once, by them.
    dangling: list[AsyncApiFinding] = []
    for pointer, ref in _walk_refs(doc):
        if ref.startswith("#"):
            if _resolve(doc, ref) is _MISSING:
                dangling.append(AsyncApiFinding(f"{pointer}/$ref", f"$ref {ref!r} points at nothing in this document"))
        elif base_dir is not None and not _is_remote(ref):
            file_part = ref.split("#", 1)[0]
            if file_part and not (base_dir / file_part).is_file():
                add(f"{pointer}/$ref", f"$ref {ref!r}: no file {(base_dir / file_part).resolve()}")

    channels = doc.get("channels") if isinstance(doc.get("channels"), dict) else {}
    components = doc.get("components") if isinstance(doc.get("components"), dict) else {}
    comp_messages = components.get("messages") if isinstance(components.get("messages"), dict) else {}

    # Channels: an address (the eventType), unique; messages are component messages.
    addresses: dict[str, str] = {}
    for ckey, channel in channels.items():
        cptr = f"/channels/{_esc(ckey)}"
        if not isinstance(channel, dict) or "$ref" in channel:
            continue
        address = channel.get("address")
        if not isinstance(address, str) or not address:
            add(cptr, "channel has no address; the catalogue needs the eventType here")
        elif address in addresses:
            add(f"{cptr}/address", f"address {address!r} is also the address of channel {addresses[address]!r}")
        else:
            addresses[address] = ckey
        messages = channel.get("messages") if isinstance(channel.get("messages"), dict) else {}
        if not messages:
            add(cptr, "channel carries no messages")
        for mkey, value in messages.items():
            mptr = f"{cptr}/messages/{_esc(mkey)}"
            ref = _ref_of(value)
            target = _component_key(ref, "messages")
            if ref is None or target is None:
                where = mptr if ref is None else f"{mptr}/$ref"
                add(where, "a channel message must be a $ref to '#/components/messages/<key>'")
            elif target not in comp_messages:
                add(f"{mptr}/$ref", f"unknown message {target!r}: no '#/components/messages/{target}'")

    # Operations: a system, a channel of this document, messages of that channel; replies likewise.
    operations = doc.get("operations") if isinstance(doc.get("operations"), dict) else {}
    for okey, op in operations.items():
        optr = f"/operations/{_esc(okey)}"
        if not isinstance(op, dict) or "$ref" in op:
            continue
        system = op.get("x-system")
        if not isinstance(system, str) or not SYSTEM_ID.match(system):
            add(optr, "operation needs x-system: the id of the system that sends or receives (e.g. cemo)")
        channel_key = _check_channel_ref(op.get("channel"), f"{optr}/channel", channels, add)
        _check_operation_messages(op.get("messages"), f"{optr}/messages", channel_key, channels, add)
        reply = op.get("reply")
        if isinstance(reply, dict) and "$ref" not in reply:
            reply_channel = channel_key
            if "channel" in reply:
                reply_channel = _check_channel_ref(reply.get("channel"), f"{optr}/reply/channel", channels, add)
            _check_operation_messages(reply.get("messages"), f"{optr}/reply/messages", reply_channel, channels, add)

    # Messages: the header eventType, payload schema and name agree with the channel carrying them.
    carried_by: dict[str, list[str]] = {}
    for channel in channels.values():
        if isinstance(channel, dict) and isinstance(channel.get("messages"), dict):
            for value in channel["messages"].values():
                target = _component_key(_ref_of(value), "messages")
                if target is not None and isinstance(channel.get("address"), str):
                    carried_by.setdefault(target, []).append(channel["address"])
    for mkey, message in comp_messages.items():
        mptr = f"/components/messages/{_esc(mkey)}"
        if not isinstance(message, dict) or "$ref" in message:
            continue
        addresses_of = carried_by.get(mkey, [])
        header_type = _resolve(message, "#/headers/properties/eventType/const")
        if isinstance(header_type, str) and addresses_of and header_type not in addresses_of:
            add(
                f"{mptr}/headers/properties/eventType/const",
                f"header eventType {header_type!r} differs from the channel address {addresses_of[0]!r}",
            )
        ref = _payload_ref(message)
        if ref is None or ref.startswith("#") or _is_remote(ref):
            continue
        match = _SCHEMA_FILE_REF.search(ref.split("#", 1)[0])
        name = message.get("name")
        if match and isinstance(name, str) and name != match["folder"]:
            add(f"{mptr}/name", f"name {name!r} differs from the payload schema folder {match['folder']!r}")
        if base_dir is not None:
            schema_event_type = _schema_event_type(base_dir / ref.split("#", 1)[0])
            if schema_event_type is not None and addresses_of and schema_event_type not in addresses_of:
                add(
                    f"{mptr}/payload",
                    f"payload schema x-event-type {schema_event_type!r} differs from the channel address "
                    f"{addresses_of[0]!r}",
                )
    explained = {finding.pointer for finding in found}
    return found + [finding for finding in dangling if finding.pointer not in explained]


def _schema_event_type(path: Path) -> str | None:
    try:
        schema = load_json(path)
    except UnusableInput:
        return None  # a missing file is reported with its $ref; a broken schema by the schema linter
    value = schema.get("x-event-type") if isinstance(schema, dict) else None
    return value if isinstance(value, str) else None


def _check_channel_ref(value: Any, pointer: str, channels: dict[str, Any], add: _Add) -> str | None:
    ref = _ref_of(value)
    key = _component_key(ref, "channels")
    if ref is None or key is None:
        add(pointer if ref is None else f"{pointer}/$ref", "must be a $ref to '#/channels/<key>'")
        return None
    if key not in channels:
        add(f"{pointer}/$ref", f"unknown channel {key!r}: no '#/channels/{key}'")
        return None
    return key


def _check_operation_messages(
    value: Any, pointer: str, channel_key: str | None, channels: dict[str, Any], add: _Add
) -> None:
    if value is None:
        return
    if not isinstance(value, list):
        return  # the schema check reports the type
    for index, item in enumerate(value):
        ref = _ref_of(item)
        match = _MESSAGE_IN_CHANNEL.match(ref or "")
        where = f"{pointer}/{index}" if ref is None else f"{pointer}/{index}/$ref"
        if match is None:
            add(where, "must be a $ref to '#/channels/<channel>/messages/<message>'")
            continue
        if channel_key is not None and match["channel"] != channel_key:
            add(where, f"{ref!r} is not a message of this operation's channel {channel_key!r}")


# --- loading -------------------------------------------------------------------------------------


def load_asyncapi(path: str | Path, *, strict: bool = False) -> AsyncApiDoc:
    """Load asyncapi.yaml into an AsyncApiDoc.

    Unusable input (missing file, not YAML, not a mapping) raises UnusableInput with one line naming
    the file. By default the model is built from whatever follows the conventions (the linter reports
    the rest through validate_asyncapi). With `strict=True` a document with findings raises
    UnusableInput, naming the first finding's line and pointer: for runs that must not start against
    a catalogue that contradicts itself.
    """
    path = Path(path)
    raw = load_yaml(path)
    if not isinstance(raw, dict):
        raise UnusableInput(f"{path}: not an AsyncAPI document (expected a mapping, found {_kind(raw)}); fix the file")
    if strict:
        findings = validate_asyncapi(raw, base_dir=path.parent)
        if findings:
            first = findings[0]
            line = line_of(yaml_line_map(read_text(path)), first.pointer)
            more = f" (and {len(findings) - 1} more)" if len(findings) > 1 else ""
            raise UnusableInput(f"{path}:{line}: {first.pointer or '/'}: {first.message}{more}; run em-harness lint")
    return build_asyncapi(raw, base_dir=path.parent, path=path)


def build_asyncapi(raw: dict[str, Any], base_dir: Path | None = None, path: Path | None = None) -> AsyncApiDoc:
    """The model of an already parsed document; parts that do not follow the conventions are skipped."""
    servers: dict[str, Server] = {}
    for key, server in _mapping(raw.get("servers")).items():
        if isinstance(server, dict) and isinstance(server.get("host"), str):
            servers[key] = Server(key, server["host"], str(server.get("protocol", "")), server.get("pathname"))

    channels: dict[str, Channel] = {}
    for key, channel in _mapping(raw.get("channels")).items():
        if not isinstance(channel, dict) or not isinstance(channel.get("address"), str):
            continue
        message_keys = tuple(
            k
            for k in (_component_key(_ref_of(v), "messages") for v in _mapping(channel.get("messages")).values())
            if k is not None
        )
        channels[key] = Channel(
            key=key,
            address=channel["address"],
            message_keys=message_keys,
            bindings=_mapping(channel.get("bindings")),
            harness=channel.get("x-harness") is True,
        )

    default_content_type = raw.get("defaultContentType") or "application/json"
    messages: dict[str, Message] = {}
    components = _mapping(raw.get("components"))
    for key, message in _mapping(components.get("messages")).items():
        if not isinstance(message, dict) or "$ref" in message:
            continue
        carriers = [c for c in channels.values() if key in c.message_keys]
        ref = _payload_ref(message)
        schema_path = None
        if ref is not None and not ref.startswith("#") and not _is_remote(ref) and base_dir is not None:
            schema_path = (base_dir / ref.split("#", 1)[0]).resolve()
        correlation = message.get("correlationId")
        correlation_ref = _ref_of(correlation)
        if correlation_ref is not None:
            correlation = _resolve(raw, correlation_ref)
        location = correlation.get("location") if isinstance(correlation, dict) else None
        payload = message.get("payload")
        messages[key] = Message(
            key=key,
            name=str(message.get("name", key)),
            title=message.get("title"),
            content_type=str(message.get("contentType") or default_content_type),
            payload_ref=ref,
            schema_path=schema_path,
            payload=payload if ref is None and isinstance(payload, dict) else None,
            headers=message.get("headers") if isinstance(message.get("headers"), dict) else None,
            correlation_location=location if isinstance(location, str) else None,
            event_type=carriers[0].address if carriers else None,
            harness=bool(carriers) and all(c.harness for c in carriers),
        )

    operations: dict[str, Operation] = {}
    for key, op in _mapping(raw.get("operations")).items():
        if not isinstance(op, dict):
            continue
        channel_key = _component_key(_ref_of(op.get("channel")), "channels")
        system = op.get("x-system")
        if op.get("action") not in ("send", "receive") or channel_key not in channels or not isinstance(system, str):
            continue
        message_keys = _operation_message_keys(op.get("messages"), channel_key, raw, channels)
        reply = _mapping(op.get("reply"))
        reply_channel_key = None
        reply_message_keys: tuple[str, ...] = ()
        if reply:
            reply_channel_key = _component_key(_ref_of(reply.get("channel")), "channels") or channel_key
            if reply_channel_key in channels:
                reply_message_keys = _operation_message_keys(reply.get("messages"), reply_channel_key, raw, channels)
            else:
                reply_channel_key = None
        operations[key] = Operation(
            key=key,
            action=op["action"],
            system=system,
            channel_key=channel_key,
            message_keys=message_keys,
            reply_channel_key=reply_channel_key,
            reply_message_keys=reply_message_keys,
            bindings=_mapping(op.get("bindings")),
        )
    return AsyncApiDoc(path=path, raw=raw, servers=servers, channels=channels, messages=messages, operations=operations)


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _operation_message_keys(
    value: Any, channel_key: str, raw: dict[str, Any], channels: dict[str, Channel]
) -> tuple[str, ...]:
    """Component message keys of an operation; no `messages` means every message of its channel (AsyncAPI 3)."""
    if not isinstance(value, list):
        return channels[channel_key].message_keys
    keys: list[str] = []
    for item in value:
        match = _MESSAGE_IN_CHANNEL.match(_ref_of(item) or "")
        if match is None or match["channel"] != channel_key:
            continue
        in_channel = _resolve(raw, _ref_of(item) or "")
        key = _component_key(_ref_of(in_channel), "messages")
        if key is not None and key not in keys:
            keys.append(key)
    return tuple(keys)
