"""Property: fire times are strictly increasing, after `after`, and exactly the matching minutes.

An independent oracle walks every UTC minute after `after`, turns it into the
zone's wall time, and keeps the first instant of each matching wall time that
was not seen before; `Schedule` must agree with it minute for minute.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from dbtier.schedule import CronExpression, Schedule, parse_expression

ZONES = [
    "UTC",
    "Asia/Tokyo",
    "America/New_York",
    "Europe/London",
    "Australia/Lord_Howe",  # a 30-minute daylight-saving shift
    "America/Santiago",  # shifts at midnight
]
# Windows that contain a DST transition in some of the zones above.
ANCHORS = [
    datetime(2026, 3, 7, 12, tzinfo=UTC),
    datetime(2026, 3, 28, 12, tzinfo=UTC),
    datetime(2026, 4, 4, 6, tzinfo=UTC),
    datetime(2026, 10, 3, 12, tzinfo=UTC),
    datetime(2026, 10, 24, 12, tzinfo=UTC),
    datetime(2026, 10, 31, 12, tzinfo=UTC),
    datetime(2027, 2, 27, 12, tzinfo=UTC),
]
WINDOW = timedelta(hours=36)


def plain(low: int, high: int) -> st.SearchStrategy[str]:
    value = st.integers(low, high)
    single = value.map(str)
    span = st.tuples(value, value).map(lambda ab: f"{ab[0]}-{ab[1]}")
    step = st.tuples(value, st.integers(1, max(1, high - low))).map(lambda s: f"{s[0]}/{s[1]}")
    item = st.one_of(single, span, step)
    listed = st.lists(item, min_size=1, max_size=3).map(",".join)
    return st.one_of(st.just("*"), listed)


minutes = plain(0, 59)
hours = st.one_of(st.just("*"), plain(0, 23), st.sampled_from(["1-3", "0-2", "22-2", "2", "1"]))
day_of_month = st.one_of(
    st.just("*"),
    plain(1, 31),
    st.sampled_from(["L", "LW", "L-2", "1W", "15W", "31W"]),
)
day_of_week = st.one_of(
    st.just("*"),
    st.lists(st.sampled_from(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]), min_size=1).map(
        ",".join
    ),
    st.sampled_from(["MON-FRI", "FRI-MON", "L", "1L", "6L", "1#1", "7#2", "2#5"]),
)


@st.composite
def cron_text(draw: st.DrawFn) -> str:
    dom_first = draw(st.booleans())
    dom = draw(day_of_month) if dom_first else "?"
    dow = "?" if dom_first else draw(day_of_week)
    return f"cron({draw(minutes)} {draw(hours)} {dom} * {dow} *)"


def oracle(
    expression: CronExpression, zone: ZoneInfo, after: datetime, until: datetime
) -> list[datetime]:
    found, seen = [], set()
    moment = after.replace(second=0, microsecond=0) + timedelta(minutes=1)
    while moment <= until:
        wall = moment.astimezone(zone).replace(tzinfo=None)
        if wall not in seen and expression.matches(wall):
            found.append(moment)
        seen.add(wall)
        moment += timedelta(minutes=1)
    return found


@settings(max_examples=150, deadline=None)
@given(
    text=cron_text(),
    zone_name=st.sampled_from(ZONES),
    anchor=st.sampled_from(ANCHORS),
    offset=st.integers(0, 24 * 60 * 60),
)
def test_cron_fire_times_match_a_minute_by_minute_oracle(
    text: str, zone_name: str, anchor: datetime, offset: int
) -> None:
    after = anchor + timedelta(seconds=offset)
    schedule = Schedule(text, zone_name)
    expression = parse_expression(text)
    assert isinstance(expression, CronExpression)
    times = [t.astimezone(UTC) for t in schedule.next_fire_times(after, 40)]
    # Compare up to the window's end, or the 40th fire time if that comes first.
    until = min(after + WINDOW, times[-1]) if len(times) == 40 else after + WINDOW
    in_window = [t for t in times if t <= until]
    assert in_window == oracle(expression, schedule.zone, after, until)
    assert all(a < b for a, b in pairwise(times))
    assert all(t > after for t in times)
    for t in times:
        local = t.astimezone(schedule.zone)
        assert local.tzinfo is schedule.zone
        assert expression.matches(local.replace(tzinfo=None))


@settings(max_examples=60, deadline=None)
@given(
    value=st.integers(1, 500),
    unit=st.sampled_from(["minute", "hour", "day"]),
    zone_name=st.sampled_from(ZONES),
    anchor=st.sampled_from(ANCHORS),
)
def test_rate_fire_times_are_evenly_spaced_in_real_time(
    value: int, unit: str, zone_name: str, anchor: datetime
) -> None:
    text = f"rate({value} {unit if value == 1 else unit + 's'})"
    schedule = Schedule(text, zone_name)
    times = [t.astimezone(UTC) for t in schedule.next_fire_times(anchor, 5)]
    step = timedelta(**{unit + "s": value})
    assert times[0] > anchor
    assert times[0] - step <= anchor
    assert all(b - a == step for a, b in pairwise(times))
