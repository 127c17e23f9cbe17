"""AWS's documented cron examples (EventBridge "cron expressions" table), with their fire times.

The table's times are UTC+0, so these run in UTC. The expected times are
worked out by hand from the calendar (2026-11-27 is a Friday).
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from dbtier.schedule import Schedule


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


AWS_EXAMPLES = [
    # Run at 10:00 am (UTC+0) every day
    ("cron(0 10 * * ? *)", "2026-11-27T12:00", ["2026-11-28T10:00", "2026-11-29T10:00"]),
    # Run at 12:15 pm (UTC+0) every day
    ("cron(15 12 * * ? *)", "2026-11-27T12:00", ["2026-11-27T12:15", "2026-11-28T12:15"]),
    # Run at 6:00 pm (UTC+0) every Monday through Friday
    (
        "cron(0 18 ? * MON-FRI *)",
        "2026-11-27T12:00",
        ["2026-11-27T18:00", "2026-11-30T18:00", "2026-12-01T18:00"],
    ),
    # Run at 8:00 am (UTC+0) every 1st day of the month
    (
        "cron(0 8 1 * ? *)",
        "2026-11-27T12:00",
        ["2026-12-01T08:00", "2027-01-01T08:00", "2027-02-01T08:00"],
    ),
    # Run every 15 minutes
    (
        "cron(0/15 * * * ? *)",
        "2026-11-27T12:00",
        ["2026-11-27T12:15", "2026-11-27T12:30", "2026-11-27T12:45", "2026-11-27T13:00"],
    ),
    # Run every 10 minutes Monday through Friday (Friday night, then Monday)
    (
        "cron(0/10 * ? * MON-FRI *)",
        "2026-11-27T23:45",
        ["2026-11-27T23:50", "2026-11-30T00:00", "2026-11-30T00:10"],
    ),
    # Run every 5 minutes Monday through Friday between 8:00 am and 5:55 pm (UTC+0)
    (
        "cron(0/5 8-17 ? * MON-FRI *)",
        "2026-11-27T17:50",
        ["2026-11-27T17:55", "2026-11-30T08:00", "2026-11-30T08:05"],
    ),
    # Run every 30 minutes Monday through Friday between 10:00 pm on the starting day to
    # 2:00 am on the following day (UTC); "Run from 12:00 am to 2:00 am on Monday morning".
    # The hours field 20-2 wraps around midnight; Saturday's early hours are not MON-FRI.
    (
        "cron(0/30 20-2 ? * MON-FRI *)",
        "2026-11-27T23:00",
        [
            "2026-11-27T23:30",
            "2026-11-30T00:00",
            "2026-11-30T00:30",
            "2026-11-30T01:00",
            "2026-11-30T01:30",
            "2026-11-30T02:00",
            "2026-11-30T02:30",
            "2026-11-30T20:00",
        ],
    ),
    # Run at 9:00 am (UTC) on the first Monday of each month
    (
        "cron(0 9 ? * 2#1 *)",
        "2026-11-27T12:00",
        ["2026-12-07T09:00", "2027-01-04T09:00", "2027-02-01T09:00"],
    ),
]


@pytest.mark.parametrize(("expression", "after", "expected"), AWS_EXAMPLES)
def test_documented_example(expression: str, after: str, expected: list[str]) -> None:
    schedule = Schedule(expression, "UTC")
    times = schedule.next_fire_times(utc(after), len(expected))
    assert times == [utc(t) for t in expected]
    assert all(t.tzinfo is not None and t.utcoffset() is not None for t in times)


def test_scheduler_guide_time_zone_example() -> None:
    """The guide's `cron(30 8 * * ? *)` in America/New_York: 8:30 local, EST then EDT."""
    schedule = Schedule("cron(30 8 * * ? *)", "America/New_York")
    times = schedule.next_fire_times(datetime(2026, 3, 7, 9, 0), 2)
    assert [t.isoformat() for t in times] == [
        "2026-03-08T08:30:00-04:00",
        "2026-03-09T08:30:00-04:00",
    ]


def test_rate_examples_from_the_guide() -> None:
    """`rate(1 minute)`, `rate(5 minutes)`, `rate(1 hour)`, `rate(1 day)`, from the epoch."""
    after = utc("2026-11-27T12:01:30")
    assert Schedule("rate(1 minute)", "UTC").next_fire_times(after, 2) == [
        utc("2026-11-27T12:02"),
        utc("2026-11-27T12:03"),
    ]
    assert Schedule("rate(5 minutes)", "UTC").next_fire_time(after) == utc("2026-11-27T12:05")
    assert Schedule("rate(1 hour)", "UTC").next_fire_time(after) == utc("2026-11-27T13:00")
    assert Schedule("rate(1 day)", "UTC").next_fire_time(after) == utc("2026-11-28T00:00")


def test_at_example_from_the_guide() -> None:
    """`at(2022-11-20T13:00:00)` in America/Los_Angeles: 1 pm UTC-8."""
    schedule = Schedule("at(2022-11-20T13:00:00)", "America/Los_Angeles")
    assert schedule.next_fire_times(utc("2022-01-01T00:00"), 3) == [utc("2022-11-20T21:00")]
    assert schedule.next_fire_time(utc("2022-11-20T21:00")) is None


def test_start_date_bounds_cron_and_anchors_rate_but_not_at() -> None:
    start = utc("2026-12-01T00:00")
    cron = Schedule("cron(0 10 * * ? *)", "UTC", start_date=start)
    assert cron.next_fire_time(utc("2026-11-27T12:00")) == utc("2026-12-01T10:00")
    rate = Schedule("rate(7 days)", "UTC", start_date=utc("2026-11-27T12:34"))
    assert rate.next_fire_times(utc("2026-11-01T00:00"), 2) == [
        utc("2026-11-27T12:34"),
        utc("2026-12-04T12:34"),
    ]
    at = Schedule("at(2026-11-28T00:00:00)", "UTC", start_date=start)
    assert at.next_fire_time(utc("2026-11-27T12:00")) == utc("2026-11-28T00:00")
