"""Where throttle counts live: a sliding log in Redis, or in this process's memory.

Threat: a budget counted loosely admits more than the rate. DRF's cache throttle reads a
client's history and writes it back later, so concurrent requests overwrite each other's count:
across gunicorn workers it admits several times the rate. Decision: each budget is a sliding log,
the times of the requests it admitted within the last window. A request is admitted while the
log holds fewer than the rate, so no span of the window's length ever admits more (a fixed
window admits up to twice the rate around its boundary), and the oldest entry says exactly when
the next slot frees (Retry-After). The cost, one timestamp per admitted request per key, is small
for per-minute rates of hundreds.

Over Redis (`REDIS_URL` set, every worker shares the budget), one Lua script of ours trims a key's
sorted set, counts it, admits, and hands back the remaining budget and the oldest entry: one
atomic round trip per counted request, the least a budget shared exactly by every process can
take. It goes by hash through redis-py's public `evalsha`, and is loaded with `script_load` when
Redis answers NOSCRIPT (a restart, a `SCRIPT FLUSH`); a script Redis did not know did not run, so
no request is counted twice (redis-py's `register_script` does the same, with more work per
call). In memory (the embedded default), the twin of that script runs under one lock, with the
same semantics.

Why our own and not `limits`: limits 5.8 counts exactly, but needs two round trips for a hit plus
the figures the RateLimit headers need, and its `MemoryStorage` starts a timer thread every few
requests and fails under threads; avoiding both meant overriding its private members, which its
next minor release may silently undo. This module uses documented APIs only.

Redis unavailable: the API keeps serving, and counts in this process's memory meanwhile (each
worker then enforces the rate on its own: degraded, never unthrottled). It logs one error, tries
Redis again after `RETRY_SECONDS`, `/api/health/` reports the store as unavailable and the gauge
`api_throttle_store_fallback` (metrics.py) is 1 until Redis answers again. Refusing every request
instead would turn an outage of the throttle's store into an outage of the API.
Health never waits on Redis longer than `HEALTH_WAIT_SECONDS`: it reports where budgets are being
counted, as the last request or ping left it (unavailable from a failure until the next try); with
no news of Redis for `RETRY_SECONDS`, a ping goes out on a thread of its own.
"""

import concurrent.futures
import contextlib
import hashlib
import logging
import threading
import time
from collections import deque

import redis
from django.conf import settings
from redis.backoff import NoBackoff
from redis.retry import Retry

from .metrics import set_throttle_store_fallback

logger = logging.getLogger(__name__)

RETRY_SECONDS = 30
# Long enough for a busy Redis or machine; a hung Redis costs one such wait per RETRY_SECONDS.
REDIS_TIMEOUT_SECONDS = 2
# The longest /api/health/ waits for Redis to answer a ping when it has had no news of it lately.
HEALTH_WAIT_SECONDS = 0.02
# Budgets that left their window are dropped this often; until then they only take memory.
SWEEP_SECONDS = 1.0

# KEYS[1]: the budget's sorted set (member: one admitted request, score: its time). ARGV: now
# (`repr` of time.time(): every digit), the rate, the window in seconds; entries at or before
# now - window have left. The member is the time itself: ZADD NX adds it only if new, and two
# requests of the same instant append "+" until theirs is. Returns one string, "count oldest": the
# count after this request, negative when refused, and the oldest entry's time as Redis prints it
# (every digit of the double). One string is what redis-py reads fastest after a bare integer.
# (The oldest is read from its score, not its name: entries a former version named otherwise
# still read right during an upgrade.)
SLIDING_LOG = """
local log, now = KEYS[1], ARGV[1]
redis.call("ZREMRANGEBYSCORE", log, "-inf", now - ARGV[3])
local count = redis.call("ZCARD", log)
if count >= tonumber(ARGV[2]) then
    return -count .. " " .. redis.call("ZRANGE", log, 0, 0, "WITHSCORES")[2]
end
local member = now
while redis.call("ZADD", log, "NX", now, member) == 0 do
    member = member .. "+"
end
redis.call("EXPIRE", log, ARGV[3])
if count == 0 then
    return "1 " .. now
end
return count + 1 .. " " .. redis.call("ZRANGE", log, 0, 0, "WITHSCORES")[2]
"""


class MemoryLog:
    """The sliding log in this process's memory, one lock around every operation."""

    def __init__(self):
        self.lock = threading.Lock()
        self.logs = {}  # key -> deque of admission times, oldest first
        self.ends = {}  # key -> time.time() when its newest entry leaves the window
        self.swept_at = time.time()

    def hit(self, key, rate, seconds):
        """Count one request; return (admitted, remaining, time.time() when a slot frees)."""
        now = time.time()
        with self.lock:
            self.sweep(now)
            log = self.logs.setdefault(key, deque())
            while log and log[0] <= now - seconds:
                log.popleft()
            admitted = len(log) < rate
            if admitted:
                log.append(now)
                self.ends[key] = now + seconds
            return admitted, max(0, rate - len(log)), log[0] + seconds

    def sweep(self, now):
        """Drop the logs whose every entry left the window, at most once per SWEEP_SECONDS."""
        if 0 <= now - self.swept_at < SWEEP_SECONDS:  # a clock set back sweeps too
            return
        self.swept_at = now
        for key in [key for key, end in self.ends.items() if end <= now]:
            del self.logs[key], self.ends[key]

    def reset(self):
        with self.lock:
            self.logs, self.ends = {}, {}


class RedisLog:
    """The sliding log in Redis: one script, one round trip per counted request."""

    def __init__(self, url, key_prefix):
        self.key_prefix = key_prefix
        # No retries: a retried script could count a request twice, and a hung Redis would
        # cost several timeouts instead of one. A connection Redis dropped is replaced anyway.
        self.client = redis.Redis.from_url(
            url,
            socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
            socket_timeout=REDIS_TIMEOUT_SECONDS,
            retry=Retry(NoBackoff(), 0),
        )
        # EVALSHA names a script by the SHA1 of its text; computed here, so that building the
        # store never waits on Redis.
        self.script = SLIDING_LOG
        self.sha = hashlib.sha1(SLIDING_LOG.encode(), usedforsecurity=False).hexdigest()

    def hit(self, policy, key, rate, seconds):
        """Count one request; return (admitted, remaining, time.time() when a slot frees)."""
        arguments = (f"{self.key_prefix}:{policy}:{key}", time.time(), rate, seconds)
        try:
            reply = self.client.evalsha(self.sha, 1, *arguments)
        except redis.exceptions.NoScriptError:  # Redis forgot it (a restart, SCRIPT FLUSH)
            self.sha = self.client.script_load(self.script)  # the refused call did not run
            reply = self.client.evalsha(self.sha, 1, *arguments)
        count, oldest = reply.split()
        count = int(count)
        return count > 0, max(0, rate - abs(count)), float(oldest) + seconds

    def reset(self):
        """Delete every budget under our prefix (never the keys of others sharing this Redis)."""
        pattern = "".join(f"[{c}]" if c in "*?[]\\" else c for c in self.key_prefix) + ":*"
        keys = list(self.client.scan_iter(match=pattern, count=1000))
        if keys:
            self.client.delete(*keys)


class ThrottleStore:
    """The sliding log over the shared store, with process memory standing in for it."""

    def __init__(self, url, key_prefix):
        self.local = MemoryLog()
        self.shared = None if url == "memory://" else RedisLog(url, key_prefix)
        self.lock = threading.Lock()
        self.retry_at = 0.0  # time.monotonic() before which Redis is not tried again
        self.answered_at = float("-inf")  # time.monotonic() when Redis last answered
        self.ping = None  # the pending ping of `available`, a Future of True or False
        self.fallen_back = False  # counting in self.local because Redis failed

    def hit(self, policy, key, rate, seconds):
        """Count one request against budget (policy, key) of `rate` per `seconds`.

        Returns (admitted, remaining, time.time() when the oldest counted request leaves).
        """
        if self.shared and time.monotonic() >= self.retry_at:
            try:
                reply = self.shared.hit(policy, key, rate, seconds)
            except redis.RedisError as error:
                self.shared_failed(error)
            else:
                self.shared_answered()
                return reply
        return self.local.hit((policy, key), rate, seconds)

    def shared_answered(self):
        self.answered_at = time.monotonic()
        if self.fallen_back:
            self.fallen_back = False
            set_throttle_store_fallback(False)

    def shared_failed(self, error):
        with self.lock:
            if time.monotonic() >= self.retry_at:  # once per interval, not once per request
                self.retry_at = time.monotonic() + RETRY_SECONDS
                self.fallen_back = True
                set_throttle_store_fallback(True)
                logger.error(
                    "throttle store unavailable (%s): counting in process memory, next try in %ss",
                    error,
                    RETRY_SECONDS,
                )

    def available(self):
        """Whether budgets are counted in Redis: not from a failed request or ping until the next
        try. Without news of Redis for RETRY_SECONDS, one ping goes out on a thread of its own;
        a call waits at most HEALTH_WAIT_SECONDS for its answer, and otherwise answers as before.
        """
        if self.shared is None:
            return True
        now = time.monotonic()
        if now >= self.retry_at and now - self.answered_at >= RETRY_SECONDS:
            with self.lock:  # one ping at a time; a hung one ends on its own thread
                if self.ping is None or self.ping.done():
                    self.ping = concurrent.futures.Future()
                    threading.Thread(target=self.send_ping, args=(self.ping,), daemon=True).start()
                ping = self.ping
            with contextlib.suppress(concurrent.futures.TimeoutError):
                ping.result(timeout=HEALTH_WAIT_SECONDS)
        return time.monotonic() >= self.retry_at

    def send_ping(self, future):
        try:
            self.shared.client.ping()
        except redis.RedisError as error:
            self.shared_failed(error)
            future.set_result(False)
        else:
            self.shared_answered()
            future.set_result(True)

    def reset(self):
        """Forget every count under our key prefix (tests start each case with full budgets)."""
        self.local.reset()
        if self.shared and self.available():
            self.shared.reset()


STORES = {}
STORES_LOCK = threading.Lock()


def throttle_store():
    """The store the settings name: `THROTTLE_STORAGE_URI`, keys under `THROTTLE_KEY_PREFIX`."""
    key = (settings.THROTTLE_STORAGE_URI, settings.THROTTLE_KEY_PREFIX)
    if key not in STORES:
        with STORES_LOCK:  # one store (one connection pool) per process, however many threads
            if key not in STORES:
                STORES[key] = ThrottleStore(*key)
    return STORES[key]
