"""Where throttle counts live: the `limits` library, over Redis or this process's memory.

Threat: a budget counted loosely admits more than the rate. DRF's cache throttle reads a
client's history and writes it back later, so concurrent requests overwrite each other's count:
across gunicorn workers it admits several times the rate. Decision: `limits` counts, with its own
atomic Lua scripts in Redis when `REDIS_URL` is set (every worker shares the budget), else under
one lock in this process's memory (the embedded default).

Strategy: moving window. It admits at most the rate in *any* span of the window's length, and
says exactly when the next slot frees (Retry-After). A fixed window admits up to twice the rate
around a window boundary; limits' sliding-window counter is an estimate. The cost, one timestamp
per admitted request per key (trimmed to the rate), is small for per-minute rates of hundreds.

Cost: one Redis round trip per counted request, the least a budget shared exactly by every
process can take (each admission must see every other process's hits). limits' `hit` and
`get_window_stats` take one each, so `RedisWindow` sends limits' two scripts together. With
Redis on a busy host, a round trip is mostly waiting, for Redis to be scheduled and for the
worker to be scheduled back: the round trips, not the scripts, are what the throttle costs, so
each one saved counts. In memory, limits starts a timer thread to sweep expired entries whenever
the last one has finished, a thread every few requests under load, which costs throughput too;
`SerialMemoryStorage` sweeps in the calling thread instead.

Redis unavailable: the API keeps serving, and counts in this process's memory meanwhile (each
worker then enforces the rate on its own: degraded, never unthrottled). It logs one error, tries
Redis again after `RETRY_SECONDS`, and `/api/health/` reports the store as unavailable. Refusing
every request instead would turn an outage of the throttle's store into an outage of the API.
"""

import logging
import threading
import time

import redis  # at startup too: limits, importing it lazily, read a half-imported module
from django.conf import settings
from limits.errors import StorageError
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

logger = logging.getLogger(__name__)

RETRY_SECONDS = 30
# Long enough for a busy Redis or machine; a hung Redis costs one such wait per RETRY_SECONDS.
REDIS_TIMEOUT_SECONDS = 2
# Expired timestamps are dropped this often; until then they only take memory, never budget.
SWEEP_SECONDS = 1.0


class SerialMemoryStorage(MemoryStorage):
    """limits' MemoryStorage, one operation at a time, swept by the thread that uses it.

    In limits 5.8.0, threads hitting it together can fail with "threads can only be started
    once" (fixed upstream in alisaifee/limits#352, not yet released), its expiry sweep, on a
    timer thread, drops a key's lock while a request may hold it, and that timer is started
    again on the first access after it ran: a new thread every few requests under load.
    Here one lock covers each operation and the sweep, and the sweep runs inside an operation,
    at most once per `SWEEP_SECONDS` (the timer limits starts in `__init__` runs only once).
    """

    def __init__(self):
        self.serial = threading.RLock()
        self.swept_at = time.time()
        super().__init__()

    def acquire_entry(self, *args, **kwargs):
        with self.serial:
            return super().acquire_entry(*args, **kwargs)

    def get_moving_window(self, *args, **kwargs):
        with self.serial:
            return super().get_moving_window(*args, **kwargs)

    def reset(self):
        with self.serial:
            return super().reset()

    def _MemoryStorage__schedule_expiry(self):
        now = time.time()
        if not 0 <= now - self.swept_at < SWEEP_SECONDS:  # a clock set back sweeps too
            self.swept_at = now
            self._MemoryStorage__expire_events()

    def _MemoryStorage__expire_events(self):
        with self.serial:
            super()._MemoryStorage__expire_events()


class MemoryWindow:
    """limits' moving window in this process's memory."""

    def __init__(self):
        self.storage = SerialMemoryStorage()
        self.limiter = MovingWindowRateLimiter(self.storage)

    def hit(self, item, identifiers):
        """Count one request; return (admitted, remaining, time.time() when a slot frees)."""
        with self.storage.serial:  # the figures returned are those this hit left
            admitted = self.limiter.hit(item, *identifiers)
            reset_at, remaining = self.limiter.get_window_stats(item, *identifiers)
        return admitted, remaining, reset_at


class RedisWindow:
    """limits' moving window in Redis, counted and read back in one round trip.

    limits' `MovingWindowRateLimiter` over its `RedisStorage` runs the script
    `acquire_moving_window` for `hit`, then `moving_window` for `get_window_stats`: two round
    trips. This sends the same two scripts of that storage, with the keys and arguments its
    `acquire_entry` and `get_moving_window` pass, in one pipeline (not a transaction: each
    script is atomic, and the count is the first one's), by hash: redis-py's pipeline would ask
    `SCRIPT EXISTS` first for `Script` objects, another round trip. Redis forgets its scripts
    when it restarts or is told `SCRIPT FLUSH`; a script it did not know did not run, and is run
    again through limits' own `Script` object, which loads it: no request is counted twice.
    """

    def __init__(self, uri, key_prefix):
        self.storage = storage_from_string(
            uri,
            key_prefix=key_prefix,
            wrap_exceptions=True,
            socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
            socket_timeout=REDIS_TIMEOUT_SECONDS,
        )
        self.acquire = self.storage.lua_acquire_moving_window
        self.window = self.storage.lua_moving_window

    def hit(self, item, identifiers):
        """Count one request; return (admitted, remaining, time.time() when a slot frees)."""
        key = self.storage.prefixed_key(item.key_for(*identifiers))
        expiry = item.get_expiry()
        now = time.time()
        acquire_args = (now, item.amount, expiry, 1)
        window_args = (now - expiry, item.amount)
        try:
            pipeline = self.storage.get_connection().pipeline(transaction=False)
            pipeline.evalsha(self.acquire.sha, 1, key, *acquire_args)
            pipeline.evalsha(self.window.sha, 1, key, *window_args)
            acquired, window = pipeline.execute(raise_on_error=False)
            if isinstance(acquired, redis.exceptions.NoScriptError):
                acquired = self.acquire([key], acquire_args)
                window = self.window([key], window_args)  # read after this hit, not before it
            elif isinstance(window, redis.exceptions.NoScriptError):
                window = self.window([key], window_args)
        except redis.RedisError as error:
            raise StorageError(error) from error
        for reply in (acquired, window):
            if isinstance(reply, Exception):
                raise StorageError(reply)
        if not window:  # an empty window, read as limits reads it
            return bool(acquired), item.amount, now + expiry
        oldest, count = window
        return bool(acquired), item.amount - int(count), float(oldest) + expiry


class ThrottleStore:
    """A moving window over the shared store, with process memory standing in for it."""

    def __init__(self, uri, key_prefix):
        self.local = MemoryWindow()
        self.shared = None if uri.startswith("memory://") else RedisWindow(uri, key_prefix)
        self.retry_at = 0.0
        self.lock = threading.Lock()

    def hit(self, item, *identifiers):
        """Count one request; return (admitted, remaining, time.time() when a slot frees)."""
        if self.shared and time.monotonic() >= self.retry_at:
            try:
                return self.shared.hit(item, identifiers)
            except StorageError as error:
                self._shared_failed(error)
        return self.local.hit(item, identifiers)

    def _shared_failed(self, error):
        with self.lock:
            if time.monotonic() >= self.retry_at:  # once per interval, not once per request
                self.retry_at = time.monotonic() + RETRY_SECONDS
                logger.error(
                    "throttle store unavailable (%s): counting in process memory, next try in %ss",
                    error,
                    RETRY_SECONDS,
                )

    def available(self):
        return self.shared is None or self.shared.storage.check()

    def reset(self):
        """Forget every count under our key prefix (tests start each case with full budgets)."""
        self.local.storage.reset()
        if self.shared and self.available():
            self.shared.storage.reset()


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
