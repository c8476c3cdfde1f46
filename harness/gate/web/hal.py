"""The JSON shapes of the Pact Broker's HAL resources, built from the gate's rows.

Field names, link relations and nesting follow the Pact Broker (pact-foundation/pact_broker's
decorators), because the official Pact CLI (`pact broker ...`, `pact verifier --broker-url`) navigates
by those relations and reads those fields.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from harness.gate.decide import Decision, Line
from harness.gate.evidence import canonical, sha256, stamp
from harness.gate.models import Deployment, Environment, PactContent, Pacticipant, Verification, Version

PB_CURIES = [{"name": "pb", "href": "{base}/doc/{rel}?context=index", "templated": True}]


def q(text: str) -> str:
    return quote(text, safe="")


def sha_hex(sha: str) -> str:
    return sha.removeprefix("sha256:")


def pacticipant_url(base: str, name: str) -> str:
    return f"{base}/pacticipants/{q(name)}"


def version_url(base: str, name: str, number: str) -> str:
    return f"{pacticipant_url(base, name)}/versions/{q(number)}"


def environment_url(base: str, env: Environment) -> str:
    return f"{base}/environments/{env.uuid}"


def pact_url(base: str, content: PactContent) -> str:
    return (
        f"{base}/pacts/provider/{q(content.provider.name)}/consumer/{q(content.consumer.name)}"
        f"/pact-version/{sha_hex(content.sha)}"
    )


def verification_url(base: str, verification_id: int) -> str:
    return f"{base}/verification-results/{verification_id}"


def index(base: str) -> dict[str, Any]:
    def link(path: str, title: str, templated: bool = False) -> dict[str, Any]:
        return {"href": base + path, "title": title, "templated": templated}

    return {
        "_links": {
            "self": link("", "Index"),
            "pb:publish-contracts": link("/contracts/publish", "Publish contracts"),
            "pb:pacticipants": link("/pacticipants", "Pacticipants"),
            "pb:pacticipant": link("/pacticipants/{pacticipant}", "Fetch pacticipant by name", True),
            "pb:pacticipant-version": link(
                "/pacticipants/{pacticipant}/versions/{version}", "Get a pacticipant version", True
            ),
            "pb:latest-version": link("/pacticipants/{pacticipant}/latest-version", "Latest pacticipant version", True),
            "pb:latest-tagged-version": link(
                "/pacticipants/{pacticipant}/latest-version/{tag}", "Latest pacticipant version with a tag", True
            ),
            "pb:latest-provider-pacts": link("/pacts/provider/{provider}/latest", "Latest pacts by provider", True),
            "pb:provider-pacts-for-verification": link(
                "/pacts/provider/{provider}/for-verification", "Pact versions to be verified for the provider", True
            ),
            "pb:environments": link("/environments", "Environments"),
            "pb:environment": link("/environments/{uuid}", "Environment", True),
            "pb:can-i-deploy-pacticipant-version-to-environment": link(
                "/can-i-deploy?pacticipant={pacticipant}&version={version}&environment={environment}",
                "Determine if an application version can be safely deployed to an environment",
                True,
            ),
            "curies": [{"name": "pb", "href": base + "/doc/{rel}?context=index", "templated": True}],
        }
    }


def pacticipant(base: str, who: Pacticipant) -> dict[str, Any]:
    url = pacticipant_url(base, who.name)
    return {
        "name": who.name,
        "displayName": who.name,
        "mainBranch": who.main_branch,
        "createdAt": stamp(who.created_at),
        "_links": {
            "self": {"href": url, "title": "Pacticipant", "name": who.name},
            "pb:versions": {"href": f"{url}/versions", "title": "Versions"},
            "pb:version": {"href": f"{url}/versions/{{version}}", "title": "Version", "templated": True},
            "pb:latest-version": {"href": f"{url}/latest-version", "title": "Latest version"},
            "pb:branch-version": {
                "href": f"{url}/branches/{{branch}}/versions/{{version}}",
                "title": "Get or add/create a version for a branch",
                "templated": True,
            },
            "pb:version-tag": {
                "href": f"{url}/versions/{{version}}/tags/{{tag}}",
                "title": "Get, create or delete a tag for a version",
                "templated": True,
            },
        },
    }


def version(
    base: str,
    ver: Version,
    environments: list[Environment],
    deployments: list[Deployment],
) -> dict[str, Any]:
    name = ver.pacticipant.name
    url = version_url(base, name, ver.number)
    branch_versions = (
        [
            {
                "name": ver.branch,
                "latest": True,
                "_links": {"self": {"href": f"{pacticipant_url(base, name)}/branches/{q(ver.branch)}"}},
            }
        ]
        if ver.branch
        else []
    )
    return {
        "number": ver.number,
        "branch": ver.branch,
        "buildUrl": ver.build_url,
        "createdAt": stamp(ver.created_at),
        "_embedded": {"tags": [], "branchVersions": branch_versions, "branches": branch_versions},
        "_links": {
            "self": {"title": "Version", "name": ver.number, "href": url},
            "pb:pacticipant": {"title": "Pacticipant", "name": name, "href": pacticipant_url(base, name)},
            "pb:record-deployment": [
                {
                    "title": f"Record deployment to {env.display_name}",
                    "name": env.name,
                    "href": f"{url}/deployed-versions/environment/{env.uuid}",
                }
                for env in environments
            ],
            "pb:record-release": [],
            "pb:deployed-environments": [
                {
                    "title": f"Version deployed to {d.environment.display_name}",
                    "name": d.environment.display_name,
                    "href": f"{base}/deployed-versions/{d.uuid}",
                    "currentlyDeployed": d.undeployed_at is None,
                }
                for d in deployments
            ],
        },
    }


def environment(base: str, env: Environment) -> dict[str, Any]:
    url = environment_url(base, env)
    return {
        "uuid": env.uuid,
        "name": env.name,
        "displayName": env.display_name,
        "production": env.production,
        "contacts": [],
        "createdAt": stamp(env.created_at),
        "_links": {
            "self": {"title": "Environment", "name": env.name, "href": url},
            "pb:currently-deployed-deployed-versions": {
                "title": f"Versions currently deployed to {env.display_name} environment",
                "href": f"{url}/deployed-versions/currently-deployed",
            },
            "pb:currently-supported-released-versions": {
                "title": f"Versions released and supported in {env.display_name} environment",
                "href": f"{url}/released-versions/currently-supported",
            },
            "pb:environments": {"title": "Environments", "href": f"{base}/environments"},
        },
    }


def environments(base: str, envs: list[Environment]) -> dict[str, Any]:
    return {
        "_embedded": {"environments": [environment(base, e) for e in envs]},
        "_links": {"self": {"title": "Environments", "href": f"{base}/environments"}},
    }


def deployed_version(base: str, d: Deployment) -> dict[str, Any]:
    ver = d.version
    return {
        "uuid": d.uuid,
        "currentlyDeployed": d.undeployed_at is None,
        "target": d.application_instance,
        "applicationInstance": d.application_instance,
        "undeployedAt": stamp(d.undeployed_at) if d.undeployed_at else None,
        "createdAt": stamp(d.deployed_at),
        "_embedded": {
            "pacticipant": {
                "name": ver.pacticipant.name,
                "_links": {"self": {"href": pacticipant_url(base, ver.pacticipant.name)}},
            },
            "version": {
                "number": ver.number,
                "_links": {"self": {"href": version_url(base, ver.pacticipant.name, ver.number)}},
            },
            "environment": environment(base, d.environment),
        },
        "_links": {"self": {"href": f"{base}/deployed-versions/{d.uuid}"}},
    }


def interaction_key(interaction: dict[str, Any]) -> str:
    """An id for an interaction, from its content: the Pact Broker's `_id`.

    The Pact verifier reports results per interaction `_id` (which a broker adds when it serves a pact);
    without one it lumps every failure under one empty id. So pacts are served with an `_id` on every
    interaction (the stored content and its hash stay as published)."""
    return sha_hex(sha256(canonical({k: v for k, v in interaction.items() if k != "_id"})))[:16]


def pact(base: str, content: PactContent, consumer_version: Version | None = None) -> dict[str, Any]:
    doc = json.loads(content.content)
    for interaction in doc.get("interactions", []) or []:
        if isinstance(interaction, dict):
            interaction["_id"] = interaction_key(interaction)
    url = pact_url(base, content)
    links: dict[str, Any] = {
        "self": {
            "title": "Pact",
            "name": f"Pact between {content.consumer.name} and {content.provider.name}",
            "href": url,
        },
        "pb:consumer": {
            "title": "Consumer",
            "name": content.consumer.name,
            "href": pacticipant_url(base, content.consumer.name),
        },
        "pb:provider": {
            "title": "Provider",
            "name": content.provider.name,
            "href": pacticipant_url(base, content.provider.name),
        },
        "pb:pact-version": {"title": "Pact content version permalink", "name": content.sha, "href": url},
        "pb:publish-verification-results": {
            "title": "Publish verification results",
            "href": f"{url}/verification-results",
        },
    }
    if consumer_version is not None:
        links["pb:consumer-version"] = {
            "title": "Consumer version",
            "name": consumer_version.number,
            "href": version_url(base, content.consumer.name, consumer_version.number),
        }
    doc["createdAt"] = stamp(content.created_at)
    doc["_links"] = links
    return doc


def verification(base: str, v: Verification) -> dict[str, Any]:
    return {
        "providerName": v.provider_version.pacticipant.name,
        "providerApplicationVersion": v.provider_version.number,
        "success": v.success,
        "pending": v.pending,
        "verificationDate": stamp(v.executed_at),
        "source": v.source,
        "contractSetHash": v.contract_set_hash,
        "evidenceRecord": v.evidence_seq,
        "testResults": [
            {
                "interactionDescription": ir.description,
                "success": ir.passed,
                "checks": [{"check": c.check, "passed": c.passed, "skipped": c.skipped} for c in ir.checks],
            }
            for ir in v.interactions
        ],
        "_links": {
            "self": {"href": verification_url(base, v.id), "title": "Verification result"},
            "pb:pact-version": {"href": pact_url(base, v.pact_content)},
            "pb:evidence": {"href": f"{base}/ui/verifications/{v.id}", "title": "Evidence"},
        },
    }


def matrix_line(base: str, line: Line) -> dict[str, Any]:
    v = line.verification
    return {
        "consumer": {
            "name": line.consumer,
            "version": {
                "number": line.consumer_version,
                "_links": {"self": {"href": version_url(base, line.consumer, line.consumer_version)}},
            },
            "_links": {"self": {"href": pacticipant_url(base, line.consumer)}},
        },
        "provider": {
            "name": line.provider,
            "version": None
            if line.provider_version is None
            else {
                "number": line.provider_version,
                "_links": {"self": {"href": version_url(base, line.provider, line.provider_version)}},
            },
            "_links": {"self": {"href": pacticipant_url(base, line.provider)}},
        },
        "pact": {
            "createdAt": stamp(line.pact_created_at) if line.pact_created_at else None,
            "sha": line.sha,
            "_links": {
                "self": {
                    "href": f"{base}/pacts/provider/{q(line.provider)}/consumer/{q(line.consumer)}"
                    f"/pact-version/{sha_hex(line.sha)}"
                }
            },
        },
        "verificationResult": None
        if v is None
        else {
            "success": v.success,
            "pending": v.pending,
            "verifiedAt": stamp(v.executed_at),
            "_links": {"self": {"href": verification_url(base, v.id)}},
        },
    }


def matrix(
    base: str, lines: list[Line], deployable: bool | None, reasons: list[str], notes: list[str]
) -> dict[str, Any]:
    success = sum(1 for x in lines if x.verification is not None and x.verification.success)
    failed = sum(1 for x in lines if x.verification is not None and not x.verification.success)
    unknown = sum(1 for x in lines if x.verification is None)
    if deployable:
        notice = [{"type": "success", "text": "All required verification results are published and successful"}]
    else:
        notice = [{"type": "error", "text": r} for r in reasons]
    return {
        "summary": {
            "deployable": deployable,
            "reason": "\n".join(reasons)
            if reasons
            else "All required verification results are published and successful",
            "success": success,
            "failed": failed,
            "unknown": unknown,
        },
        "notices": notice + [{"type": "info", "text": n} for n in notes],
        "matrix": [matrix_line(base, x) for x in lines],
    }


def decision(base: str, d: Decision) -> dict[str, Any]:
    return matrix(base, d.lines, d.deployable, d.reasons, d.notes)
