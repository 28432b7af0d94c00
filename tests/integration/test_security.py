"""Headers, secrets in logs, message size, rate limits."""

from __future__ import annotations

import pytest
import redis
import requests
import socketio

from tests.conftest import card, create_class, ok, start_open_round
from tests.integration.test_live_data import full_journey

pytestmark = pytest.mark.redis


def test_secrets_and_seat_tokens_are_never_logged(redis_url, make_server, clients) -> None:
    server = make_server(REDIS_URL=redis_url, ASYNC_MODE="gevent", RAPPORT_LOG_LEVEL="DEBUG")
    klass, seats, _made = full_journey(server.url, clients)
    rotated = requests.post(f"{server.url}/api/classes/{klass.class_id}/secrets/cohost",
                            headers={"Authorization": f"Bearer {klass.teacher_secret}"},
                            timeout=10).json()["secret"]
    bad = requests.post(f"{server.url}/api/classes/{klass.class_id}/roster", data="x",
                        headers={"Authorization": f"Bearer {seats[0]['seat_token']}"},
                        timeout=10)
    assert bad.status_code == 403
    log = server.log()
    assert "POST /api/join" in log  # the log is really being written
    for secret in (klass.teacher_secret, klass.cohost_secret, rotated,
                   *(s["seat_token"] for s in seats)):
        assert secret not in log


def test_security_headers_and_no_cookies(live_server) -> None:
    klass = create_class(live_server.url)
    responses = [requests.get(live_server.url + p, timeout=10)
                 for p in ("/", "/teacher", "/j/ABCDEF", "/stage", "/healthz",
                           "/api/openapi.json", "/js/dom.js", "/no-such-file")]
    responses.append(requests.post(f"{live_server.url}/api/join",
                                   json={"code": klass.join_code, "name": "Zed"}, timeout=10))
    for r in responses:
        csp = r.headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp, r.url
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        assert r.headers["Referrer-Policy"] == "no-referrer"
        assert "Set-Cookie" not in r.headers, r.url


def test_oversized_socket_message_is_dropped(live_server, clients) -> None:
    klass = create_class(live_server.url)
    teacher = clients(live_server.url, {"token": klass.teacher_secret})
    student = clients(live_server.url, {"token": klass.join("Big")["seat_token"]})
    start_open_round(teacher)
    with pytest.raises((socketio.exceptions.TimeoutError, socketio.exceptions.BadNamespaceError)):
        student.call("card.submit", card("huge-card-01", "x" * 200_000), timeout=5)
    snap = clients(live_server.url, {"token": klass.teacher_secret}).wait_for("snapshot")
    assert snap["cards"] == []
    assert requests.get(f"{live_server.url}/healthz", timeout=10).status_code == 200


LIMITED_DB = 15  # rate-limit buckets of this module live apart from everything else


@pytest.fixture(scope="module")
def limited_server(redis_url, tmp_path_factory):
    from tests.conftest import LiveServer, server_env

    tmp = tmp_path_factory.mktemp("limited")
    url = redis_url.rsplit("/", 1)[0] + f"/{LIMITED_DB}"
    server = LiveServer(env=server_env(tmp, REDIS_URL=url, ASYNC_MODE="gevent",
                                       RAPPORT_RATE_LIMITS="on"),
                        log_path=tmp / "server.log")
    server.start()
    yield server, url
    server.stop()


@pytest.fixture
def limited(limited_server):
    """The rate-limited server, with every bucket full again (each test starts fresh)."""
    server, url = limited_server
    r = redis.Redis.from_url(url)
    for key in r.scan_iter(match="rp:rate:*"):
        r.delete(key)
    return server


def test_join_code_guessing_is_throttled(limited) -> None:
    klass = create_class(limited.url)
    codes = [f"ZZZZ{a}{b}" for a in "23456789" for b in "2345"][:25]
    statuses = [requests.post(f"{limited.url}/api/join", json={"code": c, "name": "Guess"},
                              timeout=10).status_code for c in codes]
    assert statuses[0] == 404 and statuses[-1] == 429
    blocked = requests.post(f"{limited.url}/api/join",
                            json={"code": klass.join_code, "name": "Real"}, timeout=10)
    assert blocked.status_code == 429 and blocked.json()["error"]["code"] == "rate_limited"


def test_card_and_reaction_floods_are_refused(limited, clients) -> None:
    klass = create_class(limited.url)
    teacher = clients(limited.url, {"token": klass.teacher_secret})
    student = clients(limited.url, {"token": klass.join("Fast")["seat_token"]})
    other = clients(limited.url, {"token": klass.join("Other")["seat_token"]})
    start_open_round(teacher)
    posted = ok(other.call("card.submit", card("other-card-1", "Hello")))["card"]
    edits = [student.call("card.edit", {"card_id": "nosuchcard", "text": f"v{i}"})
             for i in range(15)]
    assert edits[0]["error"]["code"] == "not_found"
    assert edits[-1]["error"]["code"] == "rate_limited"
    reactions = [student.call("react", {"card_id": posted["id"], "reaction": "heart"})
                 for _ in range(40)]
    assert reactions[0]["ok"] is True
    assert reactions[-1]["error"]["code"] == "rate_limited"


def test_socket_flood_guard(limited, clients) -> None:
    klass = create_class(limited.url)
    teacher = clients(limited.url, {"token": klass.teacher_secret})
    answers = [teacher.call("snapshot.get", {}) for _ in range(100)]
    codes = [a.get("error", {}).get("code") for a in answers]
    assert codes[0] is None and "rate_limited" in codes


def test_rejoin_code_guessing_is_throttled(limited) -> None:
    klass = create_class(limited.url)
    guesses = [f"ZZZZZZ{a}{b}" for a in "23456789" for b in "2345"][:25]
    statuses = [requests.post(f"{limited.url}/api/rejoin",
                              json={"code": klass.join_code, "rejoin_code": g},
                              timeout=10).status_code for g in guesses]
    assert statuses[0] == 404 and statuses[-1] == 429


def test_one_seat_cannot_flood_through_many_sockets(limited, clients) -> None:
    """Each socket stays under its own budget; together they exceed the seat's."""
    klass = create_class(limited.url)
    seat = klass.join("Ana")
    sockets = [clients(limited.url, {"token": seat["seat_token"]}) for _ in range(3)]
    codes = []
    for s in sockets:
        codes += [s.call("checkins.get", {})["error"]["code"] for _ in range(40)]
    assert codes.count("forbidden") >= 90  # the seat's burst, at least
    assert "rate_limited" in codes
