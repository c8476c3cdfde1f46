"""Which transport module serves a bus URL, and the run's bus with its supplier attached.

Adding a transport: write harness/bus/<kind>.py (SCHEMES, EXAMPLE, and a TRANSPORT class implementing
harness.bus.base.Transport, or IN_PROCESS for a bus that binds the supplier app in this process) and add
one line to TRANSPORTS. The engine and the supplier launcher know no transport by name.
"""

from __future__ import annotations

import importlib
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import urlsplit

from harness.bus.base import Bus, RunSpec
from harness.errors import HarnessError

TRANSPORTS = (
    "harness.bus.memory",
    "harness.bus.nats",
    "harness.bus.amqp",
    "harness.bus.redis",
    "harness.bus.kafka",
    "harness.bus.sqs",
)
CONTAINER = "container:"


@cache
def _modules() -> dict[str, ModuleType]:
    """scheme -> transport module."""
    found: dict[str, ModuleType] = {}
    for name in TRANSPORTS:
        module = importlib.import_module(name)
        for scheme in module.SCHEMES:
            found[scheme] = module
    return found


def examples() -> str:
    """The URL forms every transport takes, for error messages and --help."""
    seen = dict.fromkeys(m.EXAMPLE for m in _modules().values())
    return ", ".join(seen)


def transport_module(url: str) -> ModuleType:
    """The module for a bus URL, after checking the URL's shape; one clear line for anything wrong."""
    if url == "memory" or url.startswith("memory://"):
        module = _modules()["memory"]
        module.check_url(url)
        return module
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises on a malformed port)
    except ValueError as exc:
        what = "the port is not a number" if "port" in str(exc).lower() else f"malformed URL ({exc})"
        raise HarnessError(f"bus URL {url!r}: {what}; e.g. {examples()}") from None
    module = _modules().get(parts.scheme)
    if module is None:
        raise HarnessError(
            f"bus URL {url!r}: unknown transport; use {examples()} (or container:rabbitmq|nats|redis|kafka)"
        )
    if not parts.hostname:
        raise HarnessError(f"bus URL {url!r}: no host; e.g. {module.EXAMPLE}")
    check = getattr(module, "check_url", None)
    if check is not None:
        check(url)
    return module


def kind_of(url: str) -> str:
    """The transport module's short name for a URL (memory, nats, amqp, redis, kafka, sqs)."""
    return transport_module(url).__name__.rsplit(".", 1)[-1]


@dataclass
class Attached:
    """A run's bus, the supplier attachment (None when it is already on the bus), and what to call it."""

    bus: Bus
    supplier: Any
    label: str
    container: Any = None


def attach(
    url: str,
    *,
    provider: str,
    channels: Mapping[str, Mapping[str, Any]],
    supplier_app: str | None = None,
    supplier_cmd: str | None = None,
    default_app: str | None = None,
    channel_prefix: str | None = None,
    connect_timeout: float = 10.0,
    ready_timeout: float = 30.0,
    root: Path | None = None,
) -> Attached:
    """The bus for `url` with the supplier attached as asked (not started yet)."""
    container = None
    if url.startswith(CONTAINER):
        from harness.bus.containers import start_broker

        container = start_broker(url[len(CONTAINER) :])
        url = container.url
    try:
        attached = _attach(
            url,
            provider,
            channels,
            supplier_app,
            supplier_cmd,
            default_app,
            channel_prefix,
            connect_timeout,
            ready_timeout,
            root,
        )
    except BaseException:
        if container is not None:
            container.stop()
        raise
    attached.container = container
    return attached


def _attach(
    url: str,
    provider: str,
    channels: Mapping[str, Mapping[str, Any]],
    supplier_app: str | None,
    supplier_cmd: str | None,
    default_app: str | None,
    channel_prefix: str | None,
    connect_timeout: float,
    ready_timeout: float,
    root: Path | None,
) -> Attached:
    module = transport_module(url)
    if getattr(module, "IN_PROCESS", False):
        if supplier_cmd is not None:
            raise HarnessError("--supplier-cmd runs the supplier in another process: give a broker with --bus")
        app = supplier_app or default_app
        if not app:
            raise HarnessError(
                f"no supplier for {provider!r} on the memory bus: pass --supplier-app MODULE:APP "
                "or configure [tool.em-harness.providers] in pyproject.toml"
            )
        from harness.bus.supplier import load_app

        loaded = load_app(app, url, root, project_first=supplier_app is None)
        return Attached(module.InProcessBus(loaded, RunSpec("", channels)), None, app)
    from harness.bus.broker import BrokerBus
    from harness.bus.supplier import SupplierApp, SupplierProcess

    if supplier_app and supplier_cmd is not None:
        raise HarnessError("give --supplier-app or --supplier-cmd, not both")
    prefix = channel_prefix
    if prefix is None:
        # A supplier the harness starts gets a prefix of its own run; one already attached uses none.
        prefix = f"emh-{uuid.uuid4().hex[:12]}." if (supplier_app or supplier_cmd is not None) else ""
    try:
        transport = module.TRANSPORT(url, RunSpec(prefix, channels, connect_timeout))
    except HarnessError:
        raise
    except Exception as exc:
        raise HarnessError(f"bus {url!r}: cannot use it: {type(exc).__name__}: {exc}") from None
    bus = BrokerBus(transport, connect_timeout=connect_timeout)
    env = {"EM_BUS_URL": url, "EM_CHANNEL_PREFIX": prefix, **bus.supplier_env()}
    if supplier_cmd is not None:
        return Attached(bus, SupplierProcess(supplier_cmd, env, provider, ready_timeout), supplier_cmd)
    if supplier_app:
        return Attached(bus, SupplierApp(supplier_app, url, prefix, env, root), supplier_app)
    return Attached(bus, None, "(already attached to the bus)")
