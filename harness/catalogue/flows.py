"""contracts/flows/*.yaml: behaviour over many messages, judged by `verify` for the provider a flow names.

A pact checks the shape of one message. A flow checks what a supplier does over a whole situation: which
messages it publishes, how often, in which order, carrying which ids, and which values relative to the
stimuli and to each other. Format (every `$.` path is a path into the step's message, as in pacts):

```yaml
name: curfew breach lifecycle
provider: field-monitoring-service
description: ...
given: a curfew violation has been excused  # the provider state whose stimuli drive the flow
params: {}                                   # its parameters (optional)
deadline: 5                                  # seconds for each awaited step (default: the state's)
faults: [duplicate, redeliver, delay]        # delivery faults this flow must survive (verify --faults)
steps:
  - id: raised                               # a name other steps and rules refer to
    message: violation-raised                # a message folder the provider sends
    where: {$.additionalInformation.category: curfew}   # which messages of that type are this step
    count: once                              # once (default) | at-least-once | at-most-once | never
    after: [created]                         # partial order: not published before these steps (publishedAt)
    rules:                                   # value rules, each checked on every message of the step
      - rule: the violation starts when the telemetry says the wearer left, London local time
        equal: [$.additionalInformation.start,
                london(stimulus.sim-device-telemetry:$.additionalInformation.observed_at)]
      - rule: it does not end before it starts
        compare: [$.additionalInformation.end, ">=", $.additionalInformation.start]
      - rule: an excused violation is closed
        when: {equal: [$.additionalInformation.reasonable_excuse, "Yes"]}
        in: [$.additionalInformation.state, [Closed, Resolved]]
correlation:                                 # across steps: every message carrying the path has the
  - rule: one case for the whole order       # value the named step's (first) message has
    same: $.additionalInformation.caseId
    as: created
```

Expressions: `$.path` (this step's message), `STEP:$.path` (the first message of another step),
`stimulus.MESSAGE:$.path` or `stimulus.MESSAGE[N]:$.path` (the Nth stimulus of that type, from 0),
`london(X)` (an instant as London local 'yyyy-MM-dd HH:mm:ss'), `seconds(X - Y)` (whole seconds between
two instants), `minutes(X)` (a number of minutes, as seconds), `time(X)` (an instant); anything else is a
literal. Timestamps compare as instants, to the second: RFC 3339 with its offset, and the catalogue's London
local format in Europe/London.
Rules: `equal: [A, B]`, `compare: [A, OP, B]` (OP one of < <= > >= == !=), `in: [A, [values]]`,
`within: [A, B, DURATION]` (|A - B| <= DURATION, e.g. 1h); `when:` takes one such rule as a condition.

Loading is lenient like the states files: a file that is not YAML is unusable input; a structural
problem is kept in `problems` for lint, and the flow is not run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.catalogue.pacts import parse_path
from harness.catalogue.states import MAX_SECONDS, Problem, bounded_seconds, duration_seconds, escape
from harness.jsonfile import load_yaml

FLOW_KEYS = ("name", "provider", "description", "given", "params", "deadline", "faults", "steps", "correlation")
STEP_KEYS = ("id", "message", "where", "count", "after", "rules", "description")
COUNTS = ("once", "at-least-once", "at-most-once", "never")
FAULTS = ("duplicate", "reorder", "delay", "redeliver", "poison")
OPS = ("equal", "compare", "in", "within")
COMPARATORS = ("<", "<=", ">", ">=", "==", "!=")
FUNCTIONS = ("london", "seconds", "minutes", "time")

_REF = re.compile(
    r"^(?:(?P<step>[a-z][a-z0-9_-]*)|stimulus\.(?P<stim>[a-z][a-z0-9-]*)(?:\[(?P<idx>\d+)\])?):(?P<path>\$.*)$"
)
_CALL = re.compile(r"^(?P<fn>[a-z]+)\((?P<inner>.*)\)$")


@dataclass(frozen=True)
class Ref:
    """A value in a message: this step's (step None, stimulus None), another step's, or a stimulus's."""

    path: str
    pointer: str
    step: str | None = None
    stimulus: str | None = None
    index: int = 0

    def __str__(self) -> str:
        if self.stimulus is not None:
            return f"stimulus.{self.stimulus}[{self.index}]:{self.path}"
        return f"{self.step}:{self.path}" if self.step else self.path


@dataclass(frozen=True)
class Call:
    fn: str
    arg: Any

    def __str__(self) -> str:
        return f"{self.fn}({self.arg})"


@dataclass(frozen=True)
class Minus:
    left: Any
    right: Any

    def __str__(self) -> str:
        return f"{self.left} - {self.right}"


def path_pointer(path: str) -> str | None:
    """A `$.a.b[*].c` path as a JSON pointer with `*` for every array item; None when it is not a path."""
    steps = parse_path(path)
    if steps is None or not steps or any(s.kind == "any-prop" for s in steps):
        return None
    parts = []
    for s in steps:
        if s.kind == "prop":
            parts.append(escape(s.name))
        elif s.kind == "index":
            parts.append(str(s.index))
        else:
            parts.append("*")
    return "/" + "/".join(parts)


def parse_expr(raw: Any) -> Any:
    """An expression (see the module docstring) as Ref / Call / Minus, or the literal itself."""
    if not isinstance(raw, str):
        return raw
    text = raw.strip()
    call = _CALL.match(text)
    if call and call["fn"] in FUNCTIONS:
        return Call(call["fn"], parse_expr(call["inner"]))
    if " - " in text and ("$." in text):
        left, right = text.split(" - ", 1)
        return Minus(parse_expr(left), parse_expr(right))
    if text.startswith("$"):
        pointer = path_pointer(text)
        return Ref(text, pointer) if pointer else raw
    ref = _REF.match(text)
    if ref:
        pointer = path_pointer(ref["path"])
        if pointer:
            return Ref(ref["path"], pointer, ref["step"], ref["stim"], int(ref["idx"] or 0))
    return raw


def refs_of(expr: Any) -> list[Ref]:
    if isinstance(expr, Ref):
        return [expr]
    if isinstance(expr, Call):
        return refs_of(expr.arg)
    if isinstance(expr, Minus):
        return refs_of(expr.left) + refs_of(expr.right)
    if isinstance(expr, list):
        return [r for e in expr for r in refs_of(e)]
    return []


@dataclass
class Rule:
    """One value rule: `op` over parsed `args`, optionally only `when` another rule holds."""

    text: str
    op: str
    args: list[Any]
    pointer: str
    when: Rule | None = None

    def refs(self) -> list[Ref]:
        return refs_of(self.args) + (self.when.refs() if self.when else [])


@dataclass
class Step:
    id: str
    message: str
    pointer: str
    count: str = "once"
    where: dict[str, Any] = field(default_factory=dict)
    """`$.` path -> the value the step's messages carry there."""
    after: list[str] = field(default_factory=list)
    rules: list[Rule] = field(default_factory=list)
    description: str = ""

    @property
    def awaited(self) -> bool:
        """The flow waits for this step (it must happen at least once)."""
        return self.count in ("once", "at-least-once")


@dataclass
class Same:
    """A correlation rule across steps: every message carrying `path` has the value `step` has there."""

    text: str
    path: str
    pointer: str
    step: str
    where: str


@dataclass
class FlowDef:
    path: Path
    name: str
    provider: str | None = None
    description: str = ""
    given: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    deadline: float | None = None
    faults: list[str] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    correlation: list[Same] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def step(self, step_id: str) -> Step | None:
        return next((s for s in self.steps if s.id == step_id), None)

    @property
    def usable(self) -> bool:
        return not any(p.severity == "error" for p in self.problems)


def load_flows(flows_dir: Path) -> list[FlowDef]:
    """Every flow file of a folder, sorted by file name; none when the folder does not exist."""
    folder = Path(flows_dir)
    if not folder.is_dir():
        return []
    return [load_flow(p) for p in sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")])]


def load_flow(path: Path) -> FlowDef:
    raw = load_yaml(path)
    flow = FlowDef(path=Path(path), name=Path(path).stem)
    add = flow.problems.append
    if not isinstance(raw, dict):
        add(Problem("", "a flow file is a mapping with name, provider, given and steps"))
        return flow
    for key in raw:
        if key not in FLOW_KEYS:
            add(Problem(f"/{escape(str(key))}", f"not a field of a flow ({', '.join(FLOW_KEYS)})", "warning"))
    if isinstance(raw.get("name"), str) and raw["name"]:
        flow.name = raw["name"]
    else:
        add(Problem("/name", "needs a name (reports name the flow by it)"))
    if isinstance(raw.get("provider"), str) and raw["provider"]:
        flow.provider = raw["provider"]
    else:
        add(Problem("/provider", "needs the provider's system id"))
    flow.description = raw.get("description") if isinstance(raw.get("description"), str) else ""
    if isinstance(raw.get("given"), str) and raw["given"]:
        flow.given = raw["given"]
    else:
        add(Problem("/given", "needs `given`: the provider state whose stimuli drive the flow"))
    if isinstance(raw.get("params"), dict):
        flow.params = dict(raw["params"])
    elif "params" in raw:
        add(Problem("/params", "params maps the state's parameter names to values"))
    if "deadline" in raw:
        seconds = duration_seconds(raw["deadline"])
        if seconds is not None and bounded_seconds(seconds):
            flow.deadline = seconds
        else:
            add(
                Problem(
                    "/deadline",
                    f"the deadline is a number of seconds above 0 and at most {MAX_SECONDS:g}, not {raw['deadline']!r}",
                )
            )
    faults = raw.get("faults", [])
    if isinstance(faults, list) and all(f in FAULTS for f in faults):
        flow.faults = list(faults)
    else:
        add(Problem("/faults", f"faults is a list of {', '.join(FAULTS)}"))
    steps = raw.get("steps")
    if not isinstance(steps, list) or not steps:
        add(Problem("/steps", "needs a list of steps"))
        steps = []
    for i, item in enumerate(steps):
        step = _step(i, item, add)
        if step is not None:
            if flow.step(step.id) is not None:
                add(Problem(f"/steps/{i}/id", f"step id {step.id!r} is used twice"))
            flow.steps.append(step)
    ids = {s.id for s in flow.steps}
    for i, step in enumerate(flow.steps):
        for j, name in enumerate(step.after):
            if name not in ids:
                add(
                    Problem(
                        f"{step.pointer}/after/{j}", f"no step {name!r} in this flow (steps: {', '.join(sorted(ids))})"
                    )
                )
            elif name == step.id:
                add(Problem(f"{step.pointer}/after/{j}", "a step cannot come after itself"))
        for rule in step.rules:
            for ref in rule.refs():
                if ref.step is not None and ref.step not in ids:
                    add(Problem(rule.pointer, f"{ref}: no step {ref.step!r} in this flow"))
        del i
    correlation = raw.get("correlation", [])
    if not isinstance(correlation, list):
        add(Problem("/correlation", "correlation is a list of {rule, same, as}"))
        correlation = []
    for i, item in enumerate(correlation):
        ptr = f"/correlation/{i}"
        if not isinstance(item, dict) or not isinstance(item.get("same"), str) or not isinstance(item.get("as"), str):
            add(Problem(ptr, "a correlation rule is {rule: text, same: $.path, as: step id}"))
            continue
        pointer = path_pointer(item["same"])
        if pointer is None:
            add(Problem(f"{ptr}/same", f"{item['same']!r} is not a $. path"))
            continue
        if item["as"] not in ids:
            add(Problem(f"{ptr}/as", f"no step {item['as']!r} in this flow"))
            continue
        flow.correlation.append(
            Same(str(item.get("rule") or f"same {item['same']}"), item["same"], pointer, item["as"], ptr)
        )
    return flow


def _step(i: int, raw: Any, add: Any) -> Step | None:
    ptr = f"/steps/{i}"
    if not isinstance(raw, dict):
        add(Problem(ptr, "a step is a mapping with id and message"))
        return None
    for key in raw:
        if key not in STEP_KEYS:
            add(Problem(f"{ptr}/{escape(str(key))}", f"not a field of a step ({', '.join(STEP_KEYS)})", "warning"))
    if not isinstance(raw.get("message"), str) or not raw["message"]:
        add(Problem(ptr, "needs `message`: a message folder the provider sends"))
        return None
    step_id = raw.get("id") if isinstance(raw.get("id"), str) and raw.get("id") else f"step-{i}"
    step = Step(step_id, raw["message"], ptr, description=str(raw.get("description") or ""))
    count = raw.get("count", "once")
    if count in COUNTS:
        step.count = count
    else:
        add(Problem(f"{ptr}/count", f"count is one of {', '.join(COUNTS)}, not {count!r}"))
    where = raw.get("where") or {}
    if isinstance(where, dict):
        for path, value in where.items():
            if isinstance(path, str) and path_pointer(path):
                step.where[path] = value
            else:
                add(Problem(f"{ptr}/where/{escape(str(path))}", f"{path!r} is not a $. path into the message"))
    else:
        add(Problem(f"{ptr}/where", "where maps $. paths to values"))
    after = raw.get("after", [])
    after = [after] if isinstance(after, str) else after
    if isinstance(after, list) and all(isinstance(a, str) for a in after):
        step.after = list(after)
    else:
        add(Problem(f"{ptr}/after", "after is a step id or a list of step ids"))
    rules = raw.get("rules", [])
    if not isinstance(rules, list):
        add(Problem(f"{ptr}/rules", "rules is a list"))
        rules = []
    for j, item in enumerate(rules):
        rule = parse_rule(item, f"{ptr}/rules/{j}", add)
        if rule is not None:
            step.rules.append(rule)
    return step


def parse_rule(raw: Any, ptr: str, add: Any, *, condition: bool = False) -> Rule | None:
    if not isinstance(raw, dict):
        add(Problem(ptr, f"a rule is a mapping with `rule` and one of {', '.join(OPS)}"))
        return None
    ops = [op for op in OPS if op in raw]
    if len(ops) != 1:
        add(Problem(ptr, f"a rule has exactly one of {', '.join(OPS)}"))
        return None
    op = ops[0]
    args = raw[op]
    arity = {"equal": 2, "compare": 3, "in": 2, "within": 3}[op]
    if not isinstance(args, list) or len(args) != arity:
        add(Problem(f"{ptr}/{op}", f"{op} takes a list of {arity}"))
        return None
    parsed = [parse_expr(a) for a in args]
    if op == "compare" and args[1] not in COMPARATORS:
        add(Problem(f"{ptr}/{op}/1", f"the comparator is one of {' '.join(COMPARATORS)}, not {args[1]!r}"))
        return None
    if op == "compare":
        parsed[1] = args[1]
    if op == "in" and not isinstance(args[1], list):
        add(Problem(f"{ptr}/{op}/1", "in takes a value and a list of allowed values"))
        return None
    if op == "in":
        parsed[1] = args[1]
    if op == "within":
        seconds = duration_seconds(args[2])
        if seconds is None:
            add(Problem(f"{ptr}/{op}/2", f"a duration such as 90s, 30m, 2h, not {args[2]!r}"))
            return None
        parsed[2] = seconds
    for k, (a, p) in enumerate(zip(args, parsed, strict=True)):
        if isinstance(a, str) and "$" in a and not refs_of(p) and not (op in ("compare",) and k == 1):
            add(Problem(f"{ptr}/{op}/{k}", f"{a!r} is not a readable expression (see the README's Flows section)"))
    when = None
    if "when" in raw:
        if condition:
            add(Problem(f"{ptr}/when", "a condition cannot have its own condition"))
        else:
            when = parse_rule(raw["when"], f"{ptr}/when", add, condition=True)
    text = raw.get("rule") if isinstance(raw.get("rule"), str) else f"{op} {args}"
    return Rule(text, op, parsed, ptr, when)
