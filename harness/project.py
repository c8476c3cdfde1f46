"""Where the catalogue lives and what pyproject.toml's [tool.em-harness] says.

The harness runs from a project folder (the one holding schemas/ and contracts/). It is found from
`--root`, then EM_HARNESS_ROOT, then the current folder and its parents.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from harness.errors import HarnessError


@dataclass(frozen=True)
class Project:
    root: Path
    settings: dict = field(default_factory=dict)

    @property
    def schemas_dir(self) -> Path:
        return self.root / "schemas"

    @property
    def contracts_dir(self) -> Path:
        return self.root / "contracts"

    @property
    def asyncapi_path(self) -> Path:
        return self.contracts_dir / "asyncapi.yaml"

    @property
    def pacts_dir(self) -> Path:
        return self.contracts_dir / "pacts"

    @property
    def states_dir(self) -> Path:
        return self.contracts_dir / "states"

    @property
    def flows_dir(self) -> Path:
        return self.contracts_dir / "flows"

    def default_app(self, provider: str) -> str | None:
        """The in-process supplier app configured for a provider name, as 'module:attr'."""
        return self.settings.get("providers", {}).get(provider)


def _looks_like_root(path: Path) -> bool:
    return (path / "schemas").is_dir() and (path / "contracts").is_dir()


def find_project(root: str | os.PathLike[str] | None = None) -> Project:
    """Locate the project folder; raise a HarnessError naming what to do if there is none."""
    if root is None:
        root = os.environ.get("EM_HARNESS_ROOT")
    if root is not None:
        path = Path(root).resolve()
        if not _looks_like_root(path):
            raise HarnessError(f"{path}: not an em-harness project (needs schemas/ and contracts/); check --root")
    else:
        here = Path.cwd().resolve()
        for candidate in (here, *here.parents):
            if _looks_like_root(candidate):
                path = candidate
                break
        else:
            raise HarnessError(
                f"{here}: no schemas/ and contracts/ here or above; run from the catalogue or pass --root"
            )
    settings: dict = {}
    pyproject = path / "pyproject.toml"
    if pyproject.is_file():
        try:
            settings = tomllib.loads(pyproject.read_text("utf-8")).get("tool", {}).get("em-harness", {})
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise HarnessError(f"{pyproject}: unreadable ({exc}); fix the file") from None
    return Project(root=path, settings=settings)
