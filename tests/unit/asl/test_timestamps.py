"""Timestamps: the RFC 3339 profile Step Functions accepts, and the form it writes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stepline.asl.timestamps import format_timestamp, parse_timestamp

UTC = UTC


@pytest.mark.parametrize(("text", "expected"), [
    ("2016-08-18T17:33:00Z", datetime(2016, 8, 18, 17, 33, 0, tzinfo=UTC)),
    ("2012-10-09T19:00:55Z", datetime(2012, 10, 9, 19, 0, 55, tzinfo=UTC)),
    ("2016-08-18T17:33:00.5Z", datetime(2016, 8, 18, 17, 33, 0, 500000, tzinfo=UTC)),
    ("2016-08-18T17:33:00.123Z", datetime(2016, 8, 18, 17, 33, 0, 123000, tzinfo=UTC)),
    ("2016-08-18T17:33:00.123456Z", datetime(2016, 8, 18, 17, 33, 0, 123456, tzinfo=UTC)),
    # any number of fraction digits; beyond microseconds they are truncated, not rounded
    ("2016-08-18T17:33:00.1234569999Z", datetime(2016, 8, 18, 17, 33, 0, 123456, tzinfo=UTC)),
    ("2016-08-18T17:33:00+01:00", datetime(2016, 8, 18, 16, 33, 0, tzinfo=UTC)),
    ("2016-08-18T17:33:00-05:30", datetime(2016, 8, 18, 23, 3, 0, tzinfo=UTC)),
    ("2016-08-18T17:33:00+00:00", datetime(2016, 8, 18, 17, 33, 0, tzinfo=UTC)),
    ("2016-08-18T17:33:00-00:00", datetime(2016, 8, 18, 17, 33, 0, tzinfo=UTC)),
    ("2016-08-18T00:30:00+23:59", datetime(2016, 8, 17, 0, 31, 0, tzinfo=UTC)),
    ("2024-02-29T23:59:59.999Z", datetime(2024, 2, 29, 23, 59, 59, 999000, tzinfo=UTC)),
    ("0001-01-01T00:00:00Z", datetime(1, 1, 1, tzinfo=UTC)),
    ("9999-12-31T23:59:59Z", datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)),
])
def test_accepts_rfc3339_timestamps(text: str, expected: datetime) -> None:
    parsed = parse_timestamp(text)
    assert parsed == expected
    assert parsed is not None and parsed.tzinfo is not None


@pytest.mark.parametrize("text", [
    "2016-08-18T17:33:00",            # the offset is required
    "2012-10-09T19:00:55",
    "2016-08-18t17:33:00Z",           # "an uppercase T must separate the date and time"
    "2016-08-18T17:33:00z",           # "an uppercase Z must denote ..."
    "2016-08-18 17:33:00Z",           # no space separator
    "2023-02-24 12:15:56.832957",
    "2023-02-24",                     # a date alone
    "17:33:00Z",                      # a time alone
    "2016-13-18T17:33:00Z",           # month 13
    "2016-00-18T17:33:00Z",           # month 0
    "2016-02-30T17:33:00Z",           # 30 February
    "2023-02-29T17:33:00Z",           # not a leap year
    "2016-08-32T17:33:00Z",
    "2016-08-18T25:33:00Z",           # hour 25
    "2016-08-18T24:00:00Z",
    "2016-08-18T17:60:00Z",
    "2016-08-18T17:33:60Z",           # no leap seconds (Python cannot hold them)
    "2016-08-18T17:33:61Z",
    "0000-01-01T00:00:00Z",           # year 0 does not exist in Python's calendar
    "18-08-2016T17:33:00Z",           # wrong field order
    "2016/08/18T17:33:00Z",
    "2016-8-18T17:33:00Z",            # fields are fixed width
    "2016-08-18T7:33:00Z",
    "20160818T173300Z",               # the basic (non-extended) format
    "2016-08-18T17:33Z",              # seconds are required
    "2016-08-18T17:33:00.Z",          # a dot needs digits
    "2016-08-18T17:33:00,5Z",
    "2016-08-18T17:33:00+0100",       # the offset has a colon
    "2016-08-18T17:33:00+01",
    "2016-08-18T17:33:00+24:00",      # offset hours 00-23
    "2016-08-18T17:33:00+01:60",
    "2016-08-18T17:33:00ZZ",
    "2016-08-18T17:33:00Z ",
    " 2016-08-18T17:33:00Z",
    "2016-08-18T17:33:00Z\n",
    "\uff12016-08-18T17:33:00Z",     # a fullwidth digit is not a digit here
    "",
    "HelloWorld",
])
def test_refuses_anything_else(text: str) -> None:
    assert parse_timestamp(text) is None


@pytest.mark.parametrize("value", [None, 0, 1.5, True, [], {}])
def test_non_strings_are_not_timestamps(value: object) -> None:
    assert parse_timestamp(value) is None  # type: ignore[arg-type]


def test_offsets_denote_the_same_instant() -> None:
    assert parse_timestamp("2012-10-09T19:00:55Z") == parse_timestamp("2012-10-09T20:00:55+01:00")
    assert parse_timestamp("2012-10-09T19:00:55+01:00") < parse_timestamp("2012-10-09T18:30:00Z")  # type: ignore[operator]


@pytest.mark.parametrize(("dt", "text"), [
    (datetime(2024, 1, 2, 3, 4, 5, 678000, tzinfo=UTC), "2024-01-02T03:04:05.678Z"),
    (datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC), "2024-01-02T03:04:05.000Z"),
    (datetime(2024, 1, 2, 3, 4, 5, 678999, tzinfo=UTC), "2024-01-02T03:04:05.678Z"),  # truncated
    (datetime(2024, 1, 2, 4, 4, 5, 1000, tzinfo=timezone(timedelta(hours=1))), "2024-01-02T03:04:05.001Z"),
    (datetime(2024, 1, 1, 0, 30, tzinfo=timezone(timedelta(hours=-1))), "2024-01-01T01:30:00.000Z"),
    (datetime(2024, 1, 2, 3, 4, 5, 678000), "2024-01-02T03:04:05.678Z"),  # naive: taken as UTC
    (datetime(999, 1, 2, 3, 4, 5, tzinfo=UTC), "0999-01-02T03:04:05.000Z"),
])
def test_format_timestamp(dt: datetime, text: str) -> None:
    assert format_timestamp(dt) == text


@given(st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30),
                    timezones=st.sampled_from([UTC, timezone(timedelta(hours=5, minutes=30)),
                                               timezone(timedelta(hours=-8))])))
def test_format_then_parse_keeps_the_instant_to_the_millisecond(dt: datetime) -> None:
    parsed = parse_timestamp(format_timestamp(dt))
    assert parsed is not None
    assert parsed == dt.replace(microsecond=dt.microsecond // 1000 * 1000)
