"""The Pact Broker HTTP API subset the official Pact CLI uses, served from the gate store.

Covered: the index; pacticipants and versions (`describe-version`, branch versions the verifier creates);
`POST /contracts/publish` (`pact broker publish`); environments (list, create, describe); deployed
versions (`record-deployment`, `record-undeployment`, `describe-version --environment`); the matrix
(`can-i-deploy`, answered by harness.gate.decide, the same rule as `em-harness can-i-deploy`); pacts for
verification and verification results (`pact verifier --broker-url ... [--publish]`).

Every write goes through `Store.write()` and so into the evidence chain. Endpoints are sync functions:
Starlette runs them in its thread pool, so a database call never blocks the event loop.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from harness.errors import HarnessError
from harness.gate import decide, evidence, record
from harness.gate.models import (
    Deployment,
    Environment,
    PactContent,
    Pacticipant,
    PactPublication,
    Verification,
    Version,
)
from harness.gate.store import Store
from harness.gate.web import hal

HAL = "application/hal+json;charset=utf-8"


class Problem(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def reply(doc: Any, status: int = 200) -> JSONResponse:
    return JSONResponse(doc, status_code=status, media_type=HAL)


def problem(status: int, message: str) -> JSONResponse:
    return JSONResponse({"errors": [message]}, status_code=status, media_type="application/json")


def base_of(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def body_of(request_body: bytes) -> dict[str, Any]:
    if not request_body:
        return {}
    try:
        doc = json.loads(request_body)
    except ValueError:
        raise Problem(400, "the request body is not JSON") from None
    if not isinstance(doc, dict):
        raise Problem(400, "the request body must be a JSON object")
    return doc


class BrokerApi:
    def __init__(self, store: Store, signer: evidence.Signer | None) -> None:
        self.store = store
        self.signer = signer

    # -- plumbing --------------------------------------------------------------------------------
    def endpoint(self, fn: Callable[..., Response]) -> Callable[[Request], Any]:
        async def run(request: Request) -> Response:
            raw = await request.body()
            from starlette.concurrency import run_in_threadpool

            try:
                return await run_in_threadpool(fn, request, raw)
            except Problem as exc:
                return problem(exc.status, str(exc))
            except record.GateInputError as exc:
                return problem(404 if "not known" in str(exc) else 400, str(exc))
            except HarnessError as exc:
                return problem(503 if "store" in str(exc) else 400, str(exc))

        return run

    def routes(self) -> list[Route]:
        e = self.endpoint
        return [
            Route("/pacticipants", e(self.list_pacticipants), methods=["GET"]),
            Route("/pacticipants/{name}", e(self.get_pacticipant), methods=["GET"]),
            Route("/pacticipants/{name}/latest-version", e(self.latest_version), methods=["GET"]),
            Route("/pacticipants/{name}/latest-version/{tag}", e(self.latest_version), methods=["GET"]),
            Route("/pacticipants/{name}/versions/{number}", e(self.get_version), methods=["GET"]),
            Route(
                "/pacticipants/{name}/branches/{branch}/versions/{number}",
                e(self.put_branch_version),
                methods=["PUT"],
            ),
            Route(
                "/pacticipants/{name}/versions/{number}/deployed-versions/environment/{uuid}",
                e(self.post_deployment),
                methods=["POST"],
            ),
            Route("/contracts/publish", e(self.publish), methods=["POST"]),
            Route("/pacts/provider/{provider}/latest", e(self.latest_provider_pacts), methods=["GET"]),
            Route(
                "/pacts/provider/{provider}/for-verification",
                e(self.for_verification),
                methods=["GET", "POST"],
            ),
            Route(
                "/pacts/provider/{provider}/consumer/{consumer}/version/{number}",
                e(self.pact_for_version),
                methods=["GET"],
            ),
            Route(
                "/pacts/provider/{provider}/consumer/{consumer}/latest",
                e(self.latest_pact),
                methods=["GET"],
            ),
            Route(
                "/pacts/provider/{provider}/consumer/{consumer}/pact-version/{sha}",
                e(self.pact_version),
                methods=["GET"],
            ),
            Route(
                "/pacts/provider/{provider}/consumer/{consumer}/pact-version/{sha}/metadata/{meta}",
                e(self.pact_version),
                methods=["GET"],
            ),
            Route(
                "/pacts/provider/{provider}/consumer/{consumer}/pact-version/{sha}/verification-results",
                e(self.post_verification),
                methods=["POST"],
            ),
            Route(
                "/pacts/provider/{provider}/consumer/{consumer}/pact-version/{sha}/metadata/{meta}/verification-results",
                e(self.post_verification),
                methods=["POST"],
            ),
            Route("/verification-results/{vid:int}", e(self.get_verification), methods=["GET"]),
            Route("/matrix", e(self.matrix), methods=["GET"]),
            Route("/can-i-deploy", e(self.can_i_deploy), methods=["GET"]),
            Route("/environments", e(self.environments), methods=["GET", "POST"]),
            Route("/environments/{uuid}", e(self.get_environment), methods=["GET"]),
            Route(
                "/environments/{uuid}/deployed-versions/currently-deployed",
                e(self.currently_deployed),
                methods=["GET"],
            ),
            Route(
                "/environments/{uuid}/released-versions/currently-supported",
                e(self.currently_supported),
                methods=["GET"],
            ),
            Route("/deployed-versions/{uuid}", e(self.deployed_version), methods=["GET", "PATCH"]),
        ]

    # -- lookups -------------------------------------------------------------------------------------
    @staticmethod
    def _who(session: Session, name: str) -> Pacticipant:
        who = record.pacticipant(session, name, create=False)
        if who is None:
            raise Problem(404, f"no pacticipant named {name!r}")
        return who

    def _version(self, session: Session, name: str, number: str) -> Version:
        ver = record.version(session, self._who(session, name), number, create=False)
        if ver is None:
            raise Problem(404, f"no version {number!r} of {name!r}")
        return ver

    @staticmethod
    def _env(session: Session, env_uuid: str) -> Environment:
        env = session.execute(select(Environment).where(Environment.uuid == env_uuid)).scalar_one_or_none()
        if env is None:
            raise Problem(404, f"no environment with uuid {env_uuid!r}")
        return env

    @staticmethod
    def _content(session: Session, provider: str, consumer: str, sha: str) -> PactContent:
        content = session.execute(
            select(PactContent).where(PactContent.sha == "sha256:" + sha.removeprefix("sha256:"))
        ).scalar_one_or_none()
        if content is None or content.provider.name != provider or content.consumer.name != consumer:
            raise Problem(404, f"no pact between {consumer!r} and {provider!r} with content {sha}")
        return content

    @staticmethod
    def _envs(session: Session) -> list[Environment]:
        return list(session.execute(select(Environment).order_by(Environment.name)).scalars())

    def _version_doc(self, session: Session, base: str, ver: Version) -> dict[str, Any]:
        deployments = list(
            session.execute(select(Deployment).where(Deployment.version_id == ver.id).order_by(Deployment.id)).scalars()
        )
        return hal.version(base, ver, self._envs(session), deployments)

    # -- pacticipants and versions ----------------------------------------------------------------------
    def list_pacticipants(self, request: Request, _raw: bytes) -> Response:
        base = base_of(request)
        with self.store.read() as session:
            rows = session.execute(select(Pacticipant).order_by(Pacticipant.name)).scalars()
            doc = {
                "_embedded": {"pacticipants": [hal.pacticipant(base, p) for p in rows]},
                "_links": {"self": {"href": f"{base}/pacticipants"}},
            }
        return reply(doc)

    def get_pacticipant(self, request: Request, _raw: bytes) -> Response:
        with self.store.read() as session:
            return reply(hal.pacticipant(base_of(request), self._who(session, request.path_params["name"])))

    def get_version(self, request: Request, _raw: bytes) -> Response:
        p = request.path_params
        with self.store.read() as session:
            ver = self._version(session, p["name"], p["number"])
            return reply(self._version_doc(session, base_of(request), ver))

    def latest_version(self, request: Request, _raw: bytes) -> Response:
        p = request.path_params
        if "tag" in p:
            raise Problem(404, "the gate keeps branches, not tags: no version has a tag")
        with self.store.read() as session:
            who = self._who(session, p["name"])
            ver = session.execute(
                select(Version).where(Version.pacticipant_id == who.id).order_by(Version.id.desc()).limit(1)
            ).scalar_one_or_none()
            if ver is None:
                raise Problem(404, f"{p['name']!r} has no version")
            return reply(self._version_doc(session, base_of(request), ver))

    def put_branch_version(self, request: Request, _raw: bytes) -> Response:
        p = request.path_params
        with self.store.write() as (session, head):
            who = record.pacticipant(session, p["name"])
            assert who is not None
            existing = record.version(session, who, p["number"], create=False)
            ver = record.version(session, who, p["number"], p["branch"])
            assert ver is not None
            evidence.append(
                session,
                head,
                "version",
                {"pacticipant": p["name"], "version": p["number"], "branch": p["branch"], "source": "Pact Broker API"},
                self.signer,
            )
            doc = self._version_doc(session, base_of(request), ver)
        return reply(doc, 200 if existing else 201)

    # -- publishing -----------------------------------------------------------------------------------
    def publish(self, request: Request, raw: bytes) -> Response:
        body = body_of(raw)
        consumer = body.get("pacticipantName")
        number = body.get("pacticipantVersionNumber")
        if not isinstance(consumer, str) or not isinstance(number, str) or not consumer or not number:
            raise Problem(400, "pacticipantName and pacticipantVersionNumber are required")
        pacts = []
        for contract in body.get("contracts") or []:
            if contract.get("specification", "pact") != "pact":
                raise Problem(400, f"only pacts can be published here, not {contract.get('specification')!r}")
            try:
                doc = json.loads(base64.b64decode(contract.get("content") or "", validate=True))
            except (binascii.Error, ValueError):
                raise Problem(400, "a contract's content is not base64-encoded JSON") from None
            if not isinstance(doc, dict):
                raise Problem(400, "a contract's content is not a pact")
            for role, key in (("consumer", "consumerName"), ("provider", "providerName")):
                if contract.get(key) and record.party(doc, role) != contract.get(key):
                    raise Problem(400, f"{key} {contract.get(key)!r} is not the pact's {role}")
            pacts.append(doc)
        if not pacts:
            raise Problem(400, "no contracts to publish")
        base = base_of(request)
        with self.store.write() as (session, head):
            done = record.publish(
                session,
                head,
                self.signer,
                consumer=consumer,
                number=number,
                branch=body.get("branch") or None,
                pacts=pacts,
                source="Pact Broker API (contracts/publish)",
                build_url=body.get("buildUrl") or None,
            )
            ver_url = hal.version_url(base, consumer, number)
            contracts = []
            for provider, sha, _new in done.pacts:
                contracts.append(
                    {
                        "href": f"{base}/pacts/provider/{hal.q(provider)}/consumer/{hal.q(consumer)}"
                        f"/pact-version/{hal.sha_hex(sha)}",
                        "name": f"Pact between {consumer} ({number}) and {provider}",
                        "title": "Pact",
                    }
                )
            notices = [
                {
                    "type": "success",
                    "text": f"Pact published for {consumer} version {number} and provider {provider} "
                    f"(content {sha[:19]}..., {'new' if new else 'already known'}); evidence record "
                    f"{done.evidence.seq}",
                }
                for provider, sha, new in done.pacts
            ]
        doc = {
            "notices": notices,
            "logs": [
                {"level": n["type"], "message": n["text"], "deprecationWarning": "Replaced by notices"} for n in notices
            ],
            "_embedded": {
                "pacticipant": {"name": consumer, "_links": {"self": {"href": hal.pacticipant_url(base, consumer)}}},
                "version": {
                    "number": number,
                    "_links": {"self": {"href": ver_url, "name": number, "title": "Version"}},
                },
            },
            "_links": {
                "pb:pacticipant": {
                    "href": hal.pacticipant_url(base, consumer),
                    "name": consumer,
                    "title": "Pacticipant",
                },
                "pb:pacticipant-version": {"href": ver_url, "name": number, "title": "Pacticipant version"},
                "pb:pacticipant-version-tags": [],
                "pb:contracts": contracts,
            },
        }
        return reply(doc, 200)

    # -- pacts ------------------------------------------------------------------------------------------
    def pact_version(self, request: Request, _raw: bytes) -> Response:
        p = request.path_params
        with self.store.read() as session:
            content = self._content(session, p["provider"], p["consumer"], p["sha"])
            return reply(hal.pact(base_of(request), content))

    def pact_for_version(self, request: Request, _raw: bytes) -> Response:
        p = request.path_params
        with self.store.read() as session:
            ver = self._version(session, p["consumer"], p["number"])
            provider = self._who(session, p["provider"])
            pub = session.execute(
                select(PactPublication).where(
                    PactPublication.consumer_version_id == ver.id, PactPublication.provider_id == provider.id
                )
            ).scalar_one_or_none()
            if pub is None:
                raise Problem(404, f"{p['consumer']} {p['number']} published no pact with {p['provider']}")
            return reply(hal.pact(base_of(request), pub.pact_content, ver))

    def _publications(self, session: Session, provider: Pacticipant) -> list[tuple[PactPublication, Version, str]]:
        rows = session.execute(
            select(PactPublication, Version, Pacticipant.name)
            .join(Version, PactPublication.consumer_version_id == Version.id)
            .join(Pacticipant, Version.pacticipant_id == Pacticipant.id)
            .where(PactPublication.provider_id == provider.id)
            .order_by(Version.id)
        ).all()
        return [(pub, ver, name) for pub, ver, name in rows]

    def latest_pact(self, request: Request, _raw: bytes) -> Response:
        p = request.path_params
        with self.store.read() as session:
            provider = self._who(session, p["provider"])
            mine = [(pub, ver) for pub, ver, name in self._publications(session, provider) if name == p["consumer"]]
            if not mine:
                raise Problem(404, f"{p['consumer']} published no pact with {p['provider']}")
            pub, ver = mine[-1]
            return reply(hal.pact(base_of(request), pub.pact_content, ver))

    def latest_provider_pacts(self, request: Request, _raw: bytes) -> Response:
        base = base_of(request)
        with self.store.read() as session:
            provider = self._who(session, request.path_params["provider"])
            latest: dict[str, tuple[PactPublication, Version]] = {}
            for pub, ver, name in self._publications(session, provider):
                latest[name] = (pub, ver)
            pacts = [
                {
                    "href": hal.pact_url(base, pub.pact_content),
                    "name": f"Pact between {name} ({ver.number}) and {provider.name}",
                }
                for name, (pub, ver) in sorted(latest.items())
            ]
        return reply(
            {"_links": {"self": {"href": f"{base}/pacts/provider/{hal.q(provider.name)}/latest"}, "pacts": pacts}}
        )

    def for_verification(self, request: Request, raw: bytes) -> Response:
        base = base_of(request)
        provider_name = request.path_params["provider"]
        url = f"{base}/pacts/provider/{hal.q(provider_name)}/for-verification"
        if request.method == "GET":
            return reply({"_links": {"self": {"href": url, "title": "Pacts to be verified"}}})
        body = body_of(raw)
        selectors = body.get("consumerVersionSelectors") or [{}]
        branch = body.get("providerVersionBranch") or None
        with self.store.read() as session:
            provider = self._who(session, provider_name)
            chosen: dict[str, tuple[PactContent, list[str]]] = {}
            pubs = self._publications(session, provider)
            for selector in selectors:
                for pub, ver, name in self._select(session, pubs, selector, branch):
                    content = pub.pact_content
                    why = f"{name} {ver.number}" + (f" (branch {ver.branch})" if ver.branch else "")
                    chosen.setdefault(content.sha, (content, []))[1].append(why)
            pacts = []
            for content, why in chosen.values():
                pending = record.is_pending(session, content, provider, branch)
                notices = [
                    {
                        "when": "before_verification",
                        "text": f"The pact at {hal.pact_url(base, content)} is being verified because it "
                        f"matches: {', '.join(why)}",
                    },
                    {
                        "when": "before_verification",
                        "text": "This pact is in pending state: it has never passed for this provider, so a failure "
                        "will not fail the build, but it blocks can-i-deploy"
                        if pending
                        else "This pact is not pending: it has passed for this provider before, so a failure "
                        "fails the build",
                    },
                ]
                entry: dict[str, Any] = {
                    "shortDescription": ", ".join(why),
                    "verificationProperties": {"notices": notices},
                    "_links": {
                        "self": {
                            "href": hal.pact_url(base, content),
                            "name": f"Pact between {content.consumer.name} and {provider.name}",
                        }
                    },
                }
                if body.get("includePendingStatus"):
                    entry["verificationProperties"]["pending"] = pending
                pacts.append(entry)
        return reply(
            {"_embedded": {"pacts": pacts}, "_links": {"self": {"href": url, "title": "Pacts to be verified"}}}
        )

    @staticmethod
    def _select(
        session: Session, pubs: list[tuple[PactPublication, Version, str]], selector: dict[str, Any], branch: str | None
    ) -> list[tuple[PactPublication, Version, str]]:
        """The publications a consumer version selector picks (latest per consumer unless deployed)."""
        rows = pubs
        if selector.get("consumer"):
            rows = [r for r in rows if r[2] == selector["consumer"]]
        if selector.get("tag") or selector.get("fallbackTag"):
            return []  # the gate keeps branches, not tags
        if selector.get("branch"):
            rows = [r for r in rows if r[1].branch == selector["branch"]]
        if selector.get("matchingBranch"):
            rows = [r for r in rows if branch and r[1].branch == branch]
        if selector.get("mainBranch"):
            rows = [r for r in rows if r[1].branch and r[1].branch == (r[1].pacticipant.main_branch or "main")]
        if selector.get("deployed") or selector.get("deployedOrReleased") or selector.get("environment"):
            q = select(Deployment.version_id).where(Deployment.undeployed_at.is_(None))
            if selector.get("environment"):
                q = q.join(Environment).where(Environment.name == selector["environment"])
            live = set(session.execute(q).scalars())
            return [r for r in rows if r[1].id in live]
        if selector.get("latest") is False:
            return rows
        latest: dict[str, tuple[PactPublication, Version, str]] = {}
        for r in rows:
            latest[r[2]] = r
        return list(latest.values())

    # -- verification results ------------------------------------------------------------------------------
    def post_verification(self, request: Request, raw: bytes) -> Response:
        p = request.path_params
        body = body_of(raw)
        number = body.get("providerApplicationVersion")
        success = body.get("success")
        if not isinstance(number, str) or not number or not isinstance(success, bool):
            raise Problem(400, "providerApplicationVersion (string) and success (boolean) are required")
        base = base_of(request)
        with self.store.write() as (session, head):
            content = self._content(session, p["provider"], p["consumer"], p["sha"])
            pact = json.loads(content.content)
            interactions = from_test_results(pact, body.get("testResults") or [], success, p["consumer"])
            verified_by = body.get("verifiedBy") or {}
            tool = " ".join(str(verified_by.get(k, "")) for k in ("implementation", "version")).strip() or "unknown"
            done = record.record_verification(
                session,
                head,
                self.signer,
                provider=p["provider"],
                number=number,
                branch=None,
                pacts=[pact],
                interactions=interactions,
                context={
                    "tool": f"pact verifier ({tool})",
                    "buildUrl": body.get("buildUrl"),
                    "bus": None,
                    "testResults": results_without_text(body.get("testResults") or []),
                },
                source="pact verifier",
            )
            vid = session.execute(
                select(func.max(Verification.id)).where(Verification.evidence_seq == done.evidence.seq)
            ).scalar_one()
            doc = {
                "providerName": p["provider"],
                "providerApplicationVersion": number,
                "success": done.pacts[0].success,
                "pending": done.pacts[0].pending,
                "evidenceRecord": done.evidence.seq,
                "_links": {"self": {"href": hal.verification_url(base, vid), "title": "Verification result"}},
            }
        return reply(doc, 201)

    def get_verification(self, request: Request, _raw: bytes) -> Response:
        with self.store.read() as session:
            v = session.get(Verification, request.path_params["vid"])
            if v is None:
                raise Problem(404, "no such verification result")
            return reply(hal.verification(base_of(request), v))

    # -- the matrix and can-i-deploy --------------------------------------------------------------------------
    def matrix(self, request: Request, _raw: bytes) -> Response:
        selectors: list[dict[str, str]] = []
        for key, value in request.query_params.multi_items():
            if key.startswith("q[]["):
                field = key[4:-1]
                if field == "pacticipant" or not selectors:
                    selectors.append({})
                selectors[-1][field] = value
        env = request.query_params.get("environment")
        if request.query_params.get("tag"):
            raise Problem(400, "the gate decides by environment (--to-environment), not by tag (--to)")
        return self._decide(request, selectors, env)

    def can_i_deploy(self, request: Request, _raw: bytes) -> Response:
        qp = request.query_params
        selector = {"pacticipant": qp.get("pacticipant", ""), "version": qp.get("version", "")}
        return self._decide(request, [selector], qp.get("environment"))

    def _decide(self, request: Request, selectors: list[dict[str, str]], env: str | None) -> Response:
        base = base_of(request)
        with self.store.read() as session:
            resolved = [self._resolve(session, s) for s in selectors]
            if env and len(resolved) == 1:
                name, number = resolved[0]
                try:
                    d = decide.can_i_deploy(session, name, number, env)
                except HarnessError as exc:
                    raise Problem(400, str(exc)) from None
                return reply(hal.decision(base, d))
            if not env and len(resolved) == 2:
                lines = decide.between(session, resolved[0], resolved[1])
                reasons = decide.reasons_for(session, lines)
                if not lines:
                    reasons = [f"{a[0]} {a[1]} and {b[0]} {b[1]} have no pact with each other" for a, b in [resolved]]
                return reply(hal.matrix(base, lines, not reasons and bool(lines), reasons, []))
        raise Problem(
            400,
            "the gate answers can-i-deploy for one version to an environment (--to-environment), "
            "or between two given versions",
        )

    def _resolve(self, session: Session, selector: dict[str, str]) -> tuple[str, str]:
        name = selector.get("pacticipant") or ""
        if not name:
            raise Problem(400, "each selector needs a pacticipant")
        if selector.get("version"):
            return name, selector["version"]
        if selector.get("latest") == "true" or selector.get("branch"):
            who = self._who(session, name)
            q = select(Version).where(Version.pacticipant_id == who.id)
            if selector.get("branch"):
                q = q.where(Version.branch == selector["branch"])
            ver = session.execute(q.order_by(Version.id.desc()).limit(1)).scalar_one_or_none()
            if ver is None:
                raise Problem(400, f"no version of {name} matches {selector}")
            return name, ver.number
        raise Problem(400, f"give a version for {name} (--version)")

    # -- environments and deployments -------------------------------------------------------------------
    def environments(self, request: Request, raw: bytes) -> Response:
        base = base_of(request)
        if request.method == "GET":
            with self.store.read() as session:
                return reply(hal.environments(base, self._envs(session)))
        body = body_of(raw)
        name = body.get("name")
        if not isinstance(name, str) or not name:
            raise Problem(400, "an environment needs a name")
        with self.store.write() as (session, head):
            if record.environment(session, name) is not None:
                raise Problem(409, f"environment {name!r} exists already")
            env = record.create_environment(
                session, head, self.signer, name, body.get("displayName") or None, bool(body.get("production"))
            )
            doc = hal.environment(base, env)
        return reply(doc, 201)

    def get_environment(self, request: Request, _raw: bytes) -> Response:
        with self.store.read() as session:
            return reply(hal.environment(base_of(request), self._env(session, request.path_params["uuid"])))

    def currently_deployed(self, request: Request, _raw: bytes) -> Response:
        base = base_of(request)
        name = request.query_params.get("pacticipant")
        with self.store.read() as session:
            env = self._env(session, request.path_params["uuid"])
            rows = record.current_deployments(session, env, name)
            doc = {
                "_embedded": {"deployedVersions": [hal.deployed_version(base, d) for d in rows]},
                "_links": {
                    "self": {
                        "href": str(request.url),
                        "title": f"Currently deployed versions for {env.display_name}",
                    }
                },
            }
        return reply(doc)

    def currently_supported(self, request: Request, _raw: bytes) -> Response:
        with self.store.read() as session:
            self._env(session, request.path_params["uuid"])
        return reply({"_embedded": {"releasedVersions": []}, "_links": {"self": {"href": str(request.url)}}})

    def post_deployment(self, request: Request, raw: bytes) -> Response:
        p = request.path_params
        body = body_of(raw)
        instance = body.get("applicationInstance") or body.get("target") or None
        with self.store.write() as (session, head):
            env = self._env(session, p["uuid"])
            self._version(session, p["name"], p["number"])
            dep = record.record_deployment(
                session,
                head,
                self.signer,
                name=p["name"],
                number=p["number"],
                env=env,
                instance=instance,
                source="Pact Broker API (record-deployment)",
            )
            doc = hal.deployed_version(base_of(request), dep)
        return reply(doc, 201)

    def deployed_version(self, request: Request, raw: bytes) -> Response:
        base = base_of(request)
        uuid = request.path_params["uuid"]
        if request.method == "GET":
            with self.store.read() as session:
                dep = self._deployment(session, uuid)
                return reply(hal.deployed_version(base, dep))
        body = body_of(raw)
        if body.get("currentlyDeployed") is not False:
            raise Problem(400, 'only {"currentlyDeployed": false} (an undeployment) can be patched')
        with self.store.write() as (session, head):
            dep = self._deployment(session, uuid)
            if dep.undeployed_at is None:
                record.record_undeployment(
                    session, head, self.signer, deployments=[dep], source="Pact Broker API (record-undeployment)"
                )
                session.refresh(dep)
            doc = hal.deployed_version(base, dep)
        return reply(doc)

    @staticmethod
    def _deployment(session: Session, uuid: str) -> Deployment:
        dep = session.execute(select(Deployment).where(Deployment.uuid == uuid)).scalar_one_or_none()
        if dep is None:
            raise Problem(404, f"no deployed version {uuid!r}")
        return dep


def results_without_text(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The verifier's testResults as evidence keeps them: which interaction, passed or not, where it broke."""
    return [
        {
            "interactionId": r.get("interactionId"),
            "interactionDescription": r.get("interactionDescription"),
            "success": r.get("success"),
            "mismatches": [
                {"attribute": m.get("attribute"), "identifier": m.get("identifier")} for m in r.get("mismatches") or []
            ],
            "exceptions": len(r.get("exceptions") or []),
        }
        for r in results
        if isinstance(r, dict)
    ]


def from_test_results(
    pact: dict[str, Any], results: list[dict[str, Any]], success: bool, consumer: str
) -> list[dict[str, Any]]:
    """Interactions in verify's shape from a Pact verifier's testResults.

    The verifier's mismatch texts can quote the values it received, and no schema is at hand to say which
    are personal, so only where each mismatch is (attribute and path) is kept, never its text."""
    keys = {hal.interaction_key(it) for it in pact.get("interactions", []) or []}
    by_id = {str(r.get("interactionId")): r for r in results if r.get("interactionId")}
    # The verifier names a failed interaction by description too, a passed one by its key alone.
    by_description = {str(r.get("interactionDescription")): r for r in results if r.get("interactionDescription")}
    unplaced_failure = any(
        not r.get("success") and not r.get("interactionDescription") and str(r.get("interactionId")) not in keys
        for r in results
    )
    out = []
    for it in pact.get("interactions", []) or []:
        description = str(it.get("description"))
        result = by_id.get(hal.interaction_key(it)) or by_description.get(description)
        passed = bool(result.get("success")) if result is not None else not unplaced_failure
        failures = []
        for m in (result or {}).get("mismatches", []) or []:
            where = str(m.get("identifier") or "")
            failures.append(
                {
                    "path": where,
                    "expected": "",
                    "actual": "",
                    "message": f"{m.get('attribute', 'body')} mismatch{' at ' + where if where else ''} "
                    "(the verifier's text is not kept: it may quote personal data)",
                }
            )
        failures.extend(
            {"path": "", "expected": "", "actual": "", "message": "the verifier reported an error"}
            for _ in (result or {}).get("exceptions", []) or []
        )
        if not passed and not failures:
            failures.append(
                {"path": "", "expected": "", "actual": "", "message": "the Pact verifier reported a failure"}
            )
        out.append(
            {
                "key": f"{consumer} / {description}",
                "consumer": consumer,
                "description": description,
                "passed": passed,
                "pending": bool(it.get("pending", False)),
                "checks": [{"check": "pact", "passed": passed, "skipped": None, "pending": None, "failures": failures}],
                "stimuli": [],
                "captured": None,
            }
        )
    if not success and all(i["passed"] for i in out):
        for i in out:
            i["passed"] = False
            i["checks"][0]["passed"] = False
            i["checks"][0]["failures"] = [
                {"path": "", "expected": "", "actual": "", "message": "the Pact verifier reported the pact as failed"}
            ]
    return out
