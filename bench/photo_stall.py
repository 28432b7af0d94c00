"""Does one class's photo burst slow down another class? Snapshot latency, quiet vs. burst.

The attack review's case: 8 students of class B upload 24 worst-case photos at once (a ~5 KB,
6300 x 6300 one-bit PNG: tiny on the wire, 40 megapixels to decode, just under the pixel
limit), 3 each, while the teacher of class A keeps asking for a snapshot (`snapshot.get`,
one every 0.3 s or as soon as the last one answered, each timed from send to ack). Reported:
class A's p50/p99/max in a quiet phase and during the burst, and how long the burst took.

Each server is a real `rapport serve` (gevent) on the real Redis (REDIS_URL, default
redis://127.0.0.1:6379/0), rate limits off. ``--before REV`` also runs the code of git
revision REV (extracted with `git archive` into a temporary folder, same Python), in the same
run, so the two can be compared side by side:

    .venv/bin/python bench/photo_stall.py --before e8f3f3f^

Prints a table and exits 0; docs/PERFORMANCE.md records the runs.
"""

from __future__ import annotations

import argparse
import io
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import requests
import socketio
from bench_server import start_server  # bench/ is on sys.path: the script's folder
from PIL import Image

REPO = Path(__file__).resolve().parent.parent
SEATS = 8
PHOTOS_PER_SEAT = 3
PACE_SECONDS = 0.3  # at most one snapshot.get per this interval


def worst_photo() -> bytes:
    buffer = io.BytesIO()
    Image.new("1", (6300, 6300), 0).save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


def new_class(url: str, name: str) -> dict[str, Any]:
    r = requests.post(f"{url}/api/classes", json={"name": name, "grade_band": "9-12"},
                      timeout=30)
    r.raise_for_status()
    return r.json()  # type: ignore[no-any-return]


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def measure(url: str, quiet_calls: int) -> dict[str, Any]:
    watched = new_class(url, "Class A (watching)")
    burst = new_class(url, "Class B (photos)")
    seats = []
    for i in range(SEATS):
        r = requests.post(f"{url}/api/join", json={"code": burst["join_code"],
                                                   "name": f"Uploader {i}"}, timeout=30)
        r.raise_for_status()
        seats.append(r.json())
    teacher = socketio.Client(reconnection=False)
    teacher.connect(url, auth={"token": watched["teacher_secret"]}, transports=["websocket"],
                    wait_timeout=30)

    def snapshot_ms() -> float:
        """One timed snapshot, then a pause: the flood guard allows a socket a few snapshots
        a second (a real page asks for one after a resync)."""
        started = time.perf_counter()
        ack = teacher.call("snapshot.get", {}, timeout=120)
        assert ack["ok"], ack
        elapsed = time.perf_counter() - started
        time.sleep(max(0.0, PACE_SECONDS - elapsed))
        return elapsed * 1000

    for _ in range(3):
        snapshot_ms()  # warm up
    quiet = [snapshot_ms() for _ in range(quiet_calls)]

    photo = worst_photo()
    statuses: list[int] = []
    done = threading.Event()
    remaining = [SEATS]
    lock = threading.Lock()

    def uploader(seat: dict[str, Any]) -> None:
        for _ in range(PHOTOS_PER_SEAT):
            r = requests.post(f"{url}/api/classes/{burst['class_id']}/photos",
                              headers={"Authorization": f"Bearer {seat['seat_token']}"},
                              files={"photo": ("p.png", photo, "image/png")}, timeout=600)
            statuses.append(r.status_code)
        with lock:
            remaining[0] -= 1
            if remaining[0] == 0:
                done.set()

    started = time.perf_counter()
    threads = [threading.Thread(target=uploader, args=(s,)) for s in seats]
    for t in threads:
        t.start()
    during = []
    while not done.is_set():
        during.append(snapshot_ms())
    burst_seconds = time.perf_counter() - started
    for t in threads:
        t.join()
    teacher.disconnect()
    return {"quiet": quiet, "during": during, "burst_s": burst_seconds,
            "uploaded": sum(1 for s in statuses if s == 201), "photos": len(statuses)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", help="also run this git revision (e.g. e8f3f3f^)")
    parser.add_argument("--quiet-calls", type=int, default=100)
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL",
                                                              "redis://127.0.0.1:6379/0"))
    args = parser.parse_args()
    print(f"photo: {len(worst_photo())} bytes, 6300 x 6300, mode 1; {SEATS} seats x "
          f"{PHOTOS_PER_SEAT} uploads; cpus={os.cpu_count()}", flush=True)
    with tempfile.TemporaryDirectory(prefix="photo-stall-") as tmp_name:
        tmp = Path(tmp_name)
        runs: list[tuple[str, Path]] = []
        if args.before:
            old = tmp / "before"
            old.mkdir()
            archive = subprocess.run(["git", "-C", str(REPO), "archive", args.before],
                                     check=True, capture_output=True).stdout
            subprocess.run(["tar", "-x", "-C", str(old)], input=archive, check=True)
            runs.append((f"before ({args.before})", old))
        runs.append(("this tree", REPO))
        results = []
        for label, code in runs:
            proc, url = start_server(code, args.redis_url, tmp)
            try:
                results.append((label, measure(url, args.quiet_calls)))
            finally:
                proc.terminate()
                proc.wait(timeout=30)
    print(f"\n{'code':<22} {'phase':<7} {'calls':>6} {'p50 ms':>9} {'p99 ms':>9} "
          f"{'max ms':>9}  burst")
    for label, r in results:
        for phase in ("quiet", "during"):
            values = r[phase]
            extra = (f"{r['burst_s']:.1f} s, {r['uploaded']}/{r['photos']} stored"
                     if phase == "during" else "")
            print(f"{label:<22} {phase:<7} {len(values):>6} {pct(values, 50):>9.1f} "
                  f"{pct(values, 99):>9.1f} {max(values):>9.1f}  {extra}")
    for label, r in results:
        print(f"{label}: burst p99 / quiet p99 = "
              f"{pct(r['during'], 99) / pct(r['quiet'], 99):.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
