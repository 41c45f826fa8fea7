"""Optional error reporting to Sentry (`SENTRY_DSN`): a crash is reported, its secrets are not.

Threat: an error reporter is a copy of every failing request sent to a third party; by default
it may carry the caller's `Authorization` header (a token that works), cookies, the request body
(a password being set, a user's data) and the frames' local variables (the same, under any name).
Decision: Sentry starts only when `SENTRY_DSN` is set, with `send_default_pii=False` (no user
details, no IP), no request bodies (`max_request_body_size="never"`) and no local variables; and
`scrub_event`, the `before_send` hook, drops from every event, whatever the SDK put in it: the
request's body, cookies and query string, the `Authorization`, `Proxy-Authorization`, `Cookie`
and CSRF headers, and the value of any field whose name contains `password`, anywhere in the
event. Each event is tagged with its request id (request_id.py): the log lines of the same
request are found by it.
"""

import sentry_sdk

from .request_id import NO_REQUEST, current_request_id

SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "x-csrftoken"})
SECRET_REQUEST_PARTS = ("data", "cookies", "query_string")
FILTERED = "[Filtered]"


def start_error_reporting(dsn, **options):
    """Send unhandled errors to the Sentry project of `dsn`, scrubbed (`options`: for tests)."""
    sentry_sdk.init(
        dsn=dsn,
        send_default_pii=False,
        max_request_body_size="never",
        include_local_variables=False,
        before_send=scrub_event,
        **options,
    )


def scrub_event(event, hint):
    request = event.get("request")
    if isinstance(request, dict):
        for part in SECRET_REQUEST_PARTS:
            request.pop(part, None)
        headers = request.get("headers")
        if isinstance(headers, dict):
            request["headers"] = {
                name: value for name, value in headers.items() if name.lower() not in SECRET_HEADERS
            }
    request_id = current_request_id()
    if request_id != NO_REQUEST:
        event.setdefault("tags", {})["request_id"] = request_id
    return without_passwords(event)


def without_passwords(value):
    """`value` with every field whose name contains "password" filtered, at any depth."""
    if isinstance(value, dict):
        return {
            key: FILTERED
            if isinstance(key, str) and "password" in key.lower()
            else without_passwords(item)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [without_passwords(item) for item in value]
    return value
