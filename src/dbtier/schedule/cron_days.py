"""The two day fields of a cron expression: `?`, `L`, `W` and `#` as EventBridge reads them.

Day-of-month: a plain field (`1`, `1-15`, `1/5`, `*`), `?`, `L` (last day),
`L-n` (n days before the last), `LW` (last weekday) or `nW` (the weekday
nearest day n, never leaving the month: `1W` on a Saturday is Monday the 3rd).
Day-of-week (1-7 = SUN-SAT): a plain field without `/`, `?`, `L` (the last day
of the week, Saturday), `nL` (the last such weekday of the month, `5L` the last
Thursday) or `n#k` (the k-th such weekday, `6#3` the third Friday; only one `#`
expression in the field). `L`, `W` and `#` stand alone: they do not combine
with lists or ranges. Each rule answers one question: which days of a given
month does it select.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from dbtier.schedule.cron_fields import (
    DAY_OF_MONTH,
    DAY_OF_WEEK,
    field_error,
    parse_value,
    parse_values,
)

SATURDAY, SUNDAY = 7, 1


def aws_weekday(day: date) -> int:
    """EventBridge's day-of-week number of a date: SUN=1 ... SAT=7."""
    return (day.weekday() + 1) % 7 + 1


class DayRule(Protocol):
    """A day field's meaning: the days of a month it selects."""

    def days(self, year: int, month: int) -> frozenset[int]:
        """The days of `month` in `year` this rule selects."""
        ...


@dataclass(frozen=True)
class AnyDay:
    """`?`: this field does not restrict; the other day field does."""

    def days(self, year: int, month: int) -> frozenset[int]:
        return frozenset(range(1, calendar.monthrange(year, month)[1] + 1))


@dataclass(frozen=True)
class MonthDays:
    """Plain day-of-month values; 31 simply does not occur in a 30-day month."""

    values: tuple[int, ...]

    def days(self, year: int, month: int) -> frozenset[int]:
        last = calendar.monthrange(year, month)[1]
        return frozenset(d for d in self.values if d <= last)


@dataclass(frozen=True)
class LastDay:
    """`L` (offset 0) or `L-n`: the last day of the month, or n days before it."""

    offset: int = 0

    def days(self, year: int, month: int) -> frozenset[int]:
        day = calendar.monthrange(year, month)[1] - self.offset
        return frozenset({day}) if day >= 1 else frozenset()


def _weekday_of(year: int, month: int, day: int) -> int:
    return aws_weekday(date(year, month, day))


@dataclass(frozen=True)
class NearestWeekday:
    """`nW`: the weekday (MON-FRI) nearest day n, staying inside the month."""

    day: int

    def days(self, year: int, month: int) -> frozenset[int]:
        last = calendar.monthrange(year, month)[1]
        if self.day > last:
            return frozenset()
        weekday, day = _weekday_of(year, month, self.day), self.day
        if weekday == SATURDAY:
            day = day + 2 if day == 1 else day - 1
        elif weekday == SUNDAY:
            day = day - 2 if day == last else day + 1
        return frozenset({day})


@dataclass(frozen=True)
class LastWeekdayOfMonth:
    """`LW`: the last weekday (MON-FRI) of the month."""

    def days(self, year: int, month: int) -> frozenset[int]:
        day = calendar.monthrange(year, month)[1]
        weekday = _weekday_of(year, month, day)
        day -= {SATURDAY: 1, SUNDAY: 2}.get(weekday, 0)
        return frozenset({day})


@dataclass(frozen=True)
class Weekdays:
    """Plain day-of-week values, 1-7 = SUN-SAT."""

    values: tuple[int, ...]

    def days(self, year: int, month: int) -> frozenset[int]:
        last = calendar.monthrange(year, month)[1]
        wanted = set(self.values)
        return frozenset(d for d in range(1, last + 1) if _weekday_of(year, month, d) in wanted)


@dataclass(frozen=True)
class LastOfWeekday:
    """`nL`: the last day of the month that falls on weekday n (`6L`: last Friday)."""

    weekday: int

    def days(self, year: int, month: int) -> frozenset[int]:
        last = calendar.monthrange(year, month)[1]
        back = (_weekday_of(year, month, last) - self.weekday) % 7
        return frozenset({last - back})


@dataclass(frozen=True)
class NthWeekday:
    """`n#k`: the k-th weekday n of the month (`2#1`: first Monday); none if no k-th."""

    weekday: int
    nth: int

    def days(self, year: int, month: int) -> frozenset[int]:
        first = 1 + (self.weekday - _weekday_of(year, month, 1)) % 7
        day = first + 7 * (self.nth - 1)
        return frozenset({day}) if day <= calendar.monthrange(year, month)[1] else frozenset()


def parse_day_of_month(text: str) -> DayRule:
    """A day-of-month field: `?`, `L`, `L-n`, `LW`, `nW` or a plain field."""
    upper = text.upper()
    if upper == "?":
        return AnyDay()
    if upper == "L":
        return LastDay()
    if upper == "LW":
        return LastWeekdayOfMonth()
    if upper.startswith("L-"):
        offset = upper[2:]
        if not offset.isdigit() or not 1 <= int(offset) <= 30:
            raise field_error(DAY_OF_MONTH, text, "'L-n' needs n from 1 to 30 days before the last")
        return LastDay(int(offset))
    if upper.endswith("W"):
        if "," in upper or "-" in upper or "/" in upper or "*" in upper:
            raise field_error(DAY_OF_MONTH, text, "'W' takes one day, e.g. 15W; no lists or ranges")
        return NearestWeekday(parse_value(DAY_OF_MONTH, text[:-1], text))
    if "L" in upper or "W" in upper or "#" in upper:
        raise field_error(
            DAY_OF_MONTH, text, "'L' and 'W' stand alone (L, L-3, LW, 15W); '#' is day-of-week only"
        )
    return MonthDays(parse_values(DAY_OF_MONTH, text))


def parse_day_of_week(text: str) -> DayRule:
    """A day-of-week field: `?`, `L`, `nL`, `n#k` or a plain field without `/`."""
    upper = text.upper()
    if upper == "?":
        return AnyDay()
    if upper == "L":
        return Weekdays((SATURDAY,))
    if "#" in upper:
        if "," in upper or upper.count("#") > 1:
            raise field_error(DAY_OF_WEEK, text, "only one '#' expression is allowed in the field")
        weekday_text, _, nth = text.partition("#")
        weekday = parse_value(DAY_OF_WEEK, weekday_text, text)
        if not nth.isdigit() or not 1 <= int(nth) <= 5:
            raise field_error(DAY_OF_WEEK, text, f"'#{nth}' must be #1 to #5 (which week)")
        return NthWeekday(weekday, int(nth))
    if "L" in upper:  # no day name contains an L
        if not upper.endswith("L") or "," in upper or "-" in upper or "*" in upper:
            raise field_error(
                DAY_OF_WEEK, text, "'L' takes one weekday, e.g. 6L; no lists or ranges"
            )
        return LastOfWeekday(parse_value(DAY_OF_WEEK, text[:-1], text))
    return Weekdays(parse_values(DAY_OF_WEEK, text))


__all__ = [
    "AnyDay",
    "DayRule",
    "LastDay",
    "LastOfWeekday",
    "LastWeekdayOfMonth",
    "MonthDays",
    "NearestWeekday",
    "NthWeekday",
    "Weekdays",
    "aws_weekday",
    "parse_day_of_month",
    "parse_day_of_week",
]
