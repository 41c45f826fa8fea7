"""Plain HTTP from outside the app, for tests that talk to a live server."""

import json
from urllib.error import HTTPError
from urllib.request import Request, urlopen


def send(method, url, headers=None, body=None):
    """Send one request; return (status, parsed JSON body or None, headers)."""
    request = Request(url, data=body, headers=headers or {}, method=method)  # noqa: S310
    try:
        with urlopen(request, timeout=10) as response:  # noqa: S310 - a loopback test server
            status, raw, response_headers = response.status, response.read(), response.headers
    except HTTPError as error:
        status, raw, response_headers = error.code, error.read(), error.headers
    return status, json.loads(raw) if raw else None, response_headers
