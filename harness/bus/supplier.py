"""Attaching the supplier to a real bus: an in-process FastStream app, or a process in any language.

A process is started with EM_BUS_URL and EM_CHANNEL_PREFIX in its environment, in its own process
group; it is ready when it publishes the readiness message (channel `em-harness.ready`, declared in
asyncapi.yaml) naming its provider. It is stopped with SIGTERM, then SIGKILL. Its stdout and stderr
go to a temporary file whose text ends up in the reports; the file is removed when the supplier stops.

A supplier app (`MODULE:APP`) is imported from the supplier's own folder (the current one) first, then from
the project folder: the reference and faulty suppliers and the MoJ apps live in the project folder and are
not installed, and a supplier's repository may have a `providers` package of its own that must win.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import os
import shlex
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from harness.bus.base import Bus, InfrastructureError, bounded, stop_task
from harness.errors import HarnessError

READY = "em-harness.ready"


def _late_env(bus: Bus) -> dict[str, str]:
    """What the transport knows only once the bus has started (e.g. the ARN of the run's SNS topic)."""
    env = getattr(bus, "supplier_env", None)
    return env() if callable(env) else {}


def _search_path(root: Path | None, project_first: bool) -> None:
    """Put the current folder and the project folder on sys.path, in the order the import needs."""
    places = [os.getcwd(), str(root)] if root is not None else [os.getcwd()]
    if project_first:
        places.reverse()
    for place in reversed(places):
        if place in sys.path:
            sys.path.remove(place)
        sys.path.insert(0, place)


def load_app(spec: str, bus_url: str, root: Path | None = None, *, project_first: bool = False) -> Any:
    """Import 'module:attr' with EM_BUS_URL set, so the app builds its broker for this bus.

    `project_first` for an app the catalogue names (pyproject's defaults): the project folder wins over
    the current one. A user's --supplier-app is looked up in the current folder first.
    """
    module_name, _, attr = spec.partition(":")
    if not module_name or not attr:
        raise HarnessError(f"--supplier-app {spec!r}: expected MODULE:APP, e.g. providers.field_monitoring:app")
    os.environ["EM_BUS_URL"] = bus_url
    _search_path(root, project_first)
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        raise HarnessError(f"--supplier-app {spec!r}: no module named {exc.name!r}; check the name") from None
    except KeyboardInterrupt:
        raise
    except SystemExit as exc:  # not an Exception: a module that exits on import must never end the run as a pass
        raise HarnessError(
            f"--supplier-app {spec!r}: importing it called sys.exit({exc.code!r}); a supplier module must "
            "define its app, not run or exit"
        ) from None
    except BaseException as exc:  # the supplier's own import failed: say so, in one line
        raise HarnessError(f"--supplier-app {spec!r}: importing it failed: {type(exc).__name__}: {exc}") from None
    app = getattr(module, attr, None)
    if app is None:
        raise HarnessError(f"--supplier-app {spec!r}: module {module_name!r} has no attribute {attr!r}")
    if not hasattr(app, "broker"):
        raise HarnessError(f"--supplier-app {spec!r}: {attr!r} is not a FastStream app (it has no broker)")
    return app


class SupplierProcess:
    def __init__(self, cmd: str, env: dict[str, str], provider: str, ready_timeout: float = 30.0) -> None:
        self.cmd = cmd
        self.env = env
        self.provider = provider
        self.ready_timeout = ready_timeout
        self.proc: subprocess.Popen | None = None
        self._log: Any = None  # made in start(): a run that never starts the supplier leaves no file
        self.watch: asyncio.Task | None = None
        self._output: str | None = None  # the log's text, kept once the file is gone

    def output(self) -> str:
        if self._output is not None:
            return self._output
        if self._log is None:
            return ""
        try:
            with open(self._log.name, encoding="utf-8", errors="replace") as fh:
                return fh.read()
        except OSError:
            return ""

    def _remove_log(self) -> None:
        """Keep the log's text for the reports and remove the file (no temp file outlives a run)."""
        if self._output is None:
            self._output = self.output()
        if self._log is None:
            return
        with contextlib.suppress(OSError):
            self._log.close()
        with contextlib.suppress(OSError):
            os.unlink(self._log.name)

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
        self._log = tempfile.NamedTemporaryFile(prefix="em-harness-supplier-", suffix=".log", delete=False)  # noqa: SIM115
        try:
            self.proc = subprocess.Popen(
                argv,
                env={**os.environ, **self.env, **_late_env(bus)},
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
        try:
            await self._stop_process()
        finally:
            self._remove_log()

    async def _stop_process(self) -> None:
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
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(5)


class SupplierApp:
    """An in-process FastStream app connected to the real broker (not wrapped in a test broker)."""

    def __init__(
        self, spec: str, url: str, prefix: str, env: dict[str, str] | None = None, root: Path | None = None
    ) -> None:
        self.spec = spec
        self.url = url
        self.prefix = prefix
        self.env = env or {}
        self.root = root
        self.app: Any = None

    async def start(self, bus: Bus) -> None:
        os.environ["EM_CHANNEL_PREFIX"] = self.prefix
        os.environ.update({**self.env, **_late_env(bus)})
        self.app = load_app(self.spec, self.url, self.root)
        try:
            await bounded(self.app.start(), 15)
        except Exception as exc:
            raise InfrastructureError(f"--supplier-app {self.spec!r}: could not start on {self.url}: {exc}") from None

    async def stop(self) -> None:
        if self.app is not None:
            with contextlib.suppress(Exception):
                await bounded(self.app.stop(), 10)

    def output(self) -> str:
        return ""
