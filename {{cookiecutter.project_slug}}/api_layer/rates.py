"""Throttle rates as the settings state them (`100/minute`, `5/s`), for the API's own tools."""

import re

from django.conf import settings

SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
RATE = re.compile(r"\s*([1-9][0-9]*)\s*/\s*(second|minute|hour|day|s|m|h|d)\s*")


def parse_rate(rate):
    """`"100/minute"` -> `(100, 60)`: requests admitted per window, window in seconds."""
    match = RATE.fullmatch(rate or "")
    if not match:
        raise ValueError(f"{rate!r} is not a rate; expected N/second|minute|hour|day")
    return int(match[1]), SECONDS[match[2][0]]


def configured_rates():
    """The user and anonymous rates of this project's settings."""
    return settings.THROTTLE_USER_RATE, settings.THROTTLE_ANON_RATE
