"""`manage.py check_rate_limits` against a live server started with small rates.

The server is a separate process (its own settings from the environment, its own database and
throttle store), so the command sees exactly what a deployed server would answer, whatever
throttle classes the project uses.
"""

import io
import os
import shutil
import subprocess
import sys
import uuid

import pytest
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command

SERVER = """
import os
import ssl

import django
django.setup()
from wsgiref.simple_server import WSGIRequestHandler, make_server
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.wsgi import get_wsgi_application
from knox.models import AuthToken

class Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass

call_command("migrate", verbosity=0)
user = get_user_model().objects.create_user("checker")
server = make_server("127.0.0.1", 0, get_wsgi_application(), handler_class=Quiet)
if os.environ.get("TLS_CERT"):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(os.environ["TLS_CERT"], os.environ["TLS_KEY"])
    server.socket = context.wrap_socket(server.socket, server_side=True)
print(server.server_port, AuthToken.objects.create(user=user)[1], flush=True)
server.serve_forever()
"""
USER_RATE, ANON_RATE = "5/hour", "3/hour"
# DRF's own anonymous throttle runs after the permission check, so an anonymous probe of
# /api/tasks/ (401) is not throttled by it; the public schema is throttled by every version.
SCHEMA_PROBE = "--anon-path=/api/schema/"
HEALTH_PROBE = "--anon-path=/api/health/"


def start_server(tmp_path, **extra_env):
    """A server process admitting 5 requests an hour per user and 3 per anonymous IP."""
    env = {
        **os.environ,
        **extra_env,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "THROTTLE_USER_RATE": USER_RATE,
        "THROTTLE_ANON_RATE": ANON_RATE,
        # Its own budgets, even in a Redis that other tests and servers share.
        "THROTTLE_KEY_PREFIX": f"check-rate-limits-{uuid.uuid4().hex}",
    }
    process = subprocess.Popen(  # noqa: S603 - this interpreter, our own script
        [sys.executable, "-c", SERVER],
        cwd=django_settings.BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        port, token = process.stdout.readline().split()
        scheme = "https" if "TLS_CERT" in extra_env else "http"
        yield f"{scheme}://localhost:{port}", token
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def small_rates_server(tmp_path):
    yield from start_server(tmp_path)


@pytest.fixture
def small_rates_https_server(tmp_path, monkeypatch):
    """The same behind TLS, with a self-signed certificate for localhost that clients trust."""
    openssl = shutil.which("openssl")
    if not openssl:
        pytest.skip("openssl is needed to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(  # noqa: S603 - fixed arguments
        [
            openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost",
            "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # read by Python's default TLS context
    yield from start_server(tmp_path, TLS_CERT=str(cert), TLS_KEY=str(key))


def check(base_url, token, *flags, out=None):
    out = out or io.StringIO()
    call_command(
        "check_rate_limits", f"--base-url={base_url}", f"--token={token}", *flags, stdout=out
    )
    return out.getvalue()


def test_reports_where_each_limit_answers_429_and_agrees_with_the_settings(
    small_rates_server, settings
):
    settings.THROTTLE_USER_RATE, settings.THROTTLE_ANON_RATE = USER_RATE, ANON_RATE
    base_url, token = small_rates_server

    report = check(base_url, token, SCHEMA_PROBE)

    assert "user limit, GET /api/tasks/: 429 after 5 requests" in report
    assert "anonymous limit, GET /api/schema/: 429 after 3 requests" in report
    assert "Retry-After: " in report
    assert report.count(": OK") == 2


def test_exits_non_zero_when_a_limit_differs_and_stops_within_its_bound(small_rates_server):
    base_url, token = small_rates_server
    out = io.StringIO()

    with pytest.raises(CommandError, match="the user and anonymous limit differs") as raised:
        check(base_url, token, "--user-rate=7/hour", "--anon-rate=3/hour", HEALTH_PROBE, out=out)

    assert raised.value.returncode == 1
    report = out.getvalue()
    assert "user limit, GET /api/tasks/: 429 after 5 requests (Retry-After" in report
    assert "configured 7/hour admits 7: DIFFERS" in report
    # The health check is never throttled: the probe gives up after 3 + 5 requests.
    assert "anonymous limit, GET /api/health/: no 429 within 8 requests" in report


def test_works_against_an_https_url(small_rates_https_server):
    base_url, token = small_rates_https_server

    report = check(
        base_url, token, f"--user-rate={USER_RATE}", f"--anon-rate={ANON_RATE}", SCHEMA_PROBE
    )

    assert base_url.startswith("https://")
    assert report.count(": OK") == 2


def test_refuses_a_url_that_is_not_http():
    with pytest.raises(CommandError, match="must start with http"):
        check("ftp://example.com", "x")
