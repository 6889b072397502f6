"""cron(...) / rate(...) parsing: the AWS documentation's examples pass, malformed ones fail."""

from __future__ import annotations

import pytest

from shared.exceptions import ScheduleValidationError
from shared.scheduling.validation import CronFields, parse_schedule_expression

# Examples from the EventBridge Scheduler / EventBridge user guides.
AWS_CRON_EXAMPLES = [
    "cron(0 10 * * ? *)",
    "cron(15 12 * * ? *)",
    "cron(0 18 ? * MON-FRI *)",
    "cron(0 8 1 * ? *)",
    "cron(0/15 * * * ? *)",
    "cron(0/10 * ? * MON-FRI *)",
    "cron(0/5 8-17 ? * MON-FRI *)",
    "cron(0 9 ? * 2#1 *)",
    "cron(0 0 L * ? *)",
    "cron(0 12 3W * ? *)",
    "cron(0 12 LW * ? *)",
    "cron(0 12 ? * 6L 2027-2030)",
    "cron(30 9 ? JAN,JUL SUN,SAT *)",
    "cron(0 0 1 JAN-DEC/3 ? 2026)",
    "cron(0 12 ? * L *)",
]


@pytest.mark.parametrize("text", AWS_CRON_EXAMPLES)
def test_documented_cron_examples_are_accepted(text: str) -> None:
    parsed = parse_schedule_expression(text)
    assert parsed.kind == "cron"
    assert parsed.expression == text
    assert parsed.cron is not None
    assert parsed.rate_value is None


def test_cron_fields_are_exposed_and_normalized() -> None:
    parsed = parse_schedule_expression("  cron(0  9 ?  * mon-fri *) ")
    assert parsed.expression == "cron(0 9 ? * MON-FRI *)"
    assert parsed.cron == CronFields("0", "9", "?", "*", "MON-FRI", "*")


@pytest.mark.parametrize(
    ("text", "value", "unit", "seconds"),
    [
        ("rate(1 minute)", 1, "minute", 60),
        ("rate(5 minutes)", 5, "minute", 300),
        ("rate(1 hour)", 1, "hour", 3600),
        ("rate(12 hours)", 12, "hour", 43200),
        ("rate(1 day)", 1, "day", 86400),
        ("rate(7 days)", 7, "day", 604800),
    ],
)
def test_rate_expressions(text: str, value: int, unit: str, seconds: int) -> None:
    parsed = parse_schedule_expression(text)
    assert (parsed.kind, parsed.expression) == ("rate", text)
    assert (parsed.rate_value, parsed.rate_unit, parsed.interval_seconds) == (
        value,
        unit,
        seconds,
    )
    assert parsed.cron is None


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "non-empty"),
        ("at(2030-01-01T00:00:00)", "one-time"),
        ("every 5 minutes", "expected cron"),
        ("rate(0 minutes)", "positive"),
        ("rate(-5 minutes)", "expected rate"),
        ("rate(1 minutes)", "'minute'"),
        ("rate(5 minute)", "'minutes'"),
        ("rate(5 seconds)", "minute(s), hour(s) or day(s)"),
        ("rate(1.5 hours)", "expected rate"),
        ("rate(5)", "expected rate"),
        ("cron(0 10 * * ?)", "6 fields"),
        ("cron(0 10 * * ? * *)", "6 fields"),
        ("cron(0 10 * * * *)", "exactly one"),
        ("cron(0 10 ? * ? *)", "exactly one"),
        ("cron(60 10 * * ? *)", "minutes value 60 is outside 0-59"),
        ("cron(0 24 * * ? *)", "hours value 24 is outside 0-23"),
        ("cron(0 10 0 * ? *)", "day-of-month value 0 is outside 1-31"),
        ("cron(0 10 32 * ? *)", "day-of-month value 32"),
        ("cron(0 10 * 13 ? *)", "month value 13 is outside 1-12"),
        ("cron(0 10 ? * 8 *)", "day-of-week value 8 is outside 1-7"),
        ("cron(0 10 ? * 0 *)", "day-of-week value 0"),
        ("cron(0 10 * * ? 1969)", "year value 1969 is outside 1970-2199"),
        ("cron(0 10 * * ? 2200)", "year value 2200"),
        ("cron(0 10 * FOO ? *)", "unknown value 'FOO'"),
        ("cron(0 10 ? * MON-FOO *)", "unknown value 'FOO'"),
        ("cron(0 10 ? * SAT-SUN *)", "goes downwards"),
        ("cron(0/0 10 * * ? *)", "step /0"),
        ("cron(0/61 10 * * ? *)", "step /61"),
        ("cron(? 10 * * ? *)", "'?' is only allowed"),
        ("cron(5L 10 * * ? *)", "misuses L/W/#"),
        ("cron(0 10 ? * 2#6 *)", "#1-#5"),
        ("cron(0 10 ? * 3#1,6#3 *)", "misuses L/W/#"),
        ("cron(0 10 ? * 3W *)", "misuses L/W/#"),
        ("cron(0 10 1,,2 * ? *)", "malformed"),
        ("cron(0 10 1-2-3 * ? *)", "malformed"),
        ("cron(0 10 40W * ? *)", "day-of-month value 40"),
        ("cron(0 10 * * ? *", "expected cron"),
        ("cron(" + "1," * 130 + "2 10 * * ? *)", "longer than 256"),
    ],
)
def test_malformed_expressions_name_the_problem(text: str, fragment: str) -> None:
    with pytest.raises(ScheduleValidationError) as info:
        parse_schedule_expression(text)
    assert fragment in info.value.message
    assert info.value.code == "invalid_schedule"
