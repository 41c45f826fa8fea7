"""Content-Security-Policy on every response (django-csp), one policy per kind of page.

Threat: a response rendered where it should not be: an API response (JSON, or an error page)
opened as a document or framed by another site, where injected markup would run; the admin's
and the doc pages' markup made to load scripts from elsewhere. Decision, by area:
- everything (the API, every error): `CONTENT_SECURITY_POLICY` in settings, which lets nothing
  load and nothing frame it (`default-src 'none'; frame-ancestors 'none'`);
- the doc pages (Swagger UI, ReDoc): their own policy in docs.py, through django-csp's `csp`
  decorator: scripts, styles and images from this server only;
- the admin (whatever its path, `DJANGO_ADMIN_URL`): `ADMIN_POLICY` below, chosen here by the
  route's `admin` namespace, since its views are not ours to decorate. Django's admin has no
  inline script or style attribute: `'self'` is all it needs.

django-csp's documented extension point is `CSPMiddleware.get_policy_parts`; a view's own
decorator still wins.
"""

from csp.constants import NONE, SELF
from csp.middleware import CSPMiddleware

ADMIN_POLICY = {
    "default-src": [NONE],
    "script-src": [SELF],
    "style-src": [SELF],
    "img-src": [SELF, "data:"],
    "font-src": [SELF],
    "connect-src": [SELF],
    "form-action": [SELF],
    "base-uri": [NONE],
    "frame-ancestors": [NONE],
}


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    def get_policy_parts(self, request, response, report_only=False):
        parts = super().get_policy_parts(request, response, report_only=report_only)
        match = getattr(request, "resolver_match", None)
        if not report_only and parts.config is None and match and "admin" in match.namespaces:
            parts.config = ADMIN_POLICY
        return parts
