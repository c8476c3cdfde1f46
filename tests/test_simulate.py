"""`em-harness simulate`: the world is deterministic and seeds the hard cases; lint checks scenarios; the
reference FMS meets every shipped scenario; each simulate-only faulty supplier fails its scenario for its
reason only (the metrics it declares, the events its bug makes); scoring reads the repeated hour right."""

from __future__ import annotations

import importlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from harness.catalogue.envelope import NotCanonicalisable, event_id
from harness.catalogue.lint import check_scenarios, lint_project
from harness.project import find_project
from harness.simulate.command import make_world, run_simulate
from harness.simulate.score import _end, score
from harness.simulate.world import distance_m, seal
from providers.faulty import SIMULATED
from tests.helpers import em

FMS = "field-monitoring-service"
SCENARIOS = ("curfew-basic", "gps-zones", "clock-change", "comms-outage", "caseload-day")
# What each faulty supplier's bug makes scoring list: (what, recipe of the truth named in the note).
LISTED = {
    "misses_short_breaches": {("missed", "curfew-short")},
    "late_zone_breaches": {("late", "exclusion-entry"), ("late", "inclusion-exit")},
    "naive_clock_change": {("missed", "fall-before-end"), ("false", "no breach: spring-after-end")},
    "drops_buffered_positions": {("missed", "outage-breach")},
}


def _run(tmp_path: Path, scenario: str, app: str | None = None, subjects: int = 4) -> tuple[int, dict, list[str]]:
    out = tmp_path / f"{scenario}.json"
    lines: list[str] = []
    code = run_simulate(scenario, FMS, subjects=subjects, supplier_app=app, json_out=out, echo=lines.append)
    return code, json.loads(out.read_text()), lines


def test_same_seed_same_world_byte_for_byte() -> None:
    _, a = make_world(None, "gps-zones", 3, 1, 7)
    _, b = make_world(None, "gps-zones", 3, 1, 7)
    _, c = make_world(None, "gps-zones", 3, 1, 8)
    assert a.lines() == b.lines() and a.digest() == b.digest()
    assert a.digest() != c.digest()
    _, more = make_world(None, "gps-zones", 4, 1, 7)  # one wearer more leaves the others as they were
    assert [t for t in more.truth if t.wearer != "W0004"] == a.truth


def test_world_seeds_the_hard_cases() -> None:
    _, world = make_world(None, "curfew-basic", 6, 1, 1)
    recipes = {(t.recipe, t.breach) for t in world.truth}
    assert {("below-grace", False), ("curfew-short", True), ("before-curfew", True), ("daytime-absence", False)} <= (
        recipes
    )
    for t in world.truth:
        if t.recipe == "curfew-short":
            assert timedelta(minutes=3) <= t.end - t.start < timedelta(minutes=15)
    absences = {
        s.body["additionalInformation"]["observed_at"]: s
        for s in world.sends
        if s.body["additionalInformation"].get("kind") == "home-unit-absence"
    }
    before = [t for t in world.truth if t.recipe == "before-curfew"]
    assert before and all(t.start.strftime("%Y-%m-%dT%H:%M:%SZ") not in absences for t in before)  # began earlier
    assert any(w.curfew[1] < w.curfew[0] for w in world.wearers)  # a curfew across midnight
    _, change = make_world(None, "clock-change", 4, 1, 1)
    by_recipe = {t.recipe: t for t in change.truth}
    assert by_recipe["repeated-hour"].start.month == 10 and by_recipe["missing-hour"].start.month == 3
    assert not next(t for t in change.truth if t.recipe == "spring-after-end" and t.start.month == 3).breach
    assert next(t for t in change.truth if t.recipe == "fall-before-end" and t.start.month == 10).breach


def test_world_gps_noise_drift_and_buffered_uploads() -> None:
    _, world = make_world(None, "comms-outage", 4, 1, 1)
    lags = []
    for s in world.sends:
        info = s.body["additionalInformation"]
        if info.get("kind") == "gps-fixes":
            first = datetime.fromisoformat(info["fixes"][0]["recorded_at"].replace("Z", "+00:00"))
            lags.append(s.at - first)
    assert max(lags) > timedelta(minutes=30) and min(lags) < timedelta(minutes=6)  # uploaded late after outages
    _, zones = make_world(None, "gps-zones", 6, 1, 1)
    drift = [t for t in zones.truth if t.recipe == "boundary-drift"]
    assert drift and not any(t.breach for t in drift)
    wearer = next(w for w in zones.wearers if w.id == drift[0].wearer)
    assert wearer.exclusion is not None
    centre, radius = wearer.exclusion[:2], wearer.exclusion[2]
    fixes = [
        f
        for s in zones.sends
        if s.body["additionalInformation"].get("device_id") == wearer.device_id
        for f in s.body["additionalInformation"].get("fixes", [])
        if drift[0].start.strftime("%Y-%m-%dT%H:%M:%SZ")
        <= f["recorded_at"]
        < drift[0].end.strftime("%Y-%m-%dT%H:%M:%SZ")
    ]
    inside = [f for f in fixes if distance_m(centre, (f["latitude"], f["longitude"])) < radius]
    assert inside, "drift must put some fixes across the boundary (a naive inside test raises a false breach)"
    assert not [f for f in inside if distance_m(centre, (f["latitude"], f["longitude"])) + f["precision"] < radius]
    gaps = sum(1 for s in zones.sends if len(s.body["additionalInformation"].get("fixes", [])) < 5)
    assert gaps  # fixes go missing


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_reference_supplier_meets_every_threshold(scenario: str, tmp_path: Path) -> None:
    code, data, lines = _run(tmp_path, scenario)
    assert code == 0, "\n".join(lines)
    assert data["passed"] and not data["failures"] and not data["events"]
    assert data["kinds"] and all(k["truths"] and k["recall"] == 1 and k["precision"] == 1 for k in data["kinds"])
    assert lines[-1] == "simulate: PASS"


@pytest.mark.parametrize("name", SIMULATED)
def test_faulty_supplier_fails_its_scenario_for_its_reason_only(name: str, tmp_path: Path) -> None:
    module = importlib.import_module(f"providers.faulty.{name}")
    assert module.PROVIDER == FMS and module.CAUGHT_BY.startswith("simulate --scenario ")
    scenario = module.CAUGHT_BY.split()[-1]
    code, data, lines = _run(tmp_path, scenario, f"providers.faulty.{name}:app")
    assert code == 1
    failing = {(f["kind"], f["metric"]) for f in data["failures"]}
    assert failing == module.FAILS, failing
    listed = {(e["what"], e["note"].split(" (")[0] if e["what"] != "late" else "") for e in data["events"]}
    expected = {(w, n if w != "late" else "") for w, n in LISTED[name]}
    assert listed == expected, data["events"]
    for e in data["events"]:
        assert e["wearer"].startswith("W") and e["truth"] and e["reported"]
    assert any(line.startswith("FAIL ") for line in lines) and lines[-1] == "simulate: FAIL"
    # The pseudonym, never the CRN or the order id, is what the report names.
    _, world = make_world(None, scenario, 4, None, 1)
    text = json.dumps(data["events"]) + "\n".join(lines)
    assert not any(w.crn in text or w.order_id in text for w in world.wearers)


def test_json_and_junit_reports(tmp_path: Path) -> None:
    junit = tmp_path / "junit.xml"
    code = run_simulate(
        "curfew-basic",
        FMS,
        subjects=3,
        supplier_app="providers.faulty.misses_short_breaches:app",
        junit=junit,
        echo=lambda _: None,
    )
    assert code == 1
    xml = junit.read_text()
    assert 'name="curfew"><failure message="recall">' in xml and 'name="tamper"></testcase>' in xml
    assert "missed: W000" in xml


def test_bad_input_exits_2_with_one_line(tmp_path: Path, root: Path) -> None:
    result = em("simulate", "--scenario", "no-such", "--provider", FMS, cwd=root)
    assert result.code == 2 and result.err.count("\n") == 1 and "no scenario 'no-such'" in result.err
    assert "Traceback" not in result.err


def test_lint_names_file_and_pointer_of_a_bad_scenario(catalogue_copy: Path) -> None:
    folder = catalogue_copy / "contracts" / "scenarios"
    raw = yaml.safe_load((folder / "gps-zones.yaml").read_text())
    raw["world"]["recipes"].append("teleport")
    (folder / "gps-zones.yaml").write_text(yaml.safe_dump(raw))
    raw = yaml.safe_load((folder / "curfew-basic.yaml").read_text())
    raw["world"]["recipes"].append("exclusion-entry")
    raw["provider"] = "nobody"
    (folder / "curfew-basic.yaml").write_text(yaml.safe_dump(raw))
    raw["name"] = "other"
    (folder / "renamed.yaml").write_text(yaml.safe_dump(raw))
    found, _ = lint_project(find_project(catalogue_copy), [check_scenarios])
    got = {(f.file, f.pointer, f.problem.split(":")[0]) for f in found}
    assert ("contracts/scenarios/gps-zones.yaml", "/world/recipes/4", "'teleport' is not one of [...]") in {
        (f, p, m if "teleport" not in m else "'teleport' is not one of [...]") for f, p, m in got
    }
    assert ("contracts/scenarios/curfew-basic.yaml", "/world/recipes/6", "recipe 'exclusion-entry' needs zones") in {
        (f.file, f.pointer, f.problem.replace(": true", "")) for f in found
    }
    assert any(f.file.endswith("curfew-basic.yaml") and f.pointer == "/provider" for f in found)
    assert any(f.file.endswith("renamed.yaml") and f.pointer == "/name" for f in found)
    shipped, _ = lint_project(find_project(None), [check_scenarios])
    assert shipped == []


def test_repeated_hour_end_is_read_by_the_duration() -> None:
    start = datetime(2026, 10, 25, 0, 45, tzinfo=UTC)  # 01:45 BST
    assert _end(start, "2026-10-25 01:20:00", 35 * 60) == datetime(2026, 10, 25, 1, 20, tzinfo=UTC)  # GMT
    assert _end(start, "2026-10-25 01:50:00", 5 * 60) == datetime(2026, 10, 25, 0, 50, tzinfo=UTC)  # BST


def test_a_report_matches_the_breach_it_overlaps_not_an_earlier_one() -> None:
    _, world = make_world(None, "curfew-basic", 2, 1, 1)
    order = world.wearers[0].order_id
    breaches = [t for t in world.breaches if t.wearer == "W0001" and t.kind == "curfew"]
    second = breaches[1]
    london = second.start.astimezone(__import__("zoneinfo").ZoneInfo("Europe/London"))
    messages = [
        {"eventType": "electronic-monitoring.case-created", "additionalInformation": {"orderId": order, "caseId": "c"}},
        {
            "eventType": "electronic-monitoring.violation-raised",
            "publishedAt": (second.end + timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "additionalInformation": {
                "sys_id": "v",
                "caseId": "c",
                "category": "curfew",
                "start": london.strftime("%Y-%m-%d %H:%M:%S"),
                "end": second.end.astimezone(london.tzinfo).strftime("%Y-%m-%d %H:%M:%S"),
                "duration": int((second.end - second.start).total_seconds()),
            },
        },
    ]
    result = score(world, messages, {"recall": 0, "precision": 1})
    assert [m.truth for m in result.matches] == [second]
    assert result.passed and not result.false


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_world_event_ids_are_rfc8785(scenario: str) -> None:
    """The world's fast sealing gives the eventId the rfc8785 library gives, for every message it makes."""
    _, world = make_world(None, scenario, 3, 1, 1)
    assert world.sends
    for send in world.sends:
        assert send.body["eventId"] == event_id(send.body), send.body["additionalInformation"]


def test_seal_falls_back_to_rfc8785_outside_the_plain_subset() -> None:
    for body in (
        {"a": 1e16, "b": "x"},  # ECMAScript writes 10000000000000000, orjson 1e+16
        {"a": 1.2345678901234568e20},
        {"a": 1e21},
        {"a": 1e-7},
        {"\ue000": 1, "\U0001f600": 2},  # keys sort by UTF-16 code units in RFC 8785, not by code points
        {"a": "caf\u00e9"},
        {"a": "tab\there"},
        {"a": 20.0, "b": [0.5, -0.1275, 51.5072, 2**53 - 1]},
    ):
        assert seal(body)["eventId"] == event_id(body), body
    with pytest.raises(NotCanonicalisable):
        seal({"a": 2**53 + 1})  # no canonical form, as the library says


def test_a_report_overlapping_a_breach_is_its_match_even_when_another_starts_nearer() -> None:
    from harness.simulate.world import Truth, World

    _, base = make_world(None, "curfew-basic", 1, 1, 1)
    t0 = datetime(2026, 6, 20, 22, 0, tzinfo=UTC)
    a = Truth("W0001", "curfew", t0, t0 + timedelta(minutes=5), "curfew-short")
    b = Truth("W0001", "curfew", t0 + timedelta(minutes=30), t0 + timedelta(minutes=60), "curfew-absence")
    world = World(base.scenario, 1, base.wearers, [], [a, b], base.start, base.end)

    def london(moment: datetime) -> str:
        return moment.astimezone(__import__("zoneinfo").ZoneInfo("Europe/London")).strftime("%Y-%m-%d %H:%M:%S")

    start, end = t0 + timedelta(minutes=10), t0 + timedelta(minutes=40)  # nearer a's start, overlapping b only
    messages = [
        {
            "eventType": "electronic-monitoring.case-created",
            "additionalInformation": {"orderId": base.wearers[0].order_id, "caseId": "c"},
        },
        {
            "eventType": "electronic-monitoring.violation-raised",
            "publishedAt": "2026-06-20T22:41:00Z",
            "additionalInformation": {
                "sys_id": "v",
                "caseId": "c",
                "category": "curfew",
                "start": london(start),
                "end": london(end),
                "duration": 1800,
            },
        },
    ]
    result = score(world, messages, {"recall": 0, "precision": 0})
    assert [m.truth for m in result.matches] == [b] and result.missed == [a]


def test_zone_judgement_allows_for_the_fix_precision() -> None:
    """A fix within its accuracy (20 m) of a 300 m zone's boundary breaks neither kind of zone."""
    from providers.field_monitoring.zones import Zone

    centre = (51.5, -0.1)

    def fix(metres: float) -> dict:
        return {"latitude": centre[0] + metres / 111_320.0, "longitude": centre[1], "precision": 20}

    exclusion, inclusion = Zone("exclusion", *centre, 300.0), Zone("inclusion", *centre, 300.0)
    assert [exclusion.breached_by(fix(m)) for m in (250, 290, 310, 350)] == [True, False, False, False]
    assert [inclusion.breached_by(fix(m)) for m in (250, 290, 310, 350)] == [False, False, False, True]


def test_the_clock_is_moved_to_the_end_of_the_minute_of_a_message() -> None:
    """So whatever the supplier publishes about a message carries a time no earlier than the message's."""
    from harness.simulate.run import _ceil

    assert _ceil(datetime(2026, 6, 20, 12, 0, 30, tzinfo=UTC)) == datetime(2026, 6, 20, 12, 1, tzinfo=UTC)
    assert _ceil(datetime(2026, 6, 20, 12, 1, tzinfo=UTC)) == datetime(2026, 6, 20, 12, 1, tzinfo=UTC)


def test_reference_curfew_length_on_the_clock_change_nights() -> None:
    """A whole-night absence under a 19:00-07:00 curfew is 11 hours in spring and 13 in autumn."""
    from providers.field_monitoring import curfew

    days = ["Mo", "Tu", "Wed", "Th", "Fr", "Sa", "Su"]
    timetable = {
        "curfew_start": "2026-01-01 00:00:00",
        "curfew_end": "2026-12-31 00:00:00",
        "curfew_duration": [
            {"location": "primary", "schedule": [{"day": d, "start": "19:00", "end": "07:00"} for d in days]}
        ],
    }
    spring = curfew.breach(timetable, datetime(2026, 3, 28, 18, tzinfo=UTC), datetime(2026, 3, 29, 7, tzinfo=UTC))
    autumn = curfew.breach(timetable, datetime(2026, 10, 24, 17, tzinfo=UTC), datetime(2026, 10, 25, 8, tzinfo=UTC))
    assert spring is not None and spring.seconds == 11 * 3600 and spring.whole_window
    assert autumn is not None and autumn.seconds == 13 * 3600 and autumn.whole_window
