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
StoreOption = Annotated[
    str | None,
    typer.Option(
        "--store",
        help="The gate store: a SQLAlchemy URL (sqlite:///FILE, postgresql://...) or a SQLite file "
        "(default: EM_HARNESS_STORE, else .em-harness/gate.db in the project).",
    ),
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
    integrity: Annotated[
        bool,
        typer.Option(
            "--integrity",
            help="Also check references across lines (each device activated, each case created) and duplicate "
            "eventIds, in bounded memory (a temporary store on disk).",
        ),
    ] = False,
    root: RootOption = None,
) -> None:
    """Validate recorded traffic or a migration extract line by line, in constant memory."""
    from harness.stream.validate import run_validate_stream

    raise typer.Exit(
        run_validate_stream(file, errors_out=errors_out, show=max_errors, root=root, jobs=jobs, integrity=integrity)
    )


@app.command()
def reconcile(
    old: Annotated[str, typer.Argument(help="The outgoing supplier's extract (JSON Lines), or - for standard input.")],
    new: Annotated[str, typer.Argument(help="What the new side holds (JSON Lines), or - for standard input.")],
    out: Annotated[
        Path | None, typer.Option("--out", help="Write every difference and unusable line here, as JSON lines.")
    ] = None,
    show: Annotated[int, typer.Option("--show", help="How many differences to print.")] = 20,
    root: RootOption = None,
) -> None:
    """A data migration: records matched per message type and key (exit 0 reconciled, 1 not, 2 error)."""
    from harness.stream.reconcile import run_reconcile

    raise typer.Exit(run_reconcile(old, new, out=out, show=show, root=root))


@app.command()
def verify(
    provider: Annotated[str, typer.Option("--provider", help="The provider to verify, e.g. field-monitoring-service.")],
    bus: Annotated[
        str,
        typer.Option(
            "--bus",
            help="memory (default, in-process), nats://, amqp://, redis://, kafka://, sqs://HOST:PORT?region=R "
            "(SNS/SQS), container:KIND.",
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
    publish: Annotated[
        bool,
        typer.Option(
            "--publish",
            help="Record the verification in the gate store (needs --provider-version). A pact the provider has "
            "never passed is pending: its failures do not fail the run, but they block can-i-deploy.",
        ),
    ] = False,
    provider_version: Annotated[
        str | None, typer.Option("--provider-version", help="The supplier version verified (with --publish).")
    ] = None,
    branch: Annotated[
        str | None, typer.Option("--branch", help="The supplier version's branch (with --publish).")
    ] = None,
    store: StoreOption = None,
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
    min_coverage: Annotated[
        float | None,
        typer.Option(
            "--min-coverage",
            help="Fail (exit 1) when any coverage measure (message types, provider states, enumeration values, "
            "oneOf branches the supplier's messages exercised) is below this percentage.",
        ),
    ] = None,
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
            publish=publish,
            provider_version=provider_version,
            branch=branch,
            store=store,
            flows=flow,
            faults=faults,
            clock=clock,
            min_coverage=min_coverage,
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


# -- the gate (harness/gate): publish, deployments, can-i-deploy, evidence, serve ------------------------
@app.command()
def publish(
    consumer_version: Annotated[
        str, typer.Option("--consumer-version", help="The consumer version these pacts belong to.")
    ],
    branch: Annotated[str | None, typer.Option("--branch", help="The consumer version's branch.")] = None,
    consumer: Annotated[
        list[str] | None,
        typer.Option("--consumer", help="Publish only this consumer's pacts (repeatable; default: every consumer)."),
    ] = None,
    store: StoreOption = None,
    root: RootOption = None,
) -> None:
    """Publish the pacts in contracts/pacts, with the catalogue's content hash, to the gate store."""
    from harness.gate.commands import run_publish

    raise typer.Exit(run_publish(consumer_version, branch=branch, consumers=consumer, store=store, root=root))


@app.command("record-deployment")
def record_deployment(
    pacticipant: Annotated[str, typer.Option("--pacticipant", help="The application, e.g. cemo.")],
    version: Annotated[str, typer.Option("--version", help="The version now running.")],
    env: Annotated[str, typer.Option("--env", "--environment", help="The environment, e.g. production.")],
    instance: Annotated[
        str | None, typer.Option("--application-instance", help="When several instances run side by side.")
    ] = None,
    create_env: Annotated[
        bool, typer.Option("--create-env", help="Create the environment if the gate does not know it yet.")
    ] = False,
    store: StoreOption = None,
    root: RootOption = None,
) -> None:
    """Note what runs where (the version it replaces in that environment is undeployed)."""
    from harness.gate.commands import run_record_deployment

    raise typer.Exit(
        run_record_deployment(
            pacticipant, version, env, instance=instance, create_env=create_env, store=store, root=root
        )
    )


@app.command("record-undeployment")
def record_undeployment(
    pacticipant: Annotated[str, typer.Option("--pacticipant", help="The application, e.g. cemo.")],
    env: Annotated[str, typer.Option("--env", "--environment", help="The environment it left.")],
    version: Annotated[
        str | None, typer.Option("--version", help="Only this version (default: whatever is deployed there).")
    ] = None,
    instance: Annotated[str | None, typer.Option("--application-instance", help="Only this instance.")] = None,
    store: StoreOption = None,
    root: RootOption = None,
) -> None:
    """Note that an application no longer runs in an environment."""
    from harness.gate.commands import run_record_undeployment

    raise typer.Exit(
        run_record_undeployment(pacticipant, env, version=version, instance=instance, store=store, root=root)
    )


@app.command("can-i-deploy")
def can_i_deploy(
    pacticipant: Annotated[str, typer.Option("--pacticipant", help="The application to deploy.")],
    version: Annotated[str, typer.Option("--version", help="Its version.")],
    to: Annotated[str, typer.Option("--to", "--to-environment", help="The environment.")],
    output: Annotated[str, typer.Option("--output", "-o", help="table (default) or json.")] = "table",
    store: StoreOption = None,
    root: RootOption = None,
) -> None:
    """The gate: yes (exit 0) only when every counterpart deployed there has passed the pact with this
    version, in both directions; no (exit 1) with the reasons; 2 on error."""
    from harness.gate.commands import run_can_i_deploy

    raise typer.Exit(run_can_i_deploy(pacticipant, version, to, output=output, store=store, root=root))


evidence_app = typer.Typer(help="The tamper-evident evidence chain: check it, export an audit bundle.")
app.add_typer(evidence_app, name="evidence")


@evidence_app.command("verify")
def evidence_verify(
    public_key: Annotated[
        Path | None,
        typer.Option("--public-key", help="Check every signature against this Ed25519 public key (PEM)."),
    ] = None,
    head: Annotated[
        str | None,
        typer.Option("--head", help="A head hash printed earlier: fail if the chain no longer contains it."),
    ] = None,
    store: StoreOption = None,
    root: RootOption = None,
) -> None:
    """Check every record's hash, link and signature (exit 0 intact, 1 broken, naming the first bad record)."""
    from harness.gate.commands import run_evidence_verify

    raise typer.Exit(run_evidence_verify(public_key=public_key, head=head, store=store, root=root))


@evidence_app.command("export")
def evidence_export(
    out: Annotated[Path, typer.Option("--out", help="The folder to write the bundle to (created).")],
    record: Annotated[
        int | None, typer.Option("--record", help="The evidence record to export (default: the last verification).")
    ] = None,
    store: StoreOption = None,
    root: RootOption = None,
) -> None:
    """Write a self-contained audit bundle: the record, JSON, JUnit, the contracts verified, the chain, a README."""
    from harness.gate.commands import run_evidence_export

    raise typer.Exit(run_evidence_export(out, seq=record, store=store, root=root))


gate_app = typer.Typer(help="The gate's web page and Pact Broker API.")
app.add_typer(gate_app, name="gate")


@gate_app.command("serve")
def gate_serve(
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 9292,
    open_reads: Annotated[
        bool,
        typer.Option("--open-reads", help="Serve reads to any client (default: loopback only, others need the token)."),
    ] = False,
    store: StoreOption = None,
    root: RootOption = None,
) -> None:
    """The matrix web page and the Pact Broker API subset the official `pact broker` CLI uses.

    Writes need `Authorization: Bearer $EM_HARNESS_GATE_TOKEN` (without the variable, writes are refused)."""
    from harness.gate.commands import run_gate_serve

    raise typer.Exit(run_gate_serve(host=host, port=port, open_reads=open_reads, store=store, root=root))


def _quiet_libraries() -> None:
    """Broker clients log their own connection errors and unclosed-resource warnings; the harness
    reports the failure itself, in one line, so theirs would only repeat it as noise."""
    import logging
    import warnings

    for name in ("aio_pika", "aiormq", "aiokafka", "nats", "redis", "faststream", "asyncio"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    warnings.filterwarnings("ignore", category=ResourceWarning)
    warnings.filterwarnings("ignore", message="Unclosed")


@app.command()
def stub(
    provider: Annotated[str, typer.Option("--provider", help="The supplier to stand in for.")],
    bus: Annotated[str | None, typer.Option("--bus", help="The broker URL (default: EM_BUS_URL).")] = None,
    channel_prefix: Annotated[
        str | None, typer.Option("--channel-prefix", help="Prefix every channel (default: EM_CHANNEL_PREFIX).")
    ] = None,
    play: Annotated[
        str | None, typer.Option("--play", help="Publish this provider state's messages for a fresh order.")
    ] = None,
    once: Annotated[bool, typer.Option("--once", help="With --play: stop once they are published.")] = False,
    root: RootOption = None,
) -> None:
    """A stub supplier from the contract: answers the MoJ's messages as the states and pacts say (until stopped)."""
    from harness.stub.command import run_stub

    raise typer.Exit(run_stub(provider, bus, channel_prefix, play, once, root))


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
