"""Reading EM messages: decoding, typed fields and the two kinds of time."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from consumers.messages import Fields, InvalidMessage, decode, parse_london, parse_utc


def test_decode_accepts_text_bytes_and_dicts() -> None:
    assert decode('{"a": 1}') == decode(b'{"a": 1}') == decode({"a": 1}) == {"a": 1}
    with pytest.raises(InvalidMessage, match="not JSON"):
        decode("{nope")
    with pytest.raises(InvalidMessage, match="not a JSON object"):
        decode("[1]")


def test_utc_forms() -> None:
    expected = datetime(2026, 6, 20, 19, 0, tzinfo=UTC)
    assert parse_utc("2026-06-20T19:00:00Z", "t") == expected
    assert parse_utc("2026-06-20T19:00:00+00:00", "t") == expected
    assert parse_utc("2026-06-20T19:00:00.123456789Z", "t").microsecond == 123456
    for bad in ("2026-06-20T20:00:00+01:00", "2026-06-20 19:00:00", 1718910000):
        with pytest.raises(InvalidMessage, match="t: expected a UTC"):
            parse_utc(bad, "t")


def test_london_time_follows_the_clock_changes() -> None:
    assert parse_london("2026-01-15 12:00:00", "t") == datetime(2026, 1, 15, 12, 0, tzinfo=UTC)  # GMT
    assert parse_london("2026-07-15 12:00:00", "t") == datetime(2026, 7, 15, 11, 0, tzinfo=UTC)  # BST
    with pytest.raises(InvalidMessage, match="London local"):
        parse_london("2026-07-15T12:00:00Z", "t")


def test_fields_name_the_problem() -> None:
    f = Fields({"n": True, "s": "", "x": 1.5, "flag": "Maybe"}, "thing")
    with pytest.raises(InvalidMessage, match=r"thing\.n: expected an integer"):
        f.integer("n")
    with pytest.raises(InvalidMessage, match=r"thing\.s: expected a non-empty string"):
        f.text("s")
    with pytest.raises(InvalidMessage, match=r"thing\.missing: missing"):
        f.text("missing")
    with pytest.raises(InvalidMessage, match="outside"):
        f.number("x", low=0, high=1)
    with pytest.raises(InvalidMessage, match="not one of Yes, No"):
        f.yes("flag")
    assert f.text("missing", optional=True) is None and f.yes("absent") is False
