"""One log line per request: who asked what, from where, with which outcome.

Threat: attacks that leave no trace (token guessing, probing, floods). Decision: every request is
logged once, after the response, with method, path (no query string: it may carry secrets),
status, user id or `anon`, client IP and duration. 401, 403 and 429 are security events, logged
at WARNING; 5xx at ERROR. Headers and bodies are never logged, so neither is a token or a
password. `log_format` makes each record one line whatever the path contains.
"""

import logging
import time

from .client_ip import client_ip

logger = logging.getLogger("api.requests")

SECURITY_EVENTS = {401, 403, 429}


def user_label(request):
    user = getattr(request, "user", None)
    return str(user.pk) if user is not None and user.is_authenticated else "anon"


def level_for(status):
    if status >= 500:
        return logging.ERROR
    if status in SECURITY_EVENTS:
        return logging.WARNING
    return logging.INFO


class RequestLogMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        fields = {
            "method": request.method,
            "path": request.path,
            "status": response.status_code,
            "user": user_label(request),
            "ip": client_ip(request),
            "duration_ms": round((time.perf_counter() - started) * 1000, 1),
        }
        logger.log(
            level_for(response.status_code),
            "%(method)s %(path)s %(status)s user=%(user)s ip=%(ip)s %(duration_ms)sms",
            fields,
            extra={"fields": fields},
        )
        return response
