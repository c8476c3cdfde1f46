"""contracts/states/<provider>.yaml: what each provider state means on the bus.

The harness never reaches into a supplier: to put it in a state ("an order has been submitted") it
publishes stimuli, MoJ commands or synthetic events on the simulation channels (schemas sim-*),
each built from a schema's first example with a few fields set, and then waits up to the state's
deadline for the supplier to react. Pacts name states; these files give each name its stimuli,
its parameters and its deadline.

```yaml
provider: field-monitoring-service
states:
  an order has been submitted:
    description: ...
    params:
      order_type: {default: Post Release}
    deadline: 5                      # seconds the supplier has to react
    stimuli:
      - message: order-submitted     # a schema folder; the body starts from its examples[0]
        set:                         # JSON pointer -> value; "{param}" and "{token:name}" are filled in,
          /additionalInformation/order_id: "{token:order_id}"    # null removes the field
        delay: 0                     # seconds after the previous stimulus
      - message: sim-field-visit     # simulation channels are schema messages too (x-simulation)
        after: case-created          # publish only once the supplier has answered the previous stimulus
        set:                         # with this message (or {message: ..., where: {pointer: value}})
          /additionalInformation/visit_type: install
        advance: 2d                  # move the virtual clock on first (90s, 30m, 2h, 3d)
correlation:                         # how the provider's answers are tied to the interaction (one place)
  announced:                         # values the supplier makes up and announces once
    case_id: {message: case-created, at: /additionalInformation/caseId}
  identifiers: ["{token:crn}", "{token:noms}"]       # every personReference identifier value
  echo:                              # per answer: JSON pointer (`*`: every array item) -> the token there
    case-status-returned:
      /additionalInformation/orderId: "{token:order_id}"
      /additionalInformation/caseId: "{announced:case_id}"
```

Loading is lenient: a file that is not YAML is unusable input (one line naming the file and line,
exit code 2), while a file whose structure is wrong still loads as far as it can and carries its
`problems` (JSON pointer, sentence, severity) for lint to report beside the other findings. Checks that
need the schemas (does the message exist, does a `set` pointer land in its example) are lint's.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.jsonfile import load_yaml

STIMULUS_KEYS = ("message", "set", "delay", "after", "advance")
STATE_KEYS = ("description", "params", "deadline", "stimuli")
PLACEHOLDER = re.compile(r"\{(?P<token>token:)?(?P<name>[A-Za-z_][A-Za-z0-9_]*)\}")
CORRELATION_KEYS = ("announced", "identifiers", "echo")
# An echo value: the interaction's own token ({token:order_id}) or a value the supplier announced for it
# ({announced:case_id}); a list means "one of these".
ECHO_VALUE = re.compile(r"^\{(?P<kind>token|announced):(?P<name>[A-Za-z_][A-Za-z0-9_]*)\}$")
_DURATION = re.compile(r"^(?P<n>\d+(?:\.\d+)?)\s*(?P<unit>s|m|h|d)$")
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class Problem:
    """A structural problem of a states file: where (JSON pointer), what, and how serious."""

    pointer: str
    problem: str
    severity: str = "error"


@dataclass
class Stimulus:
    """One message the harness publishes to set a state."""

    index: int
    message: str
    """The schema folder (order-submitted, sim-field-visit) whose examples[0] is the starting body."""
    set: dict[str, Any] = field(default_factory=dict)
    """JSON pointer -> value (with placeholders); None removes the field."""
    delay: float = 0.0
    after: str | None = None
    """A message folder: publish this stimulus only once the supplier has published a correlated message
    of that type (so a follow-up never overtakes what it refers to, on any broker)."""
    after_where: dict[str, Any] = field(default_factory=dict)
    """JSON pointer -> value the awaited answer must carry (`after: {message: ..., where: {...}}`), so an
    earlier answer still in flight is never taken for the answer to the predecessor."""
    advance: float = 0.0
    """Simulated seconds the harness moves the virtual clock forward before publishing this stimulus."""


@dataclass
class StateDef:
    name: str
    description: str = ""
    params: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Parameter name -> its spec ({"default": ...}; empty when it has none)."""
    deadline: float | None = None
    """Seconds the supplier has to react; None means the harness's default."""
    stimuli: list[Stimulus] = field(default_factory=list)

    def defaults(self) -> dict[str, Any]:
        """Parameter name -> default value (None when it has none)."""
        return {name: spec.get("default") for name, spec in self.params.items()}


@dataclass(frozen=True)
class Expect:
    """A value an answer must carry: the interaction's token `name`, or the value announced as `name`."""

    kind: str  # "token" | "announced"
    name: str

    def __str__(self) -> str:
        return f"{{{self.kind}:{self.name}}}"


@dataclass
class Correlation:
    """How a provider's answers are tied to the interaction that caused them (the `correlation:` section).

    - `announced`: values the supplier makes up and announces once (case_id from case-created's caseId);
      every later answer must carry one that was announced for this interaction.
    - `identifiers`: what every personReference identifier value of an answer must be.
    - `echo`: per message folder, JSON pointer -> the token(s) found there (`*` matches every array item).
    The answer to an interaction is chosen by these rules; one that breaks them fails `correlation`.
    """

    announced: dict[str, tuple[str, str]] = field(default_factory=dict)
    """name -> (message folder, JSON pointer of the announced value)."""
    identifiers: list[Expect] = field(default_factory=list)
    echo: dict[str, dict[str, list[Expect]]] = field(default_factory=dict)


@dataclass
class ProviderStates:
    """One provider's states file."""

    path: Path
    provider: str | None
    states: dict[str, StateDef]
    problems: list[Problem] = field(default_factory=list)
    correlation: Correlation = field(default_factory=Correlation)

    def pointer(self, state: str) -> str:
        return f"/states/{escape(state)}"


def escape(token: str) -> str:
    """One JSON pointer reference token (RFC 6901)."""
    return token.replace("~", "~0").replace("/", "~1")


MAX_SECONDS = 3600.0
"""The longest deadline, delay or clock advance a catalogue file may ask for: a run is minutes, not days, and
an endless one (`.inf`) would hang verify."""


def _number(value: Any) -> bool:
    """A finite JSON number (`.inf` and `.nan` of YAML are not)."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def bounded_seconds(value: Any) -> bool:
    """A deadline: a finite number of seconds above 0 and at most MAX_SECONDS."""
    return _number(value) and 0 < value <= MAX_SECONDS


def load_states(states_dir: Path) -> dict[str, ProviderStates]:
    """Every states file in a folder, keyed by file name without .yaml (the provider it is for)."""
    states_dir = Path(states_dir)
    if not states_dir.is_dir():
        return {}
    paths = sorted([*states_dir.glob("*.yaml"), *states_dir.glob("*.yml")])
    return {p.stem: load_states_file(p) for p in paths}


def load_states_file(path: Path) -> ProviderStates:
    """Read one states file; raises UnusableInput only when it is not YAML at all."""
    path = Path(path)
    raw = load_yaml(path)
    out = ProviderStates(path=path, provider=None, states={})
    add = out.problems.append
    if not isinstance(raw, dict):
        add(Problem("", "a states file is a mapping with `provider` and `states`"))
        return out
    for key in raw:
        if key not in ("provider", "states", "description", "correlation"):
            add(
                Problem(
                    f"/{escape(str(key))}", "not a field of a states file (provider, states, correlation)", "warning"
                )
            )
    if "correlation" in raw:
        out.correlation = _correlation(raw["correlation"], add)
    provider = raw.get("provider")
    if not isinstance(provider, str) or not provider:
        add(Problem("/provider", "needs the provider's system id (the name its pacts use)"))
    else:
        out.provider = provider
        if provider != path.stem:
            add(Problem("/provider", f"the file for provider {provider!r} must be named {provider}.yaml"))
    states = raw.get("states")
    if not isinstance(states, dict) or not states:
        add(Problem("/states", "needs a mapping of state names to their definitions"))
        return out
    for name, body in states.items():
        ptr = f"/states/{escape(str(name))}"
        if not isinstance(name, str):
            add(Problem(ptr, "a state name is text, exactly as the pacts write it"))
            continue
        out.states[name] = _state(name, body, ptr, add)
    return out


def _state(name: str, raw: Any, ptr: str, add: Any) -> StateDef:
    state = StateDef(name=name)
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        add(Problem(ptr, "a state is a mapping (description, params, deadline, stimuli)"))
        return state
    for key in raw:
        if key not in STATE_KEYS:
            add(Problem(f"{ptr}/{escape(str(key))}", f"not a field of a state ({', '.join(STATE_KEYS)})", "warning"))
    if isinstance(raw.get("description"), str):
        state.description = raw["description"]
    params = raw.get("params")
    if isinstance(params, dict):
        for pname, spec in params.items():
            if spec is not None and not isinstance(spec, dict):
                add(Problem(f"{ptr}/params/{escape(str(pname))}", "a parameter is a mapping ({default: ...}) or empty"))
                continue
            state.params[str(pname)] = dict(spec or {})
    elif params is not None:
        add(Problem(f"{ptr}/params", "params is a mapping of parameter names to {default: ...}"))
    if "deadline" in raw:
        deadline = raw["deadline"]
        if bounded_seconds(deadline):
            state.deadline = float(deadline)
        else:
            add(
                Problem(
                    f"{ptr}/deadline",
                    f"the deadline must be a number of seconds above 0 and at most {MAX_SECONDS:g}, not {deadline!r}",
                )
            )
    stimuli = raw.get("stimuli")
    if stimuli is None or stimuli == []:
        add(Problem(ptr, "no stimuli: nothing would put the provider in this state", "warning"))
    elif not isinstance(stimuli, list):
        add(Problem(f"{ptr}/stimuli", "stimuli is a list of messages to publish"))
    else:
        for i, item in enumerate(stimuli):
            stimulus = _stimulus(i, item, f"{ptr}/stimuli/{i}", add)
            if stimulus is not None:
                state.stimuli.append(stimulus)
    return state


def _stimulus(i: int, raw: Any, ptr: str, add: Any) -> Stimulus | None:
    if not isinstance(raw, dict):
        add(Problem(ptr, "a stimulus is a mapping with `message` (a schema folder), `set` and `delay`"))
        return None
    for key in raw:
        if key not in STIMULUS_KEYS:
            add(
                Problem(
                    f"{ptr}/{escape(str(key))}", f"not a field of a stimulus ({', '.join(STIMULUS_KEYS)})", "warning"
                )
            )
    message = raw.get("message")
    if not isinstance(message, str) or not message:
        add(
            Problem(
                f"{ptr}/message" if "message" in raw else ptr, "needs `message`: a schema folder, e.g. order-submitted"
            )
        )
        return None
    stimulus = Stimulus(index=i, message=message)
    sets = raw.get("set")
    if isinstance(sets, dict):
        for target, value in sets.items():
            if isinstance(target, str) and target.startswith("/"):
                stimulus.set[target] = value
            else:
                add(
                    Problem(
                        f"{ptr}/set/{escape(str(target))}",
                        "a `set` key is a JSON pointer into the message, e.g. /additionalInformation/order_id",
                    )
                )
    elif sets is not None:
        add(Problem(f"{ptr}/set", "set is a mapping of JSON pointers to values"))
    if "after" in raw:
        after = raw["after"]
        if isinstance(after, dict) and isinstance(after.get("message"), str) and after["message"]:
            stimulus.after = after["message"]
            where = after.get("where") or {}
            if isinstance(where, dict) and all(isinstance(k, str) and k.startswith("/") for k in where):
                stimulus.after_where = dict(where)
            else:
                add(Problem(f"{ptr}/after/where", "`where` maps JSON pointers of the answer to the values it carries"))
            for key in after:
                if key not in ("message", "where"):
                    add(
                        Problem(f"{ptr}/after/{escape(str(key))}", "not a field of `after` (message, where)", "warning")
                    )
        elif isinstance(after, str) and after:
            stimulus.after = after
        else:
            add(
                Problem(
                    f"{ptr}/after",
                    f"`after` names a message folder, e.g. case-created, or {{message, where}}, not {after!r}",
                )
            )
    if "advance" in raw:
        seconds = duration_seconds(raw["advance"])
        if seconds is None:
            add(
                Problem(
                    f"{ptr}/advance", f"`advance` is simulated time such as 90s, 30m, 2h or 3d, not {raw['advance']!r}"
                )
            )
        else:
            stimulus.advance = seconds
    if "delay" in raw:
        delay = raw["delay"]
        if _number(delay) and 0 <= delay <= MAX_SECONDS:
            stimulus.delay = float(delay)
        else:
            add(
                Problem(
                    f"{ptr}/delay", f"the delay must be a number of seconds from 0 to {MAX_SECONDS:g}, not {delay!r}"
                )
            )
    return stimulus


def placeholders(value: Any) -> list[tuple[bool, str]]:
    """The placeholders in a `set` value as (is_token, name): `{param}` and `{token:name}`."""
    if isinstance(value, str):
        return [(m["token"] is not None, m["name"]) for m in PLACEHOLDER.finditer(value)]
    if isinstance(value, dict):
        return [p for v in value.values() for p in placeholders(v)]
    if isinstance(value, list):
        return [p for v in value for p in placeholders(v)]
    return []


def duration_seconds(value: Any) -> float | None:
    """A duration as seconds: a number of seconds, or text such as 90s, 30m, 2h, 3d; None when unreadable."""
    if _number(value) and value >= 0:
        return float(value)
    if isinstance(value, str) and (m := _DURATION.match(value.strip())):
        return float(m["n"]) * _UNIT[m["unit"]]
    return None


def _expects(value: Any, ptr: str, add: Any) -> list[Expect]:
    items = value if isinstance(value, list) else [value]
    out = []
    for i, item in enumerate(items):
        m = ECHO_VALUE.match(item) if isinstance(item, str) else None
        if m is None:
            where = f"{ptr}/{i}" if isinstance(value, list) else ptr
            add(Problem(where, f"expected {{token:NAME}} or {{announced:NAME}}, not {item!r}"))
            continue
        out.append(Expect(m["kind"], m["name"]))
    return out


def _correlation(raw: Any, add: Any) -> Correlation:
    out = Correlation()
    if not isinstance(raw, dict):
        add(Problem("/correlation", "correlation is a mapping (announced, identifiers, echo)"))
        return out
    for key in raw:
        if key not in CORRELATION_KEYS:
            add(
                Problem(
                    f"/correlation/{escape(str(key))}", f"not a field of correlation ({', '.join(CORRELATION_KEYS)})"
                )
            )
    announced = raw.get("announced") or {}
    if isinstance(announced, dict):
        for name, spec in announced.items():
            ptr = f"/correlation/announced/{escape(str(name))}"
            if (
                isinstance(spec, dict)
                and isinstance(spec.get("message"), str)
                and str(spec.get("at", "")).startswith("/")
            ):
                out.announced[str(name)] = (spec["message"], spec["at"])
            else:
                add(Problem(ptr, "an announced value is {message: <folder>, at: <JSON pointer>}"))
    else:
        add(Problem("/correlation/announced", "announced maps names to {message, at}"))
    if "identifiers" in raw:
        out.identifiers = _expects(raw["identifiers"], "/correlation/identifiers", add)
    echo = raw.get("echo") or {}
    if not isinstance(echo, dict):
        add(Problem("/correlation/echo", "echo maps message folders to {JSON pointer: {token:NAME}}"))
        return out
    for message, rules in echo.items():
        mptr = f"/correlation/echo/{escape(str(message))}"
        if not isinstance(rules, dict) or not rules:
            add(Problem(mptr, "a message's echo rules map JSON pointers to {token:NAME} or {announced:NAME}"))
            continue
        kept: dict[str, list[Expect]] = {}
        for target, value in rules.items():
            rptr = f"{mptr}/{escape(str(target))}"
            if not isinstance(target, str) or not target.startswith("/"):
                add(Problem(rptr, "an echo key is a JSON pointer into the answer, e.g. /additionalInformation/orderId"))
                continue
            expects = _expects(value, rptr, add)
            if expects:
                kept[target] = expects
        out.echo[str(message)] = kept
    return out
