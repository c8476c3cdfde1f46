"""The corpus of bad inputs (tests/bad_inputs/*.yaml): each breaks a copy of the catalogue one way and
says what every command given must answer: its exit code and a fragment of the one line it prints.

Never exit 0 on broken input, never an internal error, never a traceback, never a hang. The commands
run in this process (the console entry point with its argv), on a fresh catalogue copy per case, under
an alarm: the whole corpus takes seconds.

A case file:
    why: what the input is and what a user must be told
    edit:                       # applied to the copy, in order
      - json: contracts/pacts/cemo-field-monitoring-service.json
        set: {"/interactions/0/matchingRules/body": [1]}     # JSON pointer -> value
      - yaml: contracts/states/cemo.yaml                   # the same for a YAML file
        set: {"/states/a case exists/deadline": .inf}
      - write: schemas/x/v1.json
        text: "..."              # or parts: [[text, times], ...] (a deep nesting, a long number)
      - fifo: schemas/x/v1.json  # replaced by a named pipe
      - symlink: schemas/x/v1.json
        to: /dev/zero
      - truncate: schemas/x/v1.json
        size: 17000000           # a sparse file that big
    expect:
      - command: [lint]          # `{root}` is the copy's folder; the command runs in it
        exit: 1
        out: "fragment of stdout"   # and/or err: "fragment of stderr"
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shutil
import signal
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
CASES = sorted((Path(__file__).parent / "bad_inputs").glob("*.yaml"))
TIMEOUT = 20.0


class Hang(BaseException):
    """The command did not finish in time (a BaseException: the CLI's own handlers must not swallow it)."""


def _set(doc: Any, pointer: str, value: Any) -> None:
    tokens = [t.replace("~1", "/").replace("~0", "~") for t in pointer.split("/")[1:]]
    node = doc
    for token in tokens[:-1]:
        node = node[int(token)] if isinstance(node, list) else node[token]
    last = tokens[-1]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value


def _apply(project: Path, edit: dict[str, Any]) -> None:
    if "json" in edit:
        path = project / edit["json"]
        doc = json.loads(path.read_text("utf-8"))
        for pointer, value in edit.get("set", {}).items():
            _set(doc, pointer, value)
        path.write_text(json.dumps(doc, indent=2) + "\n", "utf-8")
    elif "yaml" in edit:
        path = project / edit["yaml"]
        doc = yaml.safe_load(path.read_text("utf-8"))
        for pointer, value in edit.get("set", {}).items():
            _set(doc, pointer, value)
        path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), "utf-8")
    elif "write" in edit:
        path = project / edit["write"]
        path.parent.mkdir(parents=True, exist_ok=True)
        text = edit["text"] if "text" in edit else "".join(s * n for s, n in edit["parts"])
        path.write_text(text, "utf-8")
    elif "fifo" in edit:
        path = project / edit["fifo"]
        path.unlink(missing_ok=True)
        os.mkfifo(path)
    elif "symlink" in edit:
        path = project / edit["symlink"]
        path.unlink(missing_ok=True)
        path.symlink_to(edit["to"])
    elif "truncate" in edit:
        with open(project / edit["truncate"], "r+b") as fh:
            fh.truncate(edit["size"])
    else:
        raise AssertionError(f"unknown edit {edit}")


def _project(tmp: Path) -> Path:
    dest = tmp / "project"
    dest.mkdir()
    shutil.copytree(ROOT / "schemas", dest / "schemas")
    shutil.copytree(ROOT / "contracts", dest / "contracts")
    shutil.copy(ROOT / "pyproject.toml", dest / "pyproject.toml")
    for apps in ("providers", "consumers", "wirekit"):
        (dest / apps).symlink_to(ROOT / apps, target_is_directory=True)
    return dest


def run_cli(args: list[str], cwd: Path, timeout: float = TIMEOUT) -> tuple[int, str, str]:
    """`em-harness ARGS` through the console entry point, in this process: (exit code, stdout, stderr)."""
    from harness import cli

    out, err = io.StringIO(), io.StringIO()

    def alarm(*_: Any) -> None:
        raise Hang(f"em-harness {' '.join(args)} did not finish in {timeout:g} s")

    old_argv, old_cwd, old_path = sys.argv, os.getcwd(), list(sys.path)
    previous = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, timeout)
    code: Any = 0
    try:
        sys.argv = ["em-harness", *args]
        os.chdir(cwd)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                cli.main()
            except SystemExit as exc:
                code = exc.code
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        sys.argv = old_argv
        os.chdir(old_cwd)
        sys.path[:] = old_path
    code = 0 if code is None else code if isinstance(code, int) else 1
    return code, out.getvalue(), _without_access_log(err.getvalue())


def _without_access_log(text: str) -> str:
    """The pact verifier's state-handler server logs each request to sys.stderr; on the command line that
    is file descriptor 2, silenced while the verifier runs (quiet_fds), but here sys.stderr is a buffer."""
    return "".join(line for line in text.splitlines(keepends=True) if not _ACCESS_LOG.match(line))


_ACCESS_LOG = re.compile(r'^\S+ - - \[[^\]]*\] "(GET|POST) ')


def test_the_corpus_is_there():
    assert len(CASES) >= 20


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_bad_input(case: Path, tmp_path: Path) -> None:
    spec = yaml.safe_load(case.read_text("utf-8"))
    assert spec.get("why") and spec.get("expect"), f"{case.name}: needs why and expect"
    project = _project(tmp_path)
    for edit in spec.get("edit") or []:
        _apply(project, edit)
    for want in spec["expect"]:
        args = [str(a).replace("{root}", str(project)) for a in want["command"]]
        code, out, err = run_cli(args, project)
        said = f"em-harness {' '.join(args)} -> {code}\nstdout: {out[-2000:]}\nstderr: {err}"
        assert code == want["exit"], said
        assert code != 0, said
        assert "Traceback" not in out + err and "internal error" not in out + err, said
        if "out" in want:
            assert want["out"] in out, said
        if "err" in want:
            assert want["err"] in err, said
        if code == 2:
            assert err.strip() and err.strip().count("\n") == 0, f"exit 2 says one line on stderr\n{said}"
