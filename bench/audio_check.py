"""Benchmark the spoken-answer check (server/domain/audio.py) per upload.

Usage: python bench/audio_check.py [--repeat N]
Prints CPU milliseconds per check (process time, best of N passes: steadier than wall time on
a shared machine) for a minute of audio in each accepted container, shaped as browsers'
MediaRecorder writes it (WebM/Opus with 20 ms blocks in unknown-size clusters, Ogg/Opus pages
of one second, fragmented MP4/AAC). WebM costs most: every block is read (its time stamp gives
the length, which a live recording does not declare), so the cost grows with the block count,
not the bytes. The check runs off the event loop (`run_blocking`), as photo decoding does.
Always exits 0.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from server.domain.audio import check_audio  # noqa: E402
from tests.unit.test_audio import mp4, ogg, webm  # noqa: E402


def best_ms(data: bytes, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        check_audio(data)
        best = min(best, time.process_time() - start)
    return best * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    cases = [("WebM/Opus, 60 s", webm(59.9)), ("Ogg/Opus, 60 s", ogg(60)),
             ("MP4/AAC fragmented, 60 s", mp4(60))]
    print(f"{'container':28} {'bytes':>9} {'ms/check':>9}")
    for name, data in cases:
        print(f"{name:28} {len(data):>9} {best_ms(data, args.repeat):>9.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
