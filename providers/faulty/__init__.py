"""Deliberately faulty suppliers: the reference FMS or MDSS with exactly one realistic bug each.

Every module exposes `app` (a FastStream app), `PROVIDER` (the system it pretends to be), `CAUGHT_BY`
(the command that must catch it), `CAUGHT_IN` (the provider state whose interactions expose it),
`MESSAGE` (the message type the bug is in), `CHECK` (the one check it fails), and `EXPECTED_INTERACTION` /
`EXPECTED_FIELD` (what fails, "<consumer> / <description>" for a pact interaction, "flow / <name>" or
"fault-<fault> / <flow>" for a flow, and what its FAIL line names); its docstring names the bug.
They are built by reusing the reference supplier with one publisher hook or one service method changed,
never by copying it, so the reference and the faulty variant differ by exactly the bug. `em-harness <CAUGHT_BY>
--provider <PROVIDER> --supplier-app providers.faulty.<module>:app` must fail for each of them.
"""

from __future__ import annotations

MODULES = (
    "int_as_string",
    "missing_required_field",
    "wrong_enum_case",
    "local_time_for_utc",
    "utc_offset_not_z",
    "wrong_routing_key",
    "late_reply",
    "leaks_date_of_birth",
    "never_sends_monitoring_ended",
    "accepts_duplicate_orders",
    "excuse_without_reason",
    "wrong_correlation",
    "second_case",
    "unannounced_case_id",
    "wrong_event_id",
    "utc_for_london",
    "end_before_start",
    "excused_but_open",
    "name_in_description",
    "not_idempotent",
    "dies_on_poison",
)

SIMULATED = (
    "misses_short_breaches",
    "late_zone_breaches",
    "naive_clock_change",
    "drops_buffered_positions",
)
"""Faulty suppliers no contract check can see (every message is valid and correlated): caught by
`em-harness simulate --scenario ...` (their CAUGHT_BY) scoring them against a simulated world's truth.
They declare FAILS as (kind, metric) pairs: every threshold they miss."""
