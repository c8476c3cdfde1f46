"""The matrix page in a real browser: Debian's chromium, driven by Playwright for Python, clicking from the
matrix to a failed interaction's evidence and its captured message. A screenshot of each page is kept in
reports/gate-browser/ (a test artefact). Skips, saying why, where chromium or Playwright is absent."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.browser import CHROMIUM, FLAGS, needs_chromium, playwright
from tests.gate.support import em

ROOT = Path(__file__).resolve().parents[2]
ARTEFACTS = ROOT / "reports" / "gate-browser"

pytestmark = needs_chromium


def test_click_from_the_matrix_to_a_failed_interactions_evidence(tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path / 'gate.db'}"
    for args in (
        ["publish", "--consumer-version", "1.0.0", "--root", str(ROOT)],
        ["verify", "--provider", "field-monitoring-service", "--publish", "--provider-version", "2.0.0",
         "--root", str(ROOT)],
        ["verify", "--provider", "field-monitoring-service", "--publish", "--provider-version", "2.1.0",
         "--supplier-app", "providers.faulty.leaks_date_of_birth:app", "--root", str(ROOT)],
        ["record-deployment", "--pacticipant", "cemo", "--version", "1.0.0", "--env", "production", "--create-env"],
    ):  # fmt: skip
        r = em(*args, "--store", store)
        assert r.code in (0, 1), r.text
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "harness", "gate", "serve", "--port", str(port), "--store", store],
        env=dict(os.environ, PACT_DO_NOT_TRACK="true"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    outside: list[str] = []
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(base + "/ui", timeout=2).close()
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, "gate serve did not start"
                time.sleep(0.2)
        with playwright.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.on("request", lambda req: outside.append(req.url) if not req.url.startswith(base) else None)
            page.goto(base + "/")  # a browser asking for / gets the page, a Pact client the HAL index
            assert page.url == base + "/ui"
            assert page.locator("h1").inner_text() == "The matrix"
            row = page.locator("#matrix tbody tr", has_text="cemo").filter(has_text="2.1.0")
            assert row.count() == 1
            assert row.locator("td[data-status]").get_attribute("data-status") == "fail"
            assert row.get_by_text("production").count() == 1  # where the consumer version is deployed
            page.screenshot(path=str(ARTEFACTS / "1-matrix.png"), full_page=True)

            row.locator("td[data-status] a").click()
            page.wait_for_url("**/ui/verifications/*")
            assert "verifying the pact of cemo" in page.locator("h1").inner_text()
            failed = page.locator("#interactions tr", has_text="a completed install visit")
            assert failed.locator("td[data-status]").first.get_attribute("data-status") == "fail"
            page.screenshot(path=str(ARTEFACTS / "2-verification.png"), full_page=True)

            failed.locator("a").first.click()
            page.wait_for_url("**/interactions/*")
            assert page.locator("h1").inner_text() == "cemo / a completed install visit"
            check = page.locator("#checks tr", has_text="data-minimisation")
            assert check.locator("td[data-status]").get_attribute("data-status") == "fail"
            assert "/additionalInformation/date_of_birth" in check.inner_text()
            captured = page.locator("#captured").inner_text()
            assert "electronic-monitoring.visit-completed" in captured
            assert '"date_of_birth": "<redacted>"' in captured  # the leaked value is evidence, but not in clear
            page.screenshot(path=str(ARTEFACTS / "3-failed-interaction.png"), full_page=True)
            browser.close()
    finally:
        server.terminate()
        server.wait(15)
    assert not outside, f"the page fetched from elsewhere: {outside}"
    for name in ("1-matrix.png", "2-verification.png", "3-failed-interaction.png"):
        assert (ARTEFACTS / name).stat().st_size > 5000
