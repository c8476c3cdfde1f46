"""The HTML report: one self-contained page (inline CSS, SVG and a few lines of script; no external asset).

What a reader needs first comes first: the verdict, a "no supplier message" banner when no supplier spoke,
the catalogue verified against, a summary per check, coverage, then every interaction, flow and fault run
with failures first (FAIL, then pending: failed, then the passes), filterable by verdict, by failed check
and by text. Each shows its failures with expected and actual side by side, and a timeline: the stimuli
the harness published and the supplier's messages, at their times on one axis, with the deadline.

Everything a contract, a supplier or a user wrote is escaped (html.escape, quotes included, for text and
attributes alike); the script reads only data attributes, never user text as code. Message bodies are
shown as the engine left them: personal values already redacted (SchemaRegistry.redact, canaries).
"""

from __future__ import annotations

import json
from html import escape
from typing import Any

from harness.verify.events import CHECKS, InteractionOutcome, Recorded, RunFinished

RANK = {"FAIL": 0, "pending: failed": 1, "pending: passed": 2, "pass": 3}
VERDICT_CLASS = {
    "FAIL": "fail",
    "pending: failed": "pending-failed",
    "pending: passed": "pending-passed",
    "pass": "pass",
}
KIND = {"pact": "interaction", "flow": "flow", "fault": "fault run"}
PREFIX = "electronic-monitoring."

CSS = """
body{font-family:system-ui,sans-serif;margin:1.5em 2em;color:#222}
h1{margin-bottom:.2em}h2{margin-top:1.4em}
table{border-collapse:collapse}td,th{padding:3px 8px;border-bottom:1px solid #ddd;text-align:left;vertical-align:top}
.ok{background:#dfd}.bad{background:#fdd}.skip{background:#ffd}.pending{background:#fec}
.banner{background:#c00;color:#fff;padding:.6em 1em;font-weight:bold;border-radius:4px}
.meta{color:#555}.mono,code,pre{font-family:ui-monospace,monospace;font-size:12px}
pre{white-space:pre-wrap;word-break:break-word;margin:0}
#filters{position:sticky;top:0;background:#fff;padding:.5em 0;border-bottom:2px solid #888;z-index:1}
#filters label{margin-right:1.2em}
.outcome{border:1px solid #ccc;border-left:6px solid #999;border-radius:4px;margin:.8em 0;padding:.5em .8em}
.outcome[data-verdict=fail]{border-left-color:#c00}.outcome[data-verdict=pending-failed]{border-left-color:#e80}
.outcome[data-verdict=pending-passed]{border-left-color:#eb0}.outcome[data-verdict=pass]{border-left-color:#393}
.outcome h3{margin:.2em 0;font-size:1em}.kind{font-size:11px;background:#eee;border-radius:3px;padding:1px 5px}
.chip{display:inline-block;font-size:11px;padding:1px 6px;margin:2px;border-radius:8px}
.pair{display:grid;grid-template-columns:1fr 1fr;gap:4px 12px;margin:.4em 0 .8em}
.pair>div{background:#f6f6f6;padding:4px 6px;border-radius:3px}.pair .exp{border-left:3px solid #393}
.pair .act{border-left:3px solid #c00}.fhead{grid-column:1/3;font-size:13px}
svg.timeline{width:100%;max-width:1100px;height:auto;display:block;margin:.3em 0;background:#fcfcfc}
"""

SCRIPT = """
(function(){
  var v=document.getElementById('filter-verdict'),c=document.getElementById('filter-check'),
      q=document.getElementById('filter-text'),shown=document.getElementById('shown');
  var all=Array.prototype.slice.call(document.querySelectorAll('.outcome'));
  function apply(){
    var n=0,text=q.value.toLowerCase();
    all.forEach(function(el){
      var d=el.dataset,ok=true;
      if(v.value==='failing')ok=d.verdict==='fail'||d.verdict==='pending-failed';
      else if(v.value!=='all')ok=d.verdict===v.value;
      if(ok&&c.value!=='all')ok=(' '+d.failed+' ').indexOf(' '+c.value+' ')>=0;
      if(ok&&text)ok=d.text.indexOf(text)>=0;
      el.hidden=!ok;if(ok)n++;
    });
    shown.textContent=n+' of '+all.length+' shown';
  }
  [v,c].forEach(function(el){el.addEventListener('change',apply)});
  q.addEventListener('input',apply);
  apply();
})();
"""


def _short(rec: Recorded) -> str:
    body = rec.body
    name = body.get("eventType") if isinstance(body, dict) else None
    return str(name or rec.channel).removeprefix(PREFIX)


def _ms(seconds: float, span: float | None = None) -> str:
    """A duration, as precise as the axis it is on needs (`span`: the axis' length)."""
    scale = seconds if span is None else span
    if scale >= 2:
        return f"{seconds:.2f} s"
    digits = 2 if scale < 0.01 else (1 if scale < 0.1 else 0)
    return f"{seconds * 1000:.{digits}f} ms"


ROW = 17
LEFT, WIDTH = 44, 590  # the axis; labels go to the right of it


def timeline(o: InteractionOutcome) -> str:
    """An inline SVG: one row per message in time order (harness stimuli as squares, supplier messages as
    circles, the answer judged outlined, a late one red) on one time axis; the deadline dashed."""
    events = sorted([*((r, True) for r in o.stimuli), *((r, False) for r in o.messages)], key=lambda e: e[0].seq)
    if not events:
        return '<p class="meta">Timeline: nothing was published and no supplier message was tied to it.</p>'
    t0 = min(r.at for r, _ in events)
    last = max(r.at for r, _ in events)
    deadline_at = None
    if o.kind == "pact" and o.stimuli:
        answered = o.captured.at if o.captured is not None else None
        before = [s.at for s in o.stimuli if answered is None or s.at <= answered]
        deadline_at = (max(before) if before else min(s.at for s in o.stimuli)) + o.deadline
    span = last - t0
    # The deadline joins the axis when it is near the messages; far beyond them it would squash them.
    on_axis = deadline_at is not None and (deadline_at - t0 <= 3 * span or o.captured is None)
    if on_axis:
        span = max(span, deadline_at - t0)  # type: ignore[operator]
    span = max(span, 0.001)

    def x(t: float) -> float:
        return round(LEFT + (t - t0) / span * WIDTH, 1)

    height = 20 + ROW * len(events) + 36
    axis_y = height - 30
    out = [
        f'<svg class="timeline" viewBox="0 0 1000 {height}" role="img" '
        f'aria-label="timeline of {escape(o.key)}" style="max-height:{height * 1.2:.0f}px">',
        f'<line x1="{LEFT}" y1="{axis_y}" x2="{LEFT + WIDTH}" y2="{axis_y}" stroke="#888"/>',
    ]
    for i in range(5):
        t = t0 + span * i / 4
        out.append(
            f'<line x1="{x(t)}" y1="12" x2="{x(t)}" y2="{axis_y + 4}" stroke="#eee"/>'
            f'<text x="{x(t)}" y="{axis_y + 16}" font-size="10" text-anchor="middle" fill="#555">'
            f"+{escape(_ms(t - t0, span))}</text>"
        )
    if deadline_at is not None:
        text = f"deadline {o.deadline:g} s after the stimulus answered (+{_ms(deadline_at - t0)})"
        if on_axis:
            out.append(
                f'<line class="deadline" x1="{x(deadline_at)}" y1="8" x2="{x(deadline_at)}" y2="{axis_y}" '
                f'stroke="#c00" stroke-dasharray="4 3"/><text x="{x(deadline_at) - 4}" y="10" font-size="10" '
                f'text-anchor="end" fill="#c00">{escape(text)}</text>'
            )
        else:
            out.append(
                f'<text class="deadline" x="{LEFT + WIDTH}" y="10" font-size="10" text-anchor="end" fill="#c00">'
                f"{escape(text)}, beyond the last message →</text>"
            )
    captured = o.captured.seq if o.captured is not None else None
    for i, (r, stimulus) in enumerate(events):
        y = 20 + ROW * i
        at = f"+{_ms(r.at - t0, span)}"
        cx = x(r.at)
        out.append(f'<line x1="{LEFT}" y1="{y}" x2="{LEFT + WIDTH}" y2="{y}" stroke="#f3f3f3"/>')
        if stimulus:
            label = f"harness → {_short(r)} {at}"
            out.append(
                f'<g class="stimulus"><title>stimulus seq {r.seq} on {escape(r.channel)}</title>'
                f'<rect x="{cx - 5}" y="{y - 5}" width="10" height="10" fill="#36c"/>'
            )
        else:
            late = deadline_at is not None and r.seq == captured and r.at > deadline_at
            colour = "#c00" if late else "#393"
            ring = ' stroke="#000" stroke-width="2"' if r.seq == captured else ""
            what = "the answer judged" if r.seq == captured else "supplier message"
            label = f"supplier → {_short(r)} {at}" + (" (the answer judged)" if r.seq == captured else "")
            label += " LATE" if late else ""
            out.append(
                f'<g class="answer"><title>{what}, seq {r.seq} on {escape(r.channel)}</title>'
                f'<circle cx="{cx}" cy="{y}" r="5" fill="{colour}"{ring}/>'
            )
        out.append(f'<text x="{LEFT + WIDTH + 12}" y="{y + 4}" font-size="11">{escape(label)}</text></g>')
    out.append("</svg>")
    return "".join(out)


def _status(r: Any, o: InteractionOutcome) -> str:
    if r.passed:
        return "ok"
    if r.skipped:
        return "skip"
    return "pending" if o.pending else "bad"


def _failures(o: InteractionOutcome) -> str:
    rows = []
    label = "pending: failed" if o.pending else "FAIL"
    for r in o.checks:
        for f in r.failures:
            rows.append(
                f'<div class="fhead"><b>{escape(label)}</b> <b>{escape(r.check)}</b> at '
                f"<code>{escape(f.path or '/')}</code>: {escape(f.message)}</div>"
                f'<div class="exp"><b>expected</b><pre>{escape(f.expected or "-")}</pre></div>'
                f'<div class="act"><b>actual</b><pre>{escape(f.actual or "-")}</pre></div>'
            )
    skipped = "".join(
        f"<li><b>{escape(r.check)}</b> skipped: {escape(r.skipped)}</li>"
        for r in o.checks
        if r.skipped and not r.passed
    )
    out = f'<div class="pair">{"".join(rows)}</div>' if rows else ""
    if skipped:
        out += f"<ul>{skipped}</ul>"
    return out


def _body(rec: Recorded) -> str:
    return escape(json.dumps(rec.body, indent=2, ensure_ascii=False, default=str))


def _outcome(o: InteractionOutcome) -> str:
    failed = " ".join(r.check for r in o.checks if not r.passed and not r.skipped)
    text = " ".join(
        [o.key, o.description, *(n for n, _ in o.states), *o.notes, o.problem or ""]
        + [f"{r.check} {f.path} {f.message}" for r in o.checks for f in r.failures]
    ).lower()
    chips = "".join(f'<span class="chip {_status(r, o)}">{escape(r.check)}</span>' for r in o.checks)
    states = ", ".join(n for n, _ in o.states)
    meta = [f"provider state: {escape(states)}" if states else ""]
    if o.kind == "pact":
        meta.append(f"channel <code>{escape(o.channel)}</code>, deadline {o.deadline:g} s")
        if o.elapsed is not None:
            meta.append(f"answered in {escape(_ms(o.elapsed))}")
    notes = "".join(f"<li>{escape(n)}</li>" for n in o.notes)
    problem = f"<p><b>not run:</b> {escape(o.problem)}</p>" if o.problem else ""
    captured = ""
    if o.captured is not None:
        captured = (
            f"<details><summary>the answer judged (seq {o.captured.seq})</summary>"
            f"<pre>{_body(o.captured)}</pre></details>"
        )
    sent = "".join(
        f"<details><summary>stimulus seq {s.seq} on {escape(s.channel)}</summary><pre>{_body(s)}</pre></details>"
        for s in o.stimuli
    )
    verdict = VERDICT_CLASS.get(o.verdict, "fail")
    return (
        f'<section class="outcome" data-verdict="{verdict}" data-kind="{escape(o.kind)}" '
        f'data-failed="{escape(failed)}" '
        f'data-text="{escape(text)}"><h3><span class="kind">{escape(KIND.get(o.kind, o.kind))}</span> '
        f'{escape(o.key)} — <span class="verdict">{escape(o.verdict)}</span></h3>'
        f'<div>{chips}</div><p class="meta">{"; ".join(m for m in meta if m)}</p>{problem}'
        f"{_failures(o)}{f'<ul>{notes}</ul>' if notes else ''}{timeline(o)}{captured}{sent}</section>"
    )


def check_summary(run: RunFinished) -> list[tuple[str, dict[str, int]]]:
    """Per check name, in report order: how many passed, failed, failed while pending, were skipped."""
    out = []
    for check in CHECKS:
        counts = {"passed": 0, "failed": 0, "pendingFailed": 0, "skipped": 0}
        seen = False
        for o in run.outcomes:
            for r in o.checks:
                if r.check != check:
                    continue
                seen = True
                if r.passed:
                    counts["passed"] += 1
                elif r.skipped:
                    counts["skipped"] += 1
                elif o.pending:
                    counts["pendingFailed"] += 1
                else:
                    counts["failed"] += 1
        if seen:
            out.append((check, counts))
    return out


def _coverage(run: RunFinished) -> str:
    cov = run.coverage
    if cov is None:
        return ""
    rows = []
    for m in cov.measures.values():
        pct = m.percent
        missing = "".join(f"<li>{escape(i)}</li>" for i in m.missing)
        rows.append(
            f"<tr><td>{escape(m.name)}</td><td>{len(m.covered)} of {len(m.items)}</td>"
            f"<td>{'-' if pct is None else f'{pct:.1f}%'}</td><td>"
            + (f"<details><summary>{len(m.missing)} missing</summary><ul>{missing}</ul></details>" if missing else "")
            + "</td></tr>"
        )
    short = "".join(f'<p class="bad">{escape(line)}</p>' for line in run.coverage_short)
    minimum = "" if run.min_coverage is None else f" (--min-coverage {run.min_coverage:g}%)"
    return (
        f'<h2>Coverage{escape(minimum)}</h2><p class="meta">What of the catalogue the supplier\'s messages '
        'exercised.</p><table id="coverage"><tr><th>measure</th><th>exercised</th><th>%</th><th></th></tr>'
        f"{''.join(rows)}</table>{short}"
    )


def render(run: RunFinished) -> str:
    """The whole page."""
    from harness.report.console import NO_SUPPLIER

    verdict, parts = run.verdict, run.tallies()
    counts = run.counts
    pending = ""
    if counts["pendingFailed"] or counts["pendingPassed"]:
        pending = (
            f" Pending: {counts['pendingFailed']} failed, {counts['pendingPassed']} passed "
            "(pending interactions do not fail the run)."
        )
    banner = f'<p class="banner" id="no-supplier">{escape(NO_SUPPLIER)}</p>' if run.supplier_silent else ""
    error = f'<p class="bad">{escape(run.error)}</p>' if run.error else ""
    notes = "".join(f"<li>{escape(n)}</li>" for n in run.notes)
    catalogue = (
        f'<p class="meta" id="catalogue">catalogue {escape(run.catalogue_version)} '
        f'<span class="mono">{escape(run.catalogue_hash)}</span></p>'
        if run.catalogue_hash
        else ""
    )
    summary_rows = "".join(
        f"<tr><td>{escape(check)}</td><td>{c['passed']}</td><td>{c['failed']}</td><td>{c['pendingFailed']}</td>"
        f"<td>{c['skipped']}</td></tr>"
        for check, c in check_summary(run)
    )
    ordered = [o for _, o in sorted(enumerate(run.outcomes), key=lambda p: (RANK.get(p[1].verdict, 0), p[0]))]
    checks = [c for c, _ in check_summary(run)]
    options = "".join(f'<option value="{escape(c)}">{escape(c)}</option>' for c in checks)
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>em-harness verify {escape(run.provider)}: {verdict}</title>
<style>{CSS}</style>
</head><body>
{banner}<h1>verify {escape(run.provider)}: <span id="verdict">{verdict}</span></h1>
<p id="counts">{escape(", ".join(parts))} passed in {run.seconds:.1f} s.{escape(pending)}</p>
{catalogue}{error}{f"<h2>Notes</h2><ul>{notes}</ul>" if notes else ""}
<h2>Checks</h2><table id="checks"><tr><th>check</th><th>passed</th><th>failed</th><th>pending: failed</th>
<th>skipped</th></tr>{summary_rows}</table>
{_coverage(run)}
<h2>Interactions, flows and fault runs</h2>
<div id="filters"><label>verdict <select id="filter-verdict">
<option value="all">all</option><option value="failing">failing</option>
<option value="fail">FAIL</option><option value="pending-failed">pending: failed</option>
<option value="pending-passed">pending: passed</option><option value="pass">pass</option></select></label>
<label>failed check <select id="filter-check"><option value="all">any</option>{options}</select></label>
<label>text <input id="filter-text" type="search" placeholder="interaction, state, message"></label>
<span id="shown" class="meta"></span></div>
<div id="outcomes">{"".join(_outcome(o) for o in ordered)}</div>
<script>{SCRIPT}</script>
</body></html>
"""
