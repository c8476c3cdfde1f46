"""The CI templates in examples/ci/ parse, hang together, and run only commands and options that exist.

A template that calls `em-harness verify --junit-xml` (a typo) or a command that was renamed would fail
in every supplier's pipeline the day they copy it; this test fails first.
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import typer
import yaml

from harness.cli import app

ROOT = Path(__file__).resolve().parent.parent
GITHUB = sorted((ROOT / "examples/ci/github").glob("*.yml"))
GITLAB = sorted((ROOT / "examples/ci/gitlab").glob("*.yml"))
COMMAND = typer.main.get_command(app)


def _load(path: Path) -> dict[str, Any]:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(doc, dict), path
    return doc


def _github_commands(doc: dict[str, Any]) -> list[str]:
    return [step["run"] for job in doc["jobs"].values() for step in job["steps"] if "run" in step]


def _gitlab_jobs(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    reserved = {"stages", "variables", "default", "include", "workflow"}
    return {name: job for name, job in doc.items() if name not in reserved and isinstance(job, dict)}


def _gitlab_commands(doc: dict[str, Any]) -> list[str]:
    out = []
    for job in [doc.get("default") or {}, *_gitlab_jobs(doc).values()]:
        for key in ("before_script", "script"):
            out.extend(job.get(key) or [])
    return out


def _em_harness_calls(commands: list[str]) -> list[list[str]]:
    calls = []
    for command in commands:
        for line in command.replace("\\\n", " ").splitlines():
            argv = shlex.split(line)
            if argv and argv[0] == "em-harness":
                calls.append(argv[1:])
    return calls


def _check_call(argv: list[str], where: str) -> None:
    """The subcommand exists and takes every option given (options of a group's subcommand too)."""
    command: Any = COMMAND
    rest = list(argv)
    while hasattr(command, "commands"):  # a group (typer carries its own click: duck-type it)
        assert rest, f"{where}: em-harness with no command"
        name = rest.pop(0)
        assert name in command.commands, f"{where}: em-harness has no command {name!r}"
        command = command.commands[name]
    known = {opt for param in command.params for opt in getattr(param, "opts", [])}
    for arg in rest:
        if arg.startswith("--"):
            option = arg.split("=", 1)[0]
            assert option in known, f"{where}: em-harness {command.name} has no option {option}"


def test_there_are_templates_for_both_ci_systems_and_both_kinds_of_user() -> None:
    names = {p.name for p in GITHUB + GITLAB}
    assert {"supplier-verify.yml", "contracts.yml"} <= names
    assert {"supplier-verify.gitlab-ci.yml", "contracts.gitlab-ci.yml"} <= names


@pytest.mark.parametrize("path", GITHUB + GITLAB, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_em_harness_call_names_a_real_command_and_real_options(path: Path) -> None:
    doc = _load(path)
    commands = _github_commands(doc) if path in GITHUB else _gitlab_commands(doc)
    calls = _em_harness_calls(commands)
    assert calls, f"{path.name} runs no em-harness command"
    for argv in calls:
        _check_call(argv, path.name)


def test_the_checker_itself_catches_a_wrong_option_and_a_wrong_command() -> None:
    with pytest.raises(AssertionError, match="no option --junit-xml"):
        _check_call(["verify", "--provider", "x", "--junit-xml", "r.xml"], "t")
    with pytest.raises(AssertionError, match="no command 'verfiy'"):
        _check_call(["verfiy", "--provider", "x"], "t")


@pytest.mark.parametrize("path", GITHUB, ids=lambda p: p.name)
def test_github_workflows_are_well_formed(path: Path) -> None:
    doc = _load(path)
    assert doc.get("on", doc.get(True)), f"{path.name}: no trigger"  # YAML 1.1 reads 'on' as true
    for name, job in doc["jobs"].items():
        assert job.get("runs-on"), f"{path.name}: job {name} has no runs-on"
        for step in job["steps"]:
            assert ("uses" in step) != ("run" in step), f"{path.name}: {step}"
            if "uses" in step:
                assert "@v" in step["uses"], f"{path.name}: pin {step['uses']} to a major version"
        env = job.get("env") or {}
        assert env.get("PACT_DO_NOT_TRACK") == "true", f"{path.name}: job {name} must set PACT_DO_NOT_TRACK"


@pytest.mark.parametrize("path", GITLAB, ids=lambda p: p.name)
def test_gitlab_pipelines_are_well_formed(path: Path) -> None:
    doc = _load(path)
    stages = doc.get("stages") or []
    assert (doc.get("variables") or {}).get("PACT_DO_NOT_TRACK") == "true"
    for name, job in _gitlab_jobs(doc).items():
        if name.startswith("."):
            continue
        assert job.get("stage") in stages, f"{path.name}: job {name} has stage {job.get('stage')!r}"
        assert job.get("script"), f"{path.name}: job {name} has no script"


def _bus_hosts(calls: list[list[str]]) -> set[tuple[str, int | None]]:
    out = set()
    for argv in calls:
        if "--bus" in argv:
            url = urlsplit(argv[argv.index("--bus") + 1])
            out.add((url.hostname or "", url.port))
    return out


def test_the_broker_a_supplier_pipeline_verifies_on_is_the_one_it_starts() -> None:
    github = _load(ROOT / "examples/ci/github/supplier-verify.yml")
    (job,) = github["jobs"].values()
    ports = {int(p.split(":")[0]) for service in job["services"].values() for p in service.get("ports", [])}
    hosts = _bus_hosts(_em_harness_calls(_github_commands(github)))
    assert hosts and all(host == "127.0.0.1" and port in ports for host, port in hosts), (hosts, ports)

    gitlab = _load(ROOT / "examples/ci/gitlab/supplier-verify.gitlab-ci.yml")
    for name, job in _gitlab_jobs(gitlab).items():
        calls = _em_harness_calls(job.get("script") or [])
        aliases = {s["alias"] for s in job.get("services") or []}
        for host, _ in _bus_hosts(calls):
            assert host in aliases, f"{name}: --bus host {host!r} is not a service of the job ({aliases})"
    reports = gitlab["em-contracts"]["artifacts"]["reports"]["junit"]
    assert any(
        f"--junit {reports}" in " ".join(c) or reports in c for c in _em_harness_calls(gitlab["em-contracts"]["script"])
    )
