"""Sinks on the engine's event stream: console, JUnit XML, JSON, HTML."""
