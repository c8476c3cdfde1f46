"""One regular-expression dialect for the catalogue: ECMA-262, as JSON Schema says, that every engine runs.

JSON Schema 2020-12 says a `pattern` (and a `patternProperties` key) is an ECMA-262 regular expression;
Pact consumers in JavaScript write their regex matchers in it too. The harness runs each expression in
more than one engine, and they disagree at the edges (measured: `\\p{Letter}` is ECMA and Rust but not
Python's `re`; variable-length look-behind is ECMA and fancy-regex but neither Python nor Rust's `regex`;
`\\Z` and `(?i)` are Python only). A pattern one engine refuses crashes or silently skips that engine's
check, so lint accepts only what all of them run and says which one refuses the rest:
- every expression is ECMA-262, checked by `regress` (the bindings of the Rust ECMA engine, maintained
  by the author of jsonschema): a schema pattern with the `u` flag (Unicode semantics, as the JSON
  Schema test suite reads `pattern`), a pact regex without it (how `new RegExp(...)` in a JavaScript
  consumer reads it: identity escapes such as `\\ ` and `\\-`, which Python's `re.escape` writes, are fine);
- a schema pattern is also run by Python `re` (jsonschema, the exact validator) and jsonschema-rs (the
  fast one);
- a pact regex matcher is also run by Rust's `regex` crate (the pact verifier's engine; jsonschema-rs's
  RegexOptions compiles with the same crate).
"""

from __future__ import annotations

import re
from functools import lru_cache

import jsonschema_rs
import regress


def _ecma(pattern: str, flags: str) -> str | None:
    try:
        regress.Regex(pattern, flags) if flags else regress.Regex(pattern)
    except Exception as exc:  # regress raises RegressError (and ValueError on odd input)
        return f"not an ECMA-262 regular expression (JSON Schema's dialect): {_first(exc)}"
    return None


def _first(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


@lru_cache(maxsize=4096)
def schema_pattern_problem(pattern: str) -> str | None:
    """Why a schema `pattern` is outside the dialect (None when every engine of the harness runs it)."""
    problem = _ecma(pattern, "u")
    if problem:
        return problem
    try:
        re.compile(pattern)
    except (re.error, RecursionError, OverflowError) as exc:
        return f"valid ECMA-262, but jsonschema (Python re) cannot run it: {exc}; write it without that construct"
    try:
        jsonschema_rs.Draft202012Validator({"pattern": pattern})
    except Exception as exc:
        return f"valid ECMA-262, but jsonschema-rs cannot run it: {_first(exc)}"
    return None


@lru_cache(maxsize=4096)
def pact_regex_problem(pattern: str) -> str | None:
    """Why a pact regex matcher is outside the dialect (None when the consumer's and the verifier's engines run it)."""
    problem = _ecma(pattern, "")
    if problem:
        return problem
    try:
        jsonschema_rs.Draft202012Validator({"pattern": pattern}, pattern_options=jsonschema_rs.RegexOptions())
    except Exception as exc:
        return (
            "valid ECMA-262, but the pact verifier's engine (Rust regex: no look-around, no backreferences) "
            f"cannot run it: {_first(exc)}"
        )
    return None
