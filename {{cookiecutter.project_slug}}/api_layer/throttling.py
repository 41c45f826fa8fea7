"""Throttling: every request counts against one budget, and a spent budget answers 429.

Threats: guessing passwords or tokens at speed; one client starving the others. Decisions:
- The store counts (throttle_store.py); these DRF throttle classes only choose the
  budget a request counts against: `user` per user id for requests with a valid token, `anon`
  per client IP (client_ip.py) for every other request, and `login` per client IP and per
  username tried on views with `throttle_scope = "login"` (token and register). Rates come from
  `DEFAULT_THROTTLE_RATES`, in the one grammar of rates.py (checked when settings load).
- DRF authenticates and checks permissions before it throttles, so a missing or invalid token
  gets its 401 without being counted: a flood of 401s would never be throttled. The exception
  handler calls `count_unauthenticated` for exactly those refusals; it runs the view's throttles
  then, so the request counts against `anon` and answers 429 once the budget is spent. Being in
  the exception handler, it covers every DRF view, knox's included, with no base class to forget.
- Counted responses carry the headers of draft-ietf-httpapi-ratelimit-headers-11, one item per
  budget: `RateLimit-Policy: "user";q=100;w=60` and `RateLimit: "user";r=99;t=60`, where `t` is
  the seconds until the oldest counted request leaves the window. A 429 carries `Retry-After`
  equal to `t` of the spent budget, so clients that honour either header retry in time.
- Every decision is counted for Prometheus (metrics.py), by scope, policy and outcome.
- Per-username counting lets anyone slow down one account's logins (5/minute by default); it is
  the price of stopping a password guesser who rotates IP addresses.
"""

import hashlib
import math
import time
from collections import namedtuple

from rest_framework.exceptions import AuthenticationFailed, NotAuthenticated, Throttled
from rest_framework.throttling import BaseThrottle

from .client_ip import client_ip
from .metrics import count_throttle_decision
from .rates import parse_rate, scope_rate
from .throttle_store import throttle_store

Budget = namedtuple("Budget", "policy quota window remaining reset_in")


def counted_budgets(request):
    """The budgets a request was counted against, for the headers.

    RateLimitHeadersMiddleware gives each request an empty list before the view runs; DRF's
    Request reads attributes it lacks from Django's request, so the throttles append to the
    list the middleware reads back. Without the middleware, the request still counts.
    """
    budgets = getattr(request, "rate_limits", None)
    if budgets is None:
        budgets = request.rate_limits = []
    return budgets


class RateThrottle(BaseThrottle):
    """Admit a request while its key has budget left under the rate of `scope`."""

    scope = None
    policy = None  # the name in the RateLimit headers and in the store; defaults to `scope`

    def get_key(self, request, view):
        """The key a request counts against, or None when this budget does not apply to it."""
        raise NotImplementedError(".get_key() must be overridden")

    def allow_request(self, request, view):
        key = self.get_key(request, view)
        if key is None:
            return True
        rate, seconds = parse_rate(scope_rate(self.scope))
        policy = self.policy or self.scope
        admitted, remaining, reset_at = throttle_store().hit(policy, key, rate, seconds)
        count_throttle_decision(self.scope, policy, admitted)
        # Whole seconds, rounded up (a float sum such as 60.000000001 is still 60).
        self.reset_in = max(1, math.ceil(round(reset_at - time.time(), 3)))
        budget = Budget(policy, rate, seconds, remaining, self.reset_in)
        counted_budgets(request).append(budget)
        return admitted

    def wait(self):
        return self.reset_in


def authenticated(request):
    return bool(request.user and request.user.is_authenticated)


class AnonRateThrottle(RateThrottle):
    """Requests without a valid token, per client IP."""

    scope = "anon"

    def get_key(self, request, view):
        return None if authenticated(request) else client_ip(request)


class UserRateThrottle(RateThrottle):
    """Requests with a valid token, per user."""

    scope = "user"

    def get_key(self, request, view):
        return str(request.user.pk) if authenticated(request) else None


class LoginRateThrottle(RateThrottle):
    """Requests to views with `throttle_scope = "login"`, per client IP."""

    scope = "login"

    def get_key(self, request, view):
        if getattr(view, "throttle_scope", None) != self.scope:
            return None
        return self.get_login_key(request)

    def get_login_key(self, request):
        return client_ip(request)


class LoginUsernameRateThrottle(LoginRateThrottle):
    """Requests to views with `throttle_scope = "login"`, per username sent, whatever the IP."""

    policy = "login-username"

    def get_login_key(self, request):
        username = request.data.get("username") if isinstance(request.data, dict) else None
        return username_key(username) if isinstance(username, str) else None


def username_key(username):
    """The per-username budget key of a login attempt (the API's and the admin's).

    Hashed: a fixed-length key, and no usernames stored in Redis.
    """
    return hashlib.sha256(username.casefold().encode()).hexdigest()


def count_unauthenticated(exc, context):
    """Count a request DRF refused for its credentials before throttling it.

    Returns the exception to answer with: `Throttled` once the budget is spent, else `exc`.
    """
    request = context.get("request")
    if not isinstance(exc, (NotAuthenticated, AuthenticationFailed)) or request is None:
        return exc
    if counted_budgets(request):
        return exc  # the throttles have already counted this request
    try:
        context["view"].check_throttles(request)
    except Throttled as throttled:
        return throttled
    return exc


class RateLimitHeadersMiddleware:
    """Add `RateLimit-Policy` and `RateLimit` to responses of requests a throttle counted."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.rate_limits = budgets = []
        response = self.get_response(request)
        if budgets:
            response["RateLimit-Policy"] = ", ".join(
                f'"{b.policy}";q={b.quota};w={b.window}' for b in budgets
            )
            response["RateLimit"] = ", ".join(
                f'"{b.policy}";r={b.remaining};t={b.reset_in}' for b in budgets
            )
        return response
