"""File sinks: JUnit XML (one testcase per interaction and check), JSON (everything recorded), HTML.

User text (descriptions, states, captured values, supplier output) is escaped for each format: HTML
by html.escape, XML by ElementTree, after characters XML 1.0 cannot hold at all (control characters
a supplier may send) are replaced, so a report always parses.

A pending interaction (V4 `pending: true`) that fails is "pending: failed" in every report with its
mismatches: in JUnit a skipped testcase carrying them (it does not fail the build, as the Pact
Broker's pending pacts do not), in JSON `pending` and `verdict` fields and counts apart, in HTML its
own colour. Interactions the run left out (HTTP ones of a combined pact file) are notes: skipped
testcases in JUnit, `notes` in JSON, a list in HTML; so are the structural problems of its pacts.
"""

from __future__ import annotations

import json
import re
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


_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml(text: Any) -> str:
    """Text XML 1.0 can hold: characters it cannot (NUL, other control characters) become U+FFFD."""
    return _NOT_XML.sub("\ufffd", str(text))


def run_to_json(run: RunFinished, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """passed: every interaction that counts passed; exitCode also fails a run below --min-coverage."""
    return {
        "provider": run.provider,
        "passed": run.passed,
        "exitCode": run.exit_code,
        "error": run.error,
        "seconds": round(run.seconds, 3),
        "catalogue": {"version": run.catalogue_version, "contentHash": run.catalogue_hash},
        "supplierSilent": run.supplier_silent,
        "coverage": None if run.coverage is None else run.coverage.to_json(),
        "minCoverage": None
        if run.min_coverage is None
        else {"percent": run.min_coverage, "passed": not run.coverage_short, "short": run.coverage_short},
        "counts": run.counts,
        "notes": run.notes,
        "interactions": [o.to_json() for o in run.outcomes],
        "recorded": [r.to_json() for r in run.recorded],
        "supplierOutput": run.supplier_output,
        **(extra or {}),
    }


def write_json(run: RunFinished, path: Path, extra: dict[str, Any] | None = None) -> None:
    _write(path, json.dumps(run_to_json(run, extra), indent=2, ensure_ascii=False, default=str) + "\n")


def _failure_text(r: Any) -> str:
    return "\n".join(
        f"{f.path or '/'}: {f.message}"
        + (f" (expected {f.expected or '-'}, got {f.actual or '-'})" if f.expected or f.actual else "")
        for f in r.failures
    )


def write_junit(run: RunFinished, path: Path) -> None:
    suite = ET.Element("testsuite", name=_xml(f"em-harness verify {run.provider}"))
    tests = failures = skipped = 0
    for o in run.outcomes:
        for r in o.checks:
            tests += 1
            case = ET.SubElement(
                suite,
                "testcase",
                classname=_xml(f"{run.provider}.{o.consumer}"),
                name=_xml(f"{o.key.split(' / ', 1)[-1]} [{r.check}]"),
            )
            if r.skipped:
                skipped += 1
                ET.SubElement(case, "skipped", message=_xml(r.skipped))
            elif not r.passed and o.pending:
                skipped += 1  # a pending interaction's failure is reported, never fails the build
                first = r.failures[0].message if r.failures else "failed"
                el = ET.SubElement(case, "skipped", message=_xml(f"pending: failed: {first}"))
                el.text = _xml(_failure_text(r))
            elif not r.passed:
                failures += 1
                first = r.failures[0].message if r.failures else "failed"
                el = ET.SubElement(case, "failure", message=_xml(first), type=r.check)
                el.text = _xml(_failure_text(r))
            if o.pending:
                props = ET.SubElement(case, "properties")
                ET.SubElement(props, "property", name="pending", value="true")
                ET.SubElement(props, "property", name="verdict", value=o.verdict)
    for note in run.notes:
        tests += 1
        skipped += 1
        case = ET.SubElement(suite, "testcase", classname=_xml(run.provider), name=_xml(f"note: {note}"))
        ET.SubElement(case, "skipped", message=_xml(note))
    if run.error:
        tests += 1
        case = ET.SubElement(suite, "testcase", classname=_xml(run.provider), name="infrastructure")
        ET.SubElement(case, "error", message=_xml(run.error))
    if run.min_coverage is not None and run.coverage is not None:
        tests += 1
        case = ET.SubElement(suite, "testcase", classname=_xml(run.provider), name="coverage [min-coverage]")
        if run.coverage_short:
            failures += 1
            el = ET.SubElement(case, "failure", message=_xml(run.coverage_short[0]), type="min-coverage")
            el.text = _xml("\n".join(run.coverage_short))
    suite.set("tests", str(tests))
    suite.set("failures", str(failures))
    suite.set("errors", "1" if run.error else "0")
    suite.set("skipped", str(skipped))
    suite.set("time", f"{run.seconds:.3f}")
    counts = run.counts
    props = ET.Element("properties")
    for name in ("pendingFailed", "pendingPassed"):
        ET.SubElement(props, "property", name=name, value=str(counts[name]))
    ET.SubElement(props, "property", name="catalogueVersion", value=_xml(run.catalogue_version))
    ET.SubElement(props, "property", name="catalogueHash", value=_xml(run.catalogue_hash))
    if run.coverage is not None:
        for key, measure in run.coverage.measures.items():
            pct = measure.percent
            value = f"{len(measure.covered)}/{len(measure.items)}" + ("" if pct is None else f" ({pct:.1f}%)")
            ET.SubElement(props, "property", name=f"coverage.{key}", value=value)
    suite.insert(0, props)
    root = ET.Element("testsuites")
    root.append(suite)
    ET.indent(root)
    _write(path, '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n")


def write_html(run: RunFinished, path: Path) -> None:
    """The self-contained HTML report (harness.report.htmlreport): failures first, filterable, timelines."""
    from harness.report.htmlreport import render

    _write(path, render(run))
