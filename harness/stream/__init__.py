"""Streaming validation of recorded traffic and migration extracts (`validate-stream`)."""
