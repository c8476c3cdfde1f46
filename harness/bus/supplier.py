"""Attaching the supplier to a real bus: an in-process FastStream app, or a process in any language.

A process is started with EM_BUS_URL and EM_CHANNEL_PREFIX in its environment, in its own process
group; it is ready when it publishes the readiness message (channel `em-harness.ready`, declared in
asyncapi.yaml) naming its provider. It is stopped with SIGTERM, then SIGKILL. Its stdout and stderr
go to a file whose text ends up in the reports.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shlex
import signal
import subprocess
import tempfile
from typing import Any

from harness.bus.base import Bus, InfrastructureError, stop_task
from harness.errors import HarnessError

READY = "em-harness.ready"


class SupplierProcess:
    def __init__(self, cmd: str, env: dict[str, str], provider: str, ready_timeout: float = 30.0) -> None:
        self.cmd = cmd
        self.env = env
        self.provider = provider
        self.ready_timeout = ready_timeout
        self.proc: subprocess.Popen | None = None
        self._log = tempfile.NamedTemporaryFile(prefix="em-harness-supplier-", suffix=".log", delete=False)  # noqa: SIM115
        self.watch: asyncio.Task | None = None

    def output(self) -> str:
        try:
            with open(self._log.name, encoding="utf-8", errors="replace") as fh:
                return fh.read()
        except OSError:
            return ""

    def _tail(self, n: int = 5) -> str:
        lines = [line for line in self.output().splitlines() if line.strip()]
        return " | ".join(lines[-n:]) or "no output"

    async def start(self, bus: Bus) -> None:
        try:
            argv = shlex.split(self.cmd)
        except ValueError as exc:
            raise HarnessError(f"--supplier-cmd {self.cmd!r}: cannot parse it ({exc})") from None
        if not argv:
            raise HarnessError("--supplier-cmd is empty")
        ready = asyncio.Event()

        def on_record(rec: Any) -> None:
            if rec.channel == READY and isinstance(rec.body, dict) and rec.body.get("provider") == self.provider:
                ready.set()

        bus.listen(on_record)
        try:
            self.proc = subprocess.Popen(
                argv,
                env={**os.environ, **self.env},
                stdin=subprocess.DEVNULL,
                stdout=self._log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        except OSError as exc:
            raise HarnessError(f"--supplier-cmd {self.cmd!r}: cannot start it: {exc.strerror}") from None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.ready_timeout
        while not ready.is_set():
            if self.proc.poll() is not None:
                raise HarnessError(
                    f"--supplier-cmd {self.cmd!r} exited with code {self.proc.returncode} before it was ready: "
                    f"{self._tail()}"
                )
            if loop.time() > deadline:
                raise HarnessError(
                    f"--supplier-cmd {self.cmd!r}: no readiness message ({READY}) from {self.provider!r} within "
                    f"{self.ready_timeout:g} s: {self._tail()}"
                )
            await asyncio.sleep(0.05)
        self.watch = loop.create_task(self._watch(bus))

    async def _watch(self, bus: Bus) -> None:
        while self.proc is not None and self.proc.poll() is None:
            await asyncio.sleep(0.2)
        if self.proc is not None:
            bus.fail(f"the supplier process exited with code {self.proc.returncode} mid-run: {self._tail()}")

    async def stop(self) -> None:
        await stop_task(self.watch)
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        for _ in range(50):
            if proc.poll() is not None:
                return
            await asyncio.sleep(0.1)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(5)


class SupplierApp:
    """An in-process FastStream app connected to the real broker (not wrapped in a test broker)."""

    def __init__(self, spec: str, url: str, prefix: str, env: dict[str, str] | None = None) -> None:
        self.spec = spec
        self.url = url
        self.prefix = prefix
        self.env = env or {}
        self.app: Any = None

    async def start(self, bus: Bus) -> None:
        from harness.bus.inprocess import load_app

        os.environ["EM_CHANNEL_PREFIX"] = self.prefix
        os.environ.update(self.env)
        self.app = load_app(self.spec, self.url)
        try:
            await asyncio.wait_for(self.app.start(), 15)
        except Exception as exc:
            raise InfrastructureError(f"--supplier-app {self.spec!r}: could not start on {self.url}: {exc}") from None

    async def stop(self) -> None:
        if self.app is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.app.stop(), 10)

    def output(self) -> str:
        return ""
