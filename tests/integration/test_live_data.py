"""Data promises on the real Redis: after a full journey over real sockets every key has a
TTL, and the private Redis's append-only file forgets deleted words. The rest of the data
rules (expiry sliding, export, deletion): test_data.py, in process."""

from __future__ import annotations

import io
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import redis
import requests
from PIL import Image

from tests.conftest import (
    ClassInfo,
    card,
    create_class,
    need,
    ok,
    play_full_journey,
    start_open_round,
)
from tests.integration.test_live_rounds import upload

pytestmark = pytest.mark.redis


def full_journey(base: str, clients) -> tuple[ClassInfo, list[dict[str, Any]], dict[str, Any]]:
    klass = create_class(base)
    auth = {"Authorization": f"Bearer {klass.teacher_secret}"}
    requests.post(f"{base}/api/classes/{klass.class_id}/roster",
                  data="name,email,tags\nAna,ana@school.example,ELL\n",
                  headers={**auth, "Content-Type": "text/csv"}, timeout=10)
    seats = [klass.join(n) for n in ("Ana", "Ben", "Cy", "Di")]
    teacher = clients(base, {"token": klass.teacher_secret})
    kids = [clients(base, {"token": s["seat_token"]}) for s in seats]
    for k in kids:
        k.wait_for("snapshot")
    teacher.wait_for("snapshot", lambda d: True)
    start_open_round(teacher)
    png = io.BytesIO()
    Image.new("RGB", (40, 30), (0, 90, 0)).save(png, format="PNG")
    photo_id = upload(klass, seats[0]["seat_token"], png.getvalue(), "g.png").json()["photo_id"]
    made = play_full_journey(teacher, kids, seats, photo_id,
                             before_rotation=lambda: teacher.wait_for("presence", lambda d: True))
    return klass, seats, made


def test_every_key_has_a_ttl_after_a_full_journey(live_server, redis_url, clients) -> None:
    klass, _seats, _made = full_journey(live_server.url, clients)
    r = redis.Redis.from_url(redis_url, decode_responses=True)
    keys = list(r.scan_iter(match="rp:*", count=1000))
    assert any(k.startswith(f"rp:class:{klass.class_id}:round:") for k in keys)
    without_ttl = [k for k in keys if r.ttl(k) == -1]  # -2: deleted meanwhile by another test
    assert without_ttl == []


def wait_until(condition: Callable[[], object], timeout: float) -> bool:
    """Poll an outside process (Redis writing its files) until `condition` holds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return bool(condition())


def files_holding(folder: Path, text: str) -> list[str]:
    return [p.name for p in folder.rglob("*") if p.is_file() and text.encode() in p.read_bytes()]


def test_deleted_data_leaves_the_private_redis_append_only_file(make_server, clients) -> None:
    """The laptop shape: after a deletion the private Redis rewrites its append-only file, so
    the deleted words are not left on disk (before it, they sit there as plain commands)."""
    need(shutil.which("redis-server") is not None, "redis-server is not installed")
    server = make_server(ASYNC_MODE="gevent", RAPPORT_STORE="private-redis")
    aof = Path(server.env["RAPPORT_INSTANCE_PATH"]) / "redis"
    klass = create_class(server.url)
    seat = klass.join("Ana")
    teacher = clients(server.url, {"token": klass.teacher_secret})
    teacher.wait_for("snapshot")
    start_open_round(teacher)
    kid = clients(server.url, {"token": seat["seat_token"]})
    kid.wait_for("snapshot")
    words = "zebra-words-only-ana-wrote-4711"
    ok(kid.call("card.submit", card("ana-aof-card-1", words, "teacher")))
    assert wait_until(lambda: files_holding(aof, words), 10), "the card never reached the AOF"
    resp = requests.delete(f"{server.url}/api/classes/{klass.class_id}/students/"
                           f"{seat['student_id']}",
                           headers={"Authorization": f"Bearer {klass.teacher_secret}"},
                           timeout=10)
    assert resp.status_code == 204
    assert wait_until(lambda: not files_holding(aof, words), 20), files_holding(aof, words)


def test_deleting_the_class_leaves_no_key_naming_it(live_server, redis_url, clients) -> None:
    """On the real Redis: the short-lived keys of a class (when its counts were last sent, its
    staff's rate-limit buckets) go with it, not seconds later."""
    base = live_server.url
    klass = create_class(base)
    seats = [klass.join(n) for n in ("Ana", "Ben")]
    teacher = clients(base, {"token": klass.teacher_secret})
    teacher.wait_for("snapshot")
    kids = [clients(base, {"token": s["seat_token"]}) for s in seats]
    for kid in kids:
        kid.wait_for("snapshot")
    start_open_round(teacher)
    posted = ok(kids[0].call("card.submit", card("ana-card-gone", "Ana's card")))["card"]
    ok(kids[1].call("react", {"card_id": posted["id"], "reaction": "heart"}))
    ok(teacher.call("reply.send", {"card_id": posted["id"], "text": "Nice"}))
    teacher.wait_for("reactions", lambda d: d.get("card_id") == posted["id"])  # counts sent
    r = redis.Redis.from_url(redis_url, decode_responses=True)
    resp = requests.delete(f"{base}/api/classes/{klass.class_id}",
                           headers={"Authorization": f"Bearer {klass.teacher_secret}"},
                           timeout=10)
    assert resp.status_code == 204
    assert [k for k in r.scan_iter(match="rp:*", count=5000) if klass.class_id in k] == []
