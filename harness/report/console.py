"""Console sink: live progress while the bus runs, then a table per interaction and every failure.

Everything a contract, a supplier or a user wrote (descriptions, provider states, regexes such as
`^[A-Z]+$`, captured values, bus URLs) is escaped before rich sees it: rich reads `[...]` as markup,
and unescaped text either crashes the sink (MarkupError) or silently loses characters.

The header (provider, bus, supplier, catalogue) is held until a supplier message arrives (SupplierHeard):
when none ever does, the console's first line says so and names --supplier-app / --supplier-cmd, instead
of a newcomer reading "0 of 27 passed ... got nothing" with no hint that no supplier is attached.
"""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from harness.verify.events import CHECKS, Event, InteractionSettled, Judged, RunFinished, RunStarted, SupplierHeard

NO_SUPPLIER = (
    "no supplier message: nothing on the bus came from any supplier during this run. Attach one with "
    "--supplier-app MODULE:APP (a FastStream app) or --supplier-cmd CMD (any process, on a broker --bus), "
    "or check that the supplier already on the bus uses this broker and channel prefix"
)


def _is_tty() -> bool:
    import sys

    return sys.stdout.isatty()


class ConsoleSink:
    def __init__(self, console: Console | None = None, errors: Console | None = None) -> None:
        # Not a terminal (CI logs, pipes): wide enough that the table stays one line per interaction.
        self.console = console or Console(highlight=False, width=None if _is_tty() else 200)
        # The error that ended a run goes to stderr (with a console given and no error console: to that one).
        self.errors = errors or (console if console is not None else Console(stderr=True, highlight=False))
        self.planned = 0
        self.progress: Progress | None = None
        self.task = None
        self.remaining = 0
        self.held: list[str] | None = None
        """Header lines (rich markup) not printed yet: held until a supplier speaks or the run ends."""

    def flush(self) -> None:
        """Print the held header (a supplier spoke, the run ended, or it stopped with an error)."""
        held, self.held = self.held, None
        for line in held or []:
            self.console.print(line, soft_wrap=True)

    def _say(self, line: str) -> None:
        if self.held is not None:
            self.held.append(line)
        else:
            self.console.print(line, soft_wrap=True)

    def __call__(self, event: Event) -> None:
        c = self.console
        if isinstance(event, RunStarted):
            self.held = [
                f"verify [bold]{escape(event.provider)}[/] on bus {escape(event.bus)} with supplier "
                f"{escape(event.supplier)}: {event.interactions} interaction(s) from {len(event.pacts)} pact(s)"
            ]
            if event.catalogue_hash:
                self.held.append(f"catalogue {escape(event.catalogue_version)} ({escape(event.catalogue_hash)})")
            self.held.extend(f"[yellow]note[/] {escape(note)}" for note in event.notes)
            self.remaining = self.planned = event.interactions
            if not c.is_terminal:  # a progress bar is drawn on a terminal only (elsewhere it leaves a blank line)
                return
            self.progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=c,
                transient=True,
            )
            self.progress.start()
            self.task = self.progress.add_task("running interactions", total=event.interactions)
        elif isinstance(event, SupplierHeard):
            self.flush()
        elif isinstance(event, InteractionSettled):
            self.remaining -= 1
            if self.progress is not None:
                self.progress.advance(self.task)
            if self.remaining == 0:
                if self.progress is not None:
                    self.progress.stop()
                    self.progress = None
                self._say(
                    "judging: deadlines, channels, schemas, data minimisation, correlation, eventIds, flows, "
                    "faults, pacts (pact-python verifier)..."
                )
        elif isinstance(event, Judged) and self.progress is not None:
            self.progress.stop()
            self.progress = None
        elif isinstance(event, RunFinished):
            if self.progress is not None:
                self.progress.stop()
                self.progress = None
            if event.supplier_silent:
                c.print(f"[red]{escape(NO_SUPPLIER)}[/]", soft_wrap=True)
            self.flush()
            self._summary(event)

    def _summary(self, run: RunFinished) -> None:
        c = self.console
        # One table per kind of run (pact interactions, flows, delivery faults), each with the checks its
        # rows have, in the order of CHECKS.
        titles = {"pact": "interactions", "flow": "flows (contracts/flows)", "fault": "delivery faults (--faults)"}
        for kind, title in titles.items():
            rows = [o for o in run.outcomes if o.kind == kind]
            if not rows:
                continue
            checks = [ch for ch in CHECKS if any(r.check == ch for o in rows for r in o.checks)]
            table = Table(title=f"{escape(run.provider)}: {title}", title_justify="left")
            table.add_column("consumer / interaction" if kind == "pact" else kind)
            for check in checks:
                table.add_column(check, justify="center")
            if kind == "pact":
                table.add_column("time", justify="right")
                table.add_column("verdict")
            for o in rows:
                failed = "[yellow]pending[/]" if o.pending else "[red]FAIL[/]"
                marks = {
                    r.check: ("[green]pass[/]" if r.passed else ("[yellow]skip[/]" if r.skipped else failed))
                    for r in o.checks
                }
                cells = [marks.get(ch, "") for ch in checks]
                if kind == "pact":
                    cells.append("-" if o.elapsed is None else f"{o.elapsed * 1000:.0f} ms")
                    cells.append(
                        {"pass": "[green]pass[/]", "FAIL": "[red]FAIL[/]"}.get(o.verdict, f"[yellow]{o.verdict}[/]")
                    )
                table.add_row(escape(o.key if kind == "pact" else o.description), *cells)
            c.print(table)
        if run.clock:
            c.print(f"clock: {escape(run.clock)}")
        for o in run.outcomes:
            label = "[yellow]pending: failed[/]" if o.pending else "[red]FAIL[/]"
            for r in o.checks:
                for f in r.failures:
                    where = f" at {escape(f.path)}" if f.path else ""
                    detail = ""
                    if f.expected or f.actual:
                        detail = f" (expected {escape(f.expected or '-')}, got {escape(f.actual or '-')})"
                    c.print(
                        f"{label} {escape(o.key)}: {escape(r.check)}{where}: {escape(f.message)}{detail}",
                        soft_wrap=True,
                    )
        for note in run.notes:
            c.print(f"[yellow]note[/] {escape(note)}", soft_wrap=True)
        if run.error:
            self.errors.print(f"[red]ERROR[/] {escape(run.error)}", soft_wrap=True)
        if run.coverage is not None:
            c.print(escape(run.coverage.summary()), soft_wrap=True)
        for line in run.coverage_short:
            c.print(f"[red]FAIL[/] {escape(line)}", soft_wrap=True)
        counts = run.counts
        verdict, parts = run.verdict, run.tallies()
        line = f"{verdict}: {', '.join(parts)} passed in {run.seconds:.1f} s"
        if run.error:
            line = f"ERROR: {error_summary(run, self.planned)} in {run.seconds:.1f} s"
        if counts["pendingPassed"] or counts["pendingFailed"]:
            line += (
                f"; pending: {counts['pendingFailed']} failed, {counts['pendingPassed']} passed "
                "(pending interactions do not fail the run)"
            )
        if run.notes:
            line += f"; {len(run.notes)} note(s)"
        if run.coverage_short:
            line += f"; coverage below --min-coverage {run.min_coverage:g}%"
        c.print(line, soft_wrap=True)


def error_summary(run: RunFinished, planned: int) -> str:
    """After an error, how far the run got, counted against what was planned (never "7 of 7 passed" when 27
    were planned): the runs that settled (a check was judged, not all skipped) and those that passed."""
    settled = [o for o in run.outcomes if o.checks and not all(c.skipped for c in o.checks)]
    total = max(planned, len(run.outcomes))
    passed = sum(o.passed for o in settled if not o.pending)
    return (
        f"{len(settled)} of {total} planned run(s) settled before the error, {passed} of them passed; "
        "the run is not a pass (the error is on stderr)"
    )
