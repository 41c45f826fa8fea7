"""Three instances of one baked project behind one proxy, sharing PostgreSQL and Redis.

What a team that outgrows one machine runs: several gunicorn instances (each with the workers
gunicorn.conf.py derives, two over Redis) behind a load balancer that appends the client's address
to `X-Forwarded-For` (`TRUSTED_PROXY_COUNT=1`). The proxy is the test's own (`RoundRobinProxy`):
round robin, a fresh upstream connection per request, a request id of its own per attempt (which
the instances keep: it comes from their trusted proxy), and the client address each request asks
it to simulate. Like nginx's `proxy_next_upstream error` for idempotent requests, it tries the next
instance when one refuses the connection or closes it before answering anything.

Shown here, on loopback:
- per client IP and per user, the number of requests admitted across the three instances equals
  the rate, and the instances' metrics (each on its own METRICS_PORT, summed over its workers)
  add up to the same figures;
- an instance stopped with SIGTERM under load loses no request it had accepted: every request
  its log shows it served was answered, none it was sent went unanswered unless it never served
  it (its request id is not in its log), and every client request got its answer.
"""

import collections
import contextlib
import http.client
import itertools
import json
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client.parser import text_string_to_metric_families

from .conftest import free_port, project_env, run
from .services import postgres, scratch_databases, unique_name
from .test_throttle import require_redis

INSTANCES = 3
RATE = 10  # per minute, anonymous and per user
CLIENT_THREADS = 12


@dataclass
class Attempt:
    """One try of one client request at one instance."""

    instance: int
    request_id: str
    sent_at: float
    outcome: str = "pending"  # refused, closed before answering, answered, broken
    path: str = ""
    status: int = 0
    echoed_id: str = ""  # the X-Request-ID the instance answered with
    body: bytes = b""
    answered_at: float = 0.0


class RoundRobinProxy(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, ports):
        super().__init__(("127.0.0.1", 0), ForwardingHandler)
        self.ports = ports
        self.turns = itertools.count()
        self.numbers = itertools.count()
        self.changed = threading.Condition()
        self.attempts = []
        self.answered = 0

    def forward(self, method, path, headers):
        """Try the instances in turn until one answers; return (status, body)."""
        number = next(self.numbers)
        for retry in range(2 * len(self.ports)):
            instance = next(self.turns) % len(self.ports)
            attempt = self.attempt(instance, f"proxy-{number}-{retry}", method, path, headers)
            if attempt.outcome == "answered":
                return attempt.status, attempt.body
            if attempt.outcome == "broken":
                break  # an answer cut short: the request may have had its effect
        return 502, b""

    def attempt(self, instance, request_id, method, path, headers):
        connection = http.client.HTTPConnection("127.0.0.1", self.ports[instance], timeout=60)
        attempt = Attempt(instance, request_id, sent_at=time.monotonic(), path=path)
        try:
            connection.connect()
        except ConnectionRefusedError:
            attempt.outcome = "refused"
            return self.record(attempt)
        try:
            connection.request(method, path, headers={**headers, "X-Request-ID": request_id})
            response = connection.getresponse()
        except (ConnectionResetError, BrokenPipeError, http.client.RemoteDisconnected):
            attempt.outcome = "closed before answering"
        else:
            try:
                attempt.body = response.read()
                attempt.status, attempt.outcome = response.status, "answered"
                attempt.echoed_id = response.getheader("X-Request-ID")
            except (OSError, http.client.HTTPException):
                attempt.outcome = "broken"
        finally:
            connection.close()
            attempt.answered_at = time.monotonic()
        return self.record(attempt)

    def record(self, attempt):
        with self.changed:
            self.attempts.append(attempt)
            self.answered += attempt.outcome == "answered"
            self.changed.notify_all()
        return attempt


class ForwardingHandler(BaseHTTPRequestHandler):
    """Appends the simulated client's address to X-Forwarded-For, as a load balancer does."""

    def do_GET(self):
        client = self.headers["X-Simulated-Client"]
        sent_hops = self.headers.get("X-Forwarded-For")
        headers = {
            "Host": "localhost",
            "X-Forwarded-For": f"{sent_hops}, {client}" if sent_hops else client,
        }
        if "Authorization" in self.headers:
            headers["Authorization"] = self.headers["Authorization"]
        status, body = self.server.forward("GET", self.path, headers)
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def get(proxy, path, client_ip, token=None, spoofed=None):
    """One request to the proxy as client `client_ip`; return its status."""
    headers = {"X-Simulated-Client": client_ip}
    if token:
        headers["Authorization"] = f"Token {token}"
    if spoofed:
        headers["X-Forwarded-For"] = spoofed  # what a client sends to pick its own address
    connection = http.client.HTTPConnection("127.0.0.1", proxy.server_address[1], timeout=120)
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


class Instance:
    """One gunicorn instance as shipped (gunicorn.conf.py's workers) on a port of its own, with
    its own metrics port, a JSON log in logs/instance-N.log and its own PostgreSQL
    application_name (`PGAPPNAME`: the test sees which instance's queries wait)."""

    def __init__(self, project, number, env):
        self.name = f"instance-{number}"
        self.log_file = project / "logs" / f"{self.name}.log"
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(128)  # requests wait in the backlog until a worker is up
        self.port, self.metrics_port = listener.getsockname()[1], free_port()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "config.wsgi"],
            cwd=project,
            env={
                **project_env(),
                "DJANGO_DEBUG": "false",
                "TRUSTED_PROXY_COUNT": "1",
                "LOG_DESTINATION": "file",
                "LOG_FILE": f"logs/{self.name}.log",
                "LOG_FORMAT": "json",
                "METRICS_PORT": str(self.metrics_port),
                "PGAPPNAME": self.name,
                "GUNICORN_BIND": f"fd://{listener.fileno()}",
                **env,
            },
            pass_fds=[listener.fileno()],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        listener.close()  # the instance's copy is the only one: once it stops, it refuses
        self.errors, self.stopping = [], threading.Event()
        threading.Thread(target=self.read_errors, daemon=True).start()

    def read_errors(self):
        for line in self.process.stderr:
            self.errors.append(line)
            if "Handling signal: term" in line:  # gunicorn's master begins its shutdown
                self.stopping.set()

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
        self.process.wait(timeout=60)

    def served_ids(self):
        """The request ids this instance logged a response for."""
        entries = [json.loads(line) for line in self.log_file.read_text().splitlines()]
        return {entry["request_id"] for entry in entries if entry["logger"] == "api.requests"}


def metric(metrics_port, name, **labels):
    """The value of one sample on an instance's metrics port (0 when absent)."""
    url = f"http://127.0.0.1:{metrics_port}/metrics"
    with urllib.request.urlopen(url, timeout=30) as response:
        text = response.read().decode()
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and labels.items() <= sample.labels.items():
                return sample.value
    return 0


def test_three_instances_admit_exactly_the_rate_and_lose_nothing_on_sigterm(bake):
    require_redis()
    slug = unique_name("many")
    with scratch_databases(slug):
        project = bake(database="postgresql", cache="redis", project_slug=slug)
        run(project, "manage.py", "migrate", "--noinput", "--verbosity", "0")
        issued = run(project, "manage.py", "issue_token", "--create", "--json", "crowd")
        token = json.loads(issued.stdout.strip().splitlines()[-1])["crowd"]
        rates = {
            "THROTTLE_ANON_RATE": f"{RATE}/minute",
            "THROTTLE_USER_RATE": f"{RATE}/minute",
            "THROTTLE_KEY_PREFIX": f"many-{uuid.uuid4().hex}",
        }
        started = [Instance(project, number, rates) for number in range(INSTANCES)]
        proxy = RoundRobinProxy([instance.port for instance in started])
        threading.Thread(target=proxy.serve_forever, daemon=True).start()
        try:
            admitted_figures(proxy, started, token)
            sigterm_figures(proxy, started, token, slug)
        finally:
            proxy.shutdown()
            proxy.server_close()
            for instance in started:
                instance.stop()


def admitted_figures(proxy, started, token):
    """40 requests per client IP (each also sending an X-Forwarded-For of its own choosing) and
    40 with one token from rotating IPs, all at once through the proxy: 10 of each admitted."""
    clients = ["203.0.113.1", "203.0.113.2", "203.0.113.3"]
    jobs = [("anon", ip, None) for ip in clients for _ in range(40)]
    jobs += [("user", f"198.51.100.{n % 7}", token) for n in range(40)]
    with ThreadPoolExecutor(CLIENT_THREADS) as pool:
        statuses = list(
            pool.map(
                lambda job: get(
                    proxy,
                    "/api/tasks/",
                    job[1],
                    token=job[2],
                    spoofed=f"10.0.0.{uuid.uuid4().int % 250}",
                ),
                jobs,
            )
        )
    by_budget = collections.defaultdict(collections.Counter)
    for (kind, ip, _), status in zip(jobs, statuses, strict=True):
        by_budget[ip if kind == "anon" else "user crowd"][status] += 1
    print("admitted per budget across 3 instances:", dict(by_budget))

    assert {ip: by_budget[ip] for ip in clients} == {ip: {401: RATE, 429: 30} for ip in clients}
    assert by_budget["user crowd"] == {200: RATE, 429: 30}

    answered = [a for a in proxy.attempts if a.outcome == "answered"]
    served = collections.Counter(a.instance for a in answered)
    print("requests answered per instance:", dict(served))
    assert all(served[number] >= 40 for number in range(INSTANCES))  # round robin: 53 each
    assert all(a.echoed_id == a.request_id for a in answered)  # its trusted proxy's ids, kept

    def total(scope, decision):
        labels = {"scope": scope, "decision": decision}
        return sum(
            metric(instance.metrics_port, "api_throttle_decisions_total", **labels)
            for instance in started
        )

    assert (total("anon", "admitted"), total("anon", "refused")) == (3 * RATE, 90)
    assert (total("user", "admitted"), total("user", "refused")) == (RATE, 30)
    assert get(proxy, "/metrics", clients[0]) == 404  # never on the API's port


def sigterm_figures(proxy, started, token, slug):
    """240 requests from 12 threads, half of them with a token. Once 60 are answered, the test
    locks the token table, so every authenticated request waits in the middle of being served,
    until PostgreSQL shows one of the third instance's queries waiting; then that instance gets
    SIGTERM, and once its master has begun shutting down, the lock is released. Its waiting
    request must be answered by it: drained, not cut off."""
    stopped, last = started[-1], INSTANCES - 1
    paths = ["/api/health/", "/api/tasks/"]
    with ThreadPoolExecutor(CLIENT_THREADS) as pool, postgres(slug) as watcher:
        answers = [
            pool.submit(get, proxy, paths[n % 2], f"192.0.2.{n % 50}", token) for n in range(240)
        ]
        with proxy.changed:
            assert proxy.changed.wait_for(lambda: proxy.answered >= 60, timeout=60)
        with postgres(slug) as locker, locker.transaction():
            locker.execute("LOCK TABLE knox_authtoken IN ACCESS EXCLUSIVE MODE")
            wait_for_a_waiting_query(watcher, stopped)
            stopped.process.send_signal(signal.SIGTERM)
            stopped_at = time.monotonic()
            assert stopped.stopping.wait(timeout=30), "".join(stopped.errors)
        statuses = collections.Counter(answer.result() for answer in answers)
    assert stopped.process.wait(timeout=60) == 0, "".join(stopped.errors)

    tried = [a for a in proxy.attempts if a.instance == last]
    outcomes = collections.Counter(a.outcome for a in tried)
    answered_ids = {a.request_id for a in tried if a.outcome == "answered"}
    closed_ids = {a.request_id for a in tried if a.outcome == "closed before answering"}
    drained = [
        a
        for a in tried
        if a.outcome == "answered"
        and a.sent_at < stopped_at < a.answered_at
        and a.path != "/api/health/"
    ]
    print("client statuses:", dict(statuses))
    print("attempts at the stopped instance:", dict(outcomes))
    print("authenticated requests it was serving at SIGTERM and answered after:", len(drained))

    assert set(statuses) <= {200, 429} and sum(statuses.values()) == 240
    assert outcomes["broken"] == 0
    assert len(drained) >= 1  # what it was serving at SIGTERM, it finished
    assert outcomes["refused"] >= 1  # it did stop, and the proxy went on without it
    logged = stopped.served_ids()
    assert answered_ids <= logged
    assert not closed_ids & logged  # closed unanswered: never served, safe to retry
    assert logged - {a.request_id for a in proxy.attempts if a.outcome == "answered"} == set()


def wait_for_a_waiting_query(watcher, instance):
    """Return once one of `instance`'s database sessions waits on a lock (a request it is
    serving); fail if the instance exits first."""
    query = (
        "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s "
        "AND wait_event_type = 'Lock'"
    )
    for _ in range(600):  # 30 s in steps of 50 ms
        if watcher.execute(query, [instance.name]).fetchone()[0]:
            return
        with contextlib.suppress(subprocess.TimeoutExpired):
            instance.process.wait(timeout=0.05)
        assert instance.process.poll() is None, "".join(instance.errors)
    raise AssertionError(f"no query of {instance.name} waited on the lock within 30 s")
