"""Schema compatibility: is every message one schema accepts also accepted by the other?

`compare(old, new)` diffs a writer schema (old) against a reader schema (new), the way Confluent
Schema Registry does for JSON Schema: each difference gets a code (see `codes.py`), a JSON pointer
and a one-line description, and is classed compatible or not for BACKWARD, which means "every document
valid under OLD is valid under NEW" (a new reader reads old data). FORWARD is the same diff with the
schemas swapped, FULL is both, and the transitive modes check a version against every older one.

The diff is a sufficient test, not a decision procedure: JSON Schema inclusion is undecidable in
general, so like Confluent the comparison walks both schemas keyword by keyword and calls a change
breaking when it cannot show otherwise. It goes beyond a plain keyword walk where that is cheap and
sound: types come from `type`, `enum`/`const` and combinators together; keywords for a type the old
schema cannot produce are ignored; `allOf` is merged before comparing; a new `anyOf`/`oneOf` is
compatible when every old value fits one of its subschemas.

`--lenient` allows adding and removing optional properties in any content model (an open model
gaining a declared property, a closed model losing one), which a strict reading calls breaking.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from fractions import Fraction
from pathlib import Path
from typing import Any

from harness.errors import UnusableInput
from harness.evolve.codes import CODES
from harness.evolve.load import SchemaSource, load_file, versions_in
from harness.evolve.model import (
    ALL_KINDS,
    Builder,
    Loc,
    Node,
    Sub,
    canonical,
    empty,
    kind_of,
    kinds,
    merge,
    type_names,
)

MODES = ("backward", "forward", "full", "backward-transitive", "forward-transitive", "full-transitive")
_DIRECTIONS = {"backward": ("backward",), "forward": ("forward",), "full": ("backward", "forward")}
_NUMBER = frozenset({"integer", "fraction"})
_BOUND_CODES = {
    "maxLength": "MAX_LENGTH",
    "minLength": "MIN_LENGTH",
    "maximum": "MAXIMUM",
    "minimum": "MINIMUM",
    "exclusiveMaximum": "EXCLUSIVE_MAXIMUM",
    "exclusiveMinimum": "EXCLUSIVE_MINIMUM",
    "maxItems": "MAX_ITEMS",
    "minItems": "MIN_ITEMS",
    "maxProperties": "MAX_PROPERTIES",
    "minProperties": "MIN_PROPERTIES",
}


@dataclass(frozen=True)
class Change:
    """One difference between a writer (old) and a reader (new) schema.

    `pointer` is `#/json/pointer` into the root file of the schema named by `side` ("new" for what the
    reader added or changed, "old" for what it removed), or `other.json#/pointer` when the place is in
    a file reached by `$ref`. `compatible` says whether every document the writer accepts is still
    accepted by the reader despite this change.
    """

    code: str
    pointer: str
    side: str
    description: str
    compatible: bool

    @property
    def compatible_backward(self) -> bool:
        return self.compatible

    @property
    def breaking(self) -> bool:
        return not self.compatible

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "pointer": self.pointer,
            "schema": self.side,
            "description": self.description,
            "breaking": not self.compatible,
        }


@dataclass
class _Shared:
    lenient: bool
    writer: str = "old"
    reader: str = "new"
    active: set[tuple[int, int, frozenset[str] | None]] = field(default_factory=set)
    memo: dict[tuple[int, int, frozenset[str] | None], list[Change]] = field(default_factory=dict)
    hits: int = 0


class _Differ:
    """Collects the changes of one comparison; `sub()` makes a trial that shares the cycle guard."""

    def __init__(self, shared: _Shared) -> None:
        self.s = shared
        self.changes: list[Change] = []

    def sub(self) -> _Differ:
        return _Differ(self.s)

    @property
    def ok(self) -> bool:
        return all(c.compatible for c in self.changes)

    @property
    def breaking(self) -> int:
        return sum(not c.compatible for c in self.changes)

    def add(self, code: str, loc: Loc, description: str, compatible: bool | None = None) -> None:
        if compatible is None:
            compatible = CODES[code].compatible
        description = description.replace("{W}", self.s.writer).replace("{R}", self.s.reader)
        self.changes.append(Change(code, str(loc), loc.side, description, compatible))

    def trial(self, w: Node, r: Node, restrict: frozenset[str] | None = None) -> _Differ:
        d = self.sub()
        d.node(w, r, restrict)
        return d

    # -- one pair of schemas ----------------------------------------------------------------------
    def node(self, w: Node, r: Node, restrict: frozenset[str] | None = None) -> None:
        key = (id(w), id(r), restrict)
        memo = not (w.transient or r.transient)
        if memo and key in self.s.memo:
            self.changes.extend(self.s.memo[key])
            return
        if key in self.s.active:
            self.s.hits += 1  # a cycle: assume compatible (the greatest fixed point)
            return
        self.s.active.add(key)
        hits, start = self.s.hits, len(self.changes)
        try:
            self._node(w, r, restrict)
        finally:
            self.s.active.discard(key)
        if memo and self.s.hits == hits:
            self.s.memo[key] = self.changes[start:]

    def _node(self, w: Node, r: Node, restrict: frozenset[str] | None) -> None:
        wk = kinds(w) if restrict is None else kinds(w) & restrict
        if not wk:
            return  # the writer accepts nothing here
        if r.is_false:
            self.add("TYPE_NARROWED", r.loc, "the {R} schema accepts nothing here (false)")
            return
        self._annotations(w, r)
        if restrict is None and (w.any_of or w.one_of) and not (r.any_of or r.one_of):
            plain = self.sub()
            plain._plain(w, r, restrict, wk)
            if not plain.ok:
                spread = self._distributed(w, r)
                if spread is not None and spread.ok:
                    plain = spread
            self.changes.extend(plain.changes)
            return
        self._plain(w, r, restrict, wk)

    def _plain(self, w: Node, r: Node, restrict: frozenset[str] | None, wk: frozenset[str]) -> None:
        rk = kinds(r)
        self._types(w, r, restrict)
        self._enum(w, r, restrict)
        common = wk & rk
        if "string" in common:
            self._string(w, r)
        if common & _NUMBER:
            self._number(w, r, wk)
        if "object" in common:
            self._object(w, r)
        if "array" in common:
            self._array(w, r)
        self._combined(w, r, wk)
        self._not(w, r, wk)
        self._conditional(w, r)

    def _distributed(self, w: Node, r: Node) -> _Differ | None:
        """An old anyOf/oneOf the new schema dropped: does each subschema (with the rest) fit the new one?"""
        attr = "any_of" if w.any_of else "one_of"
        subs, loc = getattr(w, attr)
        base = replace(w, **{attr: None}, transient=True)
        d = self.sub()
        for sub in subs:
            merged = merge(base, sub.node, nested=True)
            if merged is None:
                return None
            merged.transient = True
            d.node(merged, r)
        keyword = "anyOf" if attr == "any_of" else "oneOf"
        d.add("COMBINED_TYPE_EXTENDED", loc, f"{keyword} removed; each of its subschemas fits the {{R}} schema")
        return d

    # -- annotations ------------------------------------------------------------------------------
    def _annotations(self, w: Node, r: Node) -> None:
        wr, rr = w.raw, r.raw
        if wr is None or rr is None:
            return
        for key, code in (("title", "TITLE_CHANGED"), ("description", "DESCRIPTION_CHANGED")):
            if wr.get(key) != rr.get(key):
                loc = r.loc.child(key) if key in rr else w.loc.child(key)
                verb = "added" if key not in wr else "removed" if key not in rr else "changed"
                self.add(code, loc, f"{key} {verb}")
        if ("default" in wr or "default" in rr) and (
            "default" not in wr or "default" not in rr or canonical(wr["default"]) != canonical(rr["default"])
        ):
            loc = r.loc.child("default") if "default" in rr else w.loc.child("default")
            self.add("DEFAULT_CHANGED", loc, f"default {_show(wr.get('default'))} -> {_show(rr.get('default'))}")
        is_root = r.loc.pointer == "" and r.loc.uri == r.loc.source.root.uri
        if not is_root and "$id" in wr and "$id" in rr and wr["$id"] != rr["$id"]:
            self.add("ID_CHANGED", r.loc.child("$id"), f"$id {wr['$id']} -> {rr['$id']}")

    # -- types and values -------------------------------------------------------------------------
    def _types(self, w: Node, r: Node, restrict: frozenset[str] | None) -> None:
        ws, rs = kinds(w, full=False), kinds(r, full=False)
        wf, rf = kinds(w), kinds(r)
        if restrict is not None:
            ws, wf = ws & restrict, wf & restrict
        if ws == rs:
            return
        loc = r.types[1] if r.types else w.types[1] if w.types else r.loc
        text = f"type {type_names(ws)} -> {type_names(rs)}"
        if ws <= rs:
            self.add("TYPE_EXTENDED", loc, text)
        elif rs < ws:
            fits = wf <= rf
            self.add("TYPE_NARROWED", loc, text + (" ({W} values all keep an accepted type)" if fits else ""), fits)
        else:
            fits = wf <= rf
            self.add("TYPE_CHANGED", loc, text + (" ({W} values all keep an accepted type)" if fits else ""), fits)

    def _enum(self, w: Node, r: Node, restrict: frozenset[str] | None) -> None:
        we, re_ = w.enum, r.enum
        if we is None and re_ is None:
            return
        if re_ is None:
            assert we is not None
            self.add("ENUM_ARRAY_EXTENDED", we[1], f"{we[2]} removed: any value is accepted")
            return
        rkeys = {canonical(v) for v in re_[0]}
        if we is None:
            wk = kinds(w) if restrict is None else kinds(w) & restrict
            if wk <= {"null", "boolean"}:  # a finite domain: is all of it listed?
                domain = [v for v in (None, True, False) if kind_of(v) in wk]
                if all(canonical(v) in rkeys for v in domain):
                    return
            self.add("ENUM_ARRAY_NARROWED", re_[1], f"{re_[2]} added: only {_values(re_[0])} accepted")
            return
        wstruct = kinds(w, full=False)
        wvalues = [v for v in we[0] if kind_of(v) in wstruct]
        wkeys = {canonical(v) for v in wvalues}
        if wkeys <= rkeys:
            if rkeys - wkeys:
                extra = [v for v in re_[0] if canonical(v) not in wkeys]
                self.add("ENUM_ARRAY_EXTENDED", re_[1], f"{re_[2]} now also accepts {_values(extra)}")
            return
        gone = [v for v in wvalues if canonical(v) not in rkeys]
        if re_[2] == "const" and len(wvalues) == 1 and len(re_[0]) == 1:
            self.add("ENUM_ARRAY_CHANGED", re_[1], f"const {_values(wvalues)} -> {_values(re_[0])}")
            return
        if rkeys < wkeys:
            self.add("ENUM_ARRAY_NARROWED", re_[1], f"{re_[2]} no longer accepts {_values(gone)}")
        else:
            self.add("ENUM_ARRAY_CHANGED", re_[1], f"{re_[2]} changed: {_values(gone)} no longer accepted")

    # -- strings and numbers ----------------------------------------------------------------------
    def _bound(self, w: Node, r: Node, key: str) -> None:
        wv, rv = w.scalars.get(key), r.scalars.get(key)
        prefix = _BOUND_CODES[key]
        if wv is None and rv is None:
            return
        if wv is None:
            assert rv is not None
            self.add(f"{prefix}_ADDED", rv[1], f"{key} {_show(rv[0])} added")
        elif rv is None:
            self.add(f"{prefix}_REMOVED", wv[1], f"{key} {_show(wv[0])} removed")
        elif wv[0] != rv[0]:
            direction = "INCREASED" if rv[0] > wv[0] else "DECREASED"
            self.add(f"{prefix}_{direction}", rv[1], f"{key} {_show(wv[0])} -> {_show(rv[0])}")

    def _string(self, w: Node, r: Node) -> None:
        self._bound(w, r, "maxLength")
        self._bound(w, r, "minLength")
        wp = {p: loc for p, loc in w.patterns}
        rp = {p: loc for p, loc in r.patterns}
        if wp.keys() != rp.keys():
            if not wp:
                for p, loc in rp.items():
                    self.add("PATTERN_ADDED", loc, f"pattern {p!r} added")
            elif not rp:
                for p, loc in wp.items():
                    self.add("PATTERN_REMOVED", loc, f"pattern {p!r} removed")
            elif rp.keys() < wp.keys():
                for p in wp.keys() - rp.keys():
                    self.add("PATTERN_REMOVED", wp[p], f"pattern {p!r} removed")
            else:
                old = ", ".join(repr(p) for p in wp)
                for p in rp.keys() - wp.keys():
                    self.add("PATTERN_CHANGED", rp[p], f"pattern {old} -> {p!r}")
        wf, rf = w.scalars.get("format"), r.scalars.get("format")
        if wf is None and rf is not None:
            self.add("FORMAT_ADDED", rf[1], f"format {rf[0]!r} added")
        elif wf is not None and rf is None:
            self.add("FORMAT_REMOVED", wf[1], f"format {wf[0]!r} removed")
        elif wf is not None and rf is not None and wf[0] != rf[0]:
            self.add("FORMAT_CHANGED", rf[1], f"format {wf[0]!r} -> {rf[0]!r}")

    def _number(self, w: Node, r: Node, wk: frozenset[str]) -> None:
        for key in ("maximum", "minimum", "exclusiveMaximum", "exclusiveMinimum"):
            self._bound(w, r, key)
        wm, rm = w.scalars.get("multipleOf"), r.scalars.get("multipleOf")
        if wm is None and rm is None:
            return
        if rm is None:
            assert wm is not None
            self.add("MULTIPLE_OF_REMOVED", wm[1], f"multipleOf {_show(wm[0])} removed")
            return
        new = Fraction(str(rm[0]))
        if wm is None:
            integers_only = wk & _NUMBER == {"integer"}
            fits = integers_only and (1 / new).denominator == 1
            self.add(
                "MULTIPLE_OF_ADDED",
                rm[1],
                f"multipleOf {_show(rm[0])} added" + (" ({W} values are integers)" if fits else ""),
                True if fits else None,
            )
            return
        old = Fraction(str(wm[0]))
        if old == new:
            return
        text = f"multipleOf {_show(wm[0])} -> {_show(rm[0])}"
        if (old / new).denominator == 1:
            self.add("MULTIPLE_OF_REDUCED", rm[1], text)
        elif (new / old).denominator == 1:
            self.add("MULTIPLE_OF_EXPANDED", rm[1], text)
        else:
            self.add("MULTIPLE_OF_CHANGED", rm[1], text)

    # -- objects ------------------------------------------------------------------------------------
    def _object(self, w: Node, r: Node) -> None:
        reported: set[str] = set()
        for name in dict.fromkeys([*w.properties, *r.properties]):
            ws, rs = w.properties.get(name), r.properties.get(name)
            if ws is not None and rs is not None:
                self.node(ws.node, rs.node)
            elif rs is not None:
                if self._property_added(w, r, name, rs):
                    reported.add(name)
            else:
                assert ws is not None
                self._property_removed(w, r, name, ws)
        for name, loc in r.required.items():
            if name in w.required or name in reported:
                continue
            rs = r.properties.get(name)
            if rs is not None and rs.node.default is not None:
                self.add("REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED", loc, f"{name!r} is now required (it has a default)")
            else:
                self.add("REQUIRED_ATTRIBUTE_ADDED", loc, f"{name!r} is now required")
        for name, loc in w.required.items():
            if name not in r.required:
                self.add("REQUIRED_ATTRIBUTE_REMOVED", loc, f"{name!r} is no longer required")
        self._additional(w, r)
        self._pattern_properties(w, r)
        self._bound(w, r, "maxProperties")
        self._bound(w, r, "minProperties")
        self._dependencies(w, r)
        if w.property_names is not None or r.property_names is not None:
            self._sub_schema(w.property_names, r.property_names, w.loc.child("propertyNames"))

    def _property_added(self, w: Node, r: Node, name: str, rs: Sub) -> bool:
        """A property the new schema declares and the old did not: what could old data hold there?"""
        kind, slot = _slot(w, name)
        required = name in r.required
        lenient = self.s.lenient and not required
        if kind == "open":
            if rs.node.is_trivial:
                self.add(
                    "PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL", rs.loc, f"{name!r} declared, any value"
                )
            else:
                self.add(
                    "PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL",
                    rs.loc,
                    f"{name!r} added; {{W}} data may hold any value under that name"
                    + (" (allowed by --lenient)" if lenient else ""),
                    True if lenient else None,
                )
            return False
        if kind == "partial":
            assert slot is not None
            self._covered(slot.node, rs.node, "PROPERTY_ADDED", rs.loc, f"{name!r} added", lenient)
            return False
        if required:
            if rs.node.default is not None:
                self.add(
                    "REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_UNOPEN_CONTENT_MODEL",
                    rs.loc,
                    f"required {name!r} added (it has a default)",
                )
            else:
                self.add("REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL", rs.loc, f"required {name!r} added")
            return True
        self.add("OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL", rs.loc, f"optional {name!r} added")
        return False

    def _property_removed(self, w: Node, r: Node, name: str, ws: Sub) -> None:
        """A property the old schema declared and the new does not: does the new one still allow it?"""
        kind, slot = _slot(r, name)
        lenient = self.s.lenient and name not in w.required
        if kind == "open":
            self.add("PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL", ws.loc, f"{name!r} removed; any value still allowed")
        elif kind == "partial":
            assert slot is not None
            self._covered(ws.node, slot.node, "PROPERTY_REMOVED", ws.loc, f"{name!r} removed", lenient)
        elif ws.node.is_false:
            self.add("PROPERTY_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL", ws.loc, f"forbidden {name!r} removed")
        else:
            self.add(
                "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL",
                ws.loc,
                f"{name!r} removed and no longer allowed" + (" (allowed by --lenient)" if lenient else ""),
                True if lenient else None,
            )

    def _covered(self, w: Node, r: Node, prefix: str, loc: Loc, text: str, lenient: bool) -> None:
        d = self.trial(w, r)
        if d.ok:
            self.changes.extend(d.changes)
            self.add(f"{prefix}_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL", loc, text + "; within what was allowed")
        elif lenient:
            self.add(
                f"{prefix}_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
                loc,
                text + "; narrower than what was allowed (allowed by --lenient)",
                True,
            )
        else:
            self.changes.extend(d.changes)
            self.add(f"{prefix}_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL", loc, text + "; narrower than allowed")

    def _additional(self, w: Node, r: Node) -> None:
        ws, wsub = _rest_state(w.additional)
        rs, rsub = _rest_state(r.additional)
        self._rest("ADDITIONAL_PROPERTIES", "undeclared properties", ws, wsub, rs, rsub)

    def _rest(self, prefix: str, what: str, ws: str, wsub: Sub | None, rs: str, rsub: Sub | None) -> None:
        if ws == rs and ws != "schema":
            return
        if ws != "false" and rs == "false":
            assert rsub is not None
            self.add(f"{prefix}_REMOVED", rsub.loc, f"{what} no longer allowed")
        elif ws == "false":
            loc = rsub.loc if rsub is not None else wsub.loc  # type: ignore[union-attr]
            self.add(f"{prefix}_ADDED", loc, f"{what} now allowed")
        elif ws == "true" and rs == "schema":
            assert rsub is not None
            self.add(f"{prefix}_NARROWED", rsub.loc, f"{what} now constrained")
        elif ws == "schema" and rs == "true":
            loc = rsub.loc if rsub is not None else wsub.loc  # type: ignore[union-attr]
            self.add(f"{prefix}_EXTENDED", loc, f"{what} no longer constrained")
        else:
            assert wsub is not None and rsub is not None
            self.node(wsub.node, rsub.node)

    def _pattern_properties(self, w: Node, r: Node) -> None:
        for pattern in dict.fromkeys([*w.pattern_properties, *r.pattern_properties]):
            ws, rs = w.pattern_properties.get(pattern), r.pattern_properties.get(pattern)
            if ws is not None and rs is not None:
                self.node(ws.node, rs.node)
            elif rs is not None:
                state, sub = _rest_state(w.additional)
                if state == "false":
                    continue  # old data had no undeclared properties for it to match
                old = sub.node if state == "schema" and sub is not None else empty(rs.loc)
                self.node(old, rs.node)
            else:
                assert ws is not None
                state, sub = _rest_state(r.additional)
                if state == "true":
                    if not ws.node.is_trivial:
                        self.add("SCHEMA_REMOVED", ws.loc, f"properties matching {pattern!r} no longer constrained")
                elif state == "false":
                    if not ws.node.is_false:
                        self.add(
                            "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL",
                            ws.loc,
                            f"properties matching {pattern!r} no longer allowed",
                        )
                else:
                    assert sub is not None
                    self.node(ws.node, sub.node)

    def _dependencies(self, w: Node, r: Node) -> None:
        for key in dict.fromkeys([*w.dependent_required, *r.dependent_required]):
            wd, rd = w.dependent_required.get(key), r.dependent_required.get(key)
            wset = set(wd[0]) if wd else set()
            rset = set(rd[0]) if rd else set()
            if wset == rset:
                continue
            extra = rset - wset
            fits = extra <= set(w.required)  # the old schema requires them anyway
            note = " (the {W} schema requires them anyway)" if fits and extra else ""
            if rd is None:
                assert wd is not None
                self.add("DEPENDENCY_ARRAY_REMOVED", wd[1], f"if {key!r} is present, {_names(wset)} no longer required")
            elif wd is None:
                self.add(
                    "DEPENDENCY_ARRAY_ADDED",
                    rd[1],
                    f"if {key!r} is present, {_names(rset)} now required" + note,
                    True if fits else None,
                )
            elif rset > wset:
                self.add(
                    "DEPENDENCY_ARRAY_EXTENDED",
                    rd[1],
                    f"if {key!r} is present, {_names(extra)} also required" + note,
                    True if fits else None,
                )
            elif rset < wset:
                self.add(
                    "DEPENDENCY_ARRAY_NARROWED", rd[1], f"if {key!r} is present, {_names(wset - rset)} not required"
                )
            else:
                self.add(
                    "DEPENDENCY_ARRAY_CHANGED",
                    rd[1],
                    f"if {key!r} is present, {_names(rset)} required instead of {_names(wset)}" + note,
                    True if fits else None,
                )
        for key in dict.fromkeys([*w.dependent_schemas, *r.dependent_schemas]):
            ws, rs = w.dependent_schemas.get(key), r.dependent_schemas.get(key)
            if ws is not None and rs is not None:
                self.node(ws.node, rs.node)
            elif rs is not None:
                if rs.node.is_trivial:
                    continue
                fits = self.trial(w, rs.node).ok
                self.add(
                    "DEPENDENCY_SCHEMA_ADDED",
                    rs.loc,
                    f"if {key!r} is present, a new subschema applies"
                    + (" (the {W} schema satisfies it)" if fits else ""),
                    True if fits else None,
                )
            else:
                assert ws is not None
                self.add("DEPENDENCY_SCHEMA_REMOVED", ws.loc, f"if {key!r} is present, its schema no longer applies")

    def _sub_schema(self, ws: Sub | None, rs: Sub | None, fallback: Loc) -> None:
        """A keyword holding one subschema, absent meaning "anything" (items, propertyNames, then, ...)."""
        if rs is None or rs.node.is_trivial:
            if ws is not None and not ws.node.is_trivial:
                self.add("SCHEMA_REMOVED", ws.loc, "subschema removed; anything is accepted here")
            return
        self.node(ws.node if ws is not None else empty(fallback), rs.node)

    # -- arrays -------------------------------------------------------------------------------------
    def _array(self, w: Node, r: Node) -> None:
        self._bound(w, r, "maxItems")
        self._bound(w, r, "minItems")
        wu, ru = w.scalars.get("uniqueItems"), r.scalars.get("uniqueItems")
        if ru is not None and wu is None:
            self.add("UNIQUE_ITEMS_ADDED", ru[1], "items must now be unique")
        elif wu is not None and ru is None:
            self.add("UNIQUE_ITEMS_REMOVED", wu[1], "items need no longer be unique")
        if w.contains is not None and r.contains is not None:
            self.node(w.contains.node, r.contains.node)
        elif r.contains is not None:
            self.add("CONTAINS_ADDED", r.contains.loc, "the array must now contain a matching item")
        elif w.contains is not None:
            self.add("CONTAINS_REMOVED", w.contains.loc, "the array need no longer contain a matching item")
        wpre, rpre = w.prefix or [], r.prefix or []
        if not wpre and not rpre:
            self._sub_schema(w.rest[0] if w.rest else None, r.rest[0] if r.rest else None, w.loc.child("items"))
            return
        for ws, rs in zip(wpre, rpre, strict=False):
            self.node(ws.node, rs.node)
        wstate, wsub = _rest_state(w.rest)
        rstate, rsub = _rest_state(r.rest)
        for i in range(len(wpre), len(rpre)):
            rs = rpre[i]
            if wstate == "true":
                if rs.node.is_trivial:
                    self.add(
                        "ITEM_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL", rs.loc, f"item {i} declared, any value"
                    )
                else:
                    self.add(
                        "ITEM_ADDED_TO_OPEN_CONTENT_MODEL", rs.loc, f"item {i} declared; {{W}} data may hold anything"
                    )
            elif wstate == "false":
                self.add("ITEM_ADDED_TO_CLOSED_CONTENT_MODEL", rs.loc, f"item {i} added")
            else:
                assert wsub is not None
                self._covered(wsub.node, rs.node, "ITEM_ADDED", rs.loc, f"item {i} added", False)
        for i in range(len(rpre), len(wpre)):
            ws = wpre[i]
            if rstate == "true":
                self.add("ITEM_REMOVED_FROM_OPEN_CONTENT_MODEL", ws.loc, f"item {i} removed; anything still allowed")
            elif rstate == "false":
                if not ws.node.is_false:
                    self.add(
                        "ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL", ws.loc, f"item {i} removed and no longer allowed"
                    )
            else:
                assert rsub is not None
                self._covered(ws.node, rsub.node, "ITEM_REMOVED", ws.loc, f"item {i} removed", False)
        self._rest("ADDITIONAL_ITEMS", "items after the tuple", wstate, wsub, rstate, rsub)

    # -- combined schemas ---------------------------------------------------------------------------
    def _combined(self, w: Node, r: Node, wk: frozenset[str]) -> None:
        wg = {k: g for k, g in (("anyOf", w.any_of), ("oneOf", w.one_of)) if g is not None}
        rg = {k: g for k, g in (("anyOf", r.any_of), ("oneOf", r.one_of)) if g is not None}
        pairs = [(k, k) for k in wg if k in rg]
        w_left = [k for k in wg if k not in rg]
        r_left = [k for k in rg if k not in wg]
        if len(w_left) == 1 and len(r_left) == 1:
            pairs.append((w_left[0], r_left[0]))
            w_left, r_left = [], []
        for wkw, rkw in pairs:
            self._union_pair(wkw, wg[wkw], rkw, rg[rkw])
        for rkw in r_left:
            self._union_added(w, wk, rkw, rg[rkw])
        for wkw in w_left:
            self.add("COMBINED_TYPE_EXTENDED", wg[wkw][1], f"{wkw} removed; its subschemas no longer restrict values")
        if w.all_of or r.all_of:
            self._all_of(w, r)

    def _union_pair(self, wkw: str, wgroup: tuple[list[Sub], Loc], rkw: str, rgroup: tuple[list[Sub], Loc]) -> None:
        (wsubs, _), (rsubs, rloc) = wgroup, rgroup
        if wkw != rkw:
            if rkw != "anyOf":
                self.add("COMBINED_TYPE_CHANGED", rloc, f"{wkw} -> {rkw}: a value matching several subschemas fails")
                return
            self.add("COMBINED_TYPE_EXTENDED", rloc, f"{wkw} -> anyOf")
        missing = []
        for i, ws in enumerate(wsubs):
            trials = [(j, self.trial(ws.node, rs.node)) for j, rs in enumerate(rsubs)]
            fits = [(j, d) for j, d in trials if d.ok]
            if fits:
                _, best = min(fits, key=lambda t: (len(t[1].changes), t[0] != i))
                self.changes.extend(best.changes)
            else:
                missing.append((i, ws, min(trials, key=lambda t: (t[1].breaking, t[0] != i)) if trials else None))
        for i, ws, closest in missing:
            if len(rsubs) < len(wsubs) or closest is None:
                self.add("SUM_TYPE_NARROWED", ws.loc, f"{{W}} {wkw}/{i} matches no subschema of the {{R}} {rkw}")
            else:
                j, d = closest
                self.changes.extend(d.changes)
                self.add(
                    "COMBINED_TYPE_SUBSCHEMAS_CHANGED",
                    rsubs[j].loc,
                    f"{{W}} {wkw}/{i} matches no subschema of the {{R}} {rkw} (closest: {rkw}/{j})",
                )
        if not missing and len(rsubs) > len(wsubs):
            self.add("SUM_TYPE_EXTENDED", rloc, f"{rkw} gained {len(rsubs) - len(wsubs)} subschema(s)")

    def _union_added(self, w: Node, wk: frozenset[str], rkw: str, rgroup: tuple[list[Sub], Loc]) -> None:
        """The new schema requires anyOf/oneOf the old did not: does each old value fit a subschema?"""
        rsubs, rloc = rgroup
        groups: list[frozenset[str] | None] = [None]
        if not any(self.trial(w, rs.node).ok for rs in rsubs):
            groups = [frozenset({k}) for k in sorted(wk)]
        failures = []
        for restrict in groups:
            if restrict is None:
                break
            trials = [(j, self.trial(w, rs.node, restrict)) for j, rs in enumerate(rsubs)]
            if not any(d.ok for _, d in trials):
                failures.append((restrict, min(trials, key=lambda t: t[1].breaking) if trials else None))
        if not failures:
            self.add("SUM_TYPE_EXTENDED", rloc, f"{rkw} added; {{W}} values each match one of its subschemas")
            return
        for restrict, closest in failures:
            assert restrict is not None
            if closest is not None:
                self.changes.extend(c for c in closest[1].changes if not c.compatible)
            self.add(
                "COMBINED_TYPE_SUBSCHEMAS_CHANGED",
                rloc,
                f"{rkw} added; {{W}} {type_names(restrict)} values match none of its subschemas",
            )

    def _all_of(self, w: Node, r: Node) -> None:
        unfit = []
        for j, rs in enumerate(r.all_of):
            trials = [self.trial(ws.node, rs.node) for ws in w.all_of]
            if any(d.ok for d in trials):
                continue
            whole = self.trial(w, rs.node)
            if whole.ok:
                continue
            unfit.append((j, rs, min([whole, *trials], key=lambda d: d.breaking)))
        if unfit:
            code = "PRODUCT_TYPE_EXTENDED" if len(r.all_of) > len(w.all_of) else "COMBINED_TYPE_SUBSCHEMAS_CHANGED"
            for j, rs, closest in unfit:
                self.changes.extend(closest.changes)
                self.add(code, rs.loc, f"allOf/{j} of the {{R}} schema is not satisfied by the {{W}} one")
        elif len(r.all_of) < len(w.all_of):
            self.add(
                "PRODUCT_TYPE_NARROWED",
                w.all_of[len(r.all_of)].loc,
                f"allOf lost {len(w.all_of) - len(r.all_of)} subschema(s)",
            )

    def _not(self, w: Node, r: Node, wk: frozenset[str]) -> None:
        if w.not_ is None and r.not_ is None:
            return
        if r.not_ is None:
            assert w.not_ is not None
            self.add("NOT_TYPE_NARROWED", w.not_.loc, "not removed: nothing is excluded any more")
            return
        if w.not_ is not None:
            reverse = self.trial(r.not_.node, w.not_.node)  # the new exclusion must lie within the old one
            if reverse.ok:
                if reverse.changes:
                    self.add("NOT_TYPE_NARROWED", r.not_.loc, "not excludes fewer values")
                return
        disjoint = not (wk & kinds(r.not_.node))
        self.add(
            "NOT_TYPE_EXTENDED",
            r.not_.loc,
            "not excludes more values" + (" (none of the {W} schema's types)" if disjoint else ""),
            True if disjoint else None,
        )

    def _conditional(self, w: Node, r: Node) -> None:
        wc, rc = w.cond, r.cond
        if wc is None and rc is None:
            return
        if rc is None:
            assert wc is not None
            self.add("CONDITIONAL_REMOVED", wc[0].loc, "if/then/else removed")
            return
        if wc is not None:
            same_if = self.trial(wc[0].node, rc[0].node).ok and self.trial(rc[0].node, wc[0].node).ok
            if same_if:
                self._sub_schema(wc[1], rc[1], _sibling(wc[0].loc, "then"))
                self._sub_schema(wc[2], rc[2], _sibling(wc[0].loc, "else"))
                return
        fits = all(self.trial(w, branch.node).ok for branch in rc[1:] if branch is not None)
        code = "CONDITIONAL_ADDED" if wc is None else "CONDITIONAL_CHANGED"
        self.add(
            code,
            rc[0].loc,
            ("if/then/else added" if wc is None else "if condition changed")
            + ("; the {W} schema satisfies both branches" if fits else ""),
            True if fits else None,
        )


def _sibling(loc: Loc, key: str) -> Loc:
    return Loc(loc.source, loc.uri, loc.pointer.rsplit("/", 1)[0]).child(key)


def _rest_state(slot: tuple[Sub, str] | None) -> tuple[str, Sub | None]:
    """'true' (anything), 'false' (nothing) or 'schema' for additionalProperties/items-like keywords."""
    if slot is None:
        return "true", None
    sub = slot[0]
    node = sub.node
    if node.is_false:
        return "false", sub
    if node.is_trivial:
        return "true", sub
    return "schema", sub


def _search(pattern: str, name: str) -> bool:
    try:
        return re.search(pattern, name) is not None
    except re.error:
        return False


def _declared_elsewhere(node: Node, depth: int = 0) -> set[str]:
    """Property names declared by in-place subschemas (they count as evaluated for unevaluatedProperties)."""
    names: set[str] = set()
    if depth > 3:
        return names
    subs: list[Sub] = [*node.all_of, *node.dependent_schemas.values()]
    for group in (node.any_of, node.one_of):
        if group is not None:
            subs.extend(group[0])
    if node.cond is not None:
        subs.extend(s for s in node.cond[1:] if s is not None)
    for sub in subs:
        names |= set(sub.node.properties) | _declared_elsewhere(sub.node, depth + 1)
    return names


def _slot(node: Node, name: str) -> tuple[str, Sub | None]:
    """How a schema treats an undeclared property name: 'open', 'closed', or 'partial' with its schema."""
    for pattern, sub in node.pattern_properties.items():
        if _search(pattern, name):
            return "partial", sub
    if node.additional is None:
        return "open", None
    sub, keyword = node.additional
    if keyword == "unevaluatedProperties" and name in _declared_elsewhere(node):
        return "open", None
    if sub.node.is_false:
        return "closed", sub
    if sub.node.is_trivial:
        return "open", None
    return "partial", sub


def _show(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return canonical(value) if not isinstance(value, int | float) else str(value)


def _values(values: Iterable[Any]) -> str:
    shown = [canonical(v) for v in values]
    if len(shown) > 6:
        shown = [*shown[:6], f"... ({len(shown) - 6} more)"]
    return ", ".join(shown)


def _names(names: Iterable[str]) -> str:
    return ", ".join(repr(n) for n in sorted(names))


def _dedupe(changes: list[Change]) -> list[Change]:
    return list(dict.fromkeys(changes))


# -- public API -----------------------------------------------------------------------------------
SchemaInput = SchemaSource | dict[str, Any] | bool | str | os.PathLike[str]


def _builder(source: SchemaSource) -> Builder:
    builder = getattr(source, "_em_builder", None)
    if builder is None:
        builder = Builder(source)
        source._em_builder = builder  # type: ignore[attr-defined]
    return builder


def as_source(schema: SchemaInput, *, side: str, base: str | os.PathLike[str] | None = None) -> SchemaSource:
    """A SchemaSource from a source, a path to a schema file, or an in-memory schema (dict or bool)."""
    if isinstance(schema, SchemaSource):
        return schema
    if isinstance(schema, dict | bool):
        return SchemaSource(schema, base=base, side=side)
    return load_file(schema, side=side)


def diff(writer: SchemaSource, reader: SchemaSource, *, lenient: bool = False) -> list[Change]:
    """Every difference from a writer schema to a reader schema, classed for reading writer data."""
    differ = _Differ(_Shared(lenient=lenient, writer=writer.side, reader=reader.side))
    differ.node(_builder(writer).root(), _builder(reader).root())
    return _dedupe(differ.changes)


def compare(
    old_schema: SchemaInput,
    new_schema: SchemaInput,
    *,
    lenient: bool = False,
    old_base: str | os.PathLike[str] | None = None,
    new_base: str | os.PathLike[str] | None = None,
) -> list[Change]:
    """The reader-vs-writer diff of OLD (writer) against NEW (reader): backward compatibility.

    Each schema may be a file path, a parsed schema, or a SchemaSource; `old_base`/`new_base` say
    where an in-memory schema's relative `$ref`s point (a file or folder path, or a base URI).
    For forward compatibility call it with the arguments swapped.
    """
    return diff(
        as_source(old_schema, side="old", base=old_base),
        as_source(new_schema, side="new", base=new_base),
        lenient=lenient,
    )


@dataclass
class PairCheck:
    """One direction of one pair: backward reads OLD data with NEW, forward reads NEW data with OLD."""

    direction: str
    old: str
    new: str
    changes: list[Change]
    old_dialect: str = ""
    new_dialect: str = ""
    """The JSON Schema dialect each side was read in, e.g. "JSON Schema draft-07 ($schema)"."""

    @property
    def compatible(self) -> bool:
        return all(c.compatible for c in self.changes)

    @property
    def dialect_note(self) -> str | None:
        """A line naming the dialects, when one was assumed or they are not both declared 2020-12."""
        usual = "JSON Schema 2020-12 ($schema)"
        if self.old_dialect == self.new_dialect == usual or not (self.old_dialect or self.new_dialect):
            return None
        if self.old_dialect == self.new_dialect:
            return f"dialect: {self.old_dialect}"
        return f"dialect: old {self.old_dialect}, new {self.new_dialect}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "direction": self.direction,
            "old": self.old,
            "new": self.new,
            "compatible": self.compatible,
            "dialects": {"old": self.old_dialect, "new": self.new_dialect},
            "changes": [c.to_dict() for c in self.changes],
        }


@dataclass
class CompatResult:
    mode: str
    lenient: bool
    checks: list[PairCheck]
    note: str | None = None

    @property
    def verdict(self) -> bool:
        """True when every check is compatible."""
        return all(c.compatible for c in self.checks)

    @property
    def changes(self) -> list[Change]:
        return [change for check in self.checks for change in check.changes]

    @property
    def pairs(self) -> list[tuple[str, str]]:
        return list(dict.fromkeys((c.old, c.new) for c in self.checks))

    def to_dict(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "lenient": self.lenient,
            "compatible": self.verdict,
            "pairs": [list(p) for p in self.pairs],
            "checks": [c.to_dict() for c in self.checks],
            "note": self.note,
        }


def normalise_mode(mode: str) -> str:
    """'FULL_TRANSITIVE', 'full_transitive' and 'full-transitive' are one mode."""
    name = str(getattr(mode, "value", mode)).strip().lower().replace("_", "-")
    if name not in MODES:
        raise UnusableInput(f"--mode {mode!r}: unknown mode; use one of {', '.join(MODES)}")
    return name


def check(
    old: SchemaInput,
    new: SchemaInput | None = None,
    mode: str = "backward",
    lenient: bool = False,
) -> CompatResult:
    """Check a schema change in a compatibility mode.

    OLD and NEW are schema files (or parsed schemas). OLD may be a message's version folder instead:
    alone, the non-transitive modes compare its latest two versions and the transitive modes every
    newer version with every older one; with a NEW file, NEW is checked against the latest version
    (or, transitively, against every version older than NEW).
    """
    mode = normalise_mode(mode)
    note = None
    if isinstance(old, str | os.PathLike):
        pairs, note = _pairs_from_paths(old, new, mode)
        sources: dict[tuple[Path, str], SchemaSource] = {}

        def load(path: Path, label: str, side: str) -> SchemaSource:
            key = (path.resolve(), side)
            if key not in sources:
                sources[key] = load_file(path, side=side)
                sources[key].label = label
            return sources[key]

        loaded = [(load(o, ol, "old"), load(n, nl, "new")) for (o, ol), (n, nl) in pairs]
    else:
        if new is None:
            raise UnusableInput("compat needs an OLD and a NEW schema")
        loaded = [(as_source(old, side="old"), as_source(new, side="new"))]
    checks = []
    for old_src, new_src in loaded:
        for direction in _DIRECTIONS[mode.split("-")[0]]:
            if direction == "backward":
                changes = diff(old_src, new_src, lenient=lenient)
            else:
                changes = diff(new_src, old_src, lenient=lenient)
            checks.append(PairCheck(direction, old_src.label, new_src.label, changes, old_src.dialect, new_src.dialect))
    return CompatResult(mode=mode, lenient=lenient, checks=checks, note=note)


def _pairs_from_paths(
    old: str | os.PathLike[str], new: SchemaInput | None, mode: str
) -> tuple[list[tuple[tuple[Path, str], tuple[Path, str]]], str | None]:
    transitive = mode.endswith("-transitive")
    old_path = Path(old)
    if old_path.is_dir():
        versions = versions_in(old_path)
        labelled = [(v, str(Path(old) / v.name)) for v in versions]
        if new is None:
            if len(versions) < 2:
                return [], f"{old}: only {versions[0].name}; nothing to compare"
            if transitive:
                return [(labelled[i], labelled[j]) for j in range(1, len(labelled)) for i in range(j)], None
            return [(labelled[-2], labelled[-1])], None
        new_path = _file(new)
        resolved = [v.resolve() for v in versions]
        older = labelled[: resolved.index(new_path.resolve())] if new_path.resolve() in resolved else labelled
        if not older:
            return [], f"{new}: no older version in {old}; nothing to compare"
        chosen = older if transitive else older[-1:]
        return [(o, (new_path, str(new))) for o in chosen], None
    if not old_path.exists():
        raise UnusableInput(f"{old}: no such file or folder")
    if new is None:
        raise UnusableInput(f"{old}: give a NEW schema file too, or a version folder (schemas/<message>) alone")
    return [((old_path, str(old)), (_file(new), str(new)))], None


def _file(value: SchemaInput) -> Path:
    if not isinstance(value, str | os.PathLike):
        raise UnusableInput("with schema files, NEW must be a schema file too")
    path = Path(value)
    if path.is_dir():
        raise UnusableInput(f"{value}: is a folder; give NEW as a schema file, or the version folder alone as OLD")
    if not path.exists():
        raise UnusableInput(f"{value}: no such file")
    return path


# Kept importable for callers that want the whole kind set (consumer impact works per kind).
__all__ = [
    "ALL_KINDS",
    "MODES",
    "Change",
    "CompatResult",
    "PairCheck",
    "as_source",
    "check",
    "compare",
    "diff",
    "normalise_mode",
]
