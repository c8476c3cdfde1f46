"""The `em-harness` command line. Each command is a thin shell over the package that does the work.

Exit codes are part of the contract with users (DESIGN.md): 0 success, 1 findings or contract
failure, 2 a harness, input or infrastructure error, always as one line on stderr, never a traceback
(set EM_HARNESS_DEBUG=1 to see one).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

import harness  # noqa: F401  (sets PACT_DO_NOT_TRACK before anything imports pact)
from harness.errors import HarnessError

app = typer.Typer(
    name="em-harness",
    help="Contract testing harness for the Electronic Monitoring Service.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

RootOption = Annotated[
    Path | None,
    typer.Option("--root", help="Project folder holding schemas/ and contracts/ (default: found from here)."),
]


@app.command()
def lint(
    path: Annotated[Path | None, typer.Argument(help="Project folder to lint (default: the current project).")] = None,
) -> None:
    """Validate schemas, asyncapi.yaml, pacts, states, flows and their cross-references."""
    from harness.catalogue.lint import run_lint

    raise typer.Exit(run_lint(path))


@app.command("validate-stream")
def validate_stream(
    file: Annotated[str, typer.Argument(help="A JSON Lines file, or - for standard input.")],
    errors_out: Annotated[
        Path | None, typer.Option("--errors-out", help="Write every invalid line with its reasons here.")
    ] = None,
    max_errors: Annotated[int, typer.Option("--show", help="How many errors to print in the summary.")] = 20,
    jobs: Annotated[
        int | None, typer.Option("--jobs", "-j", help="Worker processes for large files (default: one per core).")
    ] = None,
    root: RootOption = None,
) -> None:
    """Validate recorded traffic or a migration extract line by line, in constant memory."""
    from harness.stream.validate import run_validate_stream

    raise typer.Exit(run_validate_stream(file, errors_out=errors_out, show=max_errors, root=root, jobs=jobs))


@app.command()
def verify(
    provider: Annotated[str, typer.Option("--provider", help="The provider to verify, e.g. field-monitoring-service.")],
    bus: Annotated[
        str,
        typer.Option(
            "--bus",
            help="memory (default, in-process), amqp://, nats://, redis://, kafka://, container:KIND.",
        ),
    ] = "memory",
    supplier_app: Annotated[
        str | None, typer.Option("--supplier-app", help="The supplier's FastStream app, MODULE:APP.")
    ] = None,
    supplier_cmd: Annotated[
        str | None,
        typer.Option("--supplier-cmd", help="Start the supplier as a process (any language); needs a broker --bus."),
    ] = None,
    interaction: Annotated[
        list[str] | None,
        typer.Option("--interaction", help="Verify only interactions whose 'consumer / description' contains this."),
    ] = None,
    channel_prefix: Annotated[
        str | None,
        typer.Option(
            "--channel-prefix",
            help="Channel prefix on a broker (default: one per run when the harness starts the supplier).",
        ),
    ] = None,
    connect_timeout: Annotated[float, typer.Option("--connect-timeout", help="Seconds to reach the broker.")] = 10.0,
    ready_timeout: Annotated[
        float, typer.Option("--ready-timeout", help="Seconds for a --supplier-cmd to announce it is ready.")
    ] = 30.0,
    junit: Annotated[Path | None, typer.Option("--junit", help="Write JUnit XML here.")] = None,
    json_out: Annotated[Path | None, typer.Option("--json", help="Write everything recorded, as JSON, here.")] = None,
    html_out: Annotated[Path | None, typer.Option("--html", help="Write a self-contained HTML report here.")] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="Seed for the synthetic data (repeatable runs).")] = None,
    flow: Annotated[
        list[str] | None,
        typer.Option(
            "--flow",
            help="Run only the flows (contracts/flows) whose name contains this; 'none' runs no flow. "
            "Default: every flow of the provider (none when --interaction is given).",
        ),
    ] = None,
    faults: Annotated[
        str | None,
        typer.Option(
            "--faults",
            help="Delivery faults to inject into the flows that list them: duplicate,reorder,delay,redeliver,poison "
            "or all.",
        ),
    ] = None,
    clock: Annotated[
        str,
        typer.Option("--clock", help="virtual (default: simulated time on em-harness.sim-clock) or wall."),
    ] = "virtual",
    root: RootOption = None,
) -> None:
    """Verify one provider against every contract that names it (exit 0 pass, 1 contract failure, 2 error)."""
    from harness.verify.command import run_verify

    raise typer.Exit(
        run_verify(
            provider,
            bus=bus,
            supplier_app=supplier_app,
            supplier_cmd=supplier_cmd,
            only=interaction,
            channel_prefix=channel_prefix,
            connect_timeout=connect_timeout,
            ready_timeout=ready_timeout,
            junit=junit,
            json_out=json_out,
            html_out=html_out,
            root=root,
            seed=seed,
            flows=flow,
            faults=faults,
            clock=clock,
        )
    )


@app.command()
def compat(
    old: Annotated[str, typer.Argument(help="The old schema file, or a message's version folder (schemas/<message>).")],
    new: Annotated[str | None, typer.Argument(help="The new schema file (leave out with a version folder).")] = None,
    mode: Annotated[
        str,
        typer.Option(
            "--mode",
            help="backward | forward | full | backward-transitive | forward-transitive | full-transitive.",
        ),
    ] = "backward",
    lenient: Annotated[
        bool, typer.Option("--lenient", help="Allow adding and removing optional properties in any content model.")
    ] = False,
    json_out: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    consumers: Annotated[
        bool,
        typer.Option(
            "--consumers",
            help="Also report which consumer pacts (and flows) of OLD's message break under NEW. The exit code is "
            "then the consumers' verdict: 1 only when a current consumer breaks; a breaking change no current "
            "consumer depends on is listed as 'safe for current consumers' and exits 0.",
        ),
    ] = False,
    root: RootOption = None,
) -> None:
    """Schema evolution check: each change with a code and a JSON pointer (exit 0 compatible, 1 breaking, 2 error).

    With --consumers: exit 1 only when a current consumer breaks (its example no longer validates, it expects
    a field NEW no longer declares, or a matching rule sits on a removed or retyped place); 0 otherwise.
    """
    from harness.evolve.render import run_compat

    raise typer.Exit(
        run_compat(old, new, mode=mode, lenient=lenient, json_out=json_out, consumers=consumers, root=root)
    )


@app.command("diff")
def diff_command(
    base: Annotated[str, typer.Option("--base", help="The git ref to compare with: a branch, tag or commit.")],
    root: RootOption = None,
    mode: Annotated[
        str, typer.Option("--mode", help="backward | forward | full: what a changed existing version must keep.")
    ] = "full",
    strict: Annotated[
        bool,
        typer.Option(
            "--strict",
            help="Count adding or removing an optional payload field as breaking (by default it is compatible: "
            "providers may not send undeclared fields, so open payloads are closed in practice).",
        ),
    ] = False,
    json_out: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """The catalogue at a git ref against the working tree, with consumer impact (exit 0 ok, 1 breaking, 2 error).

    A changed existing schema version must be compatible in --mode (full) and break no current consumer pact;
    a new version file is info; removed versions, channels, messages and changed channel addresses are breaking.
    """
    from harness.evolve.render import run_diff

    raise typer.Exit(run_diff(base, root, mode=mode, lenient=not strict, json_out=json_out))


def _quiet_libraries() -> None:
    """Broker clients log their own connection errors and unclosed-resource warnings; the harness
    reports the failure itself, in one line, so theirs would only repeat it as noise."""
    import logging
    import warnings

    for name in ("aio_pika", "aiormq", "aiokafka", "nats", "redis", "faststream", "asyncio"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    warnings.filterwarnings("ignore", category=ResourceWarning)
    warnings.filterwarnings("ignore", message="Unclosed")


def main() -> None:
    """Console entry point: every user-caused error becomes one line and exit code 2."""
    debug = os.environ.get("EM_HARNESS_DEBUG") == "1"
    if not debug:
        _quiet_libraries()
    try:
        # Call the click command directly: typer's own __call__ decorates exceptions, which fails on frozen ones.
        typer.main.get_command(app)(standalone_mode=True)
    except HarnessError as exc:
        if debug:
            raise
        print(f"em-harness: error: {exc}", file=sys.stderr)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        print("em-harness: interrupted", file=sys.stderr)
        sys.exit(130)
    except Exception as exc:  # a harness bug: still one line, still exit 2
        if debug:
            raise
        print(
            f"em-harness: internal error: {type(exc).__name__}: {exc} (set EM_HARNESS_DEBUG=1 for a traceback)",
            file=sys.stderr,
        )
        sys.exit(2)


if __name__ == "__main__":
    main()
