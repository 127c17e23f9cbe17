"""EventBridge Scheduler's three expression forms, parsed into one of three types.

`cron(fields)` → CronExpression, `rate(value unit)` → RateExpression,
`at(yyyy-mm-ddThh:mm:ss)` → AtExpression. Anything else, or any field AWS
would reject, raises ScheduleExpressionError with a message that names the
field, says why, and quotes the expression.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from dbtier.errors import ScheduleExpressionError
from dbtier.schedule.at import AtExpression, parse_at
from dbtier.schedule.cron import CronExpression, parse_cron
from dbtier.schedule.rate import RateExpression, parse_rate

Expression = CronExpression | RateExpression | AtExpression

_FORM = re.compile(r"(cron|rate|at)\((.*)\)", re.DOTALL)
_PARSERS: dict[str, Callable[[str, str], Expression]] = {
    "cron": parse_cron,
    "rate": parse_rate,
    "at": parse_at,
}


def parse_expression(text: str) -> Expression:
    """Parse and validate a schedule expression as EventBridge Scheduler defines it."""
    expression = text.strip()
    match = _FORM.fullmatch(expression)
    if not match:
        raise ScheduleExpressionError(
            f"schedule expression '{text}' must be cron(...), rate(...) or at(...), e.g. "
            "cron(0 3 * * ? *), rate(5 minutes) or at(2026-11-20T13:00:00)"
        )
    form, body = match.groups()
    try:
        return _PARSERS[form](body, expression)
    except ScheduleExpressionError as exc:
        message = str(exc)
        if expression in message:
            raise
        raise ScheduleExpressionError(f"{message}, in '{expression}'") from None


__all__ = ["Expression", "parse_expression"]
