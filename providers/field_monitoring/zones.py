"""Zone arithmetic: is a GPS fix certainly inside (or certainly outside) a circular zone?

A zone arrives as a map with the order (in the simulation, em-harness.sim-device-telemetry kind `zone-map`):
a centre and a radius in metres. A fix carries its accuracy radius (`precision`); the FMS only counts a
fix as in an exclusion zone when the whole accuracy circle is inside it (distance + precision < radius), and
as out of an inclusion zone when the whole circle is outside it. So a wearer walking along a boundary, whose
fixes drift across it by no more than their stated accuracy, raises nothing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

METRES_PER_DEGREE = 111_320.0


@dataclass(frozen=True)
class Zone:
    kind: str  # "exclusion" or "inclusion"
    latitude: float
    longitude: float
    radius_m: float

    @property
    def category(self) -> str:
        return "exclusion_zone" if self.kind == "exclusion" else "inclusion_zone"

    def breached_by(self, fix: dict[str, Any]) -> bool:
        """True when the fix certainly breaks the zone (given its precision)."""
        try:
            lat, lon = float(fix["latitude"]), float(fix["longitude"])
        except (KeyError, TypeError, ValueError):
            return False
        precision = float(fix.get("precision") or 0.0)
        d = distance_m((self.latitude, self.longitude), (lat, lon))
        if self.kind == "exclusion":
            return d + precision < self.radius_m
        return d - precision > self.radius_m


def zone_of(payload: Any) -> Zone | None:
    if not isinstance(payload, dict) or payload.get("type") not in ("exclusion", "inclusion"):
        return None
    try:
        return Zone(
            payload["type"], float(payload["latitude"]), float(payload["longitude"]), float(payload["radius_m"])
        )
    except (KeyError, TypeError, ValueError):
        return None


def distance_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Equirectangular distance in metres: exact enough over a few kilometres."""
    north = (b[0] - a[0]) * METRES_PER_DEGREE
    east = (b[1] - a[1]) * METRES_PER_DEGREE * math.cos(math.radians((a[0] + b[0]) / 2))
    return math.hypot(north, east)
