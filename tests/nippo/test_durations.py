"""`nippo.durations`: the seed's `1h10m` / `6h 10m` durations, both ways."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dbtier.errors import UsageError
from nippo.durations import MAX_MINUTES, DurationError, format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("1h10m", 70),
        ("1h", 60),
        ("4h", 240),
        ("45m", 45),
        ("6h 10m", 370),
        ("6h10m", 370),
        ("19h 40m", 1180),
        ("31h 25m", 1885),
        ("0m", 0),
        ("90m", 90),
        (" 1h ", 60),
        ("6h  10m", 370),
        ("１ｈ１０ｍ", 70),  # full-width, as a Japanese IME types it
        ("６ｈ\u300010ｍ", 370),  # full-width space between
        ("1H10M", 70),
    ],
)
def test_parse_duration_reads_the_seeds_forms(text: str, minutes: int) -> None:
    assert parse_duration(text) == minutes


@pytest.mark.parametrize(
    "text", ["4hh", "h", "10", "-1h", "1m1h", "", "   ", "1.5h", "1 h", "1h10", "m", "1h 10m 5s"]
)
def test_parse_duration_rejects_other_text_naming_it(text: str) -> None:
    with pytest.raises(DurationError) as caught:
        parse_duration(text)
    assert repr(text) in str(caught.value)
    assert "1h10m" in str(caught.value)  # says what to write instead
    assert isinstance(caught.value, UsageError)
    assert caught.value.exit_code == 2


def test_minutes_after_hours_must_be_below_sixty() -> None:
    with pytest.raises(DurationError, match="write 2h15m"):
        parse_duration("1h75m")


def test_absurdly_long_durations_are_rejected() -> None:
    with pytest.raises(DurationError, match="ten years"):
        parse_duration("99999999h")
    assert parse_duration(format_duration(MAX_MINUTES)) == MAX_MINUTES


@pytest.mark.parametrize(
    ("minutes", "compact", "spaced"),
    [(370, "6h10m", "6h 10m"), (60, "1h", "1h"), (45, "45m", "45m"), (0, "0m", "0m")],
)
def test_format_duration(minutes: int, compact: str, spaced: str) -> None:
    assert format_duration(minutes) == compact
    assert format_duration(minutes, spaced=True) == spaced


def test_format_duration_refuses_negative_minutes() -> None:
    with pytest.raises(ValueError, match="negative"):
        format_duration(-1)


@settings(deadline=None)  # no timing in tests
@given(st.integers(min_value=0, max_value=MAX_MINUTES), st.booleans())
def test_format_then_parse_is_identity(minutes: int, spaced: bool) -> None:
    assert parse_duration(format_duration(minutes, spaced=spaced)) == minutes
