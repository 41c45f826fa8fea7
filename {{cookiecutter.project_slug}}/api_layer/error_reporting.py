"""Optional error reporting to Sentry (`SENTRY_DSN`): a crash is reported, its secrets are not.

Threat: an error reporter is a copy of every failing request sent to a third party; by default
it may carry the caller's `Authorization` header (a token that works), cookies, the request body
(a password being set, a user's data) and the frames' local variables (the same, under any name).
Decision: Sentry starts only when `SENTRY_DSN` is set, and collects no user details or IP (what
`send_default_pii=False` says; sentry-sdk 2.75 deprecates that flag for `data_collection`), no
cookies, bodies, query strings, database query data or local variables, and request headers with
the SDK's sensitive names (auth, token, cookie, session...) filtered. Then `scrub_event`, the
`before_send` hook, drops from every event whatever the SDK put in it: the request's body,
cookies and query string, the `Authorization`, `Proxy-Authorization`, `Cookie` and CSRF headers,
every stack frame's local variables, and the value of any field whose name contains `password`,
anywhere in the event.

Each event is tagged with its request id (request_id.py): the log lines of the same request are
found by it. The request log (`api.requests`: one line per request, with the client's IP and
user id) makes neither events nor breadcrumbs; the exception's own event reports a 500.
"""

import sentry_sdk
from sentry_sdk.integrations.logging import ignore_logger

from .request_id import NO_REQUEST, current_request_id

SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "x-csrftoken"})
SECRET_REQUEST_PARTS = ("data", "cookies", "query_string")
FILTERED = "[Filtered]"
# sentry-sdk's `data_collection` option: collect nothing that may identify a user or carry a secret.
DATA_COLLECTION = {
    "user_info": False,
    "cookies": {"mode": "off"},
    "http_headers": {"request": {"mode": "denylist"}},
    "http_bodies": [],
    "url_query_params": {"mode": "off"},
    "database_query_data": False,
    "stack_frame_variables": False,
}


def start_error_reporting(dsn, **options):
    """Send unhandled errors to the Sentry project of `dsn`, scrubbed (`options`: for tests)."""
    sentry_sdk.init(
        dsn=dsn,
        data_collection=DATA_COLLECTION,
        before_send=scrub_event,
        **options,
    )
    ignore_logger("api.requests")


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
    for frame in stack_frames(event):
        frame.pop("vars", None)  # a `request` or `body` local holds what was dropped above
    request_id = current_request_id()
    if request_id != NO_REQUEST:
        event.setdefault("tags", {})["request_id"] = request_id
    return without_passwords(event)


def stack_frames(event):
    """Every frame of the event's exceptions and threads."""
    for kind in ("exception", "threads"):
        for value in (event.get(kind) or {}).get("values") or []:
            yield from (value.get("stacktrace") or {}).get("frames") or []


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
