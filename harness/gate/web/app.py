"""`em-harness gate serve`: the ASGI app (Starlette, under uvicorn): the matrix page and the Broker API.

Access:
- writes (POST, PUT, PATCH, DELETE) need `Authorization: Bearer <EM_HARNESS_GATE_TOKEN>`; without the
  variable set, the gate takes no writes at all (the Pact CLI passes the token with `--broker-token` or
  PACT_BROKER_TOKEN);
- reads are open to loopback clients (127.0.0.0/8, ::1); other clients need the token too, unless the
  gate was started with `--open-reads`.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from harness.gate import evidence
from harness.gate.store import Store
from harness.gate.web import hal, pages
from harness.gate.web.broker import BrokerApi, base_of, reply

ENV_TOKEN = "EM_HARNESS_GATE_TOKEN"
READS = ("GET", "HEAD", "OPTIONS")


def is_loopback(host: str | None) -> bool:
    if not host:
        return False
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return host == "localhost"


class Guard:
    """Bearer token for writes; loopback-only reads unless opened."""

    def __init__(self, app: ASGIApp, token: str | None, open_reads: bool) -> None:
        self.app = app
        self.token = token or None
        self.open_reads = open_reads

    def _authorised(self, scope: Scope) -> bool:
        if self.token is None:
            return False
        for name, value in scope.get("headers", []):
            if name == b"authorization":
                given = value.decode("latin-1")
                return hmac.compare_digest(given.encode(), f"Bearer {self.token}".encode())
        return False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        client = scope.get("client")
        if method not in READS:
            if self.token is None:
                msg = f"this gate takes no writes: start it with {ENV_TOKEN} set, and send that token"
                await JSONResponse({"errors": [msg]}, status_code=403)(scope, receive, send)
                return
            if not self._authorised(scope):
                msg = "writes need Authorization: Bearer <token> (pact broker ... --broker-token)"
                await JSONResponse({"errors": [msg]}, status_code=401)(scope, receive, send)
                return
        elif not self.open_reads and not is_loopback(client[0] if client else None) and not self._authorised(scope):
            msg = "reads are open to this machine only; send the gate's token, or start it with --open-reads"
            await JSONResponse({"errors": [msg]}, status_code=403)(scope, receive, send)
            return
        await self.app(scope, receive, send)


def create_app(store: Store, *, open_reads: bool = False, token: str | None = None) -> Any:
    signer = evidence.load_signer()
    api = BrokerApi(store, signer)

    async def root(request: Request) -> Response:
        accept = request.headers.get("accept", "")
        if "text/html" in accept and "json" not in accept:
            return RedirectResponse("/ui", status_code=303)
        return reply(hal.index(base_of(request)))

    routes = [Route("/", root, methods=["GET"]), *api.routes(), *pages.routes(store)]
    app = Starlette(routes=routes)
    return Guard(app, token if token is not None else os.environ.get(ENV_TOKEN), open_reads)
