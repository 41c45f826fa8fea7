"""The system check that keeps throttling exact as deployed: one process without Redis."""

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from api_layer.testing import TEST_REDIS_URL


def test_several_workers_counting_in_process_memory_are_refused(settings):
    settings.THROTTLE_STORAGE_URI = "memory://"
    settings.WEB_CONCURRENCY = 4

    with pytest.raises(SystemCheckError, match=r"api_layer\.E001.*WEB_CONCURRENCY=4"):
        call_command("check")


@pytest.mark.parametrize(
    ("store", "workers"),
    [("memory://", None), ("memory://", 1), (TEST_REDIS_URL, 4), (TEST_REDIS_URL, None)],
)
def test_one_process_or_a_shared_store_passes(settings, store, workers):
    settings.THROTTLE_STORAGE_URI = store
    settings.WEB_CONCURRENCY = workers

    call_command("check")
