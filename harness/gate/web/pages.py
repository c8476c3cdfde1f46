"""The read-only web pages: the matrix, a verification, an interaction's evidence, an evidence record.

Plain server-rendered HTML with one inline stylesheet: no script, no framework, nothing fetched from
anywhere else (a Content-Security-Policy says so to the browser). Every value shown is escaped.
Messages are shown as the evidence holds them: personal values already redacted.
"""

from __future__ import annotations

import html
import json
from collections import defaultdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from harness.gate.evidence import payload_of, stamp
from harness.gate.models import (
    Deployment,
    Environment,
    Evidence,
    PactContent,
    Pacticipant,
    PactPublication,
    Verification,
    Version,
)
from harness.gate.store import Store

LIMIT = 300
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'none'; base-uri 'none'"
STYLE = """
body{font-family:system-ui,sans-serif;margin:1.5em 2em;color:#1b1b1b}
h1{font-size:1.5em}h2{font-size:1.15em;margin-top:1.6em}
table{border-collapse:collapse;margin:.5em 0}th,td{padding:4px 10px;border-bottom:1px solid #ddd;text-align:left;vertical-align:top}
th{background:#f3f2f1}a{color:#1d70b8}code,pre{font-family:ui-monospace,monospace;font-size:12px}
pre{background:#f8f8f8;border:1px solid #ddd;padding:8px;overflow:auto;max-width:100%}
.pass{background:#cce2d8;color:#005a30;font-weight:600}.fail{background:#f4cdc6;color:#942514;font-weight:600}
.pending{background:#fff7bf;color:#594d00;font-weight:600}.never{background:#eee;color:#505a5f}
.env{display:inline-block;background:#d2e2f1;border-radius:3px;padding:0 5px;margin:1px;font-size:12px}
nav a{margin-right:1em}.muted{color:#505a5f}
"""


def esc(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def page(title: str, body: str, status: int = 200) -> HTMLResponse:
    doc = f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{esc(title)}</title>
<meta name="viewport" content="width=device-width,initial-scale=1"><style>{STYLE}</style></head><body>
<nav><a href="/ui">Matrix</a><a href="/ui#environments">Environments</a><a href="/ui#pacticipants">Pacticipants</a></nav>
{body}
<p class="muted">em-harness gate: read-only. Personal values are shown as they are stored: redacted.</p>
</body></html>"""
    return HTMLResponse(doc, status_code=status, headers={"Content-Security-Policy": CSP})


def status_of(v: Verification | None) -> str:
    if v is None:
        return "never verified"
    if v.success:
        return "pass"
    return "pending" if v.pending else "fail"


def badge(status: str, href: str | None = None) -> str:
    css = {"pass": "pass", "fail": "fail", "pending": "pending"}.get(status, "never")
    label = "pending: failed" if status == "pending" else status
    inner = f'<a href="{esc(href)}">{esc(label)}</a>' if href else esc(label)
    return f'<td class="{css}" data-status="{esc(status)}">{inner}</td>'


def _deployed(session: Session) -> dict[int, list[str]]:
    out: dict[int, list[str]] = defaultdict(list)
    for dep, env in session.execute(
        select(Deployment, Environment).join(Environment).where(Deployment.undeployed_at.is_(None))
    ):
        out[dep.version_id].append(env.name)
    return out


def _envs(names: list[str]) -> str:
    return "".join(f'<span class="env">{esc(n)}</span>' for n in sorted(names))


def matrix_page(store: Store) -> Response:
    with store.read() as session:
        deployed = _deployed(session)
        lines = []
        verified_contents: set[int] = set()
        for v in session.execute(select(Verification).order_by(Verification.id.desc()).limit(LIMIT)).scalars():
            verified_contents.add(v.pact_content_id)
            pubs = session.execute(
                select(PactPublication, Version)
                .join(Version, PactPublication.consumer_version_id == Version.id)
                .where(PactPublication.pact_content_id == v.pact_content_id)
                .order_by(Version.id.desc())
                .limit(5)
            ).all()
            consumer_versions = [(ver.number, ver.id) for _, ver in pubs] or [("(not published)", None)]
            pv = v.provider_version
            for cnum, cid in consumer_versions:
                lines.append(
                    (
                        v.pact_content.consumer.name,
                        cnum,
                        deployed.get(cid, []) if cid else [],
                        pv.pacticipant.name,
                        pv.number,
                        deployed.get(pv.id, []),
                        v.pact_content.sha,
                        status_of(v),
                        f"/ui/verifications/{v.id}",
                    )
                )
        never = session.execute(
            select(PactPublication, Version, PactContent)
            .join(Version, PactPublication.consumer_version_id == Version.id)
            .join(PactContent, PactPublication.pact_content_id == PactContent.id)
            .where(PactContent.id.not_in(select(Verification.pact_content_id).distinct()))
            .order_by(PactPublication.id.desc())
            .limit(LIMIT)
        ).all()
        for _pub, ver, content in never:
            lines.append(
                (
                    content.consumer.name,
                    ver.number,
                    deployed.get(ver.id, []),
                    content.provider.name,
                    "-",
                    [],
                    content.sha,
                    "never verified",
                    None,
                )
            )
        envs = list(session.execute(select(Environment).order_by(Environment.name)).scalars())
        env_rows = []
        for env in envs:
            live = session.execute(
                select(Pacticipant.name, Version.number)
                .select_from(Deployment)
                .join(Version, Deployment.version_id == Version.id)
                .join(Pacticipant, Version.pacticipant_id == Pacticipant.id)
                .where(Deployment.environment_id == env.id, Deployment.undeployed_at.is_(None))
                .order_by(Pacticipant.name)
            ).all()
            items = (
                ", ".join(f"{esc(n)} {esc(num)}" for n, num in live) or '<span class="muted">nothing deployed</span>'
            )
            env_rows.append(
                f"<tr><td>{esc(env.name)}{' (production)' if env.production else ''}</td><td>{items}</td></tr>"
            )
        people = session.execute(select(Pacticipant).order_by(Pacticipant.name)).scalars().all()
        who_rows = []
        for p in people:
            versions = session.execute(
                select(Version).where(Version.pacticipant_id == p.id).order_by(Version.id.desc()).limit(8)
            ).scalars()
            shown = ", ".join(
                f"{esc(v.number)}{' [' + esc(v.branch) + ']' if v.branch else ''}{_envs(deployed.get(v.id, []))}"
                for v in versions
            )
            who_rows.append(f"<tr><td>{esc(p.name)}</td><td>{shown}</td></tr>")
    rows = "".join(
        f"<tr><td>{esc(c)}</td><td>{esc(cv)}{_envs(ce)}</td><td>{esc(pr)}</td><td>{esc(pv)}{_envs(pe)}</td>"
        f"<td><code>{esc(sha[:19])}...</code></td>{badge(st, href)}</tr>"
        for c, cv, ce, pr, pv, pe, sha, st, href in lines
    )
    body = f"""<h1>The matrix</h1>
<p>Each row: a consumer version's pact, and a provider version's verification of it (latest {LIMIT}).
Click a result for its evidence.</p>
<table id="matrix"><thead><tr><th>consumer</th><th>consumer version</th><th>provider</th><th>provider version</th>
<th>pact</th><th>result</th></tr></thead><tbody>{rows or '<tr><td colspan="6">nothing published yet</td></tr>'}</tbody></table>
<h2 id="environments">Environments</h2><table><tr><th>environment</th><th>deployed now</th></tr>{"".join(env_rows)}</table>
<h2 id="pacticipants">Pacticipants</h2><table><tr><th>name</th><th>latest versions (and where deployed)</th></tr>{"".join(who_rows)}</table>"""
    return page("em-harness gate: matrix", body)


def _payload_interactions(session: Session, v: Verification) -> list[dict[str, Any]]:
    rec = session.get(Evidence, v.evidence_seq)
    if rec is None:
        return []
    consumer = v.pact_content.consumer.name
    return [i for i in payload_of(rec).get("interactions", []) if i.get("consumer") == consumer]


def verification_page(store: Store, vid: int) -> Response:
    with store.read() as session:
        v = session.get(Verification, vid)
        if v is None:
            return page("not found", "<h1>No such verification</h1>", 404)
        pv = v.provider_version
        items = _payload_interactions(session, v)
        rows = []
        for n, it in enumerate(items):
            checks = "".join(
                badge("pass" if c.get("passed") else ("never verified" if c.get("skipped") else "fail")).replace(
                    "</td>", f" {esc(c.get('check'))}</td>"
                )
                for c in it.get("checks", [])
            )
            status = "pass" if it.get("passed") else ("pending" if v.pending else "fail")
            rows.append(
                f'<tr><td><a href="/ui/verifications/{vid}/interactions/{n}">{esc(it.get("description"))}</a></td>'
                f"{badge(status, f'/ui/verifications/{vid}/interactions/{n}')}{checks}</tr>"
            )
        consumers = (
            session.execute(
                select(Version.number)
                .join(PactPublication, PactPublication.consumer_version_id == Version.id)
                .where(PactPublication.pact_content_id == v.pact_content_id)
                .order_by(Version.id)
            )
            .scalars()
            .all()
        )
        body = f"""<h1>{esc(pv.pacticipant.name)} {esc(pv.number)} verifying the pact of {esc(v.pact_content.consumer.name)}</h1>
<table>
<tr><th>result</th>{badge(status_of(v))}</tr>
<tr><th>pending</th><td>{"yes: this pact had never passed for the provider" if v.pending else "no"}</td></tr>
<tr><th>pact</th><td><code>{esc(v.pact_content.sha)}</code> (consumer versions: {esc(", ".join(consumers) or "not published")})</td></tr>
<tr><th>contract-set hash</th><td><code>{esc(v.contract_set_hash or "-")}</code> (catalogue {esc(v.catalogue_version or "-")})</td></tr>
<tr><th>bus</th><td>{esc(v.bus or "-")}</td></tr><tr><th>tool</th><td>{esc(v.tool_version or "-")} ({esc(v.source)})</td></tr>
<tr><th>when</th><td>{esc(stamp(v.executed_at))}</td></tr>
<tr><th>evidence</th><td><a href="/ui/evidence/{v.evidence_seq}">record {v.evidence_seq}</a></td></tr>
</table>
<h2>Interactions</h2><table id="interactions"><tr><th>interaction</th><th>result</th><th colspan="9">checks</th></tr>{"".join(rows)}</table>"""
    return page(f"verification {vid}", body)


def _pretty(value: Any) -> str:
    return f"<pre>{esc(json.dumps(value, indent=2, ensure_ascii=False))}</pre>"


def interaction_page(store: Store, vid: int, n: int) -> Response:
    with store.read() as session:
        v = session.get(Verification, vid)
        items = _payload_interactions(session, v) if v is not None else []
        if v is None or not 0 <= n < len(items):
            return page("not found", "<h1>No such interaction</h1>", 404)
        it = items[n]
        pv = v.provider_version
        checks = []
        for c in it.get("checks", []):
            status = "pass" if c.get("passed") else ("never verified" if c.get("skipped") else "fail")
            fails = "".join(
                f"<li><code>{esc(f.get('path') or '/')}</code>: {esc(f.get('message'))} "
                f"(expected {esc(f.get('expected'))}, got {esc(f.get('actual'))})</li>"
                for f in c.get("failures", []) or []
            )
            skipped = f'<span class="muted">skipped: {esc(c.get("skipped"))}</span>' if c.get("skipped") else ""
            checks.append(f"<tr><td>{esc(c.get('check'))}</td>{badge(status)}<td>{skipped}<ul>{fails}</ul></td></tr>")
        stimuli = "".join(
            f"<h3>stimulus on <code>{esc(s.get('channel'))}</code></h3>{_pretty(s.get('body'))}"
            for s in it.get("stimuli", []) or []
        )
        captured = it.get("captured")
        captured_html = (
            f"<p>on <code>{esc(captured.get('channel'))}</code>, headers {esc(json.dumps(captured.get('headers')))}"
            f"</p>{_pretty(captured.get('body'))}"
            if captured
            else '<p class="muted">no message was captured</p>'
        )
        states = ", ".join(esc(s.get("name")) for s in it.get("states", []) or [])
        body = f"""<h1>{esc(it.get("key"))}</h1>
<p>{esc(pv.pacticipant.name)} {esc(pv.number)}: <a href="/ui/verifications/{vid}">verification {vid}</a>,
<a href="/ui/evidence/{v.evidence_seq}">evidence record {v.evidence_seq}</a>. Provider state: {states or "-"}.
Expected <code>{esc(it.get("eventType"))}</code> on <code>{esc(it.get("channel"))}</code> within {esc(it.get("deadlineSeconds"))} s.</p>
<h2>Checks</h2><table id="checks"><tr><th>check</th><th>result</th><th>what broke</th></tr>{"".join(checks)}</table>
<h2>Captured message</h2><div id="captured">{captured_html}</div>
<h2>Stimuli sent</h2>{stimuli or '<p class="muted">none</p>'}"""
    return page(str(it.get("key")), body)


def evidence_page(store: Store, seq: int) -> Response:
    with store.read() as session:
        rec = session.get(Evidence, seq)
        if rec is None:
            return page("not found", "<h1>No such evidence record</h1>", 404)
        body = f"""<h1>Evidence record {rec.seq} ({esc(rec.kind)})</h1>
<table><tr><th>hash</th><td><code>{esc(rec.hash)}</code></td></tr>
<tr><th>previous</th><td><code>{esc(rec.prev_hash)}</code>{f' (<a href="/ui/evidence/{rec.seq - 1}">record {rec.seq - 1}</a>)' if rec.seq > 1 else ""}</td></tr>
<tr><th>signature</th><td><code>{esc(rec.signature or "not signed")}</code></td></tr>
<tr><th>key</th><td><code>{esc(rec.key_id or "-")}</code></td></tr></table>
<h2>Payload</h2>{_pretty(payload_of(rec))}"""
    return page(f"evidence record {seq}", body)


def routes(store: Store) -> list[Route]:
    from starlette.concurrency import run_in_threadpool

    async def ui(_request: Request) -> Response:
        return await run_in_threadpool(matrix_page, store)

    async def verification(request: Request) -> Response:
        return await run_in_threadpool(verification_page, store, request.path_params["vid"])

    async def interaction(request: Request) -> Response:
        p = request.path_params
        return await run_in_threadpool(interaction_page, store, p["vid"], p["n"])

    async def record(request: Request) -> Response:
        return await run_in_threadpool(evidence_page, store, request.path_params["seq"])

    return [
        Route("/ui", ui, methods=["GET"]),
        Route("/ui/verifications/{vid:int}", verification, methods=["GET"]),
        Route("/ui/verifications/{vid:int}/interactions/{n:int}", interaction, methods=["GET"]),
        Route("/ui/evidence/{seq:int}", record, methods=["GET"]),
    ]
