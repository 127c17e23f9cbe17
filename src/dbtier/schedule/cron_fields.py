"""The plain cron fields: numbers and names with `*` `,` `-` `/`, as EventBridge defines them.

Each field of `cron(minutes hours day-of-month month day-of-week year)` has a
range of values and, for month and day-of-week, three-letter names. A field is
`*`, or a comma list of values, ranges `a-b` and increments `a/n`, `a-b/n`,
`*/n`. A range whose start is after its end wraps around the field (AWS's own
example `cron(0/30 20-2 ? * MON-FRI *)` runs from 20:00 to 02:30), except in
the year field, which has no wrap. The day fields' extras (`?` `L` `W` `#`)
are in `cron_days`.
"""

from __future__ import annotations

from dataclasses import dataclass

from dbtier.errors import ScheduleExpressionError

MONTH_NAMES = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
DAY_NAMES = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")


@dataclass(frozen=True)
class FieldSpec:
    """One cron field's name, bounds, names and the wildcards AWS allows in it."""

    name: str
    low: int
    high: int
    names: tuple[str, ...] = ()
    allows_step: bool = True
    wraps: bool = True

    @property
    def range_text(self) -> str:
        """'1-7 (SUN-SAT)', as messages show the allowed values."""
        text = f"{self.low}-{self.high}"
        return f"{text} ({self.names[0]}-{self.names[-1]})" if self.names else text

    @property
    def max_step(self) -> int:
        """The largest increment: 59 minutes, 23 hours, 31 days, 12 months (as Quartz)."""
        return self.high - self.low + (0 if self.low == 0 else 1)


MINUTES = FieldSpec("minutes", 0, 59)
HOURS = FieldSpec("hours", 0, 23)
DAY_OF_MONTH = FieldSpec("day-of-month", 1, 31)
MONTH = FieldSpec("month", 1, 12, MONTH_NAMES)
DAY_OF_WEEK = FieldSpec("day-of-week", 1, 7, DAY_NAMES, allows_step=False)
YEAR = FieldSpec("year", 1970, 2199, wraps=False)


def field_error(spec: FieldSpec, text: str, why: str) -> ScheduleExpressionError:
    """ "cron day-of-week field '8': value out of range 1-7 (SUN-SAT)"."""
    return ScheduleExpressionError(f"cron {spec.name} field '{text}': {why}")


def parse_value(spec: FieldSpec, token: str, text: str) -> int:
    """One number or name of a field; `text` is the whole field, for the message."""
    where = "value" if token == text else f"value '{token}'"
    if token.isdigit():
        value = int(token)
    elif token.upper() in spec.names:
        value = spec.names.index(token.upper()) + spec.low
    elif spec.names:
        raise field_error(spec, text, f"{where} is neither a number {spec.range_text} nor a name")
    else:
        raise field_error(spec, text, f"{where} is not a number {spec.range_text}")
    if not spec.low <= value <= spec.high:
        raise field_error(spec, text, f"{where} out of range {spec.range_text}")
    return value


def _span(spec: FieldSpec, start: int, end: int, text: str) -> list[int]:
    if start <= end:
        return list(range(start, end + 1))
    if not spec.wraps:
        raise field_error(
            spec, text, f"range {start}-{end} runs backwards; write the smaller first"
        )
    return list(range(start, spec.high + 1)) + list(range(spec.low, end + 1))


def _parse_range(spec: FieldSpec, token: str, text: str) -> list[int]:
    if token == "*":  # noqa: S105 - a wildcard, not a password
        return list(range(spec.low, spec.high + 1))
    if "-" in token:
        start_text, _, end_text = token.partition("-")
        if not start_text or not end_text or "-" in end_text:
            raise field_error(spec, text, f"range '{token}' must be START-END")
        start = parse_value(spec, start_text, text)
        return _span(spec, start, parse_value(spec, end_text, text), text)
    return [parse_value(spec, token, text)]


def _parse_step(spec: FieldSpec, token: str, text: str) -> list[int]:
    base, _, step_text = token.partition("/")
    if not spec.allows_step:
        raise field_error(spec, text, "'/' is not allowed in this field (AWS allows , - * ? L #)")
    if not step_text.isdigit() or not 1 <= int(step_text) <= spec.max_step:
        raise field_error(
            spec, text, f"increment '{step_text}' after '/' must be a number 1-{spec.max_step}"
        )
    if not base:
        raise field_error(spec, text, f"'{token}' needs a start before '/', e.g. 0/{step_text}")
    values = _parse_range(spec, base, text)
    if "-" not in base and base != "*":
        values = _span(spec, values[0], spec.high, text)
    return values[:: int(step_text)]


def parse_values(spec: FieldSpec, text: str) -> tuple[int, ...]:
    """The sorted values a plain field selects; raises ScheduleExpressionError naming why."""
    if not text:
        raise field_error(spec, text, "the field is empty")
    selected: set[int] = set()
    for token in text.split(","):
        if not token:
            raise field_error(spec, text, "a comma list has an empty item")
        if token.count("/") > 1:
            raise field_error(spec, text, f"'{token}' has more than one '/'")
        parse = _parse_step if "/" in token else _parse_range
        selected.update(parse(spec, token, text))
    return tuple(sorted(selected))


__all__ = [
    "DAY_NAMES",
    "DAY_OF_MONTH",
    "DAY_OF_WEEK",
    "HOURS",
    "MINUTES",
    "MONTH",
    "MONTH_NAMES",
    "YEAR",
    "FieldSpec",
    "field_error",
    "parse_value",
    "parse_values",
]
