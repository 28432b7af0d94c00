"""Redis round trips per hot event: how many times the server waits on Redis for one event.

The whole app runs in this process (Flask-SocketIO's test clients, no ports), on a real Redis
(``--redis-url``, default database 1 of the local server) or the in-memory one (``--memory``),
with the rate limits on. Every request the Redis client sends (one command, one pipeline, one
script call) is one round trip: they are counted where redis-py writes to the socket, so a
pipeline of ten commands counts once and a script the server had to load counts twice.

For each event the common case is measured, after a warm-up (caches filled, scripts loaded):
``card.submit`` (a new card), ``react`` (a new reaction), ``spotlight.set``, ``snapshot.get``
(a student's, and the teacher's) and ``class.lock``-free events only. ``--trace`` prints the
commands of every round trip, with the store method that sent them.

    python bench/round_trips.py                 # real Redis at redis://127.0.0.1:6379/1
    python bench/round_trips.py --memory --trace
"""

from __future__ import annotations

import argparse
import contextlib
import re
import sys
import tempfile
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import redis.connection

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

_COMMAND = re.compile(rb"\*\d+\r\n\$\d+\r\n([A-Za-z]+)\r\n")


class Counter:
    """Counts the requests redis-py sends (each one a round trip) while `counting`."""

    def __init__(self) -> None:
        self.trips: list[tuple[str, list[str]]] = []  # (store method, commands)
        self.on = False
        original = redis.connection.AbstractConnection.send_packed_command
        counter = self

        def send(conn: Any, command: Any, check_health: bool = True) -> None:
            if counter.on:
                raw = command if isinstance(command, bytes | str) else b"".join(
                    c if isinstance(c, bytes) else bytes(c) for c in command)
                raw = raw.encode() if isinstance(raw, str) else raw
                names = [n.decode().upper() for n in _COMMAND.findall(raw)]
                counter.trips.append((_caller(), names))
            original(conn, command, check_health)

        redis.connection.AbstractConnection.send_packed_command = send  # type: ignore[method-assign]

    @contextlib.contextmanager
    def counting(self) -> Iterator[list[tuple[str, list[str]]]]:
        self.trips = []
        self.on = True
        try:
            yield self.trips
        finally:
            self.on = False


def _caller() -> str:
    """The outermost store method on the stack (what the domain asked for)."""
    for frame in traceback.extract_stack():
        if "/server/store/" in frame.filename and frame.name != "call":
            return f"{Path(frame.filename).stem}.{frame.name}"
    return "?"


def measure(memory: bool, redis_url: str, trace: bool) -> dict[str, int]:
    counter = Counter()
    from flask_socketio import SocketIOTestClient

    import server.app
    from server.app import create_app
    from server.config import Config
    from server.extensions import socketio

    opened = server.app.open_store

    def one_process_store(config: Config) -> Any:
        handle = opened(config)
        handle.message_queue = None  # one process here; the test clients refuse a queue
        return handle

    server.app.open_store = one_process_store  # type: ignore[assignment]

    settings: dict[str, Any] = ({"store_mode": "memory"} if memory
                                else {"store_mode": "redis", "redis_url": redis_url})
    config = Config(secret_key="bench-secret-key-0123456789", async_mode="threading",
                    instance_path=Path(tempfile.mkdtemp()), rate_limits=True, testing=True,
                    **settings)
    app = create_app(config, background=False)
    web = app.test_client()
    made = web.post("/api/classes", json={"name": "Bench", "grade_band": "9-12"}).get_json()
    seats = [web.post("/api/join", json={"code": made["join_code"], "name": name}).get_json()
             for name in ("Ana", "Ben", "Cy")]

    def client(token: str) -> SocketIOTestClient:
        return SocketIOTestClient(app, socketio, auth={"token": token})

    def call(who: SocketIOTestClient, event: str, data: Any = None) -> Any:
        ack = who.emit(event, *(() if data is None else (data,)), callback=True)
        assert ack.get("ok"), (event, ack)
        return ack

    teacher = client(made["teacher_secret"])
    students = [client(seat["seat_token"]) for seat in seats]
    prompts = [p["id"] for p in call(teacher, "prompt.list", {})["prompts"]]

    def new_round(n: int) -> None:
        call(teacher, "round.start", {"prompt_id": prompts[n]})
        call(teacher, "round.host_card", {"skip": True})
        call(teacher, "round.open", {"timer_seconds": None})

    def submit(n: int, label: str) -> dict[str, Any]:
        card: dict[str, Any] = call(students[n], "card.submit", {
            "client_id": f"bench-card-{label}-{n}", "text": f"My green thing number {n}",
            "visibility": "class", "spotlight_ok": True})["card"]
        return card

    counts: dict[str, int] = {}

    def run(label: str, fn: Any) -> Any:
        with counter.counting() as trips:
            result = fn()
        counts[label] = len(trips)
        if trace:
            print(f"\n{label}: {len(trips)} round trips")
            for method, names in trips:
                shown = " ".join(names[:8]) + (f" … ({len(names)})" if len(names) > 8 else "")
                print(f"  {method:40} {shown}")
        return result

    # Warm-up, a first round: every script loaded, every cache (TTL, card context) filled.
    new_round(0)
    first = [submit(n, "warm") for n in range(len(students))]
    call(students[1], "react", {"card_id": first[0]["id"], "reaction": "heart"})
    call(teacher, "spotlight.set", {"card_id": first[0]["id"]})
    call(students[1], "snapshot.get", {})
    call(teacher, "snapshot.get", {})
    call(teacher, "round.close", {})
    # The measured round.
    new_round(1)
    run("card.submit (first of the round)", lambda: submit(0, "m"))
    card = run("card.submit", lambda: submit(1, "m"))
    run("react", lambda: call(students[2], "react", {"card_id": card["id"], "reaction": "star"}))
    run("spotlight.set", lambda: call(teacher, "spotlight.set", {"card_id": card["id"]}))
    run("snapshot.get (student)", lambda: call(students[2], "snapshot.get", {}))
    run("snapshot.get (teacher)", lambda: call(teacher, "snapshot.get", {}))
    store = app.extensions["rapport"].store
    run("rate-limit check", lambda: store.take_token("react", "bench", per_minute=60, burst=10,
                                                     now_ms=1))
    for who in (teacher, *students):
        who.disconnect()
    store.delete_class(made["class_id"])
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--memory", action="store_true", help="the in-memory store (fakeredis)")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/1")
    parser.add_argument("--trace", action="store_true", help="print every round trip")
    args = parser.parse_args()
    counts = measure(args.memory, args.redis_url, args.trace)
    print(f"\nRedis round trips per event ({'memory' if args.memory else args.redis_url}):")
    for label, n in counts.items():
        print(f"  {label:34} {n}")


if __name__ == "__main__":
    main()
