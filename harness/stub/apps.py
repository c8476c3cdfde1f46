"""In-process stub apps for the memory bus: `--supplier-app harness.stub.apps:field_monitoring_service`.

An attribute is the provider's name with `-` as `_`; each is built on first use, for the bus in EM_BUS_URL
(verify sets it before importing) and the catalogue in EM_HARNESS_ROOT or the current folder.
"""

from __future__ import annotations

import os
from typing import Any

_APPS: dict[tuple[str, str, str], Any] = {}


def __getattr__(name: str) -> Any:
    if name.startswith("__"):
        raise AttributeError(name)
    key = (name, os.environ.get("EM_BUS_URL", ""), os.environ.get("EM_CHANNEL_PREFIX", ""))
    if key not in _APPS:  # one app per bus kind and prefix: each builds its broker for them
        from harness.stub.run import in_process_app

        _APPS[key] = in_process_app(name.replace("_", "-"))
    return _APPS[key]
