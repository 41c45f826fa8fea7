"""Throttle rates: one grammar (rates.py), checked as settings load, read from one place."""

import re

import pytest
from django.core.exceptions import ImproperlyConfigured

from api_layer.rates import configured_rates, parse_rate
from api_layer.testing import load_settings

SCHEMA = "/api/schema/"  # throttled for every caller, and no domain app's route


@pytest.mark.parametrize(
    ("rate", "parsed"),
    [
        ("1/s", (1, 1)),
        ("3/second", (3, 1)),
        ("4/m", (4, 60)),
        ("100/minute", (100, 60)),
        ("5/h", (5, 3600)),
        ("7/hour", (7, 3600)),
        ("1/d", (1, 86400)),
        ("999999999/day", (999999999, 86400)),
    ],
)
def test_every_form_of_a_rate_parses_to_requests_per_window(rate, parsed):
    assert parse_rate(rate) == parsed


@pytest.mark.parametrize(
    "rate",
    [
        "0/m",
        "05/m",
        "1000000000/s",
        " 5/m",
        "5/minute ",
        "5 /m",
        "5/ m",
        "5/Minute",
        "5/mins",
        "5/month",
        "\uff15/m",  # a fullwidth 5, which int() reads as 5
        "5/m/s",
        "5",
        "ten/minute",
        "",
        None,
    ],
)
def test_a_malformed_rate_is_refused_with_its_value_named(rate):
    with pytest.raises(ValueError, match=re.escape(f"{rate!r} is not a rate; expected N/second")):
        parse_rate(rate)


@pytest.mark.parametrize(
    "variable", ["THROTTLE_USER_RATE", "THROTTLE_ANON_RATE", "THROTTLE_LOGIN_RATE"]
)
def test_a_malformed_rate_in_the_environment_stops_startup_naming_it(monkeypatch, variable):
    monkeypatch.setenv(variable, "5/mins")

    with pytest.raises(ImproperlyConfigured, match=re.escape(f"{variable}: '5/mins' is not a")):
        load_settings()


def test_rates_from_the_environment_are_the_throttle_rates(monkeypatch):
    monkeypatch.setenv("THROTTLE_USER_RATE", "7/h")
    monkeypatch.setenv("THROTTLE_ANON_RATE", "3/day")
    monkeypatch.setenv("THROTTLE_LOGIN_RATE", "2/s")

    rates = load_settings().REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]

    assert rates == {"user": "7/h", "anon": "3/day", "login": "2/s"}


@pytest.mark.django_db
def test_rates_set_for_a_test_are_what_every_reader_sees(rates, alice_client, api_client):
    rates(user="2/hour", anon="1/hour")

    assert configured_rates() == ("2/hour", "1/hour")
    assert [alice_client.get(SCHEMA).status_code for _ in range(3)] == [200, 200, 429]
    assert [api_client.get(SCHEMA).status_code for _ in range(2)] == [200, 429]
    assert api_client.get(SCHEMA)["RateLimit-Policy"] == '"anon";q=1;w=3600'
