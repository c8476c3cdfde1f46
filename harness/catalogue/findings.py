"""Lint findings: `file:line: pointer: problem`, the shape every lint check reports in."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, order=True)
class Finding:
    file: str
    line: int
    pointer: str
    problem: str
    severity: str = "error"  # "error" fails lint; "warning" is shown and does not

    def render(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        tag = "" if self.severity == "error" else f"{self.severity}: "
        return f"{where}: {self.pointer or '/'}: {tag}{self.problem}"


def rel(path: Path, root: Path) -> str:
    """A path as the user sees it: relative to the project when inside it."""
    try:
        return str(Path(path).resolve().relative_to(root.resolve()))
    except ValueError:
        return str(path)
