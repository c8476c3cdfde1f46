"""`em-harness stub`: the command's work, kept out of harness/cli.py (bad input is one line, exit 2)."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from harness.errors import HarnessError


def run_stub(
    provider: str, bus: str | None, channel_prefix: str | None, play: str | None, once: bool, root: Path | None
) -> int:
    """Run the stub supplier of `provider` on a broker until stopped (or, with --play and --once, play and stop)."""
    from harness.bus.registry import transport_module
    from harness.stub.run import build_model, serve

    url = bus or os.environ.get("EM_BUS_URL") or ""
    if not url or url == "memory" or url.startswith("memory://"):
        name = provider.replace("-", "_")
        raise HarnessError(
            f"--bus {url or '(none)'}: the stub needs a broker (nats://, amqp://, redis://, kafka://, sqs://); on "
            f"the memory bus verify attaches it in-process with --supplier-app harness.stub.apps:{name}"
        )
    transport_module(url)  # checks the URL's shape: one clear line for a bad one
    if once and play is None:
        raise HarnessError("--once needs --play STATE")
    prefix = channel_prefix if channel_prefix is not None else os.environ.get("EM_CHANNEL_PREFIX", "")
    where = root or os.environ.get("EM_HARNESS_ROOT") or None
    model = build_model(provider, where)  # unknown provider, no pacts: HarnessError before connecting
    if play is not None and (model.states is None or play not in model.states.states):
        known = ", ".join(model.states.states) if model.states is not None else "none"
        raise HarnessError(f"--play {play!r}: no such provider state of {provider}; known: {known}")
    try:
        return asyncio.run(serve(provider, url, prefix, where, play, once))
    except (OSError, TimeoutError, ConnectionError) as exc:
        raise HarnessError(f"--bus {url}: cannot reach the broker: {exc}") from None
