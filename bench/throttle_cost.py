"""What the throttle costs a request over Redis, against one bare Redis PING: in process, paired.

    python3 bench/throttle_cost.py [--rounds 7] [--calls 2000] [--placement same|apart|free]
                                   [--template PATH]   # about 20 s

No server and no load generator: one thread calls each case `--calls` times in a row, and every
round runs every case once, interleaved (each round starts one case further on), so a change in
the machine's load reaches all cases alike. The table shows each case's median wall time per call
(the request waits for Redis) and CPU per call, here and in redis-server's main thread together
(what a saturated machine spends), each with its ratio to the PING of the same round (the median
of the per-round ratios, and their range).

Where the two ends of a round trip run moves every figure: on one CPU (`--placement same`, the
default: this process and redis-server pinned to one CPU) a round trip costs least, and the
ratios are the strictest; on two (`apart`), each request and each reply wakes the other CPU, which
on a virtual machine costs tens of microseconds per round trip, the same for every case, so the
ratios shrink toward 1; `free` leaves it to the scheduler, and runs then mix both.

Bakes the template (`--template`, default this checkout; Redis variant, SQLite, setup skipped)
into a temporary folder and imports the baked project here, its user rate set unreachable
(100000000/minute: every call admitted, the worst case for the sliding log, which then holds every
call of the last minute). Starts a private `redis-server` (on PATH) on a free loopback port with no
persistence, so its INFO commandstats and SLOWLOG are this run's alone.

The cases:
- PING: `client.ping()` through the store's own redis-py client and connection pool;
- the store's `hit` at 100/minute (the first 100 admitted, then a spent budget) and at the
  unreachable rate, over Redis and in memory;
- the request path: `RateLimitHeadersMiddleware` around DRF's `check_throttles` with the
  project's throttle classes, one authenticated user (what a list request runs for its budget),
  over Redis and in memory; with no throttle classes; with none but one PING (throughput.py's row
  (f)). A round trip slows the Python that runs after it (its caches refilled): in this short
  path that is mostly the throttle's own code, so the request path's ratio is an upper bound, and
  the store's hit against a PING is the like-for-like figure.
Where the time over a PING goes, each through redis-py's public methods:
- EVALSHA of `return 1` with no key: the least any script costs;
- the same with the key and arguments our hit sends, as the bytes SLOWLOG read back: sending
  them (formatting fresh numbers, as a hit does, costs a little more);
- a script that returns a constant of our reply's shape, no arguments: parsing the reply;
- `return 1` with our arguments through `register_script`'s Script object: the wrapper;
- PING and EVALSHA `return 1` as hand-written RESP over a socket of their own, no redis-py: the
  round trip itself (as `redis-cli --latency` measures it);
- server side, per call: usec_per_call from INFO commandstats (PING, EVALSHA) for each case.

Target (issue 12): the throttle over Redis costs at most 1.1x what a PING costs, paired per round.
Recorded figures: bench/README.md.
"""

import argparse
import contextlib
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from throughput import bake_quietly  # bench/ is not a package

UNREACHABLE = 100_000_000
PING = "PING (the store's client)"
HIT = "hit, unreachable rate"
PATH = "request path, throttled (Redis)"
BARE_PATH = "request path, no throttle classes"
PING_PATH = "request path, no throttles, one PING"
MEMORY_PATH = "request path, throttled (memory)"  # the case counting in process memory


# --- Setup -----------------------------------------------------------------------------------
def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_redis(stack, folder):
    """A private redis-server on loopback, stopped when the run ends: (its URL, its pid)."""
    if not shutil.which("redis-server"):
        sys.exit("throttle_cost.py needs redis-server on PATH (apt-get install redis-server)")
    port = free_port()
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", str(folder)],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    stack.callback(server.wait)
    stack.callback(server.terminate)
    for _ in range(100):
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
            return f"redis://127.0.0.1:{port}/0", server.pid
        time.sleep(0.05)
    sys.exit("the private redis-server did not start")


def place(placement, redis_pid):
    """Pin this process and redis-server (every thread of it) to one CPU, or to two."""
    if placement == "free":
        return "as the scheduler chooses"
    cpus = sorted(os.sched_getaffinity(0))
    if placement == "apart" and len(cpus) < 2:
        sys.exit("--placement apart needs two CPUs")
    here, there = cpus[0], cpus[0] if placement == "same" else cpus[1]
    os.sched_setaffinity(0, {here})
    for thread in Path(f"/proc/{redis_pid}/task").iterdir():
        os.sched_setaffinity(int(thread.name), {there})
    return f"this process on CPU {here}, redis-server on CPU {there}"


def load_project(project, redis_url):
    """Import the baked project in this process, its user rate unreachable."""
    os.environ.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DATABASE_URL=f"sqlite:///{project}/db.sqlite3",
        REDIS_URL=redis_url,
        THROTTLE_USER_RATE=f"{UNREACHABLE}/minute",
        THROTTLE_KEY_PREFIX=f"cost-{uuid.uuid4().hex[:8]}",
        LOG_DESTINATION="file",
        LOG_FILE=str(project / "logs" / "api.log"),
    )
    sys.path.insert(0, str(project))
    import django

    django.setup()


# --- Cases -----------------------------------------------------------------------------------
def request_path(throttled, ping=None):
    """One request's budget accounting: the headers' middleware around DRF's check_throttles.
    With `ping`, it is called as throughput.py's row (f) does: one PING per request."""
    from api_layer.throttling import RateLimitHeadersMiddleware
    from django.contrib.auth import get_user_model
    from django.http import HttpResponse
    from django.test import RequestFactory
    from rest_framework.request import Request
    from rest_framework.views import APIView

    view = APIView() if throttled else type("Unthrottled", (APIView,), {"throttle_classes": []})()
    user = get_user_model()(pk=1, username="cost")
    django_request = RequestFactory().get("/api/tasks/", REMOTE_ADDR="127.0.0.1")

    def respond(plain_request):
        request = Request(plain_request)
        request.user = user
        if ping:
            ping()
        view.check_throttles(request)
        return HttpResponse()

    middleware = RateLimitHeadersMiddleware(respond)
    return lambda: middleware(django_request)


def resp_command(*parts):
    """A command as RESP, the way any client puts it on the wire."""
    encoded = [part if isinstance(part, bytes) else str(part).encode() for part in parts]
    return f"*{len(encoded)}\r\n".encode() + b"".join(
        b"$%d\r\n%s\r\n" % (len(part), part) for part in encoded
    )


def raw_call(stack, redis_url, command):
    """Send `command` on a socket of our own and read the reply's bytes: no redis-py at all."""
    host, port = redis_url.split("//")[1].split("/")[0].split(":")
    sock = stack.enter_context(socket.create_connection((host, int(port))))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def call():
        sock.sendall(command)
        sock.recv(4096)  # replies here are a few bytes, read whole by one recv

    return call


def lua_literal(value):
    """A parsed reply written back as a Lua value: a script returning it sends the same reply."""
    if isinstance(value, list):
        return "{" + ", ".join(lua_literal(item) for item in value) + "}"
    if isinstance(value, bytes):
        return '"' + value.decode() + '"'
    return str(int(value))


def our_script_call(client, store):
    """The EVALSHA our hit sends, as SLOWLOG records it (sha, key count, keys and arguments)."""
    client.config_set("slowlog-log-slower-than", 0)
    client.slowlog_reset()
    store.hit("shape", "key", UNREACHABLE, 60)
    client.config_set("slowlog-log-slower-than", 10000)
    sent = [e for e in client.slowlog_get(10) if e["command"].upper().startswith(b"EVALSHA")]
    return sent[0]["command"].split(b" ")[1:]  # the newest: after a NOSCRIPT, the one that ran


def cases(stack, redis_url):
    """The store's client, and (label, command counted server side, callable) for every case."""
    from api_layer.throttle_store import ThrottleStore, throttle_store

    store = throttle_store()
    client = store.shared.client
    memory = ThrottleStore("memory://", "cost")
    sha, numkeys, *keys_and_args = our_script_call(client, store)
    numkeys = int(numkeys)
    reply = client.evalsha(sha, numkeys, *keys_and_args)  # once more: its shape
    return_1 = client.script_load("return 1")
    our_shape = client.script_load(f"return {lua_literal(reply)}")
    wrapped_return_1 = client.register_script("return 1")
    keys, args = keys_and_args[:numkeys], keys_and_args[numkeys:]
    throttled = request_path(throttled=True)

    table = [
        (PING, "ping", client.ping),
        ("hit, 100/minute", "evalsha", lambda: store.hit("cost", "100", 100, 60)),
        (HIT, "evalsha", lambda: store.hit("cost", "max", UNREACHABLE, 60)),
        (PATH, "evalsha", throttled),
        (BARE_PATH, None, request_path(throttled=False)),
        (PING_PATH, "ping", request_path(throttled=False, ping=client.ping)),
        ("hit in memory, unreachable rate", None, lambda: memory.hit("m", "k", UNREACHABLE, 60)),
        (MEMORY_PATH, None, throttled),
        ("EVALSHA `return 1`, no key", "evalsha", lambda: client.evalsha(return_1, 0)),
        ("`return 1` + our key and args", "evalsha",
         lambda: client.evalsha(return_1, numkeys, *keys_and_args)),
        ("`return 1` + our args, Script object", "evalsha",
         lambda: wrapped_return_1(keys=keys, args=args)),
        ("a constant of our reply's shape", "evalsha", lambda: client.evalsha(our_shape, 0)),
        ("raw socket PING", "ping", raw_call(stack, redis_url, resp_command("PING"))),
        ("raw socket EVALSHA `return 1`", "evalsha",
         raw_call(stack, redis_url, resp_command("EVALSHA", return_1, 0))),
    ]  # fmt: skip
    return client, table


# --- Measuring -------------------------------------------------------------------------------
def command_stats(client):
    """{command: (calls, usec)} Redis has spent executing each command (INFO commandstats);
    commands a script runs are counted too, inside its EVALSHA and on their own."""
    return {
        name.removeprefix("cmdstat_"): (stats["calls"], stats["usec"])
        for name, stats in client.info("commandstats").items()
    }


def redis_cpu_seconds(pid):
    """CPU time of redis-server's main thread (it runs every command), in seconds."""
    return int(Path(f"/proc/{pid}/schedstat").read_text().split()[0]) / 1e9


def measure(table, client, redis_pid, calls, rounds):
    """Per case and round, microseconds per call: wall clock, CPU here, CPU in redis-server;
    per case, {command: [calls, usec]} from INFO commandstats over all its rounds."""
    from django.conf import settings

    redis_url = settings.THROTTLE_STORAGE_URI
    figures = {label: {"wall": [], "here": [], "redis": []} for label, _, _ in table}
    server = {label: {} for label, _, _ in table}
    for round_number in range(rounds):
        shift = round_number % len(table)
        for label, _, call in table[shift:] + table[:shift]:
            settings.THROTTLE_STORAGE_URI = "memory://" if label == MEMORY_PATH else redis_url
            stats_before, redis_before = command_stats(client), redis_cpu_seconds(redis_pid)
            started, cpu_started = time.perf_counter(), time.process_time()
            for _ in range(calls):
                call()
            here, wall = time.process_time() - cpu_started, time.perf_counter() - started
            redis_spent = redis_cpu_seconds(redis_pid) - redis_before
            for name, seconds in (("wall", wall), ("here", here), ("redis", redis_spent)):
                figures[label][name].append(seconds / calls * 1e6)
            for command, (count, usec) in command_stats(client).items():
                count_before, usec_before = stats_before.get(command, (0, 0))
                if command != "info" and count > count_before:
                    totals = server[label].setdefault(command, [0, 0])
                    totals[0] += count - count_before
                    totals[1] += usec - usec_before
    return figures, server


def cpu(values):
    """CPU per call, here and in redis-server together: what a saturated machine spends."""
    return [here + there for here, there in zip(values["here"], values["redis"])]


def series(figures, label, kind):
    return cpu(figures[label]) if kind == "CPU" else figures[label]["wall"]


def ratio_text(numbers, pings):
    ratios = [number / ping for number, ping in zip(numbers, pings)]
    return f"{statistics.median(ratios):5.2f} ({min(ratios):.2f}-{max(ratios):.2f})"


def usec_per_call(server, command):
    calls, usec = server.get(command, (0, 0))
    return usec / calls if calls else float("nan")


def report(table, figures, server):
    pings = {kind: series(figures, PING, kind) for kind in ("wall", "CPU")}
    print(
        f"\n{'':38} {'wall':>6} {'x PING wall':>17}   {'CPU here + Redis':>18} {'x PING CPU':>17}"
        f" {'commandstats':>12}\n{'case (us per call)':38} {'':>6} {'(range)':>17}   "
        f"{'':>18} {'(range)':>17} {'usec/call':>12}"
    )
    for label, command, _ in table:
        here, there = (statistics.median(figures[label][name]) for name in ("here", "redis"))
        wall, total = series(figures, label, "wall"), series(figures, label, "CPU")
        print(
            f"{label:38} {statistics.median(wall):6.1f} {ratio_text(wall, pings['wall']):>17}"
            f"   {here:5.1f} + {there:4.1f} = {statistics.median(total):5.1f}"
            f" {ratio_text(total, pings['CPU']):>17} {usec_per_call(server[label], command):12.2f}"
        )
    inside = ", ".join(
        f"{command.upper()} {usec_per_call(server[HIT], command):.2f}"
        for command in server[HIT]
        if command != "evalsha"
    )
    print(f"\nInside our script (usec per call, {HIT}): {inside}")

    print("\nThe throttle's cost against one PING's, paired per round (target: at most 1.1x):")
    for kind in ("wall", "CPU"):
        bare = series(figures, BARE_PATH, kind)
        throttle = [t - b for t, b in zip(series(figures, PATH, kind), bare)]
        one_ping = [p - b for p, b in zip(series(figures, PING_PATH, kind), bare)]
        hit = ratio_text(series(figures, HIT, kind), pings[kind])
        print(
            f"  {kind:4}: the store's hit against PING {hit}; in the request path, the throttle"
            f" against one PING {ratio_text(throttle, one_ping)}"
        )
    memory = [m - b for m, b in zip(figures[MEMORY_PATH]["wall"], figures[BARE_PATH]["wall"])]
    print(f"  in memory, the throttle costs the request path {statistics.median(memory):.1f} us")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--calls", type=int, default=2000, help="calls per case per round")
    parser.add_argument("--placement", choices=["same", "apart", "free"], default="same")
    parser.add_argument("--template", type=Path, default=ROOT, help="the template to bake")
    options = parser.parse_args()

    with contextlib.ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="throttle-cost-")))
        redis_url, redis_pid = start_redis(stack, folder)
        answers = ["database=sqlite", "cache=redis", "setup=skip", "run_tests=no"]
        project = bake_quietly(options.template.resolve(), folder, "cost_api", answers)
        load_project(project, redis_url)
        import redis
        from redis.utils import HIREDIS_AVAILABLE

        client, table = cases(stack, redis_url)
        placement = place(options.placement, redis_pid)
        print(
            f"{options.template.resolve()}: redis-py {redis.__version__} (hiredis:"
            f" {HIREDIS_AVAILABLE}), Redis {client.info('server')['redis_version']}; {placement};"
            f" {options.rounds} rounds x {options.calls} calls per case; load average"
            f" {os.getloadavg()[0]:.2f}"
        )
        figures, server = measure(table, client, redis_pid, options.calls, options.rounds)
        report(table, figures, server)
        print(f"load average at the end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
