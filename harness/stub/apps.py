"""In-process stub apps for the memory bus: `--supplier-app harness.stub.apps:field_monitoring_service`.

An attribute is the provider's name with `-` as `_`; each is built on first use, for the bus in EM_BUS_URL
(verify sets it before importing) and the catalogue in EM_HARNESS_ROOT or the current folder.
"""

from __future__ import annotations

from typing import Any

_APPS: dict[str, Any] = {}


def __getattr__(name: str) -> Any:
    if name.startswith("__"):
        raise AttributeError(name)
    if name not in _APPS:
        from harness.stub.run import in_process_app

        _APPS[name] = in_process_app(name.replace("_", "-"))
    return _APPS[name]
