"""Differential check in UTC against aws-croniter 2.1.1, an AWS cron library without time zones.

aws-croniter only evaluates in UTC and has no rate() or at(), so dbtier keeps
its own engine (README, "Hand-written parts"); where both apply they must
agree. Left out are two forms aws-croniter 2.1.1 gets wrong: `L` alone in
day-of-week (AWS: the last day of the week, Saturday; it finds nothing) and
`LW` in day-of-month (it raises ValueError). It also stops searching after a
few years, so a shorter answer from it must be a prefix of ours.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from aws_croniter import AwsCroniter
from hypothesis import given, settings
from hypothesis import strategies as st

from dbtier.schedule import Schedule


def plain(low: int, high: int) -> st.SearchStrategy[str]:
    value = st.integers(low, high)
    item = st.one_of(
        value.map(str),
        st.tuples(value, value).map(lambda ab: f"{ab[0]}-{ab[1]}"),
        st.tuples(value, st.integers(1, high - low)).map(lambda s: f"{s[0]}/{s[1]}"),
    )
    return st.one_of(st.just("*"), st.lists(item, min_size=1, max_size=3).map(",".join))


@st.composite
def fields(draw: st.DrawFn) -> str:
    if draw(st.booleans()):
        dom = draw(st.one_of(plain(1, 31), st.sampled_from(["L", "L-2", "1W", "15W", "31W"])))
        dow = "?"
    else:
        dom = "?"
        dow = draw(
            st.one_of(
                plain(1, 7).filter(lambda text: "/" not in text),
                st.sampled_from(["MON-FRI", "FRI-MON", "SUN,SAT", "1L", "6L", "2#1", "7#2", "2#5"]),
            )
        )
    return f"{draw(plain(0, 59))} {draw(plain(0, 23))} {dom} {draw(plain(1, 12))} {dow} *"


@settings(max_examples=200, deadline=None)
@given(expression=fields(), minutes=st.integers(0, 60 * 24 * 366 * 3))
def test_same_fire_times_as_aws_croniter_in_utc(expression: str, minutes: int) -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=minutes)
    ours = Schedule(f"cron({expression})", "UTC").next_fire_times(start, 5)
    theirs = [t for t in AwsCroniter(expression).get_next(start, 5) if t is not None]
    assert theirs == ours[: len(theirs)]
    if len(ours) == 5 and ours[-1] - start < timedelta(days=365):
        assert len(theirs) == 5
