"""The same live-server smoke journey under every supported async mode."""

from __future__ import annotations

import pytest

from tests.conftest import create_class

pytestmark = pytest.mark.redis


@pytest.mark.parametrize("mode", ["gevent", "eventlet", "threading"])
def test_smoke(mode, redis_url, make_server, clients) -> None:
    server = make_server(REDIS_URL=redis_url, ASYNC_MODE=mode)
    assert f"({mode}," in server.log()
    klass = create_class(server.url)
    teacher = clients(server.url, {"token": klass.teacher_secret})
    assert teacher.wait_for("snapshot")["role"] == "teacher"
    seat = klass.join("Ana")
    student = clients(server.url, {"token": seat["seat_token"]})
    assert student.wait_for("snapshot")["you"]["name"] == "Ana"
    teacher.wait_for("presence", lambda d: d["online"] is True)
    assert teacher.call("class.lock", {"locked": True})["ok"]
    student.wait_for("class.updated", lambda d: d["class"]["locked"] is True)
