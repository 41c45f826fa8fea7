"""Throttle rates: the one grammar of the project, and the one place the rates are read.

A rate is `N/second|minute|hour|day` or `N/s|m|h|d`, N an ASCII number from 1 to 999999999,
and nothing else: no spaces, no other spelling of a unit. Threat: a typo read as something else.
DRF's own parser reads a unit by its first letter (`5/mins` and `5/month` are 5 a minute) and
`int()` takes spaces and non-ASCII digits. Decision: one strict form, checked when settings load,
so a malformed rate stops startup with ImproperlyConfigured naming the variable and its value.

The rates live in `REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`, filled once from the environment in
settings. The throttles, the commands and the tests' `rates` fixture all read or change them there.
"""

import re
from functools import cache

from django.core.exceptions import ImproperlyConfigured
from rest_framework.settings import api_settings

RATE = re.compile(r"([1-9][0-9]{0,8})/(second|minute|hour|day|s|m|h|d)")
EXPECTED = "N/second|minute|hour|day (or N/s|m|h|d), N from 1 to 999999999"
SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@cache  # a few distinct rates, parsed on every throttled request
def parse_rate(rate):
    """`"100/minute"` -> `(100, 60)`: requests admitted per window, window in seconds."""
    match = RATE.fullmatch(rate) if isinstance(rate, str) else None
    if match is None:
        raise ValueError(f"{rate!r} is not a rate; expected {EXPECTED}")
    return int(match[1]), SECONDS[match[2][0]]


def rate_from_env(env, variable, default):
    """The rate in environment variable `variable` (django-environ's `env`), checked."""
    rate = env.str(variable, default=default)
    try:
        parse_rate(rate)
    except ValueError as error:
        raise ImproperlyConfigured(f"{variable}: {error}") from None
    return rate


def scope_rate(scope):
    """The rate of a throttle scope (`user`, `anon`, `login`), as every reader reads it."""
    return api_settings.DEFAULT_THROTTLE_RATES[scope]


def configured_rates():
    """The user and anonymous rates, as the throttles read them."""
    return scope_rate("user"), scope_rate("anon")
