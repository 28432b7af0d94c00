"""CPU work runs off the gevent loop, a bounded number of jobs at a time.

No timing: each job waits on a real OS-level event that only another greenlet sets, so a job
run on the loop itself would deadlock it (and time out); run on the pool, it finishes.
"""

from __future__ import annotations

import io
import threading

import gevent
from PIL import Image

from server.domain.photos import process_photo
from server.realtime.offload import CpuPool


def test_the_loop_serves_others_while_a_job_runs() -> None:
    pool = CpuPool("gevent", workers=2)
    release = threading.Event()  # an OS-level wait: it blocks the whole loop if run on it
    job = gevent.spawn(pool.run, lambda: release.wait(timeout=10))
    other = gevent.spawn(release.set)  # stands for another client's event
    gevent.joinall([job, other], timeout=20, raise_error=True)
    assert job.value is True, "the job blocked the loop: the other greenlet never ran"


def test_at_most_workers_jobs_at_once_and_the_rest_wait() -> None:
    pool = CpuPool("gevent", workers=2)
    running = 0
    peak = 0
    lock = threading.Lock()
    two_in = threading.Event()
    release = threading.Event()

    def job() -> None:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
            if running == 2:
                two_in.set()
        release.wait(timeout=10)
        with lock:
            running -= 1

    jobs = [gevent.spawn(pool.run, job) for _ in range(5)]
    # Wait off the loop (the hub's own threads) until two are in, then let them all go.
    assert gevent.get_hub().threadpool.spawn(two_in.wait, 10).get()
    release.set()
    gevent.joinall(jobs, timeout=20, raise_error=True)
    assert peak == 2


def test_a_worst_case_photo_decodes_on_the_pool() -> None:
    """The 6300 x 6300 one-bit PNG of the attack review: ~5 KB, 40 megapixels."""
    buffer = io.BytesIO()
    Image.new("1", (6300, 6300), 0).save(buffer, "PNG", optimize=True)
    assert len(buffer.getvalue()) < 6000
    pool = CpuPool("gevent", workers=1)
    release = threading.Event()
    decoded = gevent.spawn(pool.run, lambda: (release.wait(timeout=10),
                                              process_photo(buffer.getvalue())))
    gevent.spawn(release.set).join(timeout=10)
    gevent.joinall([decoded], timeout=30, raise_error=True)
    waited, jpeg = decoded.value
    assert waited is True
    assert Image.open(io.BytesIO(jpeg)).size == (1280, 1280)
