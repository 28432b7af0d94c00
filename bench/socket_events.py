"""Server CPU per Socket.IO event: what the per-event plumbing costs.

A real `rapport serve` (gevent) on the real Redis (REDIS_URL, default redis://127.0.0.1:6379/0),
rate limits off. Students of one class each open a websocket and send a batch of events one
after another (each waits for its ack), fewer per socket than the flood guard's burst. The
server process's CPU time (user + system, from /proc) is read before and after each batch of
kinds:

- `refused`: `checkins.get` from a student: flood guard, sender, schema, role check (refused),
  ack. Nothing but the per-event plumbing, so the plumbing's cost shows undiluted.
- `snapshot`: `snapshot.get` from a student: a real read (a dozen store reads and a view).
- `fanout`: `seat.language` from a student: a store write and three emits (teacher, co-host,
  the student's own sockets), each also published to the message queue when there is one.

``--before REV`` also runs the code of git revision REV (extracted with `git archive`), same
Python, same Redis, in the same run; ``--processes one`` runs the server(s) with
RAPPORT_PROCESSES=one (no message queue; a REV from before that setting refuses it):

    .venv/bin/python bench/socket_events.py --before main

Prints CPU microseconds per event (server process only) and exits 0. Linux only (/proc).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import requests
import socketio
from bench_server import start_server  # bench/ is on sys.path: the script's folder

REPO = Path(__file__).resolve().parent.parent
TICKS = os.sysconf("SC_CLK_TCK")
KINDS: dict[str, tuple[str, dict[str, Any], bool]] = {
    "refused": ("checkins.get", {}, False),
    "snapshot": ("snapshot.get", {}, True),
    "fanout": ("seat.language", {"lang": "es"}, True),
}


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process so far (fields 14 and 15 of /proc/PID/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def measure(url: str, pid: int, sockets: int, per_socket: int) -> dict[str, float]:
    r = requests.post(f"{url}/api/classes", json={"name": "Bench", "grade_band": "9-12"},
                      timeout=30)
    r.raise_for_status()
    code = r.json()["join_code"]
    clients = []
    for i in range(sockets):
        seat = requests.post(f"{url}/api/join", json={"code": code, "name": f"Kid {i}"},
                             timeout=30).json()
        sio = socketio.Client(reconnection=False)
        sio.connect(url, auth={"token": seat["seat_token"]}, transports=["websocket"],
                    wait_timeout=30)
        clients.append(sio)
    results: dict[str, float] = {}
    # Each socket's burst (60) covers one batch; a pause refills the buckets between kinds.
    for kind, (event, payload, should_pass) in KINDS.items():
        time.sleep(3.5)  # the flood guard refills (20 per second, burst 60)
        for sio in clients[:2]:  # warm up the code paths
            ack: Any = sio.call(event, payload, timeout=30)
        before = cpu_seconds(pid)
        for sio in clients:
            for _ in range(per_socket):
                ack = sio.call(event, payload, timeout=30)
                assert ack["ok"] is should_pass, ack
        spent = cpu_seconds(pid) - before
        results[kind] = spent / (sockets * per_socket) * 1e6
    for sio in clients:
        sio.disconnect()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", help="also run this git revision (e.g. main)")
    parser.add_argument("--sockets", type=int, default=40)
    parser.add_argument("--per-socket", type=int, default=50, help="at most 55 (flood burst)")
    parser.add_argument("--rounds", type=int, default=3, help="runs per code, best kept")
    parser.add_argument("--processes", choices=("one", "many"),
                        help="RAPPORT_PROCESSES for the servers (default: theirs, many)")
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL",
                                                              "redis://127.0.0.1:6379/0"))
    args = parser.parse_args()
    events = args.sockets * args.per_socket
    print(f"{events} events per kind ({args.sockets} sockets x {args.per_socket}), "
          f"best of {args.rounds}; cpus={os.cpu_count()}", flush=True)
    with tempfile.TemporaryDirectory(prefix="socket-events-") as tmp_name:
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
        results: list[tuple[str, dict[str, float]]] = []
        for label, code in runs:
            settings = {"RAPPORT_LOG_LEVEL": "WARNING"}
            if args.processes:
                settings["RAPPORT_PROCESSES"] = args.processes
            proc, url = start_server(code, args.redis_url, tmp, **settings)
            try:
                rounds = [measure(url, proc.pid, args.sockets, args.per_socket)
                          for _ in range(args.rounds)]
            finally:
                proc.terminate()
                proc.wait(timeout=30)
            results.append((label, {k: min(r[k] for r in rounds) for k in KINDS}))
    print(f"\n{'code':<22} " + " ".join(f"{k + ' us/event':>18}" for k in KINDS))
    for label, r in results:
        print(f"{label:<22} " + " ".join(f"{r[k]:>18.0f}" for k in KINDS))
    return 0


if __name__ == "__main__":
    sys.exit(main())
