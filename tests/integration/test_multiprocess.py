"""Several processes behind nginx, sharing one Redis: a class works as one.

Two `rapport serve` processes share REDIS_URL (the store and the Socket.IO message queue);
Debian's nginx proxies to both (round robin, websocket upgrade, websocket-only clients). The
teacher sits on one process, students on both (some connected straight to a given process, the
rest through nginx, whose access log says which process each one landed on).
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest
import requests

from bench.load import nginx_config  # the same proxy set-up as the district bench
from tests.conftest import card, create_class, free_port, need, ok, start_open_round

pytestmark = pytest.mark.redis


def nginx_binary() -> str | None:
    found = shutil.which("nginx")
    if found:
        return found
    return "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None


@pytest.fixture
def nginx(tmp_path: Path):
    binary = nginx_binary()
    need(binary is not None, "nginx is not installed (apt-get install -y nginx-light)")
    procs: list[subprocess.Popen[bytes]] = []

    def start(upstreams: list[int]) -> str:
        port = free_port()
        conf = tmp_path / "nginx.conf"
        conf.write_text(nginx_config(tmp_path, port, upstreams, access_log=True))
        proc = subprocess.Popen(
            [str(binary), "-c", str(conf), "-p", str(tmp_path), "-e",
             str(tmp_path / "error.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        procs.append(proc)
        deadline = time.monotonic() + 10
        while True:
            if proc.poll() is not None:
                err = (tmp_path / "error.log")
                raise RuntimeError(f"nginx exited: {err.read_text() if err.exists() else ''}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                assert time.monotonic() < deadline, "nginx did not start listening"
                time.sleep(0.05)  # polling an external process for readiness
        return f"http://127.0.0.1:{port}"

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()  # SIGTERM: fast shutdown, logs flushed
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def test_class_spread_over_two_processes_behind_nginx(redis_url, make_server, nginx, clients,
                                                      tmp_path: Path) -> None:
    env = {"REDIS_URL": redis_url, "ASYNC_MODE": "gevent", "RAPPORT_RATE_LIMITS": "off"}
    a, b = make_server(**env), make_server(**env)
    proxy = nginx([a.port, b.port])
    assert requests.get(f"{proxy}/healthz", timeout=10).json()["store"] == "redis"

    klass = create_class(proxy)  # through nginx, on either process
    seats = [klass.join(f"Kid {i}") for i in range(6)]
    teacher = clients(a.url, {"token": klass.teacher_secret})  # on process A
    on_b = clients(b.url, {"token": seats[0]["seat_token"]})  # on process B
    on_a = clients(a.url, {"token": seats[1]["seat_token"]})  # on process A
    via_proxy = [clients(proxy, {"token": s["seat_token"]}) for s in seats[2:]]
    kids = [on_b, on_a, *via_proxy]
    for kid in kids:
        kid.wait_for("snapshot")
    # presence of students on B and behind nginx reaches the teacher on A
    for seat in seats:
        teacher.wait_for("presence", lambda d, s=seat: d["student_id"] == s["student_id"]
                         and d["online"])

    # A full mini round: the teacher opens it on A; every student sees it open.
    opened = start_open_round(teacher)
    for kid in kids:
        kid.wait_for("round.updated", lambda d: d["round"]["id"] == opened["id"]
                     and d["round"]["status"] == "open")

    # Cards from both processes arrive at the teacher; the private one reaches nobody else.
    posted = {}
    for i, kid in enumerate(kids):
        visibility = "teacher" if i == 2 else "class"
        posted[i] = ok(kid.call("card.submit", card(f"multi-{i}-0001", f"My thing {i}",
                                                    visibility=visibility)))["card"]
    for i in posted:
        teacher.wait_for("card.added", lambda d, i=i: d["card"]["id"] == posted[i]["id"])
    private_id = posted[2]["id"]
    for i, kid in enumerate(kids):
        # class cards reach every student, on both processes
        kid.wait_for("card.added", lambda d: d["card"]["id"] == posted[0]["id"])
        if i != 2:
            assert private_id not in {d["card"]["id"] for d in kid.received("card.added")}

    # A private reply (sent on A) reaches the author only, wherever the author sits.
    reply = ok(teacher.call("reply.send", {"card_id": private_id, "text": "Thank you!"}))
    kids[2].wait_for("reply", lambda d: d["reply"]["id"] == reply["reply"]["id"])

    # The spotlight (set on A, card from B's student) reaches every student on both processes.
    ok(teacher.call("spotlight.set", {"card_id": posted[0]["id"]}))
    for kid in kids:
        kid.wait_for("spotlight", lambda d: (d["card"] or {}).get("id") == posted[0]["id"])
    # Published after the reply by the same process, so anyone who was going to get the
    # reply has it by now: only the author did.
    for i, kid in enumerate(kids):
        assert bool(kid.received("reply")) == (i == 2), i

    # Reactions from students on both processes are counted together.
    ok(on_a.call("react", {"card_id": posted[0]["id"], "reaction": "heart"}))
    ok(on_b.call("react", {"card_id": posted[0]["id"], "reaction": "heart"}))
    for kid in kids:
        kid.wait_for("reactions", lambda d: d["card_id"] == posted[0]["id"]
                     and d["counts"].get("heart") == 2)

    # The students that came through nginx were spread over both processes.
    for kid in kids:
        kid.close()
    teacher.close()
    log = tmp_path / "access.log"
    deadline = time.monotonic() + 10
    upstreams: set[str] = set()
    while time.monotonic() < deadline:
        lines = log.read_text().splitlines() if log.exists() else []
        upstreams = {line.split()[-1] for line in lines if '"GET /socket.io/' in line}
        if len(upstreams) == 2:
            break
        time.sleep(0.1)  # nginx writes a websocket's log line when it closes
    assert upstreams == {f"127.0.0.1:{a.port}", f"127.0.0.1:{b.port}"}, upstreams


def test_two_processes_send_a_cards_reaction_counts_once_per_interval(
        redis_url, make_server, clients) -> None:
    """Students on both processes heart the same cards in a burst. Every student, wherever
    they sit, gets the final counts; and no two `reactions` messages for a card carry the same
    counts: one process sends a card's counts per interval (each process sending its own
    would repeat the last counts, one send from each)."""
    env = {"REDIS_URL": redis_url, "ASYNC_MODE": "gevent", "RAPPORT_RATE_LIMITS": "off"}
    a, b = make_server(**env), make_server(**env)
    klass = create_class(a.url)
    seats = [klass.join(f"Kid {i}") for i in range(6)]
    teacher = clients(a.url, {"token": klass.teacher_secret})
    kids = [clients((a if i % 2 else b).url, {"token": s["seat_token"]})
            for i, s in enumerate(seats)]
    for kid in kids:
        kid.wait_for("snapshot")
    start_open_round(teacher)
    posted = [ok(kids[i].call("card.submit", card(f"react-burst-{i:04d}x", f"Thing {i}"))
                 )["card"]["id"] for i in range(4)]
    for kid in kids:
        for card_id in posted:
            kid.wait_for("card.added", lambda d, c=card_id: d["card"]["id"] == c)

    for card_id in posted:  # one burst per card, from both processes
        for kid in kids:
            ok(kid.call("react", {"card_id": card_id, "reaction": "heart"}))
        for watcher in (*kids, teacher):
            watcher.wait_for("reactions", lambda d, c=card_id: d["card_id"] == c
                             and d["counts"] == {"heart": len(kids)})

    # The last card only lets the earlier cards' messages arrive: it is not counted.
    for watcher in (*kids, teacher):
        for card_id in posted[:-1]:
            sent = [d["counts"] for d in watcher.received("reactions") if d["card_id"] == card_id]
            assert sent[-1] == {"heart": len(kids)}, sent
            totals = [sum(c.values()) for c in sent]
            assert totals == sorted(set(totals)), f"counts sent twice: {sent}"
