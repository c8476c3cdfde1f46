"""The reference Field Monitoring Service (FMS) supplier.

`providers.field_monitoring:app` is the FastStream app (`wiring`); the domain logic is in `service`
(plain Python), which keeps orders in `orders_inbox.OrdersInbox` and does curfew arithmetic in `curfew`.
The app is built on first access, so importing the service for unit tests builds no broker.
"""

from __future__ import annotations

from typing import Any

__all__ = ["app", "broker", "supplier"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from providers.field_monitoring import wiring as module

        return getattr(module, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
