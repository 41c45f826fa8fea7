"""Where throttle counts live: the `limits` library, over Redis or this process's memory.

Threat: a budget counted loosely admits more than the rate. DRF's cache throttle reads a
client's history and writes it back later, so concurrent requests overwrite each other's count
(measured: 208 to 798 admitted of 1000 at 100/minute across gunicorn workers). Decision: `limits`
counts, one atomic Lua script per hit in Redis when `REDIS_URL` is set (every worker shares the
budget), else one lock per operation in this process's memory (the embedded default).

Strategy: moving window. It admits at most the rate in *any* span of the window's length, and
says exactly when the next slot frees (Retry-After). A fixed window admits up to twice the rate
around a window boundary; limits' sliding-window counter is an estimate. The cost, one timestamp
per admitted request per key (trimmed to the rate), is small for per-minute rates of hundreds.

Redis unavailable: the API keeps serving, and counts in this process's memory meanwhile (each
worker then enforces the rate on its own: degraded, never unthrottled). It logs one error, tries
Redis again after `RETRY_SECONDS`, and `/api/health/` reports the store as unavailable. Refusing
every request instead would turn an outage of the throttle's store into an outage of the API.
"""

import logging
import threading
import time

import redis  # noqa: F401 - imported at startup: limits reads a half-imported module's version
from django.conf import settings
from limits.errors import StorageError
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

logger = logging.getLogger(__name__)

RETRY_SECONDS = 30
# Long enough for a busy Redis or machine; a hung Redis costs one such wait per RETRY_SECONDS.
REDIS_TIMEOUT_SECONDS = 2


class SerialMemoryStorage(MemoryStorage):
    """limits' MemoryStorage, one operation at a time.

    In limits 5.8.0, threads hitting it together can fail with "threads can only be started
    once" (seen here; fixed upstream in alisaifee/limits#352, not yet released), and its expiry
    sweep, on a timer thread, drops a key's lock while a request may hold it. One lock around
    each operation and around the sweep keeps it exact.
    """

    def __init__(self):
        self.serial = threading.RLock()
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

    def _MemoryStorage__expire_events(self):
        with self.serial:
            super()._MemoryStorage__expire_events()


class ThrottleStore:
    """A moving-window limiter over the shared store, with process memory standing in for it."""

    def __init__(self, uri, key_prefix):
        self.local = MovingWindowRateLimiter(SerialMemoryStorage())
        self.shared = None
        if not uri.startswith("memory://"):
            storage = storage_from_string(
                uri,
                key_prefix=key_prefix,
                wrap_exceptions=True,
                socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
                socket_timeout=REDIS_TIMEOUT_SECONDS,
            )
            self.shared = MovingWindowRateLimiter(storage)
        self.retry_at = 0.0
        self.lock = threading.Lock()

    def hit(self, item, *identifiers):
        """Count one request; return (admitted, remaining, time.time() when a slot frees)."""
        if self.shared and time.monotonic() >= self.retry_at:
            try:
                return self._hit(self.shared, item, identifiers)
            except StorageError as error:
                self._shared_failed(error)
        return self._hit(self.local, item, identifiers)

    @staticmethod
    def _hit(limiter, item, identifiers):
        admitted = limiter.hit(item, *identifiers)
        reset_at, remaining = limiter.get_window_stats(item, *identifiers)
        return admitted, remaining, reset_at

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
