"""A schedule: an expression evaluated in an IANA time zone (default Asia/Tokyo).

The constructor validates both, so a bad schedule fails where it is written
(the CDK stack builds one at synth time). Fire times come back as aware
datetimes in the schedule's zone. Compare them as instants: Python compares
two datetimes of the same zone by wall time and ignores `fold`, which is
wrong across a fall-back hour.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from itertools import islice

from dbtier.errors import UsageError
from dbtier.schedule.cron import CronExpression
from dbtier.schedule.expression import Expression, parse_expression
from dbtier.schedule.rate import RateExpression
from dbtier.schedule.zone import as_utc, load_zone

DEFAULT_TIMEZONE = "Asia/Tokyo"


class Schedule:
    """An EventBridge Scheduler expression in a time zone; validated on construction."""

    def __init__(
        self,
        expression: str,
        timezone: str = DEFAULT_TIMEZONE,
        *,
        start_date: datetime | None = None,
    ) -> None:
        self.expression: Expression = parse_expression(expression)
        self.timezone = timezone
        self.zone = load_zone(timezone)
        # AWS's StartDate: a rate's first fire, and no fire before it (an at() ignores it).
        self.start_date = None if start_date is None else as_utc(start_date, self.zone)

    def __repr__(self) -> str:
        return f"Schedule({str(self.expression)!r}, {self.timezone!r})"

    def _instants(self, after: datetime) -> Iterator[datetime]:
        after_utc = as_utc(after, self.zone)
        expression = self.expression
        if isinstance(expression, RateExpression):
            yield from expression.occurrences(after_utc, self.start_date)
            return
        if isinstance(expression, CronExpression) and self.start_date is not None:
            after_utc = max(after_utc, self.start_date - timedelta(microseconds=1))
        yield from expression.occurrences(after_utc, self.zone)

    def next_fire_times(self, after: datetime, n: int = 1) -> list[datetime]:
        """The next `n` fire times strictly after `after`, fewer if the schedule ends.

        A naive `after` is read as a wall time in the schedule's zone.
        """
        if n < 0:
            raise UsageError(f"the number of fire times must be 0 or more, not {n}")
        return [instant.astimezone(self.zone) for instant in islice(self._instants(after), n)]

    def next_fire_time(self, after: datetime) -> datetime | None:
        """The next fire time strictly after `after`, or None when there is none."""
        times = self.next_fire_times(after, 1)
        return times[0] if times else None


def validate(expression: str, timezone: str = DEFAULT_TIMEZONE) -> None:
    """Raise ScheduleExpressionError if the expression or the zone is invalid."""
    Schedule(expression, timezone)


def now_utc() -> datetime:
    """The current instant, aware, in UTC."""
    return datetime.now(UTC)


__all__ = ["DEFAULT_TIMEZONE", "Schedule", "now_utc", "validate"]
