"""A registry of compiled validators: jsonschema for exact messages, jsonschema-rs for the hot path."""
