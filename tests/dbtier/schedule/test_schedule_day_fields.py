"""`L`, `W`, `#`, month and day names, ranges that wrap: fire dates worked out by hand.

Calendar facts used: 2026-08-01 is a Saturday, 2026-11-15 and 2027-01-31 are
Sundays, 2026-10-31 is a Saturday, 2026-12-01 a Tuesday, 2027-03-01 a Monday.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from dbtier.schedule import Schedule


def fire_dates(expression: str, after: str, n: int) -> list[date]:
    start = datetime.fromisoformat(after).replace(tzinfo=UTC)
    return [t.date() for t in Schedule(expression, "UTC").next_fire_times(start, n)]


def d(text: str) -> date:
    return date.fromisoformat(text)


CASES = [
    # L: last day of the month, leap years included.
    (
        "cron(0 0 L * ? *)",
        "2027-01-15",
        ["2027-01-31", "2027-02-28", "2027-03-31", "2027-04-30"],
    ),
    ("cron(0 0 L 2 ? *)", "2027-03-01", ["2028-02-29", "2029-02-28"]),
    # L-2: two days before the last day.
    ("cron(0 0 L-2 * ? *)", "2027-02-01", ["2027-02-26", "2027-03-29"]),
    # LW: last weekday. Oct 31 2026 is a Saturday, Jan 31 2027 a Sunday.
    ("cron(0 0 LW * ? *)", "2026-10-01", ["2026-10-30", "2026-11-30", "2026-12-31", "2027-01-29"]),
    # nW: the weekday nearest day n, never leaving the month.
    # 1W when the 1st (Aug 1 2026) is a Saturday: Monday the 3rd, not Friday July 31.
    ("cron(0 9 1W * ? *)", "2026-07-15", ["2026-08-03", "2026-09-01"]),
    # 15W: Saturday Aug 15 -> Friday 14th; Sunday Nov 15 -> Monday 16th.
    ("cron(0 9 15W 8,11 ? *)", "2026-07-01", ["2026-08-14", "2026-11-16"]),
    # 31W when the 31st (Jan 31 2027) is a Sunday: Friday the 29th; no 31st in November.
    ("cron(0 9 31W 11,1 ? *)", "2026-11-01", ["2027-01-29", "2028-01-31"]),
    # L in day-of-week alone: the last day of the week, Saturday.
    ("cron(0 0 ? * L *)", "2026-11-27", ["2026-11-28", "2026-12-05"]),
    # 5L: last Thursday (Nov 26 2026, Dec 31 2026); 6L: last Friday (Nov 27, Dec 25).
    ("cron(0 10 ? * 5L *)", "2026-11-01", ["2026-11-26", "2026-12-31", "2027-01-28"]),
    ("cron(0 10 ? * FRIL *)", "2026-11-01", ["2026-11-27", "2026-12-25"]),
    # 6#3: third Friday (Dec 1 2026 is a Tuesday, so Fridays are 4, 11, 18).
    ("cron(0 10 ? * 6#3 *)", "2026-11-30", ["2026-12-18", "2027-01-15"]),
    # 2#5: fifth Monday, only in months that have one (Nov 2026, then Mar 2027).
    ("cron(0 10 ? * MON#5 *)", "2026-11-01", ["2026-11-30", "2027-03-29"]),
    # Day ranges that wrap: FRI-MON is Fri, Sat, Sun, Mon.
    (
        "cron(0 0 ? * FRI-MON *)",
        "2026-11-25",
        ["2026-11-27", "2026-11-28", "2026-11-29", "2026-11-30"],
    ),
    # Month ranges that wrap: NOV-FEB.
    (
        "cron(0 0 1 NOV-FEB ? *)",
        "2026-10-15",
        ["2026-11-01", "2026-12-01", "2027-01-01", "2027-02-01", "2027-11-01"],
    ),
    # A 31st only in months that have one.
    ("cron(0 0 31 * ? *)", "2026-11-01", ["2026-12-31", "2027-01-31", "2027-03-31"]),
    # Day-of-month increments: 1/10 is the 1st, 11th, 21st, 31st.
    (
        "cron(0 0 1/10 * ? *)",
        "2026-12-02",
        ["2026-12-11", "2026-12-21", "2026-12-31", "2027-01-01"],
    ),
    # Years bound the schedule; a schedule past its last year has no more fire times.
    ("cron(0 0 1 1 ? 2027-2028)", "2026-06-01", ["2027-01-01", "2028-01-01"]),
    # Feb 30 never exists.
    ("cron(0 0 30 2 ? *)", "2026-01-01", []),
]


@pytest.mark.parametrize(("expression", "after", "expected"), CASES)
def test_fire_dates(expression: str, after: str, expected: list[str]) -> None:
    assert fire_dates(expression, after, len(expected)) == [d(x) for x in expected]


@pytest.mark.parametrize(
    ("expression", "count"),
    [("cron(0 0 1 1 ? 2027-2028)", 2), ("cron(0 0 30 2 ? *)", 0), ("cron(0 0 * * ? 1999)", 0)],
)
def test_a_schedule_past_its_last_fire_time_ends(expression: str, count: int) -> None:
    assert len(fire_dates(expression, "2026-06-01", 10)) == count
    last = Schedule(expression, "UTC").next_fire_times(datetime(2026, 6, 1, tzinfo=UTC), 10)
    if last:
        assert Schedule(expression, "UTC").next_fire_time(last[-1]) is None


@pytest.mark.parametrize(
    ("named", "numbered"),
    [
        ("cron(0 9 ? * MON-FRI *)", "cron(0 9 ? * 2-6 *)"),
        ("cron(0 9 ? * SUN,SAT *)", "cron(0 9 ? * 1,7 *)"),
        ("cron(0 9 1 JAN,APR,JUL,OCT ? *)", "cron(0 9 1 1,4,7,10 ? *)"),
        ("cron(0 9 1 JAN-MAR ? *)", "cron(0 9 1 1-3 ? *)"),
        ("cron(0 9 ? DEC THU#4 *)", "cron(0 9 ? 12 5#4 *)"),
        ("cron(0 9 ? * mon-fri *)", "cron(0 9 ? * 2-6 *)"),
    ],
)
def test_names_mean_their_numbers(named: str, numbered: str) -> None:
    after = datetime(2026, 11, 27, tzinfo=UTC)
    assert Schedule(named, "UTC").next_fire_times(after, 12) == Schedule(
        numbered, "UTC"
    ).next_fire_times(after, 12)


def test_sunday_is_one_and_saturday_seven() -> None:
    monday = "2026-11-23"
    assert fire_dates("cron(0 0 ? * 1 *)", monday, 1) == [d("2026-11-29")]
    assert fire_dates("cron(0 0 ? * 7 *)", monday, 1) == [d("2026-11-28")]


def test_hour_and_minute_lists_ranges_and_steps() -> None:
    start = datetime(2026, 11, 27, tzinfo=UTC)
    times = Schedule("cron(5,35 9-10,22 * * ? *)", "UTC").next_fire_times(start, 6)
    assert [(t.hour, t.minute) for t in times] == [
        (9, 5),
        (9, 35),
        (10, 5),
        (10, 35),
        (22, 5),
        (22, 35),
    ]
    times = Schedule("cron(10-40/15 */8 * * ? *)", "UTC").next_fire_times(start, 4)
    assert [(t.hour, t.minute) for t in times] == [(0, 10), (0, 25), (0, 40), (8, 10)]
