"""Daylight saving in America/New_York, by EventBridge Scheduler's rules.

2026-03-08: clocks go from 02:00 EST to 03:00 EDT, so 02:00-02:59 does not
exist and a run at such a time is skipped that day. 2026-11-01: clocks go from
02:00 EDT back to 01:00 EST, so 01:00-01:59 occurs twice and a run there fires
once, at the first occurrence (EDT). A `rate` in days is 24 hours.
"""

from __future__ import annotations

from datetime import UTC, datetime

from dbtier.schedule import Schedule

NY = "America/New_York"


def iso(schedule: Schedule, after: datetime, n: int) -> list[str]:
    return [t.isoformat() for t in schedule.next_fire_times(after, n)]


def test_spring_forward_skips_the_time_that_does_not_exist() -> None:
    schedule = Schedule("cron(30 2 * * ? *)", NY)
    assert iso(schedule, datetime(2026, 3, 7, 0, 0), 3) == [
        "2026-03-07T02:30:00-05:00",
        "2026-03-09T02:30:00-04:00",  # 2026-03-08 02:30 does not exist: skipped
        "2026-03-10T02:30:00-04:00",
    ]


def test_spring_forward_every_half_hour_jumps_the_missing_hour() -> None:
    schedule = Schedule("cron(0/30 * * * ? *)", NY)
    assert iso(schedule, datetime(2026, 3, 8, 1, 0), 3) == [
        "2026-03-08T01:30:00-05:00",
        "2026-03-08T03:00:00-04:00",
        "2026-03-08T03:30:00-04:00",
    ]


def test_fall_back_fires_once_at_the_first_occurrence() -> None:
    schedule = Schedule("cron(30 1 * * ? *)", NY)
    times = schedule.next_fire_times(datetime(2026, 10, 31, 12, 0), 2)
    assert [t.isoformat() for t in times] == [
        "2026-11-01T01:30:00-04:00",  # EDT, before the shift; not again at 01:30 EST
        "2026-11-02T01:30:00-05:00",
    ]
    assert times[0].astimezone(UTC) == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)


def test_fall_back_every_half_hour_does_not_repeat_the_hour() -> None:
    schedule = Schedule("cron(0/30 * * * ? *)", NY)
    times = schedule.next_fire_times(datetime(2026, 11, 1, 0, 45), 3)
    assert [t.astimezone(UTC).isoformat() for t in times] == [
        "2026-11-01T05:00:00+00:00",  # 01:00 EDT
        "2026-11-01T05:30:00+00:00",  # 01:30 EDT
        "2026-11-01T07:00:00+00:00",  # 02:00 EST; 01:00 and 01:30 EST do not fire again
    ]
    # From inside the repeated hour (01:10 EST), the next fire is 02:00 EST.
    inside = datetime(2026, 11, 1, 6, 10, tzinfo=UTC)
    assert iso(schedule, inside, 1) == ["2026-11-01T02:00:00-05:00"]


def test_rate_in_days_is_24_hours_across_both_shifts() -> None:
    start = datetime(2026, 3, 7, 9, 0)  # 09:00 EST, read in the schedule's zone
    schedule = Schedule("rate(1 day)", NY, start_date=start)
    assert iso(schedule, start, 2) == [
        "2026-03-08T10:00:00-04:00",  # 24 hours later is 10:00 EDT
        "2026-03-09T10:00:00-04:00",
    ]
    autumn = datetime(2026, 10, 31, 10, 0)
    schedule = Schedule("rate(1 day)", NY, start_date=autumn)
    assert iso(schedule, autumn, 1) == ["2026-11-01T09:00:00-05:00"]


def test_at_in_the_missing_hour_never_fires_and_in_the_repeated_hour_fires_once() -> None:
    before = datetime(2026, 1, 1, tzinfo=UTC)
    assert Schedule("at(2026-03-08T02:30:00)", NY).next_fire_times(before, 2) == []
    assert iso(Schedule("at(2026-11-01T01:30:00)", NY), before, 2) == ["2026-11-01T01:30:00-04:00"]


def test_zones_without_dst_and_utc_are_plain() -> None:
    tokyo = Schedule("cron(30 2 * * ? *)")  # Asia/Tokyo, no DST
    assert iso(tokyo, datetime(2026, 3, 8, 0, 0), 2) == [
        "2026-03-08T02:30:00+09:00",
        "2026-03-09T02:30:00+09:00",
    ]
    utc = Schedule("cron(30 2 * * ? *)", "UTC")
    assert iso(utc, datetime(2026, 3, 8, 0, 0, tzinfo=UTC), 1) == ["2026-03-08T02:30:00+00:00"]


def test_naive_after_is_read_in_the_schedule_zone() -> None:
    schedule = Schedule("cron(0 9 * * ? *)", NY)
    naive = schedule.next_fire_time(datetime(2026, 6, 1, 8, 59))
    aware = schedule.next_fire_time(datetime(2026, 6, 1, 12, 59, tzinfo=UTC))
    assert naive == aware
    assert naive is not None and naive.isoformat() == "2026-06-01T09:00:00-04:00"
