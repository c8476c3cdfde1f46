"""Schema examples as test messages: the catalogue's own valid messages, changed per test."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"


def load_example(name: str, index: int = 0, **changes: Any) -> dict[str, Any]:
    examples = json.loads((SCHEMAS / name / "v1.json").read_text(encoding="utf-8"))["examples"]
    message = copy.deepcopy(examples[index])
    message["additionalInformation"].update(changes)
    return message


@pytest.fixture
def example() -> Callable[..., dict[str, Any]]:
    """example(message, index=0, **payload_changes) -> a copy of a schema example."""
    return load_example
