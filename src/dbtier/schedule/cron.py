"""`cron(minutes hours day-of-month month day-of-week year)`: parsing and fire times.

Six fields separated by spaces; exactly one of day-of-month and day-of-week
is `?` (AWS rule: "You can't specify the Day-of-month and Day-of-week fields
in the same cron expression"). Fire times are wall-clock times in the
schedule's zone, turned into instants by `zone.local_instant` (a time that
does not exist is skipped, one that occurs twice fires once).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dbtier.errors import ScheduleExpressionError
from dbtier.schedule.cron_days import AnyDay, DayRule, parse_day_of_month, parse_day_of_week
from dbtier.schedule.cron_fields import HOURS, MINUTES, MONTH, YEAR, parse_values
from dbtier.schedule.zone import local_instant

FIELD_NAMES = ("minutes", "hours", "day-of-month", "month", "day-of-week", "year")


@dataclass(frozen=True)
class CronExpression:
    """A parsed `cron(...)` expression: the values of each field, the day rules."""

    text: str
    minutes: tuple[int, ...]
    hours: tuple[int, ...]
    day_of_month: DayRule
    months: tuple[int, ...]
    day_of_week: DayRule
    years: tuple[int, ...]

    def __str__(self) -> str:
        return self.text

    def days_in(self, year: int, month: int) -> list[int]:
        """The days of a month this expression fires on, ascending."""
        rule = self.day_of_week if isinstance(self.day_of_month, AnyDay) else self.day_of_month
        return sorted(rule.days(year, month))

    def matches(self, wall: datetime) -> bool:
        """Whether a local wall-clock time (naive, to the minute) is one of this cron's."""
        return (
            wall.second == 0
            and wall.microsecond == 0
            and wall.minute in self.minutes
            and wall.hour in self.hours
            and wall.year in self.years
            and wall.month in self.months
            and wall.day in self.days_in(wall.year, wall.month)
        )

    def wall_times(self, start: date) -> Iterator[datetime]:
        """Every matching local wall time on or after `start`, ascending, to the last year."""
        for year in self.years:
            if year < start.year:
                continue
            for month in self.months:
                if (year, month) < (start.year, start.month):
                    continue
                for day in self.days_in(year, month):
                    current = date(year, month, day)
                    if current < start:
                        continue
                    for hour in self.hours:
                        for minute in self.minutes:
                            yield datetime.combine(current, time(hour, minute))

    def occurrences(self, after: datetime, zone: ZoneInfo) -> Iterator[datetime]:
        """Fire instants (UTC) strictly after `after` (aware), by AWS's DST rules."""
        # A day earlier: a zone that falls back across midnight repeats the evening before.
        start = after.astimezone(zone).date() - timedelta(days=1)
        for wall in self.wall_times(start):
            instant = local_instant(wall, zone)
            if instant is not None and instant > after:
                yield instant


def parse_cron(body: str, text: str) -> CronExpression:
    """The six fields inside `cron( )`; `text` is the whole expression."""
    fields = body.split()
    if len(fields) != 6:
        raise ScheduleExpressionError(
            f"'{text}' has {len(fields)} field(s); cron needs 6: " + " ".join(FIELD_NAMES)
        )
    minutes, hours, dom, month, dow, year = fields
    if (dom == "?") == (dow == "?"):
        both = "both '?'" if dom == "?" else "both set"
        raise ScheduleExpressionError(
            f"cron day-of-month '{dom}' and day-of-week '{dow}' are {both}: exactly one of "
            "them must be '?' (AWS rule), e.g. cron(0 9 * * ? *) or cron(0 9 ? * MON-FRI *)"
        )
    return CronExpression(
        text=text,
        minutes=parse_values(MINUTES, minutes),
        hours=parse_values(HOURS, hours),
        day_of_month=parse_day_of_month(dom),
        months=parse_values(MONTH, month),
        day_of_week=parse_day_of_week(dow),
        years=parse_values(YEAR, year),
    )


__all__ = ["FIELD_NAMES", "CronExpression", "parse_cron"]
