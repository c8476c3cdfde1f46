"""contracts/pacts/*.json: message pacts from any Pact tool, loaded into one small model.

This is the one loader of pact files: lint, verify, compat and diff read pacts only through it.
It reads what the Pact tools really write:
- Pact V4 (`interactions` with a `type`): `Asynchronous/Messages` (pact-python, pact-js, pact-jvm),
  `Synchronous/Messages` (a request message and its response messages), and `Synchronous/HTTP`
  (pact-jvm writes HTTP and message interactions into one combined file);
- Pact V3 message pacts (`messages`: pact-js v2/v3 MessageConsumerPact, pact-jvm, pact-message-ruby),
  with `providerStates` (or the older single `providerState`), `metaData` or `metadata`, and the
  contents inline;
- V1-V3 HTTP pacts (`interactions` without a type).
HTTP and other interaction kinds load as interactions without message parts: verify lists them
as out of scope, lint says so; they never stop the others.

Each message of an interaction is a `Part`: the message of an asynchronous interaction, or the
request and each response of a synchronous one. A part keeps its example body, metadata, the
matching rules the pact verifier applies (body rules by path, metadata rules by key) and its
generators, each with the JSON pointer of its place in the file so a finding can name its line.

Matching rules are read the way pact-python's verifier (the Rust pact_models) reads them, measured
with pact_ffi 0.5.12: categories `body` and `content` both hold body rules (pact-jvm writes
`content`), `metadata` holds metadata rules; a rule is `{"matchers": [...], "combine": "AND"|"OR"}`;
the V2 flat form (`"$.body.a": {"match": ...}`, when the first key starts with `$`) is understood
too. A rule written as a bare list or a bare matcher under a category, or under a category such as
`contents`, is ignored by the verifier (the value is then compared by equality): the loader keeps
it out of the model and reports it as a structural problem, so lint and verify never disagree.

A file that is not a pact at all (bad JSON, no consumer/provider, neither `interactions` nor
`messages`, a specification this loader does not know) is unusable input: one line naming the
file, exit code 2. Structural problems inside a pact (an interaction that is not an object, a rule
in a form the verifier ignores, a matcher without a kind) are `Pact.problems`, with file and JSON
pointer, for lint to report beside its other findings and for verify to note.

Matching-rule paths (`$.additionalInformation.reasons[*].section`) are parsed into steps, and
`locate()` walks a JSON Schema along them the way a validator would apply it: through `$ref`,
`allOf`, `anyOf`/`oneOf`, `if`/`then`/`else`, `properties`, `patternProperties`,
`additionalProperties`, `items` and `prefixItems`. It answers two questions: does any subschema
declare that place, and which JSON types can the value there have.
"""

from __future__ import annotations

import base64
import contextlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import referencing.exceptions

from harness.catalogue.regex import pact_regex_problem as regex_problem
from harness.errors import UnusableInput
from harness.jsonfile import load_json

ASYNC = "Asynchronous/Messages"
SYNC = "Synchronous/Messages"
HTTP = "Synchronous/HTTP"
MESSAGE_INTERACTION = ASYNC
MESSAGE_KINDS = (ASYNC, SYNC)

V4 = "V4"
V3_MESSAGES = "V3 messages"
HTTP_ONLY = "HTTP"

# Matcher kinds the pact verifier knows (pact_models MatchingRule::create), with the aliases it
# accepts mapped to one canonical name. Anything else is an unknown matcher: the verifier fails
# every message against it ("Could not apply the 'x' matching rule").
MATCHER_ALIASES = {
    "real": "decimal",
    "min": "type",
    "max": "type",
    "min-type": "type",
    "max-type": "type",
    "datetime": "timestamp",
    "content-type": "contentType",
    "array-contains": "arrayContains",
    "status-code": "statusCode",
    "not-empty": "notEmpty",
    "each-key": "eachKey",
    "each-value": "eachValue",
}
MATCHER_KINDS = frozenset(
    {
        "regex",
        "equality",
        "include",
        "type",
        "number",
        "integer",
        "decimal",
        "boolean",
        "timestamp",
        "date",
        "time",
        "null",
        "contentType",
        "arrayContains",
        "values",
        "statusCode",
        "notEmpty",
        "semver",
        "eachKey",
        "eachValue",
    }
)
# Generator kinds of the Pact specification (V3 and V4) and the compatibility suite.
GENERATOR_KINDS = frozenset(
    {
        "RandomInt",
        "RandomDecimal",
        "RandomHexadecimal",
        "RandomString",
        "Regex",
        "Uuid",
        "Date",
        "Time",
        "DateTime",
        "RandomBoolean",
        "ProviderState",
        "MockServerURL",
    }
)
_BODY_CATEGORIES = ("body", "content")
# Names a transport gives the place a message goes (pact metadata, as each tool writes it).
CHANNEL_KEYS = ("channel", "routingKey", "topic", "destination", "subject", "queue")


# -- model ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Problem:
    """A structural problem of a pact file: where (JSON pointer), what, and how serious."""

    pointer: str
    problem: str
    severity: str = "error"


@dataclass(frozen=True)
class Matcher:
    """One matcher of a rule: its kind (`type`, `regex`, `integer`, ...) and its other attributes."""

    match: str
    attributes: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def kind(self) -> str:
        """The canonical kind (`min`, `min-type` and `type` with `min` are all `type`)."""
        return MATCHER_ALIASES.get(self.match, self.match)


@dataclass(frozen=True)
class MatchingRule:
    """The matchers a rule applies at one path, and how they combine (AND or OR)."""

    path: str
    combine: str
    matchers: tuple[Matcher, ...]
    pointer: str = field(default="", compare=False, hash=False)
    """Where the rule is written in the file (JSON pointer)."""


@dataclass
class Part:
    """One message of an interaction: the asynchronous message, a synchronous request, or a response."""

    role: str  # "message" | "request" | "response"
    pointer: str
    """The JSON pointer of the object that holds the part's contents, metadata and rules."""
    body: Any = None
    content_type: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    matching_rules: dict[str, MatchingRule] = field(default_factory=dict)
    """Body rules the verifier applies, by path (`$.additionalInformation.status`)."""
    metadata_rules: dict[str, MatchingRule] = field(default_factory=dict)
    """Metadata rules, by metadata key."""
    generators: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Body generators by path."""
    generator_pointers: dict[str, str] = field(default_factory=dict)
    metadata_generators: dict[str, dict[str, Any]] = field(default_factory=dict)
    body_problem: str | None = None
    """Why no body could be read (an encoded content that does not decode), else None."""
    body_pointer: str = ""
    metadata_pointer: str = ""
    number: int = 0
    """Which response this is (0-based); 0 for a message or a request."""

    @property
    def label(self) -> str:
        return {"message": "the message", "request": "the request"}.get(self.role, f"response {self.number + 1}")

    def rule_pointer(self, path: str) -> str:
        rule = self.matching_rules.get(path)
        return (
            rule.pointer if rule is not None and rule.pointer else f"{self.pointer}/matchingRules/body/{escape(path)}"
        )


@dataclass
class Interaction:
    """One interaction of a pact, with the JSON pointers a finding about it needs.

    `body`, `content_type`, `metadata`, `matching_rules`, `generators` and `body_problem` are those
    of the message the provider is expected to send: the message of an asynchronous interaction, the
    first response of a synchronous one (None/empty for HTTP). `parts` holds every message.
    """

    index: int
    kind: str
    description: str
    states: list[tuple[str, dict[str, Any]]]
    body: Any
    content_type: str | None
    metadata: dict[str, Any]
    matching_rules: dict[str, MatchingRule]
    """Body rules by path (`$.additionalInformation.status`)."""
    generators: dict[str, dict[str, Any]]
    """Body generators by path."""
    body_problem: str | None = None
    """Why no body could be read (an encoded content that does not decode), else None."""
    key: str | None = None
    pending: bool = False
    base: str = "/interactions"
    """Where interactions live in the file: /interactions (V4, HTTP) or /messages (V3 message pacts)."""
    parts: list[Part] = field(default_factory=list)
    state_pointers: list[str] = field(default_factory=list)
    raw_kind: str | None = None
    """The `type` as written (None for V3 messages and pre-V4 HTTP interactions)."""

    @property
    def pointer(self) -> str:
        return f"{self.base}/{self.index}"

    @property
    def expected(self) -> Part | None:
        """The part the provider is expected to send first (message, or first response)."""
        return next((p for p in self.parts if p.role in ("message", "response")), None)

    @property
    def request(self) -> Part | None:
        return next((p for p in self.parts if p.role == "request"), None)

    @property
    def responses(self) -> list[Part]:
        return [p for p in self.parts if p.role == "response"]

    @property
    def body_pointer(self) -> str:
        part = self.expected
        return part.body_pointer if part is not None else f"{self.pointer}/contents/content"

    def rule_pointer(self, path: str) -> str:
        part = self.expected
        return part.rule_pointer(path) if part is not None else f"{self.pointer}/matchingRules/body/{escape(path)}"

    def state_pointer(self, j: int) -> str:
        return self.state_pointers[j] if j < len(self.state_pointers) else f"{self.pointer}/providerStates/{j}"

    @property
    def identity(self) -> tuple[str, str]:
        """Description and provider states (with params): what tells two interactions of one file apart."""
        return self.description, state_text(self.states)


def state_text(states: list[tuple[str, dict[str, Any]]]) -> str:
    """Provider states (with params) as one canonical line: `a state (x=1); another`."""
    out = []
    for name, params in states:
        if params:
            inner = ", ".join(
                f"{k}={json.dumps(v, sort_keys=True, ensure_ascii=False)}" for k, v in sorted(params.items())
            )
            out.append(f"{name} ({inner})")
        else:
            out.append(name)
    return "; ".join(out)


@dataclass
class Pact:
    """A pact file: who consumes what from whom, interaction by interaction."""

    path: Path
    consumer: str
    provider: str
    interactions: list[Interaction]
    spec_version: str
    problems: list[Problem] = field(default_factory=list)
    form: str = V4
    """V4, "V3 messages" or "HTTP" (a V1-V3 HTTP pact)."""
    raw: Any = field(default=None, repr=False, compare=False)
    """The file's JSON as read (the verifier bridge serves each part from it, by its pointer)."""


def escape(token: str) -> str:
    """One JSON pointer reference token (RFC 6901)."""
    return token.replace("~", "~0").replace("/", "~1")


# -- loading ----------------------------------------------------------------------------------
def load_pact(path: Path) -> Pact:
    """Read one pact file; raises UnusableInput (one line naming the file) when it is not a pact."""
    path = Path(path)
    raw = load_json(path)  # a regular file of bounded size, bounded depth and number length
    if not isinstance(raw, dict):
        raise UnusableInput(f"{path}: not a pact (expected a JSON object); pacts are written by consumer tests")
    version = _spec_version(raw)
    messages, interactions = raw.get("messages"), raw.get("interactions")
    if version is None and not isinstance(messages, list):
        raise UnusableInput(
            f"{path}: not a pact (no metadata.pactSpecification.version); pacts are written by consumer tests"
        )
    if version is not None and not re.match(r"v?[1-4](\D|$)", version, re.IGNORECASE):
        raise UnusableInput(
            f"{path}: Pact specification {version} is not supported; write V4 pacts (or V3 message pacts)"
        )
    consumer, provider = _name(raw.get("consumer")), _name(raw.get("provider"))
    if consumer is None or provider is None or not (isinstance(interactions, list) or isinstance(messages, list)):
        raise UnusableInput(
            f"{path}: not a pact (needs consumer.name, provider.name and an interactions or messages list)"
        )
    problems: list[Problem] = []
    loaded: list[Interaction] = []
    if isinstance(messages, list):
        form = V3_MESSAGES
        for i, item in enumerate(messages):
            if not isinstance(item, dict):
                problems.append(Problem(f"/messages/{i}", "a message is a JSON object (description, contents, ...)"))
                continue
            loaded.append(_v3_message(i, item, problems))
    if isinstance(interactions, list):
        typed = any(isinstance(it, dict) and "type" in it for it in interactions)
        form = V4 if typed or (version or "").lstrip("vV").startswith("4") else (form if loaded else HTTP_ONLY)
        for i, item in enumerate(interactions):
            if not isinstance(item, dict):
                problems.append(Problem(f"/interactions/{i}", "an interaction is a JSON object with a type"))
                continue
            loaded.append(_v4_interaction(i, item, problems) if form == V4 else _http_interaction(i, item, None))
    if isinstance(messages, list) and isinstance(interactions, list) and interactions and messages:
        problems.append(Problem("", "holds both `messages` (V3) and `interactions`: the tools write one or the other"))
    if version is None:
        version = "3.0.0" if isinstance(messages, list) else "unknown"
    _duplicates(loaded, problems)
    return Pact(path, consumer, provider, loaded, version, problems, form, raw)


def load_pacts(pacts_dir: Path) -> list[Pact]:
    """Every `*.json` pact in a folder, in name order (an absent folder holds none)."""
    if not Path(pacts_dir).is_dir():
        return []
    return [load_pact(p) for p in sorted(Path(pacts_dir).glob("*.json"))]


def _spec_version(raw: dict[str, Any]) -> str | None:
    meta = raw.get("metadata")
    if not isinstance(meta, dict):
        return None
    for key in ("pactSpecification", "pact-specification", "pactSpecificationVersion"):
        value = meta.get(key)
        if isinstance(value, dict):
            value = value.get("version")
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            return str(value)
    return None


def _name(party: Any) -> str | None:
    if isinstance(party, dict) and isinstance(party.get("name"), str) and party["name"]:
        return party["name"]
    return None


def _duplicates(interactions: list[Interaction], problems: list[Problem]) -> None:
    """Two interactions with the same description and provider states cannot be told apart."""
    seen: dict[tuple[str, str, str], Interaction] = {}
    for it in interactions:
        ident = (it.base, *it.identity)
        if ident in seen:
            problems.append(
                Problem(
                    it.pointer,
                    f"the same description and provider states as {seen[ident].pointer}: "
                    "give one of them another description or state",
                )
            )
        else:
            seen[ident] = it


def _states(raw: dict[str, Any], ptr: str, problems: list[Problem]) -> tuple[list[tuple[str, dict]], list[str]]:
    """Provider states and the pointer of each: `providerStates` [{name, params}], or V2's `providerState`."""
    states: list[tuple[str, dict[str, Any]]] = []
    pointers: list[str] = []
    listed = raw.get("providerStates")
    if isinstance(listed, list):
        for j, state in enumerate(listed):
            if isinstance(state, dict) and isinstance(state.get("name"), str):
                params = state.get("params")
                states.append((state["name"], params if isinstance(params, dict) else {}))
                pointers.append(f"{ptr}/providerStates/{j}")
            else:
                problems.append(Problem(f"{ptr}/providerStates/{j}", "a provider state is an object with a name"))
    elif listed is not None:
        problems.append(Problem(f"{ptr}/providerStates", "providerStates is a list of {name, params}"))
    elif isinstance(raw.get("providerState"), str) and raw["providerState"]:
        states.append((raw["providerState"], {}))
        pointers.append(f"{ptr}/providerState")
    return states, pointers


def _interaction_from_parts(
    i: int, raw: dict[str, Any], kind: str, base: str, parts: list[Part], problems: list[Problem]
) -> Interaction:
    ptr = f"{base}/{i}"
    states, pointers = _states(raw, ptr, problems)
    if not isinstance(raw.get("description"), str):
        problems.append(Problem(ptr, "needs a description (the verifier names the interaction by it)"))
    expected = next((p for p in parts if p.role in ("message", "response")), None)
    return Interaction(
        index=i,
        kind=kind,
        description=str(raw.get("description", "")),
        states=states,
        body=expected.body if expected else None,
        content_type=expected.content_type if expected else None,
        metadata=expected.metadata if expected else {},
        matching_rules=expected.matching_rules if expected else {},
        generators=expected.generators if expected else {},
        body_problem=expected.body_problem if expected else None,
        key=raw.get("key") if isinstance(raw.get("key"), str) else None,
        pending=raw.get("pending") is True,
        base=base,
        parts=parts,
        state_pointers=pointers,
        raw_kind=raw.get("type") if isinstance(raw.get("type"), str) else None,
    )


def _v4_interaction(i: int, raw: dict[str, Any], problems: list[Problem]) -> Interaction:
    ptr = f"/interactions/{i}"
    kind = raw.get("type")
    if not isinstance(kind, str):
        problems.append(
            Problem(ptr, "a V4 interaction needs a type (Asynchronous/Messages, Synchronous/Messages, ...)")
        )
        return _http_interaction(i, raw, None)
    if kind == ASYNC:
        return _interaction_from_parts(
            i, raw, kind, "/interactions", [_v4_part("message", ptr, raw, problems)], problems
        )
    if kind == SYNC:
        parts = []
        request = raw.get("request")
        if isinstance(request, dict):
            parts.append(_v4_part("request", f"{ptr}/request", request, problems))
        else:
            problems.append(Problem(f"{ptr}/request", "a synchronous message needs a request message"))
        responses = raw.get("response")
        if isinstance(responses, dict):  # a single response object: read it as the list of one
            responses = [responses]
        if isinstance(responses, list):
            for j, resp in enumerate(responses):
                if isinstance(resp, dict):
                    parts.append(_v4_part("response", f"{ptr}/response/{j}", resp, problems, number=j))
                else:
                    problems.append(Problem(f"{ptr}/response/{j}", "a response is a message object"))
        elif responses is not None:
            problems.append(Problem(f"{ptr}/response", "response is a list of response messages"))
        return _interaction_from_parts(i, raw, kind, "/interactions", parts, problems)
    return _http_interaction(i, raw, kind)


def _http_interaction(i: int, raw: dict[str, Any], kind: str | None) -> Interaction:
    """An HTTP interaction (or another kind this harness does not verify): listed, never judged."""
    return Interaction(
        index=i,
        kind=kind or HTTP,
        description=str(raw.get("description", "")),
        states=_states(raw, f"/interactions/{i}", [])[0],
        body=None,
        content_type=None,
        metadata={},
        matching_rules={},
        generators={},
        key=raw.get("key") if isinstance(raw.get("key"), str) else None,
        pending=raw.get("pending") is True,
        raw_kind=raw.get("type") if isinstance(raw.get("type"), str) else None,
    )


def _v4_part(role: str, ptr: str, raw: dict[str, Any], problems: list[Problem], number: int = 0) -> Part:
    contents = raw.get("contents") if isinstance(raw.get("contents"), dict) else {}
    if "contents" in raw and not isinstance(raw.get("contents"), dict):
        problems.append(Problem(f"{ptr}/contents", "V4 contents is an object {content, contentType, encoded}"))
    content_type = contents.get("contentType")
    body, problem = _body(contents)
    part = Part(
        role=role,
        pointer=ptr,
        body=body,
        content_type=content_type if isinstance(content_type, str) else None,
        metadata=raw.get("metadata") if isinstance(raw.get("metadata"), dict) else {},
        body_problem=problem,
        body_pointer=f"{ptr}/contents/content",
        metadata_pointer=f"{ptr}/metadata",
        number=number,
    )
    _read_rules(part, raw, ptr, problems)
    return part


def _v3_message(i: int, raw: dict[str, Any], problems: list[Problem]) -> Interaction:
    ptr = f"/messages/{i}"
    meta_key = "metaData" if isinstance(raw.get("metaData"), dict) else "metadata"
    metadata = raw.get(meta_key) if isinstance(raw.get(meta_key), dict) else {}
    content_type = next((v for k, v in metadata.items() if k.lower() in ("contenttype", "content-type")), None)
    body: Any = raw.get("contents")
    problem = None
    if isinstance(body, str) and (content_type is None or "json" in str(content_type).lower()):
        with contextlib.suppress(ValueError):  # pact-jvm writes a JSON body that is a string as a string
            body = json.loads(body)
    if "contents" not in raw:
        problem = "the message has no contents"
    part = Part(
        role="message",
        pointer=ptr,
        body=body,
        content_type=content_type if isinstance(content_type, str) else None,
        metadata=metadata,
        body_problem=problem,
        body_pointer=f"{ptr}/contents",
        metadata_pointer=f"{ptr}/{meta_key}",
    )
    _read_rules(part, raw, ptr, problems)
    return _interaction_from_parts(i, raw, ASYNC, "/messages", [part], problems)


def _body(contents: dict[str, Any]) -> tuple[Any, str | None]:
    """The example body as JSON; pact stores it inline, or as a string when `encoded` says so."""
    content = contents.get("content")
    encoded = contents.get("encoded")
    if not isinstance(content, str) or encoded in (None, False):
        return content, None
    try:
        if str(encoded).lower() == "base64":
            return json.loads(base64.b64decode(content, validate=True)), None
        return json.loads(content), None
    except (ValueError, TypeError) as exc:
        return None, f"content encoded as {encoded!r} is not JSON ({exc})"


def _read_rules(part: Part, raw: dict[str, Any], ptr: str, problems: list[Problem]) -> None:
    """The part's matching rules and generators, in every form the verifier reads."""
    rules = raw.get("matchingRules")
    if isinstance(rules, dict) and rules:
        if next(iter(rules)).startswith("$"):
            _v2_rules(part, rules, f"{ptr}/matchingRules", problems)
        else:
            for category, block in rules.items():
                cptr = f"{ptr}/matchingRules/{escape(category)}"
                if category in _BODY_CATEGORIES:
                    _category_rules(part.matching_rules, block, cptr, problems)
                elif category == "metadata":
                    _category_rules(part.metadata_rules, block, cptr, problems, body=False)
                else:
                    problems.append(
                        Problem(
                            cptr,
                            f"matchingRules.{category}: the pact verifier applies only body, content and metadata "
                            "rules to a message, so these rules are ignored and the values compared by equality",
                        )
                    )
    elif rules is not None and not isinstance(rules, dict):
        problems.append(Problem(f"{ptr}/matchingRules", "matchingRules is an object of categories (body, metadata)"))
    gens = raw.get("generators")
    if isinstance(gens, dict):
        for category, block in gens.items():
            gptr = f"{ptr}/generators/{escape(category)}"
            if not isinstance(block, dict):
                problems.append(Problem(gptr, "a generator category maps paths to generators"))
                continue
            target = (
                part.generators
                if category in _BODY_CATEGORIES
                else (part.metadata_generators if category == "metadata" else None)
            )
            if target is None:
                problems.append(Problem(gptr, f"generators.{category}: not a category of a message", "warning"))
                continue
            for path, gen in block.items():
                if isinstance(gen, dict):
                    key = path if category == "metadata" or path.startswith("$") else f"$.{path}"
                    target[key] = gen
                    if target is part.generators:
                        part.generator_pointers[key] = f"{gptr}/{escape(path)}"
                else:
                    problems.append(Problem(f"{gptr}/{escape(path)}", "a generator is an object with a type"))


def _v2_rules(part: Part, rules: dict[str, Any], ptr: str, problems: list[Problem]) -> None:
    """The V2 flat form: `"$.body.a.b": {"match": "type"}` (the verifier reads it when the first key starts with $)."""
    for key, value in rules.items():
        kptr = f"{ptr}/{escape(key)}"
        if key == "$.body" or key.startswith(("$.body.", "$.body[")):
            matcher = _matcher(value, kptr, problems)
            path = "$" + key[len("$.body") :]
            if matcher is not None and parse_path(path) is None:
                problems.append(Problem(kptr, f"{key!r} is not a matching-rule path ($.body.a.b[*].c)"))
            elif matcher is not None:
                part.matching_rules[path] = MatchingRule(path, "AND", (matcher,), kptr)
        else:
            problems.append(
                Problem(kptr, f"{key!r}: a V2 rule of a message must start with $.body; the verifier ignores it")
            )


def _category_rules(
    target: dict[str, MatchingRule], block: Any, ptr: str, problems: list[Problem], *, body: bool = True
) -> None:
    if not isinstance(block, dict):
        problems.append(Problem(ptr, "a rule category maps paths to {combine, matchers}"))
        return
    for path, rule in block.items():
        rptr = f"{ptr}/{escape(path)}"
        if isinstance(rule, dict) and "matchers" in rule:
            items = rule.get("matchers")
            if not isinstance(items, list):
                problems.append(Problem(f"{rptr}/matchers", "matchers is a list of {match: ...} objects"))
                continue
            combine = str(rule.get("combine", "AND")).upper()
            combine = "OR" if combine == "OR" else "AND"
            found = [m for j, item in enumerate(items) if (m := _matcher(item, f"{rptr}/matchers/{j}", problems))]
            if body and parse_path(path) is None:
                problems.append(Problem(rptr, f"{path!r} is not a matching-rule path ($.a.b[*].c)"))
                continue
            key = path
            if key in target:  # the same path under body and content: the verifier applies both
                old = target[key]
                target[key] = MatchingRule(key, old.combine, old.matchers + tuple(found), old.pointer)
            else:
                target[key] = MatchingRule(key, combine, tuple(found), rptr)
        else:
            shape = "a bare list" if isinstance(rule, list) else "a bare matcher" if isinstance(rule, dict) else "this"
            problems.append(
                Problem(
                    rptr,
                    f"the pact verifier ignores a rule written as {shape} (the value is compared by equality): "
                    'write {"combine": "AND", "matchers": [...]}',
                )
            )


def _matcher(item: Any, ptr: str, problems: list[Problem]) -> Matcher | None:
    """One matcher, its kind guessed the way the verifier does when `match` is missing."""
    if not isinstance(item, dict):
        problems.append(Problem(ptr, "a matcher is an object with `match`"))
        return None
    attrs = {k: v for k, v in item.items() if k != "match"}
    if "match" in item:
        matcher = Matcher(str(item["match"]), attrs)
        regex = attrs.get("regex")
        if matcher.kind == "regex" and isinstance(regex, str) and (why := regex_problem(regex)):
            problems.append(Problem(ptr, f"regex {regex!r}: {why}"))
        return matcher
    if "pact:matcher:type" in item:
        return Matcher(str(item["pact:matcher:type"]), attrs)
    for key, kind in (
        ("regex", "regex"),
        ("min", "type"),
        ("max", "type"),
        ("timestamp", "timestamp"),
        ("time", "time"),
        ("date", "date"),
    ):
        if key in item:
            return Matcher(kind, attrs)
    problems.append(Problem(ptr, "a matcher without `match`, and nothing tells its kind: the verifier refuses it"))
    return None


def message_parts(pact: Pact) -> Iterator[tuple[Interaction, Part]]:
    """Every message part of a pact's message interactions (async messages, sync requests and responses)."""
    for interaction in pact.interactions:
        if interaction.kind in MESSAGE_KINDS:
            for part in interaction.parts:
                yield interaction, part


def named_channel(metadata: dict[str, Any]) -> tuple[str, Any] | None:
    """The metadata key and value naming where the message goes (channel, routingKey, topic, ...), if any."""
    for key in CHANNEL_KEYS:
        if key in metadata:
            return key, metadata[key]
    return None


# -- matching-rule paths ----------------------------------------------------------------------
@dataclass(frozen=True)
class Step:
    """One step of a path: a named property, any property (`*`), an index, or any index (`[*]`)."""

    kind: str  # "prop" | "any-prop" | "index" | "any-index"
    name: str = ""
    index: int = 0

    def __str__(self) -> str:
        if self.kind == "prop":
            return f".{self.name}" if re.fullmatch(r"[A-Za-z0-9_-]+", self.name) else f"['{self.name}']"
        return {"any-prop": ".*", "any-index": "[*]"}.get(self.kind, f"[{self.index}]")


_STEP = re.compile(
    r"""\.(?P<name>[^.\[\]'"*]+)   # .name
      | \.(?P<star>\*)             # .*
      | \[(?P<idx>\d+)\]           # [3]
      | \[(?P<all>\*)\]            # [*]
      | \['(?P<q1>(?:[^'\\]|\\.)*)'\]
      | \["(?P<q2>(?:[^"\\]|\\.)*)"\]
    """,
    re.VERBOSE,
)


def parse_path(path: str) -> list[Step] | None:
    """The steps of a pact path (`$.a.b[*].c`, `$['a b'][0]`); None when it is not one."""
    if not path.startswith("$"):
        return None
    steps: list[Step] = []
    pos = 1
    while pos < len(path):
        m = _STEP.match(path, pos)
        if m is None:
            return None
        if m["name"] is not None:
            steps.append(Step("prop", name=m["name"]))
        elif m["star"] is not None:
            steps.append(Step("any-prop"))
        elif m["idx"] is not None:
            steps.append(Step("index", index=int(m["idx"])))
        elif m["all"] is not None:
            steps.append(Step("any-index"))
        else:
            quoted = m["q1"] if m["q1"] is not None else m["q2"]
            steps.append(Step("prop", name=re.sub(r"\\(.)", r"\1", quoted)))
        pos = m.end()
    return steps


def pointer_of_path(path: str) -> str:
    """A pact path of a concrete place ('$.additionalInformation.reasons[0].section') as a JSON pointer."""
    if not path.startswith("$"):
        return path
    steps = parse_path(path)
    if steps is None:
        out = path[1:].replace("[", ".").replace("]", "").replace("'", "")
        return "/" + "/".join(p for p in out.split(".") if p) if out else ""
    tokens = [s.name if s.kind == "prop" else str(s.index) if s.kind == "index" else "*" for s in steps]
    return "".join("/" + escape(t) for t in tokens)


def steps_of_pointer(ptr: str) -> list[Step]:
    """A JSON pointer into a document as path steps (digits are indexes)."""
    if not ptr:
        return []
    out = []
    for token in ptr[1:].split("/"):
        token = token.replace("~1", "/").replace("~0", "~")
        out.append(Step("index", index=int(token)) if token.isdigit() else Step("prop", name=token))
    return out


def path_covers(path: list[Step], target: list[Step]) -> bool:
    """True when a rule or generator path applies to a concrete location (wildcards match anything)."""
    if len(path) != len(target):
        return False
    for p, t in zip(path, target, strict=True):
        if p.kind == "any-index" and t.kind in ("index", "any-index"):
            continue
        if p.kind == "any-prop" and t.kind in ("prop", "any-prop"):
            continue
        if t.kind == "index" and p.kind == "prop" and p.name == str(t.index):
            continue
        if p != t:
            return False
    return True


# -- where a path lands in a schema -----------------------------------------------------------
# JSON types, with numbers split so that `integer` and `decimal` matchers can be told apart.
ALL_KINDS = frozenset({"null", "boolean", "object", "array", "string", "integer", "fraction"})
_TYPE_KINDS = {
    "null": {"null"},
    "boolean": {"boolean"},
    "object": {"object"},
    "array": {"array"},
    "string": {"string"},
    "integer": {"integer"},
    "number": {"integer", "fraction"},
}


def kind_of(value: Any) -> str:
    """The JSON kind of a value (1.0 is an integer, as JSON Schema says)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "integer" if value.is_integer() else "fraction"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def schema_kinds(schema: Any, resolver: Any, depth: int = 0) -> frozenset[str]:
    """Every JSON kind a value can have and still satisfy the schema (as far as types decide)."""
    if schema is True or depth > 64:
        return ALL_KINDS
    if schema is False:
        return frozenset()
    if not isinstance(schema, dict):
        return ALL_KINDS
    kinds = set(ALL_KINDS)
    declared = schema.get("type")
    if isinstance(declared, str):
        declared = [declared]
    if isinstance(declared, list):
        kinds &= set().union(*(_TYPE_KINDS.get(t, set()) for t in declared if isinstance(t, str)))
    if "const" in schema:
        kinds &= {kind_of(schema["const"])}
    if isinstance(schema.get("enum"), list):
        kinds &= {kind_of(v) for v in schema["enum"]}
    ref = schema.get("$ref")
    if isinstance(ref, str):
        try:
            resolved = resolver.lookup(ref)
        except (referencing.exceptions.Unresolvable, referencing.exceptions.PointerToNowhere):
            pass  # the $ref check reports it
        else:
            kinds &= schema_kinds(resolved.contents, resolved.resolver, depth + 1)
    for sub in schema.get("allOf") or []:
        kinds &= schema_kinds(sub, resolver, depth + 1)
    for key in ("anyOf", "oneOf"):
        branches = schema.get(key)
        if isinstance(branches, list) and branches:
            kinds &= set().union(*(schema_kinds(sub, resolver, depth + 1) for sub in branches))
    if "if" in schema and ("then" in schema or "else" in schema):
        kinds &= schema_kinds(schema.get("then", True), resolver, depth + 1) | schema_kinds(
            schema.get("else", True), resolver, depth + 1
        )
    return frozenset(kinds)


@dataclass
class Location:
    """Where a path lands in a schema.

    `missing` is the index of the first step no subschema declares (None when every step is
    declared) and `reason` says why; `kinds` are the JSON kinds the value there may have, or None
    when the schema does not constrain it (a declaration only inside one alternative, an array
    without `items`).
    """

    missing: int | None
    reason: str = ""
    kinds: frozenset[str] | None = None


# (schema, resolver, certain): `certain` when the subschema applies whatever the data (itself, $ref,
# allOf), not only in one alternative (anyOf/oneOf) or one outcome of a condition (then/else).
_Sub = tuple[Any, Any, bool]


def applicable_subschemas(schema: Any, resolver: Any, certain: bool, depth: int = 0) -> Iterator[_Sub]:
    if not isinstance(schema, dict) or depth > 64:
        return
    yield schema, resolver, certain
    ref = schema.get("$ref")
    if isinstance(ref, str):
        try:
            resolved = resolver.lookup(ref)
        except (referencing.exceptions.Unresolvable, referencing.exceptions.PointerToNowhere):
            pass
        else:
            yield from applicable_subschemas(resolved.contents, resolved.resolver, certain, depth + 1)
    for sub in schema.get("allOf") or []:
        yield from applicable_subschemas(sub, resolver, certain, depth + 1)
    for key in ("anyOf", "oneOf"):
        for sub in schema.get(key) or []:
            yield from applicable_subschemas(sub, resolver, False, depth + 1)
    for key in ("then", "else"):
        if key in schema:
            yield from applicable_subschemas(schema[key], resolver, False, depth + 1)
    for sub in (schema.get("dependentSchemas") or {}).values():
        yield from applicable_subschemas(sub, resolver, False, depth + 1)


def _declarations(subs: list[_Sub], step: Step) -> list[_Sub]:
    """The subschemas that declare what a step reaches, from the subschemas applying here."""
    found: list[_Sub] = []
    for sub, res, certain in subs:
        if step.kind in ("prop", "any-prop"):
            props = sub.get("properties") if isinstance(sub.get("properties"), dict) else {}
            patterns = sub.get("patternProperties") if isinstance(sub.get("patternProperties"), dict) else {}
            extra = sub.get("additionalProperties")
            if step.kind == "prop":
                hits = [props[step.name]] if step.name in props else []
                hits += [p for pat, p in patterns.items() if _search(pat, step.name)]
                if not hits and isinstance(extra, dict) and extra:
                    hits = [extra]  # a map whose values have a schema: its keys are data, not fields
            else:
                hits = list(props.values()) + list(patterns.values())
                if isinstance(extra, dict) and extra:
                    hits.append(extra)
            found.extend((h, res, certain) for h in hits)
        else:
            prefix = sub.get("prefixItems") if isinstance(sub.get("prefixItems"), list) else []
            items = sub.get("items")
            if step.kind == "index" and step.index < len(prefix):
                found.append((prefix[step.index], res, certain))
            else:
                if step.kind == "any-index":
                    found.extend((p, res, False) for p in prefix)
                if isinstance(items, dict | bool):
                    found.append((items, res, certain and not prefix))
    return found


def _search(pattern: str, name: str) -> bool:
    try:
        return re.search(pattern, name) is not None
    except re.error:
        return False


def locate(schema: dict[str, Any], resolver: Any, steps: list[Step]) -> Location:
    """Walk a schema along path steps: is every step declared, and what may the value there be."""
    current: list[_Sub] = [(schema, resolver, True)]
    constrained = True
    for i, step in enumerate(steps):
        subs = [s for sch, res, certain in current for s in applicable_subschemas(sch, res, certain)]
        here = _kinds_of(current) if constrained else None
        wants = "array" if step.kind in ("index", "any-index") else "object"
        if here is not None and wants not in here:
            return Location(i, f"the schema says this is {_kind_words(here)}, not an {wants}")
        if not constrained:
            if wants == "array":
                continue
            return Location(i, "nothing in the schema declares it (it lies inside an unconstrained value)")
        declared = _declarations(subs, step)
        if not declared:
            if wants == "array":
                constrained = False  # an array without `items`: its items may be anything
                current = []
                continue
            return Location(i, "no subschema declares this property")
        if any(d is False for d, _, _ in declared):
            return Location(i, "the schema forbids a value here (false)")
        current = declared
    return Location(None, kinds=_kinds_of(current) if constrained else None)


def _kinds_of(decls: list[_Sub]) -> frozenset[str] | None:
    """The kinds every certain declaration allows; None when no declaration is certain."""
    certain = [(s, r) for s, r, c in decls if c]
    if not certain:
        return None
    kinds = ALL_KINDS
    for sch, res in certain:
        kinds = kinds & schema_kinds(sch, res)
    return kinds


def _kind_words(kinds: frozenset[str]) -> str:
    names = set(kinds)
    if {"integer", "fraction"} <= names:
        names -= {"integer", "fraction"}
        names.add("number")
    elif "fraction" in names:
        names.discard("fraction")
        names.add("number with a fraction")
    words = sorted(names)
    if not words:
        return "impossible"
    article = "an" if words[0][0] in "aeiou" else "a"
    return f"{article} {' or '.join(words)}"


# -- matchers against schema kinds ------------------------------------------------------------
_MATCHER_NEEDS: dict[str, tuple[frozenset[str], str]] = {
    "integer": (frozenset({"integer"}), "an integer"),
    "decimal": (frozenset({"fraction"}), "a number with a fraction"),
    "number": (frozenset({"integer", "fraction"}), "a number"),
    "boolean": (frozenset({"boolean"}), "a boolean"),
    "null": (frozenset({"null"}), "null"),
    "regex": (frozenset({"string"}), "a string"),
    "timestamp": (frozenset({"string"}), "a string"),
    "date": (frozenset({"string"}), "a string"),
    "time": (frozenset({"string"}), "a string"),
    "uuid": (frozenset({"string"}), "a string"),
    "semver": (frozenset({"string"}), "a string"),
    "include": (frozenset({"string"}), "a string"),
    "notEmpty": (frozenset({"string", "array", "object"}), "a string, array or object"),
    "eachKey": (frozenset({"object"}), "an object"),
    "eachValue": (frozenset({"object", "array"}), "an object or array"),
    "values": (frozenset({"object", "array"}), "an object or array"),
    "arrayContains": (frozenset({"array"}), "an array"),
}


def matcher_needs(matcher: Matcher) -> tuple[frozenset[str], str] | None:
    """The kinds a matcher can match and how to say so; None when it accepts any kind (`type`, `equality`)."""
    if matcher.kind == "type":
        if any(k in matcher.attributes for k in ("min", "max")) or matcher.match != "type":
            return frozenset({"array"}), "an array (a type matcher with min/max is each-like)"
        return None
    return _MATCHER_NEEDS.get(matcher.kind)


def matcher_disagreement(rule: MatchingRule, kinds: frozenset[str]) -> list[str]:
    """Why the rule's matchers cannot match what the schema allows there (empty when they can).

    With AND every matcher must be able to match; with OR one is enough.
    """
    problems = []
    fine = 0
    for m in rule.matchers:
        need = matcher_needs(m)
        if need is None or need[0] & kinds:
            fine += 1
            continue
        problems.append(f"{m.match!r} matcher needs {need[1]}, the schema says {_kind_words(kinds)}")
    if rule.combine == "OR" and fine:
        return []
    return problems


# -- what a rule expects, in words ------------------------------------------------------------
def rule_at(part: Part, steps: list[Step]) -> MatchingRule | None:
    """The rule that judges a concrete place of a body: the most specific one covering it, else the
    nearest ancestor's (type matchers cascade; eachKey, eachValue and values report at the child)."""
    parsed = [(rule, parse_path(rule.path)) for rule in part.matching_rules.values()]
    for depth in range(len(steps), -1, -1):
        target = steps[:depth]
        hits = [(rule, path) for rule, path in parsed if path is not None and path_covers(path, target)]
        if hits:
            return min(hits, key=lambda hit: sum(s.kind in ("any-index", "any-prop") for s in hit[1]))[0]
    return None


def rule_words(rule: MatchingRule, example: Any = None) -> str:
    """What a rule expects, for a failure line: "a value matching regex '^[A-Z]+$'", "an integer", ..."""
    words = [matcher_words(m, example) for m in rule.matchers] or ["(no matcher)"]
    return (" or " if rule.combine == "OR" else " and ").join(words)


def matcher_words(matcher: Matcher, example: Any = None) -> str:
    a = matcher.attributes
    kind = matcher.kind
    fmt = a.get("format") or a.get(matcher.match) if kind in ("timestamp", "date", "time") else None
    if kind == "regex":
        return f"a value matching regex {a.get('regex')!r}"
    if kind == "equality":
        return f"exactly {json.dumps(example, ensure_ascii=False)}"
    if kind == "include":
        return f"a string including {a.get('value')!r}"
    if kind == "type":
        low, high = a.get("min", a.get(matcher.match) if matcher.match == "min" else None), a.get("max")
        if matcher.match == "max":
            high = a.get("max")
        if low is not None and high is not None:
            return f"an array of {low} to {high} items like the example's"
        if low is not None:
            return f"an array of at least {low} item(s) like the example's"
        if high is not None:
            return f"an array of at most {high} item(s) like the example's"
        return f"any {_kind_words(frozenset({kind_of(example)})).split(' ', 1)[-1]} (a type matcher)"
    simple = {
        "number": "a number",
        "integer": "an integer",
        "decimal": "a number with a fraction (decimal)",
        "boolean": "a boolean",
        "null": "null",
        "notEmpty": "a value that is not empty",
        "semver": "a semantic version (MAJOR.MINOR.PATCH)",
        "values": "values like the example's, under any keys",
    }
    if kind in simple:
        return simple[kind]
    if kind in ("timestamp", "date", "time"):
        noun = {"timestamp": "a date-time", "date": "a date", "time": "a time"}[kind]
        return f"{noun} in format {fmt!r}" if fmt else noun
    if kind == "contentType":
        return f"content of type {a.get('value')!r}"
    if kind == "statusCode":
        return f"HTTP status {a.get('status', 'success')}"
    if kind in ("eachKey", "eachValue"):
        inner = [_matcher_from(r) for r in a.get("rules") or [] if isinstance(r, dict)]
        said = " and ".join(matcher_words(m) for m in inner if m is not None) or "its rules"
        return f"every {'key' if kind == 'eachKey' else 'value'} {said}".replace(" a value matching", " matching")
    if kind == "arrayContains":
        variants = a.get("variants") if isinstance(a.get("variants"), list) else []
        return f"an array containing items like the example's {len(variants)} variant(s)"
    return f"a value the {matcher.match!r} matcher accepts"


def _matcher_from(raw: dict[str, Any]) -> Matcher | None:
    return _matcher(raw, "", [])


def nested_matchers(matcher: Matcher) -> Iterator[tuple[str, Matcher]]:
    """Matchers inside a matcher (eachKey/eachValue `rules`, arrayContains variants' rules), with their place."""
    a = matcher.attributes
    for j, raw in enumerate(a.get("rules") or [] if isinstance(a.get("rules"), list) else []):
        if isinstance(raw, dict) and "$ref" not in raw:
            m = _matcher_from(raw)
            if m is not None:
                yield f"rules/{j}", m
                yield from ((f"rules/{j}/{p}", n) for p, n in nested_matchers(m))
    variants = a.get("variants") if isinstance(a.get("variants"), list) else []
    for v, variant in enumerate(variants):
        rules = variant.get("rules") if isinstance(variant, dict) and isinstance(variant.get("rules"), dict) else {}
        for path, rule in rules.items():
            items = rule.get("matchers") if isinstance(rule, dict) and isinstance(rule.get("matchers"), list) else []
            for k, raw in enumerate(items):
                m = _matcher_from(raw) if isinstance(raw, dict) else None
                if m is not None:
                    where = f"variants/{v}/rules/{escape(path)}/matchers/{k}"
                    yield where, m
                    yield from ((f"{where}/{p}", n) for p, n in nested_matchers(m))
