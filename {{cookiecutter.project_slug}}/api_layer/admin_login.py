"""The admin's login form spends the same budgets as the API's login.

Threat: guessing passwords at the admin's login form, which DRF's throttles never see (it is a
Django view), and which unlocks every account's data. Decision: a POST to the admin's login
view (`admin:login`, wherever `DJANGO_ADMIN_URL` mounts it) counts against the API's `login`
budgets, per client IP and per username (throttling.py's `LoginRateThrottle` and
`LoginUsernameRateThrottle`: the same store, rate, key and policy names), before the password is
checked. Sharing the budgets means the admin is no second door: tries at the API and at the
admin add up. A spent budget answers 429 with `Retry-After`, in the error envelope like every
error of the admin (errors.py).
"""

from .client_ip import client_ip
from .errors import error_response
from .rates import parse_rate, scope_rate
from .throttle_store import throttle_store
from .throttling import LoginRateThrottle, LoginUsernameRateThrottle, seconds_until, username_key


class AdminLoginThrottleMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.method != "POST" or request.resolver_match.view_name != "admin:login":
            return None
        budgets = [(LoginRateThrottle.scope, client_ip(request))]
        username = request.POST.get("username")
        if username:
            budgets.append((LoginUsernameRateThrottle.policy, username_key(username)))
        rate, seconds = parse_rate(scope_rate(LoginRateThrottle.scope))
        waits = []
        for policy, key in budgets:
            admitted, _, reset_at = throttle_store().hit(policy, key, rate, seconds)
            if not admitted:
                waits.append(seconds_until(reset_at))
        if not waits:
            return None
        response = error_response(429, "Too many login attempts.")
        response["Retry-After"] = str(max(waits))
        return response
