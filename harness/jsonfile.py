"""Reading JSON and YAML files a user gave us: one clear line on failure, never a traceback."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from harness.errors import UnusableInput


def read_text(path: Path) -> str:
    try:
        return path.read_text("utf-8")
    except FileNotFoundError:
        raise UnusableInput(f"{path}: no such file") from None
    except IsADirectoryError:
        raise UnusableInput(f"{path}: is a folder, expected a file") from None
    except UnicodeDecodeError as exc:
        raise UnusableInput(f"{path}: not UTF-8 text (byte {exc.start}); save it as UTF-8") from None
    except OSError as exc:
        raise UnusableInput(f"{path}: unreadable ({exc.strerror})") from None


def load_json(path: Path) -> Any:
    """Parse a JSON file; a syntax error names the file, line and column."""
    text = read_text(path)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise UnusableInput(f"{path}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}") from None


def load_yaml(path: Path) -> Any:
    """Parse a YAML file; a syntax error names the file and line."""
    text = read_text(path)
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise UnusableInput(f"{path}{where}: invalid YAML: {problem}") from None
