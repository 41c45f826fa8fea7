"""Throttling: every request counts against one budget, and a spent budget answers 429.

Threats: guessing passwords or tokens at speed; one client starving the others. Decisions:
- The store counts (throttle_store.py); these DRF throttle classes only choose the
  budget a request counts against: `user` per user id for requests with a valid token, `anon`
  per client IP (client_ip.py) for every other request, and `login` per client IP and per
  username tried on views with `throttle_scope = "login"` (token, register, password change:
  there the caller's own username). The admin's login form spends the same two budgets
  (admin_login.py). Rates come from
  `DEFAULT_THROTTLE_RATES`, in the one grammar of rates.py (checked when settings load).
- DRF negotiates, authenticates and checks permissions before it throttles, so a request that
  fails before the throttles (401 for a missing or invalid token, 406, a crash in authentication)
  would never be counted: a flood of them would never be throttled. The exception handler calls
  `count_uncounted` for every error: a request no throttle has counted yet runs the view's
  throttles then, so it counts against `anon` (or `user`, with a valid token) whatever its
  outcome, 500s included, and answers 429 once the budget is spent. Being in the exception
  handler, it covers every DRF view, knox's included, with no base class to forget. The
  throttles read a request whose credentials were refused, or whose authentication crashed, as
  anonymous. (Paths no view answers, such as an unknown URL's 404, are routing only and are
  not counted, like the health check.)
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

from rest_framework.exceptions import APIException, Throttled
from rest_framework.throttling import BaseThrottle

from .client_ip import client_ip
from .metrics import count_throttle_decision
from .rates import parse_rate, scope_rate
from .throttle_store import throttle_store
from .usernames import normalize_username

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
        self.reset_in = seconds_until(reset_at)
        budget = Budget(policy, rate, seconds, remaining, self.reset_in)
        counted_budgets(request).append(budget)
        return admitted

    def wait(self):
        return self.reset_in


def seconds_until(moment):
    """Whole seconds from now until `moment` (a time.time()), rounded up, at least 1 (a float sum
    such as 60.000000001 is still 60)."""
    return max(1, math.ceil(round(moment - time.time(), 3)))


def authenticated(request):
    """True for a request with valid credentials; refused or failing ones are anonymous."""
    try:
        user = request.user
    except Exception:  # credentials refused, or authentication crashed
        return False
    return bool(user and user.is_authenticated)


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
    """Requests to views with `throttle_scope = "login"`, per username sent (the caller's own
    when authenticated: a password change), whatever the IP."""

    policy = "login-username"

    def get_login_key(self, request):
        username = request.data.get("username") if isinstance(request.data, dict) else None
        if authenticated(request):
            username = request.user.get_username()
        # DRF's CharField reads numbers as their text: {"username": 7} logs in as "7".
        elif isinstance(username, (int, float)) and not isinstance(username, bool):
            username = str(username)
        return username_key(username) if isinstance(username, str) else None


def username_key(username):
    """The per-username budget key of a login attempt (the API's and the admin's).

    The name as authentication reads it (usernames.normalize_username), case-folded: every
    spelling that logs in as one account shares its budget (and `Alice` shares `alice`'s).
    Hashed: a fixed-length key, and no usernames stored in Redis.
    """
    folded = normalize_username(username).casefold()
    return hashlib.sha256(folded.encode("utf-8", "surrogatepass")).hexdigest()


def count_uncounted(exc, context):
    """Count a request that failed before the throttles ran, whatever the error.

    Returns the exception to answer with: `Throttled` once the budget is spent, else `exc`.
    """
    request, view = context.get("request"), context.get("view")
    if request is None or view is None or counted_budgets(request):
        return exc  # nothing to count, or the throttles have already counted this request
    try:
        view.check_throttles(request)
    except Throttled as throttled:
        return throttled
    except APIException:  # the body the login throttle reads is unreadable: `exc` says why
        pass
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
