"""Parse EventBridge Scheduler's recurring expressions: ``cron(...)`` and ``rate(...)``.

Standard library only. The grammar follows the Scheduler user guide ("Schedule types"):
six fields ``minutes hours day-of-month month day-of-week year``; wildcards ``, - * /`` in
every field, ``?`` in exactly one of day-of-month / day-of-week, ``L`` and ``W`` in
day-of-month, ``L`` and ``#`` in day-of-week; names JAN-DEC and SUN-SAT (1 = SUN). Two
deliberate strictnesses, so that every accepted expression also maps onto the local backend:
``L``/``W``/``#`` items stand alone in their field (no lists), and ranges go upwards
(``SAT-SUN`` is refused; write ``SAT,SUN`` or ``1,7``). Use ``validation`` for the public names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from shared.exceptions import ScheduleValidationError

MAX_EXPRESSION_LENGTH = 256  # CreateSchedule: ScheduleExpression is 1-256 characters
MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
WEEKDAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
RATE_UNITS: dict[str, int] = {"minute": 60, "hour": 3600, "day": 86400}
FIELD_NAMES = ("minutes", "hours", "day-of-month", "month", "day-of-week", "year")
_BOUNDS = ((0, 59), (0, 23), (1, 31), (1, 12), (1, 7), (1970, 2199))
_NAMES: dict[int, tuple[str, ...]] = {3: MONTHS, 4: WEEKDAYS}
_DOM, _DOW = 2, 4
# Patterns are plain strings: `re` compiles (and caches) each on first use, not at import.
_ITEM = r"^(?P<base>\*|[A-Z0-9]+(?:-[A-Z0-9]+)?)(?:/(?P<step>[0-9]+))?$"
_RATE = r"^rate\(\s*(?P<value>[0-9]+)\s+(?P<unit>[a-z]+)\s*\)$"
_CRON = r"^cron\((?P<body>.*)\)$"


@dataclass(frozen=True)
class CronFields:
    """The six fields of a cron expression, upper-cased, exactly as sent to AWS."""

    minutes: str
    hours: str
    day_of_month: str
    month: str
    day_of_week: str
    year: str


@dataclass(frozen=True)
class ParsedExpression:
    """A validated recurring expression.

    ``expression`` is the normalized text sent to AWS. For ``kind == "cron"`` ``cron`` holds
    the fields; for ``kind == "rate"`` ``rate_value`` and ``rate_unit`` (singular: minute,
    hour or day) hold the parts and ``interval_seconds`` the period in seconds.
    """

    kind: Literal["cron", "rate"]
    expression: str
    cron: CronFields | None = None
    rate_value: int | None = None
    rate_unit: str | None = None
    interval_seconds: int | None = None


def _bad(expr: str, why: str) -> ScheduleValidationError:
    return ScheduleValidationError(
        f"invalid schedule expression {expr!r}: {why}", details={"expression": expr}
    )


def _value(token: str, index: int, expr: str) -> int:
    """Turn a number or a month/weekday name into its number and check its bounds."""
    low, high = _BOUNDS[index]
    names = _NAMES.get(index, ())
    if token in names:
        return names.index(token) + 1
    if not token.isdigit():
        raise _bad(expr, f"{FIELD_NAMES[index]} has an unknown value {token!r}")
    number = int(token)
    if not low <= number <= high:
        raise _bad(expr, f"{FIELD_NAMES[index]} value {number} is outside {low}-{high}")
    return number


def _check_special(field: str, index: int, expr: str) -> bool:
    """Check ``L``/``W``/``#`` forms; return True when ``field`` is one of them."""
    if index == _DOM and re.fullmatch(r"L|LW|[0-9]+W", field):
        if field[0].isdigit():
            _value(field[:-1], index, expr)
        return True
    if index == _DOW and re.fullmatch(r"L|[A-Z0-9]+L|[A-Z0-9]+#[0-9]+", field):
        if "#" in field:
            day, nth = field.split("#")
            _value(day, index, expr)
            if not 1 <= int(nth) <= 5:
                raise _bad(expr, f"day-of-week '#{nth}' must be #1-#5")
        elif field != "L":
            _value(field[:-1], index, expr)
        return True
    if any(ch in field for ch in "LW#") and not any(
        name in field for name in _NAMES.get(index, ())
    ):
        allowed = {_DOM: "L, LW or nW", _DOW: "L, nL or n#k"}.get(index)
        where = f"(allowed alone: {allowed})" if allowed else "(not allowed in this field)"
        raise _bad(expr, f"{FIELD_NAMES[index]} {field!r} misuses L/W/# {where}")
    return False


def _check_field(field: str, index: int, expr: str) -> None:
    name = FIELD_NAMES[index]
    if field == "?":
        if index not in (_DOM, _DOW):
            raise _bad(expr, f"'?' is only allowed in day-of-month or day-of-week, not {name}")
        return
    if _check_special(field, index, expr):
        return
    low, high = _BOUNDS[index]
    for item in field.split(","):
        match = re.match(_ITEM, item)
        if match is None:
            raise _bad(expr, f"{name} item {item!r} is malformed")
        base, step = match["base"], match["step"]
        if base != "*":
            first, _, last = base.partition("-")
            start = _value(first, index, expr)
            if last and _value(last, index, expr) < start:
                raise _bad(expr, f"{name} range {base!r} goes downwards")
        if step is not None and not 1 <= int(step) <= high - low + 1:
            raise _bad(expr, f"{name} step /{step} must be 1-{high - low + 1}")


def _parse_cron(expr: str, body: str) -> ParsedExpression:
    fields = body.upper().split()
    if len(fields) != 6:
        raise _bad(expr, f"cron needs 6 fields ({' '.join(FIELD_NAMES)}), got {len(fields)}")
    if (fields[_DOM] == "?") == (fields[_DOW] == "?"):
        raise _bad(expr, "exactly one of day-of-month and day-of-week must be '?'")
    for index, field in enumerate(fields):
        _check_field(field, index, expr)
    return ParsedExpression(
        kind="cron", expression=f"cron({' '.join(fields)})", cron=CronFields(*fields)
    )


def _parse_rate(expr: str, match: re.Match[str]) -> ParsedExpression:
    value, unit = int(match["value"]), match["unit"]
    singular = unit[:-1] if unit.endswith("s") else unit
    if singular not in RATE_UNITS:
        raise _bad(expr, "rate unit must be minute(s), hour(s) or day(s)")
    if value < 1:
        raise _bad(expr, "rate value must be a positive integer")
    if (value == 1) != (unit == singular):
        want = singular if value == 1 else f"{singular}s"
        raise _bad(expr, f"rate({value} ...) needs the unit {want!r}")
    return ParsedExpression(
        kind="rate",
        expression=f"rate({value} {unit})",
        rate_value=value,
        rate_unit=singular,
        interval_seconds=value * RATE_UNITS[singular],
    )


def parse_schedule_expression(expr: str) -> ParsedExpression:
    """Validate a recurring ``cron(...)`` or ``rate(...)`` expression.

    Parameters
    ----------
    expr : str
        The expression, e.g. ``cron(0 9 ? * MON-FRI *)`` or ``rate(5 minutes)``.

    Returns
    -------
    ParsedExpression
        The normalized expression and its parts.

    Raises
    ------
    ScheduleValidationError
        When the expression is malformed, out of range, or an ``at(...)`` expression.
    """
    if not isinstance(expr, str) or not expr.strip():
        raise ScheduleValidationError("schedule expression must be a non-empty string")
    text = expr.strip()
    if len(text) > MAX_EXPRESSION_LENGTH:
        raise _bad(text[:40] + "...", f"longer than {MAX_EXPRESSION_LENGTH} characters")
    if text.startswith("at("):
        raise _bad(text, "at(...) is one-time; give run_at or a delay instead")
    rate = re.match(_RATE, text)
    if rate is not None:
        return _parse_rate(text, rate)
    if text.startswith("rate("):
        raise _bad(text, "expected rate(<positive integer> <minute(s)|hour(s)|day(s)>)")
    cron = re.match(_CRON, text)
    if cron is not None:
        return _parse_cron(text, cron["body"])
    raise _bad(text, "expected cron(<6 fields>) or rate(<value> <unit>)")
