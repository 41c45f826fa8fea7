"""A real browser (Debian's chromium, driven by Playwright) against a live server.

Swagger UI renders every operation of the served schema from local assets, and the admin's login
page renders, each under its Content-Security-Policy; a page from an allowed origin reads the API
with a token; a page from any other origin is blocked by the browser's CORS
check. The browser is Debian's `/usr/bin/chromium` (`CHROMIUM_PATH` overrides the path):
Playwright's own browser download is never used. Without Playwright (the `browser` extra) or a
browser these tests skip, saying why, unless REQUIRE_SERVICES=1 (CI), where they fail.
"""

import os
import shutil
import threading
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest

from api_layer.testing import send, skip_or_fail
from api_layer.tests.urls import ADMIN, ITEMS

pytestmark = [pytest.mark.urls("api_layer.tests.urls"), pytest.mark.browser]

BROWSER = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PAGE = b"<!doctype html><html><head><title>client</title></head><body>client app</body></html>"
READ_WITH_TOKEN = """
async ([url, token]) => {
  try {
    const response = await fetch(url, {headers: {Authorization: `Token ${token}`}});
    return {status: response.status, body: await response.json()};
  } catch (error) {
    return {blocked: String(error)};
  }
}
"""


@pytest.fixture(scope="module")
def browser():
    """One headless chromium for the module's tests; each test opens its own context in it.

    Playwright's sync API marks an event loop as running in this thread while it is started,
    and Django refuses database calls under a running loop. None of our code runs on that loop
    (Playwright only waits on it between calls), so the check is lifted while the browser is up.
    """
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        skip_or_fail("Playwright is not installed (the `browser` extra in pyproject.toml)")
    if not shutil.which(BROWSER):
        skip_or_fail(f"no browser at {BROWSER} (apt-get install chromium)")
    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        browser = playwright.chromium.launch(
            executable_path=BROWSER, headless=True, args=LAUNCH_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def browser_page(browser):
    """A page in a fresh browser context (no cookies, cache or storage of another test); its
    requests and console errors are recorded."""
    context = browser.new_context()
    page = context.new_page()
    page.requested, page.errors = [], []
    # Requests that reached a server and came back (not those the browser stopped itself).
    page.on("requestfinished", lambda request: page.requested.append(request.url))
    page.on("console", lambda message: message.type == "error" and page.errors.append(message))
    yield page
    context.close()


@pytest.fixture
def page_origin():
    """Serve a tiny client page from a second loopback server; yield a factory of origins."""
    servers = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the http.server API
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(PAGE)

        def log_message(self, *args):
            pass

    def start():
        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        # Stopping waits for the server's next poll: every 0.05 s rather than 0.5 s.
        serve = partial(server.serve_forever, poll_interval=0.05)
        threading.Thread(target=serve, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_port}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def test_swagger_ui_renders_every_operation_of_the_schema_from_local_assets(
    live_server, browser_page
):
    _, schema, _ = send("GET", f"{live_server.url}/api/schema/?format=json")
    browser_page.goto(f"{live_server.url}/api/docs/")
    browser_page.wait_for_selector(".opblock-summary-path", timeout=20_000)

    rendered = browser_page.eval_on_selector_all(
        ".opblock-summary",
        """summaries => summaries.map(summary => [
            summary.querySelector(".opblock-summary-method").textContent,
            summary.querySelector(".opblock-summary-path").dataset.path,
        ])""",
    )
    documented = [
        [method.upper(), path] for path, methods in schema["paths"].items() for method in methods
    ]
    assert sorted(rendered) == sorted(documented)
    hosts = {urlsplit(url).netloc for url in browser_page.requested if url.startswith("http")}
    assert hosts == {urlsplit(live_server.url).netloc}
    # Under the pages' Content-Security-Policy, which allows no inline script.
    assert [message.text for message in browser_page.errors] == []


def test_redoc_renders_the_schema_from_local_assets(live_server, browser_page):
    browser_page.goto(f"{live_server.url}/api/redoc/")
    browser_page.wait_for_selector(f"text={ITEMS}{{id}}/", timeout=20_000)

    # ReDoc always asks a CDN for the Redocly logo: the page's policy stops it in the browser.
    hosts = {urlsplit(url).netloc for url in browser_page.requested if url.startswith("http")}
    assert hosts == {urlsplit(live_server.url).netloc}
    refusals = [message.text for message in browser_page.errors]
    assert all("Content Security Policy" in text for text in refusals), refusals


def test_admin_login_page_renders_under_its_policy(live_server, browser_page):
    browser_page.goto(f"{live_server.url}{ADMIN}login/")
    browser_page.wait_for_selector("#login-form", timeout=20_000)

    assert [url for url in browser_page.requested if url.endswith(".css")]
    assert [url for url in browser_page.requested if url.endswith(".js")]
    # What the policy refuses is reported on the console (the favicon's 404 is not our concern).
    refusals = [text for text in (m.text for m in browser_page.errors) if "Refused" in text]
    assert refusals == []


def test_page_from_an_allowed_origin_reads_the_api_with_a_token(
    alices_token, live_server, page_origin, settings, browser_page
):
    origin = page_origin()
    settings.CORS_ALLOWED_ORIGINS = [origin]
    browser_page.goto(f"{origin}/")

    result = browser_page.evaluate(READ_WITH_TOKEN, [f"{live_server.url}{ITEMS}3/", alices_token])

    assert result["status"] == 200, result
    assert result["body"] == {"id": 3, "name": "Item 3"}


def test_page_from_an_origin_not_in_the_list_is_blocked_by_the_browser(
    alices_token, live_server, page_origin, settings, browser_page
):
    allowed, other = page_origin(), page_origin()
    settings.CORS_ALLOWED_ORIGINS = [allowed]
    browser_page.goto(f"{other}/")

    result = browser_page.evaluate(READ_WITH_TOKEN, [f"{live_server.url}{ITEMS}3/", alices_token])

    assert "blocked" in result, result
    assert "Failed to fetch" in result["blocked"]
