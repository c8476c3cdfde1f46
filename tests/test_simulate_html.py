"""The simulate HTML report in a real browser (Debian's chromium, driven by Playwright for Python): the
verdict, the per-wearer timelines of truth against reported and the latency histogram are drawn as inline
SVG, and the page asks for nothing from elsewhere. A screenshot is kept in reports/simulate-html/ (a test
artefact). Skips, saying why, where chromium or Playwright is absent."""

from __future__ import annotations

from pathlib import Path

from harness.simulate.command import run_simulate
from tests.browser import CHROMIUM, FLAGS, needs_chromium, playwright

ROOT = Path(__file__).resolve().parents[1]
ARTEFACTS = ROOT / "reports" / "simulate-html"

pytestmark = needs_chromium


def test_timelines_and_latency_histogram_in_a_browser(tmp_path: Path) -> None:
    html = tmp_path / "simulate.html"
    code = run_simulate(
        "clock-change",
        "field-monitoring-service",
        subjects=3,
        supplier_app="providers.faulty.naive_clock_change:app",
        html_out=html,
        echo=lambda _: None,
    )
    assert code == 1
    text = html.read_text()
    assert "<script" not in text and "http://" not in text.replace('xmlns="http://www.w3.org/2000/svg"', "")
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    outside: list[str] = []
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 900})
            page.on("request", lambda req: outside.append(req.url) if not req.url.startswith("file:") else None)
            page.goto(html.as_uri())
            assert page.locator("#verdict").inner_text() == "FAIL"
            assert page.locator("svg.timeline").count() == 2  # the spring night and the autumn night
            assert page.locator("svg.timeline >> text=W0001").count() == 2
            truth = page.locator("svg.timeline rect.truth")
            reported = page.locator("svg.timeline rect.reported")
            assert truth.count() > reported.count() - 3 > 0
            assert page.locator("svg.histogram rect.bin").count() >= 1
            box = page.locator("svg.timeline").first.bounding_box()
            assert box is not None and box["width"] > 500 and box["height"] > 60  # drawn, not empty
            assert page.locator("#events tbody tr", has_text="missed").count() == 3
            assert page.locator("#events tbody tr", has_text="spring-after-end").count() == 3
            assert page.locator("#scores .bad").count() == 2  # recall and precision of curfew
            page.screenshot(path=str(ARTEFACTS / "clock-change.png"), full_page=True)
        finally:
            browser.close()
    assert outside == []
    assert (ARTEFACTS / "clock-change.png").stat().st_size > 10_000
