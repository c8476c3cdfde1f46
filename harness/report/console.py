"""Console sink: live progress while the bus runs, then a table per interaction and every failure."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from harness.verify.events import CHECKS, Event, InteractionSettled, Judged, RunFinished, RunStarted


def _is_tty() -> bool:
    import sys

    return sys.stdout.isatty()


class ConsoleSink:
    def __init__(self, console: Console | None = None) -> None:
        # Not a terminal (CI logs, pipes): wide enough that the table stays one line per interaction.
        self.console = console or Console(highlight=False, width=None if _is_tty() else 200)
        self.progress: Progress | None = None
        self.task = None

    def __call__(self, event: Event) -> None:
        c = self.console
        if isinstance(event, RunStarted):
            c.print(
                f"verify [bold]{event.provider}[/] on bus {event.bus} with supplier {event.supplier}: "
                f"{event.interactions} interaction(s) from {len(event.pacts)} pact(s)"
            )
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
        elif isinstance(event, InteractionSettled) and self.progress is not None:
            self.progress.advance(self.task)
            if self.progress.finished:
                self.progress.stop()
                self.progress = None
                c.print(
                    "judging: deadlines, channels, schemas, data minimisation, correlation, eventIds, flows, "
                    "faults, pacts (pact-python verifier)..."
                )
        elif isinstance(event, Judged) and self.progress is not None:
            self.progress.stop()
            self.progress = None
        elif isinstance(event, RunFinished):
            if self.progress is not None:
                self.progress.stop()
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
            table = Table(title=f"{run.provider}: {title}", title_justify="left")
            table.add_column("consumer / interaction" if kind == "pact" else kind)
            for check in checks:
                table.add_column(check, justify="center")
            if kind == "pact":
                table.add_column("time", justify="right")
            for o in rows:
                marks = {
                    r.check: ("[green]pass[/]" if r.passed else ("[yellow]skip[/]" if r.skipped else "[red]FAIL[/]"))
                    for r in o.checks
                }
                cells = [marks.get(ch, "") for ch in checks]
                if kind == "pact":
                    cells.append("-" if o.elapsed is None else f"{o.elapsed * 1000:.0f} ms")
                table.add_row(escape(o.key if kind == "pact" else o.description), *cells)
            c.print(table)
        if run.clock:
            c.print(f"clock: {escape(run.clock)}")
        for o in run.outcomes:
            for r in o.checks:
                for f in r.failures:
                    where = f" at {f.path}" if f.path else ""
                    detail = f" (expected {f.expected}, got {f.actual})" if f.expected or f.actual else ""
                    c.print(
                        f"[red]FAIL[/] {escape(o.key)}: {escape(r.check)}{escape(where)}: {escape(f.message)}"
                        f"{escape(detail)}",
                        markup=True,
                        soft_wrap=True,
                    )
        if run.error:
            c.print(f"[red]ERROR[/] {escape(run.error)}")
        verdict = "PASS" if run.passed else ("ERROR" if run.error else "FAIL")
        parts = []
        for kind, noun in (("pact", "interaction(s)"), ("flow", "flow(s)"), ("fault", "fault run(s)")):
            rows = [o for o in run.outcomes if o.kind == kind]
            if rows or kind == "pact":
                parts.append(f"{sum(o.passed for o in rows)} of {len(rows)} {noun}")
        c.print(f"{verdict}: {', '.join(parts)} passed in {run.seconds:.1f} s")
