"""Invalid expressions and zones: a ScheduleExpressionError (exit 2) naming the field and why."""

from __future__ import annotations

import pytest

from dbtier.errors import ScheduleExpressionError, UsageError
from dbtier.schedule import Schedule, parse_expression, validate

INVALID = [
    # each field, out of range
    ("cron(60 * * * ? *)", ["minutes field '60'", "out of range 0-59"]),
    ("cron(0 24 * * ? *)", ["hours field '24'", "out of range 0-23"]),
    ("cron(0 0 32 * ? *)", ["day-of-month field '32'", "out of range 1-31"]),
    ("cron(0 0 0 * ? *)", ["day-of-month field '0'", "out of range 1-31"]),
    ("cron(0 0 1 13 ? *)", ["month field '13'", "out of range 1-12 (JAN-DEC)"]),
    ("cron(0 0 1 JANUARY ? *)", ["month field 'JANUARY'", "neither a number 1-12 (JAN-DEC) nor"]),
    ("cron(0 10 ? * 8 *)", ["cron day-of-week field '8': value out of range 1-7 (SUN-SAT)"]),
    ("cron(0 10 ? * 0 *)", ["day-of-week field '0'", "out of range 1-7 (SUN-SAT)"]),
    ("cron(0 10 ? * MON,8 *)", ["day-of-week field 'MON,8': value '8' out of range"]),
    ("cron(0 0 1 * ? 1969)", ["year field '1969'", "out of range 1970-2199"]),
    ("cron(0 0 1 * ? 2200)", ["year field '2200'", "out of range 1970-2199"]),
    ("cron(0 0 1 * ? 2030-2027)", ["year field '2030-2027'", "runs backwards"]),
    ("cron(x 0 1 * ? *)", ["minutes field 'x'", "not a number 0-59"]),
    # syntax of lists, ranges and increments
    ("cron(1,,2 * * * ? *)", ["minutes field '1,,2'", "empty item"]),
    ("cron(0/0 * * * ? *)", ["minutes field '0/0'", "increment '0'"]),
    ("cron(0/60 * * * ? *)", ["minutes field '0/60'", "1-59"]),
    ("cron(/5 * * * ? *)", ["minutes field '/5'", "needs a start"]),
    ("cron(1-2-3 * * * ? *)", ["minutes field '1-2-3'", "START-END"]),
    ("cron(0 0 ? * */2 *)", ["day-of-week field '*/2'", "'/' is not allowed"]),
    # the day fields: exactly one is '?'
    ("cron(0 10 * * MON *)", ["day-of-month '*' and day-of-week 'MON' are both set", "'?'"]),
    ("cron(0 10 * * * *)", ["both set", "exactly one of them must be '?'"]),
    ("cron(0 10 ? * ? *)", ["both '?'", "exactly one of them must be '?'"]),
    # L, W, #
    ("cron(0 0 L,15 * ? *)", ["day-of-month field 'L,15'", "stand alone"]),
    ("cron(0 0 1-5W * ? *)", ["day-of-month field '1-5W'", "'W' takes one day"]),
    ("cron(0 0 32W * ? *)", ["day-of-month field '32W'", "out of range 1-31"]),
    ("cron(0 0 L-31 * ? *)", ["day-of-month field 'L-31'", "1 to 30"]),
    ("cron(0 0 ? * 3W *)", ["day-of-week field '3W'"]),
    ("cron(0 0 ? * 2#6 *)", ["day-of-week field '2#6'", "#1 to #5"]),
    ("cron(0 0 ? * 8#1 *)", ["day-of-week field '8#1'", "out of range 1-7"]),
    ("cron(0 0 ? * 2#1,3#2 *)", ["day-of-week field '2#1,3#2'", "only one '#'"]),
    ("cron(0 0 ? * 2L,3 *)", ["day-of-week field '2L,3'", "no lists"]),
    # field count
    ("cron(0 10 * * ?)", ["has 5 field(s); cron needs 6"]),
    ("cron(0 0 10 * * ? *)", ["has 7 field(s); cron needs 6"]),
    # rate
    ("rate(1 minutes)", ["rate unit 'minutes'", "write rate(1 minute)"]),
    ("rate(5 minute)", ["rate unit 'minute'", "write rate(5 minutes)"]),
    ("rate(2 hour)", ["write rate(2 hours)"]),
    ("rate(1 days)", ["write rate(1 day)"]),
    ("rate(0 minutes)", ["rate value '0'", "positive whole number"]),
    ("rate(-5 minutes)", ["rate value '-5'", "positive whole number"]),
    ("rate(1.5 hours)", ["rate value '1.5'", "positive whole number"]),
    ("rate(5 weeks)", ["rate unit 'weeks'", "minute(s), hour(s) or day(s)"]),
    ("rate(5 Minutes)", ["rate unit 'Minutes'"]),
    ("rate(5)", ["must be rate(value unit)"]),
    # at
    ("at(2026-11-20 13:00:00)", ["must be at(yyyy-mm-ddThh:mm:ss)"]),
    ("at(2026-11-20T13:00)", ["must be at(yyyy-mm-ddThh:mm:ss)"]),
    ("at(2026-11-20T13:00:00Z)", ["must be at(yyyy-mm-ddThh:mm:ss)"]),
    ("at(2026-13-01T00:00:00)", ["not a real date and time"]),
    ("at(2026-02-29T00:00:00)", ["not a real date and time"]),
    ("at(2026-11-20T24:00:00)", ["not a real date and time"]),
    # not an expression at all
    ("every 5 minutes", ["must be cron(...), rate(...) or at(...)"]),
    ("cron 0 10 * * ? *", ["must be cron(...), rate(...) or at(...)"]),
    ("", ["must be cron(...), rate(...) or at(...)"]),
    ("CRON(0 10 * * ? *)", ["must be cron(...), rate(...) or at(...)"]),
]


@pytest.mark.parametrize(("expression", "fragments"), INVALID)
def test_invalid_expression_names_the_field_and_why(expression: str, fragments: list[str]) -> None:
    with pytest.raises(ScheduleExpressionError) as caught:
        parse_expression(expression)
    message = str(caught.value)
    for fragment in fragments:
        assert fragment in message
    if expression:
        assert expression.strip() in message  # says where
    assert isinstance(caught.value, UsageError)
    assert caught.value.exit_code == 2


@pytest.mark.parametrize("expression", [case[0] for case in INVALID])
def test_schedule_and_validate_reject_it_too(expression: str) -> None:
    with pytest.raises(ScheduleExpressionError):
        Schedule(expression)
    with pytest.raises(ScheduleExpressionError):
        validate(expression, "UTC")


@pytest.mark.parametrize("zone", ["Mars/Olympus_Mons", "Asia/Tokio", "", "../etc/passwd", "+09:00"])
def test_unknown_time_zone_is_a_schedule_error_naming_it(zone: str) -> None:
    with pytest.raises(ScheduleExpressionError, match="time zone") as caught:
        Schedule("rate(5 minutes)", zone)
    assert f"'{zone}'" in str(caught.value)


@pytest.mark.parametrize(
    "expression",
    [
        "cron(0 10 * * ? *)",
        "cron(0 0 L * ? *)",
        "cron(0 0 LW * ? *)",
        "cron(0 0 L-3 * ? *)",
        "cron(0 0 15W * ? *)",
        "cron(0 0 ? * L *)",
        "cron(0 0 ? * 6L *)",
        "cron(0 0 ? * 6#3 *)",
        "cron(0/30 20-2 ? * MON-FRI *)",
        "cron(0 9 ? JAN-MAR,OCT SAT,SUN 2026-2030)",
        "cron(*/5 * * * ? *)",
        "rate(1 minute)",
        "rate(5 minutes)",
        "rate(1 hour)",
        "rate(12 hours)",
        "rate(1 day)",
        "rate(7 days)",
        "at(2026-11-20T13:00:00)",
        "  rate(5 minutes)  ",
    ],
)
def test_valid_expressions_pass(expression: str) -> None:
    validate(expression)
    assert str(parse_expression(expression)) == expression.strip()


def test_default_zone_is_tokyo() -> None:
    assert Schedule("rate(5 minutes)").timezone == "Asia/Tokyo"
