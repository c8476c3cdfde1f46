"""The HTML report of `em-harness simulate`: one self-contained page, pictures drawn as inline SVG.

- the verdict and the per-kind scores against the scenario's thresholds;
- per wearer (by pseudonym), a timeline of the truth against what the supplier reported: a bar per true
  breach (and, hatched grey, each seeded situation that is *not* a breach), a bar per report below it, and
  a tick where the report was published; runs of simulated time far apart (the two clock-change nights)
  are drawn as separate panels;
- a histogram of detection latency (minutes from a breach's start to its first report);
- the missed, false, late and inexact events.
No script, no stylesheet or font from elsewhere: the page opens from a file, offline. Every text is
escaped; nothing personal is in the data it is drawn from (wearers are pseudonyms).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from html import escape
from typing import Any

WIDTH = 960
LABEL = 70
ROW = 34
GAP = timedelta(hours=6)
COLOURS = {"curfew": "#3465a4", "exclusion_zone": "#c4a000", "inclusion_zone": "#4e9a06", "tamper": "#75507b"}
REPORTED = "#ce5c00"


def _at(text: str | None) -> datetime | None:
    if not text:
        return None
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def _panels(data: dict[str, Any]) -> list[tuple[datetime, datetime]]:
    """Spans of simulated time with something in them, split where nothing happens for GAP."""
    moments = sorted(
        m
        for item in [*data["truth"], *data["reports"]]
        for m in (_at(item.get("start")), _at(item.get("end")), _at(item.get("published")))
        if m is not None
    )
    spans: list[list[datetime]] = []
    for m in moments:
        if spans and m - spans[-1][1] <= GAP:
            spans[-1][1] = m
        else:
            spans.append([m, m])
    return [(s - timedelta(minutes=30), e + timedelta(minutes=30)) for s, e in spans]


def _timeline(data: dict[str, Any], span: tuple[datetime, datetime]) -> str:
    lo, hi = span
    seconds = max((hi - lo).total_seconds(), 1.0)

    def x(moment: datetime) -> float:
        return LABEL + (WIDTH - LABEL - 10) * (moment - lo).total_seconds() / seconds

    def inside(item: dict[str, Any]) -> bool:
        start = _at(item["start"])
        return start is not None and lo <= start <= hi

    truths = [t for t in data["truth"] if inside(t)]
    reports = [r for r in data["reports"] if inside(r)]
    wearers = sorted({t["wearer"] for t in truths} | {r["wearer"] for r in reports})
    height = 30 + ROW * len(wearers) + 20
    parts = [
        f'<svg class="timeline" xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" role="img" aria-label="truth against reported, '
        f'{lo:%Y-%m-%d %H:%M} to {hi:%Y-%m-%d %H:%M} UTC">',
        '<defs><pattern id="nobreach" width="6" height="6" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)"><rect width="3" height="6" fill="#babdb6"/></pattern></defs>',
    ]
    step = timedelta(hours=1 if seconds <= 12 * 3600 else 3)
    tick = lo.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    while tick < hi:
        parts.append(
            f'<line x1="{x(tick):.1f}" y1="18" x2="{x(tick):.1f}" y2="{height - 15}" stroke="#eeeeec"/>'
            f'<text x="{x(tick):.1f}" y="12" font-size="9" text-anchor="middle">{tick:%d %b %H:%M}</text>'
        )
        tick += step
    for row, wearer in enumerate(wearers):
        y = 24 + row * ROW
        parts.append(f'<text x="4" y="{y + 16}" font-size="11" font-family="monospace">{escape(wearer)}</text>')
        for t in (t for t in truths if t["wearer"] == wearer):
            s, e = _at(t["start"]), _at(t["end"])
            assert s is not None and e is not None
            fill = COLOURS.get(t["kind"], "#555753") if t["breach"] else "url(#nobreach)"
            what = "breach" if t["breach"] else "not a breach"
            parts.append(
                f'<rect class="truth" x="{x(s):.1f}" y="{y}" width="{max(x(e) - x(s), 2):.1f}" height="11" '
                f'fill="{fill}"><title>truth: {escape(t["kind"])} {what} ({escape(t["recipe"])}) '
                f"{escape(t['start'])} .. {escape(t['end'])}</title></rect>"
            )
        for r in (r for r in reports if r["wearer"] == wearer):
            s, e, p = _at(r["start"]), _at(r["end"]) or _at(r["start"]), _at(r["published"])
            assert s is not None and e is not None and p is not None
            parts.append(
                f'<rect class="reported" x="{x(s):.1f}" y="{y + 14}" width="{max(x(e) - x(s), 2):.1f}" height="9" '
                f'fill="{REPORTED}"><title>reported: {escape(r["kind"])} {escape(r["start"])} .. '
                f"{escape(str(r['end']))}, published {escape(r['published'])}</title></rect>"
                f'<line x1="{x(p):.1f}" y1="{y + 12}" x2="{x(p):.1f}" y2="{y + 26}" stroke="#2e3436" '
                f'stroke-width="1.5"><title>published {escape(r["published"])}</title></line>'
            )
    parts.append("</svg>")
    return "".join(parts)


def _histogram(latencies: list[float]) -> str:
    height, bottom = 180, 150
    if not latencies:
        return '<p class="empty">No breach was detected: no latency to draw.</p>'
    top = max(latencies)
    width_min = 1.0
    for candidate in (1, 2, 5, 10, 15, 30, 60, 120):
        width_min = float(candidate)
        if top / candidate <= 24:
            break
    bins = [0] * (int(top // width_min) + 1)
    for v in latencies:
        bins[int(max(v, 0) // width_min)] += 1
    most = max(bins)
    bar = (WIDTH - LABEL - 10) / len(bins)
    parts = [
        f'<svg class="histogram" xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" role="img" aria-label="detection latency histogram">',
        f'<text x="4" y="14" font-size="10">breaches</text><text x="{WIDTH - 4}" y="{height - 4}" font-size="10" '
        f'text-anchor="end">minutes from the breach start to its first report</text>',
    ]
    for i, count in enumerate(bins):
        h = (bottom - 20) * count / most
        x0 = LABEL + i * bar
        parts.append(
            f'<rect class="bin" x="{x0 + 1:.1f}" y="{bottom - h:.1f}" width="{max(bar - 2, 1):.1f}" height="{h:.1f}" '
            f'fill="#3465a4"><title>{i * width_min:g}-{(i + 1) * width_min:g} min: {count}</title></rect>'
            f'<text x="{x0 + bar / 2:.1f}" y="{bottom + 12}" font-size="9" text-anchor="middle">{i * width_min:g}'
            "</text>"
        )
        if count:
            parts.append(
                f'<text x="{x0 + bar / 2:.1f}" y="{bottom - h - 3:.1f}" font-size="9" text-anchor="middle">{count}'
                "</text>"
            )
    parts.append(f'<line x1="{LABEL}" y1="{bottom}" x2="{WIDTH - 10}" y2="{bottom}" stroke="#2e3436"/></svg>')
    return "".join(parts)


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    return f"{value:.3g}" if isinstance(value, float) else escape(str(value))


def render(data: dict[str, Any]) -> str:
    verdict = "PASS" if data["passed"] else "FAIL"
    failing = {(f["kind"], f["metric"]) for f in data["failures"]}
    metrics = [
        "recall",
        "precision",
        "latency_p50_minutes",
        "latency_p95_minutes",
        "start_error_seconds",
        "end_error_seconds",
    ]
    head = "".join(f"<th>{escape(m)}</th>" for m in ["kind", "detected", "reported", *metrics])
    rows = []
    for k in data["kinds"]:
        cells = [escape(k["kind"]), f"{k['matched']}/{k['truths']}", str(k["reports"])]
        cells += [
            f'<span class="{"bad" if (k["kind"], m) in failing else "ok"}">{_fmt(k[m])}</span>'
            + (f" / {data['thresholds'][m]:g}" if m in data["thresholds"] else "")
            for m in metrics
        ]
        rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    events = "".join(
        f"<tr><td>{escape(e['what'])}</td><td>{escape(e['wearer'])}</td><td>{escape(e['kind'])}</td>"
        f"<td>{escape(e['truth'])}</td><td>{escape(e['reported'])}</td><td>{escape(e['note'])}</td></tr>"
        for e in data["events"]
    )
    panels = "".join(
        f"<h3>{lo:%Y-%m-%d %H:%M} to {hi:%Y-%m-%d %H:%M} UTC</h3>{_timeline(data, (lo, hi))}"
        for lo, hi in _panels(data)
    )
    legend = "".join(
        f'<span><svg width="14" height="10"><rect width="14" height="10" fill="{c}"/></svg> truth: {escape(k)}</span>'
        for k, c in COLOURS.items()
    )
    legend += (
        '<span><svg width="14" height="10"><rect width="14" height="10" fill="#babdb6"/></svg> not a breach</span>'
        f'<span><svg width="14" height="10"><rect width="14" height="10" fill="{REPORTED}"/></svg> reported</span>'
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>simulate {escape(data["scenario"])}: {verdict}</title>
<style>
body {{ font-family: sans-serif; margin: 1.5em; color: #2e3436; }}
table {{ border-collapse: collapse; margin: 0.5em 0 1em; }}
td, th {{ border: 1px solid #d3d7cf; padding: 3px 8px; font-size: 13px; text-align: left; }}
.bad {{ color: #a40000; font-weight: bold; }} .ok {{ color: #4e9a06; }}
.verdict-PASS {{ color: #4e9a06; }} .verdict-FAIL {{ color: #a40000; }}
.legend span {{ margin-right: 1.2em; font-size: 12px; }}
svg {{ display: block; }} .legend svg {{ display: inline; vertical-align: middle; }}
</style></head><body>
<h1>simulate {escape(data["scenario"])}: <span id="verdict" class="verdict-{verdict}">{verdict}</span></h1>
<p>Seed {data["seed"]}, {data["wearers"]} wearer(s), {data["published"]} message(s) published, {data["received"]}
received, on {escape(data["bus"])} against {escape(data["supplier"])}. World {escape(data["world"][:16])}.</p>
<h2>Scores (value / threshold)</h2>
<table id="scores"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>
<h2>Missed, false, late and inexact events</h2>
<table id="events"><thead><tr><th>what</th><th>wearer</th><th>kind</th><th>truth</th><th>reported</th><th>note</th></tr>
</thead><tbody>{events or '<tr><td colspan="6">none</td></tr>'}</tbody></table>
<h2>Detection latency</h2>
{_histogram(list(data["latencies"]))}
<h2>Truth against reported, per wearer</h2>
<p class="legend">{legend}</p>
{panels}
</body></html>
"""
