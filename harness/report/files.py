"""File sinks: JUnit XML (one testcase per interaction and check), JSON (everything recorded), HTML."""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

from harness.errors import HarnessError
from harness.verify.events import RunFinished


def _write(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise HarnessError(f"{path}: cannot write the report ({exc.strerror})") from None


def run_to_json(run: RunFinished, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "provider": run.provider,
        "passed": run.passed,
        "exitCode": run.exit_code,
        "error": run.error,
        "seconds": round(run.seconds, 3),
        "interactions": [o.to_json() for o in run.outcomes],
        "recorded": [r.to_json() for r in run.recorded],
        "supplierOutput": run.supplier_output,
        **(extra or {}),
    }


def write_json(run: RunFinished, path: Path, extra: dict[str, Any] | None = None) -> None:
    _write(path, json.dumps(run_to_json(run, extra), indent=2, ensure_ascii=False, default=str) + "\n")


def write_junit(run: RunFinished, path: Path) -> None:
    suite = ET.Element("testsuite", name=f"em-harness verify {run.provider}")
    tests = failures = skipped = 0
    for o in run.outcomes:
        for r in o.checks:
            tests += 1
            case = ET.SubElement(
                suite, "testcase", classname=f"{run.provider}.{o.consumer}", name=f"{o.description} [{r.check}]"
            )
            if r.skipped:
                skipped += 1
                ET.SubElement(case, "skipped", message=r.skipped)
            elif not r.passed:
                failures += 1
                text = "\n".join(
                    f"{f.path or '/'}: {f.message} (expected {f.expected}, got {f.actual})" for f in r.failures
                )
                first = r.failures[0].message if r.failures else "failed"
                el = ET.SubElement(case, "failure", message=first, type=r.check)
                el.text = text
    if run.error:
        tests += 1
        case = ET.SubElement(suite, "testcase", classname=run.provider, name="infrastructure")
        ET.SubElement(case, "error", message=run.error)
    suite.set("tests", str(tests))
    suite.set("failures", str(failures))
    suite.set("errors", "1" if run.error else "0")
    suite.set("skipped", str(skipped))
    suite.set("time", f"{run.seconds:.3f}")
    root = ET.Element("testsuites")
    root.append(suite)
    ET.indent(root)
    _write(path, '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n")


def write_html(run: RunFinished, path: Path) -> None:
    e = html.escape
    rows = []
    for o in run.outcomes:
        cells = "".join(
            f'<td class="{"ok" if r.passed else ("skip" if r.skipped else "bad")}">{e(r.check)}</td>' for r in o.checks
        )
        fails = "".join(
            f"<li><b>{e(r.check)}</b> {e(f.path or '/')}: {e(f.message)} "
            f"(expected {e(f.expected)}, got {e(f.actual)})</li>"
            for r in o.checks
            for f in r.failures
        )
        captured = "" if o.captured is None else e(json.dumps(o.captured.body, indent=2, ensure_ascii=False))
        rows.append(
            f'<tr><td>{e(o.key)}</td>{cells}</tr><tr><td colspan="6"><ul>{fails}</ul>'
            f"<details><summary>captured message</summary><pre>{captured}</pre></details></td></tr>"
        )
    verdict = "PASS" if run.passed else ("ERROR" if run.error else "FAIL")
    doc = f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>em-harness verify {e(run.provider)}: {verdict}</title>
<style>body{{font-family:sans-serif;margin:2em}}td{{padding:4px 8px;border-bottom:1px solid #ddd;vertical-align:top}}
.ok{{background:#dfd}}.bad{{background:#fdd}}.skip{{background:#ffd}}pre{{font-size:12px}}</style></head><body>
<h1>verify {e(run.provider)}: {verdict}</h1>
<p>{sum(o.passed for o in run.outcomes)} of {len(run.outcomes)} interactions passed in {run.seconds:.1f} s.
{e(run.error or "")}</p><table>{"".join(rows)}</table></body></html>
"""
    _write(path, doc)
