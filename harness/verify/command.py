"""`em-harness verify`: the engine's events fanned out to the sinks the user asked for."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from pathlib import Path

from harness.project import find_project
from harness.report.console import ConsoleSink
from harness.report.files import write_html, write_json, write_junit
from harness.verify.engine import VerifyEngine
from harness.verify.events import RunFinished

_SIGNAL_EXIT = {"SIGINT": 130, "SIGTERM": 143}


@contextlib.contextmanager
def _signals_interrupt(engine: VerifyEngine) -> Iterator[None]:
    """SIGTERM stops a run the way SIGINT does: the supplier and the bus are cleaned up and the partial
    report is written, marked interrupted (exit 143; 130 for SIGINT). Without this a CI runner's SIGTERM
    killed em-harness outright and orphaned the supplier's process group."""

    def on_term(signum: int, frame: object) -> None:
        engine.interrupted = "SIGTERM"
        signal.raise_signal(signal.SIGINT)  # the asyncio runner cancels the run on it; else KeyboardInterrupt

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, on_term)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def run_verify(
    provider: str,
    *,
    bus: str,
    supplier_app: str | None,
    junit: Path | None,
    json_out: Path | None,
    html_out: Path | None,
    root: Path | None,
    seed: int | None = None,
    supplier_cmd: str | None = None,
    only: list[str] | None = None,
    channel_prefix: str | None = None,
    connect_timeout: float = 10.0,
    ready_timeout: float = 30.0,
    publish: bool = False,
    provider_version: str | None = None,
    branch: str | None = None,
    store: str | None = None,
    flows: list[str] | None = None,
    faults: str | None = None,
    clock: str = "virtual",
    min_coverage: float | None = None,
) -> int:
    from harness.errors import HarnessError
    from harness.simulate.faults import parse_faults

    if publish or provider_version:
        from harness.gate.publish_run import check_publish_options

        check_publish_options(publish, provider_version, only)
    try:
        fault_list = parse_faults(faults)
    except ValueError as exc:
        raise HarnessError(f"--faults {faults!r}: {exc}") from None
    if clock not in ("virtual", "wall"):
        raise HarnessError(f"--clock {clock!r}: use virtual or wall")
    if supplier_cmd is not None and not supplier_cmd.strip():
        raise HarnessError(
            "--supplier-cmd is empty: give the command that starts the supplier, or leave the option out"
        )
    if supplier_app is not None and not supplier_app.strip():
        raise HarnessError("--supplier-app is empty: give MODULE:APP, or leave the option out")
    if min_coverage is not None and not 0 <= min_coverage <= 100:
        raise HarnessError(f"--min-coverage {min_coverage:g}: give a percentage from 0 to 100")
    if flows is not None and [f.lower() for f in flows] == ["none"]:
        flows = []
    project = find_project(root)
    if publish:  # a store that cannot be used fails before the run, not after it
        from harness.gate.store import Store

        Store.open(store, project.root).dispose()
    engine = VerifyEngine(
        project,
        provider,
        bus_url=bus,
        supplier_app=supplier_app,
        seed=seed,
        supplier_cmd=supplier_cmd,
        channel_prefix=channel_prefix,
        only=only,
        connect_timeout=connect_timeout,
        ready_timeout=ready_timeout,
        flows=flows,
        faults=fault_list,
        clock=clock,
        min_coverage=min_coverage,
    )
    console = ConsoleSink()
    finished: RunFinished | None = None
    with _signals_interrupt(engine):
        try:
            for event in engine.events():
                console(event)
                if isinstance(event, RunFinished):
                    finished = event
        except KeyboardInterrupt:  # before the run started or after it ended: nothing settled to report
            signal_name = engine.interrupted or "SIGINT"
            raise HarnessError(
                f"interrupted by {signal_name} before the run could report", exit_code=_SIGNAL_EXIT[signal_name]
            ) from None
        finally:
            console.flush()  # a header still held when the run stopped with an error
    assert finished is not None
    if json_out:
        write_json(finished, json_out)
    if junit:
        write_junit(finished, junit)
    if html_out:
        write_html(finished, html_out)
    if publish:
        from harness.gate.publish_run import publish_run
        from harness.schemas.registry import SchemaRegistry

        registry = engine.plan.registry if engine.plan is not None else SchemaRegistry(project.schemas_dir)
        return publish_run(
            project,
            finished,
            provider_version=provider_version or "",
            branch=branch,
            store=store,
            bus=bus,
            registry=registry,
            console=console.console,
        )
    return finished.exit_code
