"""`Cache-Control: no-store` on every API response.

Threat: API responses carry tokens (register, token) and private data (tasks); a browser's disk
cache, a shared proxy or a CDN that keeps them hands them to the next reader of that cache
(RFC 6749 §5.1, OWASP ASVS 14.3.2). Decision: every response under `/api/` says `no-store`,
whatever answered it (a view, DRF's or Django's error handlers, a throttle, a 304, the HTTPS
refusal, the schema and the doc pages), set here once rather than per view. It replaces any
`Cache-Control` a view set: nothing under `/api/` is worth a stale copy. Conditional requests
still work: a client sends the `ETag` it kept itself in `If-None-Match` and gets its 304.
"""


class NoStoreMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.path_info.startswith("/api/"):
            response["Cache-Control"] = "no-store"
        return response
