"""verify's HTML report of a failing run in a real browser: Debian's chromium, driven by Playwright for Python.
Failures come first, the filters (verdict, failed check, text) hide and show what they say, and the SVG
timelines render. A screenshot is kept in reports/html-report/ (a test artefact; reports/ is git-ignored).
Skips, saying why, where chromium or Playwright is absent."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from harness.project import find_project
from harness.report.files import write_html
from harness.verify.engine import VerifyEngine
from harness.verify.events import RunFinished
from tests.browser import CHROMIUM, FLAGS, needs_chromium, playwright

ROOT = Path(__file__).resolve().parent.parent
ARTEFACTS = ROOT / "reports" / "html-report"
FMS = "field-monitoring-service"

pytestmark = needs_chromium


def test_the_report_of_a_failing_run_in_chromium(tmp_path: Path) -> None:
    # The violation category in its display casing: pact and schema failures, a failing flow, many passes.
    engine = VerifyEngine(
        find_project(ROOT), FMS, supplier_app="providers.faulty.wrong_enum_case:app", seed=7, flows=["curfew breach"]
    )
    run = next(e for e in engine.events() if isinstance(e, RunFinished))
    assert run.exit_code == 1
    failing = [o for o in run.outcomes if not o.passed]
    assert failing and len(failing) < len(run.outcomes)
    report = tmp_path / "report.html"
    write_html(run, report)
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    outside: list[str] = []
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        page = browser.new_page(viewport={"width": 1300, "height": 1000})
        page.on("request", lambda req: outside.append(req.url) if not req.url.startswith("file://") else None)
        page.goto(report.as_uri())
        assert page.locator("#verdict").inner_text() == "FAIL"
        outcomes = page.locator("section.outcome")
        total = outcomes.count()
        assert total == len(run.outcomes)
        verdicts = [outcomes.nth(i).get_attribute("data-verdict") for i in range(total)]
        n_fail = len(failing)
        assert verdicts == ["fail"] * n_fail + ["pass"] * (total - n_fail)  # failures first
        assert page.locator("#shown").inner_text() == f"{total} of {total} shown"
        first = outcomes.first
        assert failing[0].key in first.locator("h3").inner_text()
        # expected and actual side by side: the two boxes share a row
        exp, act = first.locator(".pair .exp").first.bounding_box(), first.locator(".pair .act").first.bounding_box()
        assert exp and act and abs(exp["y"] - act["y"]) < 2 and act["x"] > exp["x"] + exp["width"]
        assert "'Curfew'" in first.locator(".pair .act").first.inner_text()
        # the timeline renders: an SVG box of real size with the stimuli and the answer judged
        svg = first.locator("svg.timeline")
        box = svg.bounding_box()
        assert box and box["width"] > 500 and box["height"] > 80
        assert svg.locator("g.stimulus").count() >= 1 and svg.locator("g.answer circle[stroke]").count() == 1
        assert svg.locator("text", has_text="(the answer judged)").count() == 1
        page.screenshot(path=str(ARTEFACTS / "1-failing-run.png"), full_page=False)
        first.screenshot(path=str(ARTEFACTS / "2-first-failure.png"))

        def visible() -> list[Any]:
            return [outcomes.nth(i) for i in range(total) if outcomes.nth(i).is_visible()]

        page.select_option("#filter-verdict", "pass")
        shown = visible()
        assert len(shown) == total - n_fail and all(o.get_attribute("data-verdict") == "pass" for o in shown)
        assert page.locator("#shown").inner_text() == f"{total - n_fail} of {total} shown"
        page.select_option("#filter-verdict", "failing")
        assert len(visible()) == n_fail
        page.select_option("#filter-check", "flow")
        shown = visible()
        flows = [o for o in failing if any(c.check == "flow" and not c.passed and not c.skipped for c in o.checks)]
        assert len(shown) == len(flows) >= 1 and all("flow" in o.get_attribute("data-failed").split() for o in shown)
        page.select_option("#filter-check", "all")
        page.fill("#filter-text", "A TAMPER VIOLATION")
        shown = visible()
        assert shown and len(shown) < n_fail
        assert all("a tamper violation" in o.locator("h3").inner_text() for o in shown)
        page.locator("#filters").scroll_into_view_if_needed()
        page.screenshot(path=str(ARTEFACTS / "3-filtered.png"), full_page=False)
        page.fill("#filter-text", "")
        page.select_option("#filter-verdict", "all")
        assert len(visible()) == total
        browser.close()
    assert not outside, f"the report fetched from elsewhere: {outside}"
    for name in ("1-failing-run.png", "2-first-failure.png", "3-filtered.png"):
        assert (ARTEFACTS / name).stat().st_size > 5000
