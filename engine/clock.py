"""The one clock every time-based rule reads, and the business time zone.

Times are stored as naive UTC datetimes. Day boundaries and the numbering
year use the business time zone (LVYUE_TIMEZONE, default Asia/Shanghai).
"""

from __future__ import annotations

import os
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from engine.errors import BadInputError
from engine.i18n import _

DEFAULT_TIMEZONE = "Asia/Shanghai"


def business_zone() -> ZoneInfo:
    name = os.environ.get("LVYUE_TIMEZONE") or DEFAULT_TIMEZONE
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise BadInputError(
            _("Unknown time zone {name!r} in LVYUE_TIMEZONE; use an IANA name such as "
              "Asia/Shanghai.").format(name=name)
        ) from exc


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def to_utc(value: datetime) -> datetime:
    """Naive values are business-local; return naive UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=business_zone())
    return value.astimezone(timezone.utc).replace(tzinfo=None)


def parse_time(text: str, option: str = "--at") -> datetime:
    """Parse an ISO date or date-time; a bare date means the start of that business day."""
    raw = text.strip()
    try:
        if len(raw) == 10:
            return start_of_day(date.fromisoformat(raw))
        return to_utc(datetime.fromisoformat(raw.replace("Z", "+00:00")))
    except ValueError as exc:
        raise BadInputError(
            _("Invalid value for {option}: {value!r} is not an ISO date or time. "
              "Use 2026-03-01 or 2026-03-01T09:30:00+08:00.").format(option=option, value=text)
        ) from exc


def business_date(utc_value: datetime) -> date:
    return utc_value.replace(tzinfo=timezone.utc).astimezone(business_zone()).date()


def start_of_day(day: date) -> datetime:
    """Return the UTC instant at which business day `day` starts."""
    return to_utc(datetime.combine(day, time.min))


def iso_utc(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def local_text(utc_value: datetime) -> str:
    """Show a stored UTC time in the business time zone, to the second."""
    local = utc_value.replace(tzinfo=timezone.utc).astimezone(business_zone())
    return local.strftime("%Y-%m-%d %H:%M:%S%z")


def add_duration(start: datetime, iso: str) -> datetime:
    """Add an ISO 8601 duration of days, weeks, hours or minutes (P3D, P2W, PT4H, -P7D)."""
    return start + parse_duration(iso)


def parse_duration(iso: str) -> timedelta:
    text = iso.strip().upper()
    sign = -1 if text.startswith("-") else 1
    text = text.lstrip("+-")
    if not text.startswith("P") or len(text) < 3:
        raise BadInputError(_("Invalid duration {value!r}; use ISO 8601 such as P3D or PT4H.")
                            .format(value=iso))
    days = hours = minutes = 0
    number = ""
    in_time = False
    for char in text[1:]:
        if char == "T":
            in_time = True
        elif char.isdigit():
            number += char
        elif char in "DWHM" and number:
            value = int(number)
            number = ""
            if char == "D" and not in_time:
                days += value
            elif char == "W" and not in_time:
                days += 7 * value
            elif char == "H" and in_time:
                hours += value
            elif char == "M" and in_time:
                minutes += value
            else:
                raise BadInputError(_("Invalid duration {value!r}; use ISO 8601 such as P3D "
                                      "or PT4H.").format(value=iso))
        else:
            raise BadInputError(_("Invalid duration {value!r}; use ISO 8601 such as P3D or PT4H.")
                                .format(value=iso))
    if number:
        raise BadInputError(_("Invalid duration {value!r}; use ISO 8601 such as P3D or PT4H.")
                            .format(value=iso))
    return sign * timedelta(days=days, hours=hours, minutes=minutes)
