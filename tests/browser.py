"""Headless Debian chromium for the browser tests, through Playwright (no browser download: a closed network).

A test module imports what it needs from here and sets `pytestmark = needs_chromium`; importing this module
skips the test module when Playwright for Python is not installed."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    # without these Chromium reaches out for updates and sync, which this closed network refuses
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

playwright = pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="Debian's chromium is absent (apt-get install chromium; .ci/run installs it)"
)
