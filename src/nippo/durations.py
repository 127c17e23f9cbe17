"""Durations as the seed writes them: `1h10m`, `1h`, `4h`, `45m`, `6h 10m`.

`parse_duration` turns one into whole minutes and `format_duration` writes
minutes back. Full-width digits, letters and spaces (`１ｈ１０ｍ`, as a
Japanese IME types them) are read as their ASCII forms.
"""

from __future__ import annotations

import re
import unicodedata

from dbtier.errors import UsageError

# Hours and/or minutes, hours first, at most one space between them.
_DURATION = re.compile(r"(?:(?P<hours>\d+)h)?(?: ?(?P<minutes>\d+)m)?")
# Ten years of study: any larger number is a typo, and would overflow a counter.
MAX_MINUTES = 10 * 366 * 24 * 60
_EXAMPLES = "write hours and minutes like 1h10m, 4h, 45m or 6h 10m"


class DurationError(UsageError):
    """A duration that is not of the form `1h10m`, `1h`, `45m` or `6h 10m`."""


def parse_duration(text: str) -> int:
    """Minutes in a duration such as `1h10m`, `6h 10m`, `4h` or `45m`."""
    normalized = " ".join(unicodedata.normalize("NFKC", text).split()).lower()
    match = _DURATION.fullmatch(normalized)
    if not normalized or match is None or not (match["hours"] or match["minutes"]):
        raise DurationError(f"{text!r} is not a duration: {_EXAMPLES}")
    hours = int(match["hours"] or 0)
    minutes = int(match["minutes"] or 0)
    if match["hours"] and minutes >= 60:
        raise DurationError(
            f"{text!r} is not a duration: minutes must be below 60 after hours "
            f"(write {format_duration(hours * 60 + minutes)})"
        )
    total = hours * 60 + minutes
    if total > MAX_MINUTES:
        raise DurationError(f"{text!r} is longer than ten years: check the number")
    return total


def format_duration(minutes: int, *, spaced: bool = False) -> str:
    """`370` → `6h10m` (or `6h 10m` when `spaced`); `60` → `1h`; `45` → `45m`; `0` → `0m`."""
    if minutes < 0:
        raise ValueError(f"a duration cannot be negative: {minutes} minutes")
    hours, rest = divmod(minutes, 60)
    if hours and rest:
        return f"{hours}h{' ' if spaced else ''}{rest}m"
    return f"{hours}h" if hours else f"{rest}m"


__all__ = ["MAX_MINUTES", "DurationError", "format_duration", "parse_duration"]
