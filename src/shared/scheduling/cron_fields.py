"""Cron fields → the wall-clock rule ``cron_trigger.WallClockCronTrigger`` runs.

Two grammars arrive here: EventBridge's six fields (already validated by
``shared.scheduling.expressions``) and classic five-field crontab lines (parsed here, cron(5)
rules). Both become a ``WallRule``: APScheduler 3 ``CronTrigger`` keyword arguments matched
against the wall clock, plus the parts APScheduler lacks (cron(5)'s day-of-month OR
day-of-week, EventBridge's nearest weekday ``nW``/``LW``). Plain fields are expanded to
explicit value lists and weekdays are passed by name, so no numbering convention of
APScheduler (0 = Monday) ever leaks through. Use ``shared.scheduling.cron``, not this module.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from shared.exceptions import ScheduleValidationError
from shared.scheduling.expressions import MONTHS, WEEKDAYS, CronFields

APS_WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")  # index = cron(5) number
ORDINALS = ("1st", "2nd", "3rd", "4th", "5th")
EB_BOUNDS = {"minute": (0, 59), "hour": (0, 23), "day": (1, 31), "month": (1, 12), "dow": (1, 7)}
TAB_BOUNDS = {"minute": (0, 59), "hour": (0, 23), "day": (1, 31), "month": (1, 12), "dow": (0, 7)}
TAB_FIELDS = ("minute", "hour", "day", "month", "dow")
SHORTCUTS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
_SPECIAL = re.compile(r"^(l|lw|[0-9]+[lw]|.*#.*|\?)$")
_TAB_ITEM = re.compile(r"^(?P<base>\*|[a-z0-9]+(?:-[a-z0-9]+)?)(?:/(?P<step>[0-9]+))?$")


@dataclass(frozen=True)
class WallRule:
    """What a cron expression selects on the wall clock.

    ``alternatives``: ``CronTrigger`` keyword sets; a wall time matches when it matches any
    of them (two only for cron(5)'s "day-of-month OR day-of-week"). ``nearest_weekday``:
    ``None``, a day number (``15W``) or ``"L"`` (``LW``); when set, the day must also be that
    month's nearest weekday (Monday-Friday, never leaving the month).
    """

    alternatives: tuple[dict[str, Any], ...]
    nearest_weekday: int | str | None = None
    text: str = field(default="", compare=False)


def _number(token: str, kind: str, names: tuple[str, ...], bounds: tuple[int, int]) -> int:
    low, high = bounds
    if token in names:
        return names.index(token) + (1 if kind in ("month", "eb-dow") else 0)
    if not token.isdigit():
        raise ValueError(f"unknown value {token!r}")
    number = int(token)
    if not low <= number <= high:
        raise ValueError(f"value {number} is outside {low}-{high}")
    return number


def expand_eventbridge(text: str, kind: str) -> list[int] | None:
    """Return the sorted values a validated EventBridge field selects; None for ``*``/``?``."""
    if text in ("*", "?"):
        return None
    low, high = EB_BOUNDS[kind]
    names = {"month": MONTHS, "dow": WEEKDAYS}.get(kind, ())
    values: set[int] = set()
    for item in text.split(","):
        base, _, step_text = item.partition("/")
        step = int(step_text) if step_text else 1
        if base == "*":
            first, last = low, high
        else:
            first_text, dash, last_text = base.partition("-")
            name_kind = "eb-dow" if kind == "dow" else kind
            first = _number(first_text, name_kind, names, (low, high))
            last = _number(last_text, name_kind, names, (low, high)) if dash else first
            last = high if step_text and not dash else last
        values.update(range(first, last + 1, step))
    return sorted(values)


def _joined(values: list[int] | None) -> str:
    return "*" if values is None else ",".join(str(v) for v in values)


def eventbridge_rule(fields: CronFields) -> WallRule:
    """Translate six validated EventBridge fields (1 = SUN ... 7 = SAT)."""
    kwargs: dict[str, Any] = {
        "second": "0",
        "minute": _joined(expand_eventbridge(fields.minutes, "minute")),
        "hour": _joined(expand_eventbridge(fields.hours, "hour")),
        "month": _joined(expand_eventbridge(fields.month, "month")),
        "year": fields.year,  # '*', 'YYYY', ranges, lists and steps mean the same in both
    }
    dom, dow = fields.day_of_month, fields.day_of_week
    nearest: int | str | None = None
    if dom.endswith("W"):  # nW or LW: any day here, the nearest-weekday rule picks one
        nearest = "L" if dom == "LW" else int(dom[:-1])
        kwargs["day"] = "*"
    elif dom == "L":
        kwargs["day"] = "last"
    else:
        kwargs["day"] = _joined(expand_eventbridge(dom, "day"))
    if dow == "L":  # alone, L is the last day of the week: Saturday
        kwargs["day_of_week"] = "sat"
    elif dow.endswith("L"):
        kwargs["day"] = f"last {_eb_weekday(dow[:-1])}"
    elif "#" in dow:
        day, nth = dow.split("#")
        kwargs["day"] = f"{ORDINALS[int(nth) - 1]} {_eb_weekday(day)}"
    else:
        values = expand_eventbridge(dow, "dow")
        if values is not None:
            kwargs["day_of_week"] = ",".join(APS_WEEKDAYS[v - 1] for v in values)
    return WallRule((kwargs,), nearest, " ".join(fields.__dict__.values()))


def _eb_weekday(token: str) -> str:
    values = expand_eventbridge(token, "dow")
    assert values is not None
    assert len(values) == 1
    return APS_WEEKDAYS[values[0] - 1]


def _bad_tab(line: str, why: str) -> ScheduleValidationError:
    return ScheduleValidationError(f"invalid crontab {line!r}: {why}", details={"expression": line})


def _expand_tab(text: str, kind: str, line: str) -> list[int] | None:
    """Expand one cron(5) field; weekday 7 becomes 0 (both are Sunday)."""
    if text == "*":
        return None
    low, high = TAB_BOUNDS[kind]
    names = {"month": tuple(m.lower() for m in MONTHS), "dow": APS_WEEKDAYS}.get(kind, ())
    values: set[int] = set()
    for item in text.split(","):
        match = _TAB_ITEM.match(item)
        if match is None:
            raise _bad_tab(line, f"{kind} item {item!r} is malformed")
        base, step = match["base"], int(match["step"] or 1)
        try:
            if base == "*":
                first, last = low, high
            else:
                first_text, dash, last_text = base.partition("-")
                first = _number(first_text, kind, names, (low, high))
                last = _number(last_text, kind, names, (low, high)) if dash else first
                last = high if match["step"] and not dash else last
        except ValueError as exc:
            raise _bad_tab(line, f"{kind} {exc}") from None
        if last < first:
            raise _bad_tab(line, f"{kind} range {base!r} goes downwards")
        if step < 1:
            raise _bad_tab(line, f"{kind} step /{step} must be at least 1")
        values.update(range(first, last + 1, step))
    if kind == "dow":
        values = {0 if v == 7 else v for v in values}
    return sorted(values)


def crontab_rule(line: str) -> WallRule:
    """Parse a cron(5) line: ``m h dom mon dow``, names, ``@daily``-style shortcuts.

    Weekdays are 0-7 with 0 and 7 = Sunday (or ``sun``-``sat``). As in cron(5), when both
    day-of-month and day-of-week are restricted (neither starts with ``*``) a day matches
    when EITHER matches; otherwise both must.

    Raises
    ------
    ScheduleValidationError
        Naming the field that is wrong.
    """
    if not isinstance(line, str) or not line.strip():
        raise ScheduleValidationError("crontab must be a non-empty string")
    text = line.strip().lower()
    if text.startswith("@"):
        if text not in SHORTCUTS:
            raise _bad_tab(line, f"unknown shortcut (use one of {', '.join(SHORTCUTS)})")
        text = SHORTCUTS[text]
    parts = text.split()
    if len(parts) != 5:
        raise _bad_tab(line, f"needs 5 fields (minute hour day month weekday), got {len(parts)}")
    special = [i for f in (parts[2], parts[4]) for i in f.split(",") if _SPECIAL.match(i)]
    if special:
        raise _bad_tab(line, f"{special[0]!r}: L, W, # and ? are not cron(5) (use plain days)")
    minute, hour, day, month, dow = (
        _expand_tab(part, kind, line) for part, kind in zip(parts, TAB_FIELDS, strict=True)
    )
    base: dict[str, Any] = {
        "second": "0",
        "minute": _joined(minute),
        "hour": _joined(hour),
        "month": _joined(month),
    }
    by_day = {**base, "day": _joined(day)}
    by_weekday = {**base, "day_of_week": "*" if dow is None else ",".join(
        APS_WEEKDAYS[v] for v in dow
    )}  # fmt: skip
    if parts[2].startswith("*") or parts[4].startswith("*"):
        return WallRule(({**by_day, "day_of_week": by_weekday["day_of_week"]},), None, line)
    return WallRule((by_day, by_weekday), None, line)
