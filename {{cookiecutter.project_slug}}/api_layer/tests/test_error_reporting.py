"""Sentry: started only with SENTRY_DSN; a 500's event carries no token, cookie, body or password.

Requests go through a live server (WSGI, where the SDK reads the request's URL and headers);
events are caught by a transport of the test's own (sentry-sdk's `transport` option, its public
way to replace the network), after the SDK and `scrub_event` have done all they do.
"""

import json

import pytest
import sentry_sdk
from sentry_sdk.transport import Transport

from api_layer.error_reporting import scrub_event, start_error_reporting
from api_layer.testing import load_settings, send

pytestmark = [pytest.mark.django_db, pytest.mark.urls("api_layer.tests.urls")]

DSN = "https://public-key@sentry.invalid/1"
TOKEN = "a1b2c3d4e5f6-token-that-works"
PASSWORD = "the-users-own-passphrase"
COOKIE = "session-cookie-value"
BODY_TEXT = "a private note in the body"


class CapturingTransport(Transport):
    """Keeps the events it is given instead of sending them."""

    events = []

    def capture_envelope(self, envelope):
        event = envelope.get_event()
        if event is not None:
            self.events.append(event)


@pytest.fixture
def reported():
    """Start Sentry on the capturing transport with `options`; return the events it sends."""
    CapturingTransport.events = []

    def start(start_with=start_error_reporting, **options):
        start_with(DSN, transport=CapturingTransport, **options)
        return CapturingTransport.events

    yield start
    sentry_sdk.get_client().close()
    sentry_sdk.get_global_scope().set_client(None)


def crash_with_secrets(base_url):
    """POST a body with a password, a token, a cookie, to a view that fails; return its headers."""
    status, _, headers = send(
        "POST",
        f"{base_url}/api/test/crash-post/?password={PASSWORD}",
        headers={
            "Authorization": f"Token {TOKEN}",
            "Proxy-Authorization": f"Basic {TOKEN}",
            "Cookie": f"sessionid={COOKIE}",
            "Content-Type": "application/json",
        },
        body=json.dumps({"username": "alice", "password": PASSWORD, "note": BODY_TEXT}).encode(),
    )
    assert status == 500
    return headers


def assert_no_secret_in(event):
    sent = json.dumps(event)
    for secret in (TOKEN, PASSWORD, COOKIE, BODY_TEXT, "Authorization", "sessionid"):
        assert secret not in sent
    assert "data" not in event.get("request", {})
    assert "cookies" not in event.get("request", {})


def test_a_500_is_reported_without_token_cookie_body_or_password(reported, live_server):
    events = reported()

    headers = crash_with_secrets(live_server.url)

    [event] = events
    assert event["exception"]["values"][0]["type"] == "RuntimeError"
    assert event["request"]["url"].endswith("/api/test/crash-post/")
    assert event["request"]["method"] == "POST"
    assert event["request"]["headers"]["Content-Type"] == "application/json"
    assert event["tags"]["request_id"] == headers["X-Request-ID"]
    assert_no_secret_in(event)


def test_scrub_event_alone_strips_them_from_the_sdks_most_revealing_event(reported, live_server):
    """Whatever the SDK's own options: every secret it would send, scrub_event removes."""

    def revealing(dsn, **options):
        everything = {
            "user_info": True,
            "cookies": {"mode": "allowlist", "terms": ["sessionid"]},
            "http_headers": {"request": {"mode": "allowlist", "terms": ["authorization"]}},
            "url_query_params": {"mode": "allowlist", "terms": ["password"]},
            "stack_frame_variables": True,
        }
        sentry_sdk.init(
            dsn,
            data_collection=everything,
            max_request_body_size="always",
            before_send=scrub_event,
            **options,
        )

    events = reported(start_with=revealing)

    crash_with_secrets(live_server.url)

    assert any(event["request"]["method"] == "POST" and "exception" in event for event in events)
    for event in events:
        assert_no_secret_in(event)


def test_any_field_named_like_a_password_is_filtered_at_any_depth():
    event = {
        "extra": {"new_password": PASSWORD, "list": [{"Password": PASSWORD}]},
        "breadcrumbs": {"values": [{"data": {"password_confirm": PASSWORD}}]},
    }

    scrubbed = scrub_event(event, hint={})

    assert PASSWORD not in json.dumps(scrubbed)
    assert scrubbed["extra"]["new_password"] == "[Filtered]"


def test_sentry_starts_only_when_sentry_dsn_is_set(monkeypatch, reported):
    monkeypatch.delenv("SENTRY_DSN", raising=False)
    load_settings()
    assert not sentry_sdk.get_client().is_active()

    monkeypatch.setenv("SENTRY_DSN", DSN)
    load_settings()

    options = sentry_sdk.get_client().options
    assert sentry_sdk.get_client().is_active()
    assert options["dsn"] == DSN
    collected = options["data_collection"]
    assert collected["user_info"] is False
    assert collected["http_bodies"] == []
    assert collected["stack_frame_variables"] is False
    assert collected["cookies"]["mode"] == collected["url_query_params"]["mode"] == "off"
    assert options["before_send"] is scrub_event
