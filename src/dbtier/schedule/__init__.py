"""EventBridge Scheduler expressions in a time zone, and the local scheduler loop.

    parse_expression("cron(0 3 ? * MON-FRI *)")      -> CronExpression
    Schedule("cron(0 3 * * ? *)", "Asia/Tokyo").next_fire_times(after, n=5)
    validate("rate(5 minutes)")                      -> None or ScheduleExpressionError
    run_scheduler(schedule, fire, stop=threading.Event())

Modules: `expression` (the three forms), `cron`, `cron_fields`, `cron_days`,
`rate`, `at`, `zone` (IANA zones and AWS's daylight-saving rules),
`schedule` (expression + zone), `loop` (the local scheduler).
"""

from __future__ import annotations

from dbtier.schedule.at import AtExpression
from dbtier.schedule.cron import CronExpression
from dbtier.schedule.expression import Expression, parse_expression
from dbtier.schedule.loop import run_scheduler
from dbtier.schedule.rate import RateExpression
from dbtier.schedule.schedule import DEFAULT_TIMEZONE, Schedule, validate

__all__ = [
    "DEFAULT_TIMEZONE",
    "AtExpression",
    "CronExpression",
    "Expression",
    "RateExpression",
    "Schedule",
    "parse_expression",
    "run_scheduler",
    "validate",
]
