"""Check a running server's throttling from the outside.

`python manage.py check_rate_limits --base-url URL --token TOKEN [--user-rate R] [--anon-rate R]`

Sends requests until the server answers 429, once with the token (the user rate) and once
without (the anonymous rate), reports after how many requests each limit answered, and compares
with the configured rates (`THROTTLE_USER_RATE` and `THROTTLE_ANON_RATE`, as these settings read
them), or the flags when the server runs elsewhere (behind ngrok, say). Exits 1 when they differ.

Both limits are probed on `GET /api/auth/me/` unless `--path` and `--anon-path` say otherwise:
it is in every project built from this template (accounts serves it, whatever resources there
are), it is one cheap query and changes nothing, and it counts against the user budget with a
token and against the anonymous budget without one (its 401s count: a flood of them is
throttled too).

Bounded: at most the expected number plus a margin per limit (`--max-requests` caps both), so
it never floods a server. It spends the budgets it measures: run it once per window, on a
server nobody else is using with this token and this IP. Only the status codes and the
`Retry-After` and `RateLimit*` headers matter, whatever throttle classes the server uses.
"""

from urllib.error import HTTPError, URLError
from urllib.request import Request, urlopen

from django.core.management.base import BaseCommand, CommandError

from api_layer.rates import configured_rates, parse_rate

SHOWN_HEADERS = ["Retry-After", "RateLimit-Policy", "RateLimit"]
PROBE = "/api/auth/me/"  # in every project; counted for tokens and anonymous callers alike


def send(url, token, timeout):
    """GET `url`; return (status, headers). HTTP errors are answers too."""
    headers = {
        "Accept": "application/json",
        "User-Agent": "check_rate_limits",
        # ngrok's free tunnels show browsers a warning page first; this header skips it.
        "ngrok-skip-browser-warning": "1",
    }
    if token:
        headers["Authorization"] = f"Token {token}"
    try:
        with urlopen(Request(url, headers=headers), timeout=timeout) as response:  # noqa: S310 - http(s) only, checked in handle()
            return response.status, response.headers
    except HTTPError as error:
        return error.code, error.headers
    except (URLError, OSError) as error:
        raise CommandError(f"cannot reach {url}: {error}") from error


def requests_until_throttled(url, token, bound, timeout):
    """How many requests were answered before the first 429 (None if none came), its headers."""
    for sent in range(1, bound + 1):
        status, headers = send(url, token, timeout)
        if status == 429:
            return sent - 1, headers
        if status >= 500:
            raise CommandError(f"{url} answered {status}: the server is failing, not throttling")
    return None, None


class Command(BaseCommand):
    help = "Report after how many requests the user and anonymous limits answer 429."

    def add_arguments(self, parser):
        parser.add_argument("--base-url", required=True, help="e.g. https://abcd.ngrok-free.app")
        parser.add_argument("--token", required=True, help="a valid token of a user")
        parser.add_argument("--user-rate", help="expected user rate (default: settings)")
        parser.add_argument("--anon-rate", help="expected anonymous rate (default: settings)")
        parser.add_argument("--path", default=PROBE, help="endpoint probed with the token")
        parser.add_argument("--anon-path", default=PROBE, help="endpoint probed without a token")
        parser.add_argument("--max-requests", type=int, default=2000, help="per limit")
        parser.add_argument("--timeout", type=float, default=10.0, help="seconds per request")

    def handle(self, *args, **options):
        base_url = options["base_url"].rstrip("/")
        if not base_url.startswith(("http://", "https://")):
            raise CommandError(f"--base-url must start with http:// or https://: {base_url}")
        settings_user, settings_anon = configured_rates()
        checks = [
            ("user", options["user_rate"] or settings_user, options["path"], options["token"]),
            ("anonymous", options["anon_rate"] or settings_anon, options["anon_path"], None),
        ]
        differing = []
        for name, rate, path, token in checks:
            try:
                expected, _ = parse_rate(rate)
            except ValueError as error:
                raise CommandError(str(error)) from error
            bound = min(expected + max(5, expected // 10), options["max_requests"])
            admitted, headers = requests_until_throttled(
                base_url + path, token, bound, options["timeout"]
            )
            if admitted is None:
                found = f"no 429 within {bound} requests"
            else:
                found = f"429 after {admitted} requests"
                shown = [f"{key}: {headers[key]}" for key in SHOWN_HEADERS if key in headers]
                if shown:
                    found += f" ({'; '.join(shown)})"
            verdict = "OK" if admitted == expected else "DIFFERS"
            if admitted != expected:
                differing.append(name)
            self.stdout.write(
                f"{name} limit, GET {path}: {found}; configured {rate} admits {expected}: {verdict}"
            )
        if differing:
            raise CommandError(
                f"the {' and '.join(differing)} limit differs from the configured rate "
                "(a budget partly spent in this window also lowers the count: retry after "
                "Retry-After seconds)",
                returncode=1,
            )
        self.stdout.write("Both limits answer 429 where the configured rates say.")
