"""`manage.py check_rate_limits` against a live server whose settings admit few requests.

The command sends real HTTP requests, as it would to a deployed server, to Django's live
server running in a thread of this process: plain HTTP, and HTTPS with a self-signed
certificate that this process trusts.
"""

import io
import shutil
import ssl
import subprocess
from functools import partial

import pytest
from django.contrib.staticfiles.handlers import StaticFilesHandler
from django.core.management import CommandError, call_command
from django.db import connections
from django.test.testcases import LiveServerThread
from knox.models import AuthToken

USER_RATE, ANON_RATE = "5/hour", "3/hour"
HEALTH_PROBE = "--anon-path=/api/health/"  # never throttled


@pytest.fixture
def small_rates(rates):
    """The project admits 5 requests an hour per user and 3 per anonymous IP."""
    rates(user=USER_RATE, anon=ANON_RATE)


@pytest.fixture
def token(make_user):
    return AuthToken.objects.create(user=make_user("checker"))[1]


class HTTPSLiveServerThread(LiveServerThread):
    """Django's live server thread (the one behind `live_server`), serving HTTPS."""

    def __init__(self, tls, *args, **kwargs):
        self.tls = tls
        super().__init__(*args, **kwargs)

    def _create_server(self, *args, **kwargs):
        server = super()._create_server(*args, **kwargs)
        server.socket = self.tls.wrap_socket(server.socket, server_side=True)
        # Stopping waits for the server's next poll: every 0.05 s rather than 0.5 s.
        server.serve_forever = partial(server.serve_forever, poll_interval=0.05)
        return server


@pytest.fixture
def trusted_certificate(tmp_path, monkeypatch):
    """A self-signed certificate for localhost that this process's TLS clients trust: its
    certificate and key files."""
    openssl = shutil.which("openssl")
    if not openssl:
        pytest.skip("openssl is needed to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(  # noqa: S603 - fixed arguments
        [
            openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
            "-nodes", "-days", "1", "-subj", "/CN=localhost",
            "-addext", "subjectAltName=DNS:localhost",
            "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # read by Python's default TLS context
    return cert, key


@pytest.fixture
def https_live_server(transactional_db, trusted_certificate, settings):
    """A live server as `live_server` starts one, behind TLS; yields its URL."""
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(*trusted_certificate)
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "localhost"]
    # An in-memory SQLite test database is one connection, shared with the server's thread.
    shared = {c.alias: c for c in connections.all() if c.vendor == "sqlite" and c.is_in_memory_db()}
    for connection in shared.values():
        connection.inc_thread_sharing()
    server = HTTPSLiveServerThread(tls, "localhost", StaticFilesHandler, shared)
    server.daemon = True
    server.start()
    server.is_ready.wait()
    try:
        if server.error:
            raise server.error
        yield f"https://localhost:{server.port}"
    finally:
        server.terminate()
        for connection in shared.values():
            connection.dec_thread_sharing()


def check(base_url, token, *flags, out=None):
    out = out or io.StringIO()
    call_command(
        "check_rate_limits", f"--base-url={base_url}", f"--token={token}", *flags, stdout=out
    )
    return out.getvalue()


def test_reports_where_each_limit_answers_429_and_agrees_with_the_settings(
    live_server, small_rates, token
):
    report = check(live_server.url, token)

    assert "user limit, GET /api/auth/me/: 429 after 5 requests" in report
    assert "anonymous limit, GET /api/auth/me/: 429 after 3 requests" in report
    assert "Retry-After: " in report
    assert report.count(": OK") == 2


def test_exits_non_zero_when_a_limit_differs_and_stops_within_its_bound(
    live_server, small_rates, token
):
    base_url, out = live_server.url, io.StringIO()

    with pytest.raises(CommandError, match="the user and anonymous limit differs") as raised:
        check(base_url, token, "--user-rate=7/hour", "--anon-rate=3/hour", HEALTH_PROBE, out=out)

    assert raised.value.returncode == 1
    report = out.getvalue()
    assert "user limit, GET /api/auth/me/: 429 after 5 requests (Retry-After" in report
    assert "configured 7/hour admits 7: DIFFERS" in report
    # The health check is never throttled: the probe gives up after 3 + 5 requests.
    assert "anonymous limit, GET /api/health/: no 429 within 8 requests" in report


def test_works_against_an_https_url(https_live_server, small_rates, token):
    report = check(https_live_server, token)

    assert https_live_server.startswith("https://")
    assert report.count(": OK") == 2


def test_refuses_a_url_that_is_not_http():
    with pytest.raises(CommandError, match="must start with http"):
        check("ftp://example.com", "x")
