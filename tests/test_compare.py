"""`em-harness compare`: one world against two suppliers, their reports lined up by correlation and every
difference classed (missing, extra, later, different value), a recorded side replayed with --replay."""

from __future__ import annotations

import copy
import json
from pathlib import Path

from harness.simulate.command import make_world, run_compare, run_simulate
from harness.simulate.compare import compare_reports
from tests.helpers import em

FMS = "field-monitoring-service"
REFERENCE = "providers.field_monitoring:app"


def _compare(tmp_path: Path, scenario: str, **sides: object) -> tuple[int, dict, list[str]]:
    out = tmp_path / "compare.json"
    lines: list[str] = []
    code = run_compare(scenario, FMS, subjects=3, json_out=out, echo=lines.append, **sides)  # type: ignore[arg-type]
    return code, json.loads(out.read_text()), lines


def test_same_supplier_twice_is_the_same(tmp_path: Path) -> None:
    code, data, lines = _compare(tmp_path, "gps-zones", old_app=REFERENCE, new_app=REFERENCE)
    assert code == 0 and data["differences"] == [] and data["lined_up"] > 0
    assert lines[-1] == "compare: SAME"


def test_late_supplier_is_later_and_nothing_else(tmp_path: Path) -> None:
    code, data, lines = _compare(
        tmp_path, "gps-zones", old_app=REFERENCE, new_app="providers.faulty.late_zone_breaches:app"
    )
    assert code == 1
    assert {d["what"] for d in data["differences"]} == {"later"}
    assert {d["kind"] for d in data["differences"]} == {"exclusion_zone", "inclusion_zone"}
    assert all(d["truth"] == "a true breach" and d["field"].startswith("by ") for d in data["differences"])
    assert lines[-1] == f"compare: DIFFERENT ({len(data['differences'])} later)"


def test_replayed_old_side_against_a_clock_change_bug(tmp_path: Path) -> None:
    record = tmp_path / "old.jsonl"
    assert run_simulate("clock-change", FMS, subjects=3, record=record, echo=lambda _: None) == 0
    text = record.read_text()
    _, world = make_world(None, "clock-change", 3, None, 1)
    assert not any(w.crn in text for w in world.wearers)  # personal values are redacted in the record
    code, data, _ = _compare(tmp_path, "clock-change", replay=record, new_app="providers.faulty.naive_clock_change:app")
    assert code == 1
    classes = sorted((d["what"], d["truth"]) for d in data["differences"])
    assert classes == [("extra", "no breach: spring-after-end")] * 3 + [("missing", "a true breach")] * 3
    assert data["old"] == "replay old.jsonl"


def test_different_value_names_the_field_and_both_values() -> None:
    _, world = make_world(None, "curfew-basic", 2, None, 1)
    record_a = _reference_messages(world)
    record_b = copy.deepcopy(record_a)
    changed = next(m for m in record_b if m["eventType"].endswith("violation-raised"))
    changed["additionalInformation"]["out_for_entire_curfew_period"] = "Yes"
    diffs, lined_up = compare_reports(world, record_a, record_b)
    assert lined_up > 0
    assert [(d.what, d.field, d.old, d.new) for d in diffs] == [
        ("different value", "out_for_entire_curfew_period", '"No"', '"Yes"')
    ]


def _reference_messages(world: object) -> list[dict]:
    from harness.project import find_project
    from harness.simulate.run import run_world

    return run_world(find_project(None), world, FMS, supplier_app=REFERENCE).reported  # type: ignore[arg-type]


def test_replay_and_sides_bad_input(tmp_path: Path, root: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"eventType": "x"}\nnot json\n')
    result = em(
        "compare", "--scenario", "curfew-basic", "--provider", FMS, "--replay", str(bad), "--new-app", REFERENCE
    )
    assert result.code == 2 and f"{bad}:2: not a JSON line" in result.err and "Traceback" not in result.err
    result = em("compare", "--scenario", "curfew-basic", "--provider", FMS, "--new-app", REFERENCE, cwd=root)
    assert result.code == 2 and "give exactly one of --old-app, --old-cmd, --replay" in result.err
