"""The three store modes and several processes sharing one Redis."""

from __future__ import annotations

import shutil

import pytest
import requests

from tests.conftest import create_class, need


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
