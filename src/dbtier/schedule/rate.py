"""`rate(value unit)`: a fixed interval, not tied to a time zone.

AWS: value is a positive integer; unit is minute|minutes|hour|hours|day|days,
singular when the value is 1 and plural otherwise (`rate(1 hour)`,
`rate(5 hours)`; `rate(1 hours)` and `rate(5 hour)` are invalid). A day is 24
hours on the clock, whatever daylight saving does to the local day. AWS starts
a rate schedule at its StartDate, or at once when there is none; dbtier
anchors it at the schedule's start date when given, else at the Unix epoch, so
that every caller computes the same fire times (`rate(5 minutes)` fires at
:00, :05, ... UTC).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from dbtier.errors import ScheduleExpressionError

UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_RATE = re.compile(r"(\S+) (\S+)")


@dataclass(frozen=True)
class RateExpression:
    """A parsed `rate(...)`: the interval and the text it came from."""

    text: str
    value: int
    unit: str

    def __str__(self) -> str:
        return self.text

    @property
    def interval(self) -> timedelta:
        """The interval between fires (a day is exactly 24 hours)."""
        return timedelta(seconds=self.value * UNIT_SECONDS[self.unit])

    def occurrences(self, after: datetime, anchor: datetime | None = None) -> Iterator[datetime]:
        """Fire instants (UTC) strictly after `after`: anchor + k * interval."""
        start = (anchor or EPOCH).astimezone(UTC)
        step = self.interval
        k = 0 if after < start else (after - start) // step + 1
        try:
            while True:
                yield start + k * step
                k += 1
        except OverflowError:
            return


def parse_rate(body: str, text: str) -> RateExpression:
    """The `value unit` inside `rate( )`; `text` is the whole expression."""
    match = _RATE.fullmatch(body.strip())
    if not match:
        raise ScheduleExpressionError(
            f"'{text}' must be rate(value unit), e.g. rate(5 minutes) or rate(1 hour)"
        )
    value_text, unit_text = match.groups()
    if not value_text.isdigit() or int(value_text) < 1:
        raise ScheduleExpressionError(
            f"rate value '{value_text}' in '{text}' must be a positive whole number"
        )
    value = int(value_text)
    singular = unit_text.removesuffix("s")
    if singular not in UNIT_SECONDS:
        raise ScheduleExpressionError(
            f"rate unit '{unit_text}' in '{text}' must be minute(s), hour(s) or day(s)"
        )
    expected = singular if value == 1 else f"{singular}s"
    if unit_text != expected:
        raise ScheduleExpressionError(
            f"rate unit '{unit_text}' in '{text}': AWS wants the singular for 1 and the "
            f"plural otherwise; write rate({value} {expected})"
        )
    return RateExpression(text=text, value=value, unit=singular)


__all__ = ["RateExpression", "parse_rate"]
