"""The three store modes and several processes sharing one Redis."""

from __future__ import annotations

import shutil

import pytest
import redis
import requests

from tests.conftest import card, create_class, need, ok, start_open_round


def test_private_redis_keeps_the_class_across_restarts(make_server, clients) -> None:
    need(shutil.which("redis-server") is not None, "redis-server is not installed")
    server = make_server(ASYNC_MODE="gevent")
    health = requests.get(f"{server.url}/healthz", timeout=10).json()
    assert health["store"] == "private-redis" and health["durable"] is True
    klass = create_class(server.url, name="Kept class")
    seat = klass.join("Ana")
    server.stop()  # SIGTERM: the app stops its redis-server, which flushes its AOF
    server.start()
    snap = clients(server.url, {"token": klass.teacher_secret}).wait_for("snapshot")
    assert snap["class"]["name"] == "Kept class"
    assert [s["name"] for s in snap["students"]] == ["Ana"]
    assert clients(server.url, {"token": seat["seat_token"]}).wait_for("snapshot")["you"][
        "id"] == seat["student_id"]


def test_memory_mode_says_so_loudly(make_server, clients) -> None:
    server = make_server(ASYNC_MODE="threading", RAPPORT_STORE="memory")
    health = requests.get(f"{server.url}/healthz", timeout=10).json()
    assert health["store"] == "memory" and health["durable"] is False
    assert "lost" in health["warning"]
    assert "in-memory store" in server.log()
    klass = create_class(server.url)
    snap = clients(server.url, {"token": klass.teacher_secret}).wait_for("snapshot")
    assert "lost" in snap["class"]["store_warning"]


@pytest.mark.redis
def test_two_processes_share_one_class(redis_url, make_server, clients) -> None:
    first = make_server(REDIS_URL=redis_url, ASYNC_MODE="gevent")
    second = make_server(REDIS_URL=redis_url, ASYNC_MODE="gevent")
    klass = create_class(first.url)
    teacher = clients(first.url, {"token": klass.teacher_secret})
    teacher.wait_for("snapshot")
    seat = klass.join("Ben")
    student = clients(second.url, {"token": seat["seat_token"]})
    student.wait_for("snapshot")
    teacher.wait_for("presence", lambda d: d == {"student_id": seat["student_id"],
                                                  "online": True})
    assert teacher.call("class.lock", {"locked": True})["ok"]
    student.wait_for("class.updated", lambda d: d["class"]["locked"] is True)


@pytest.mark.parametrize("setting,value", [
    ("ASYNC_MODE", "tornado"), ("RAPPORT_RETENTION_DAYS", "0"),
    ("RAPPORT_RETENTON_DAYS", "30"), ("REDIS_URL", "http://x"), ("PUBLIC_URL", "not a url"),
])
def test_invalid_configuration_fails_at_start(make_server, setting, value) -> None:
    server = make_server(start=False, **{setting: value})
    with pytest.raises(RuntimeError, match="server exited"):
        server.start(timeout=20)
    assert setting in server.log()


@pytest.mark.redis
@pytest.mark.parametrize("processes", ["one", "many"])
def test_one_process_publishes_nothing_and_every_fan_out_arrives(redis_url, make_server, clients,
                                                                processes) -> None:
    """With RAPPORT_PROCESSES=one nothing of the class goes through Redis pub/sub, and every
    audience still gets its events; with `many` (the default) the same journey is published
    (so this test can see a publish when there is one)."""
    server = make_server(REDIS_URL=redis_url, ASYNC_MODE="gevent", RAPPORT_PROCESSES=processes)
    listener = redis.Redis.from_url(redis_url, decode_responses=True)
    channel = listener.pubsub(ignore_subscribe_messages=True)
    channel.subscribe("flask-socketio")  # (pub/sub spans databases: other servers' too)
    klass = create_class(server.url)
    seats = [klass.join(name) for name in ("Ana", "Ben")]
    teacher = clients(server.url, {"token": klass.teacher_secret})
    stage = clients(server.url, {"token": klass.teacher_secret, "view": "stage"})
    kids = [clients(server.url, {"token": s["seat_token"]}) for s in seats]
    for seat in seats:
        teacher.wait_for("presence", lambda d, s=seat: d["student_id"] == s["student_id"])
    opened = start_open_round(teacher)
    for watcher in (*kids, stage):
        watcher.wait_for("round.updated", lambda d: d["round"]["id"] == opened["id"]
                         and d["round"]["status"] == "open")
    posted = ok(kids[0].call("card.submit", card("single-0001", "My old bike")))["card"]
    for watcher in (teacher, kids[1]):
        watcher.wait_for("card.added", lambda d: d["card"]["id"] == posted["id"])
    ok(kids[1].call("react", {"card_id": posted["id"], "reaction": "heart"}))
    kids[0].wait_for("reactions", lambda d: d["counts"].get("heart") == 1)
    ok(teacher.call("spotlight.set", {"card_id": posted["id"]}))
    for watcher in (*kids, stage):
        watcher.wait_for("spotlight", lambda d: (d["card"] or {}).get("id") == posted["id"])
    teacher.call("student.remove", {"student_id": seats[1]["student_id"]})
    kids[1].wait_for("disconnect")

    # Everything the server published came before this marker: read up to it.
    listener.publish("flask-socketio", f"marker {klass.class_id}")
    published = []
    for message in channel.listen():
        if message["data"] == f"marker {klass.class_id}":
            break
        if klass.class_id in message["data"]:
            published.append(message["data"])
    channel.close()
    assert bool(published) is (processes == "many"), published[:3]
