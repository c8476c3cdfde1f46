"""EM compliance: device telemetry checked against rules (the battery rule today)."""
