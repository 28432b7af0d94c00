"""Classes, roles and joining against a live gevent server on a real Redis."""

from __future__ import annotations

import pytest
import redis
import requests
import socketio

from tests.conftest import ClassInfo, create_class

pytestmark = pytest.mark.redis


@pytest.fixture
def klass(live_server) -> ClassInfo:
    return create_class(live_server.url)


def test_create_gives_links_code_and_qr(live_server, klass: ClassInfo) -> None:
    assert len(klass.join_code) >= 6
    assert all(c in "ABCDEFGHJKMNPQRSTUVWXYZ23456789" for c in klass.join_code)
    assert klass.teacher_secret != klass.cohost_secret
    assert len(klass.teacher_secret) >= 22  # >= 128 bits of url-safe base64
    qr = requests.get(f"{live_server.url}/api/qr.svg", params={"code": klass.join_code},
                      timeout=10)
    assert qr.status_code == 200 and qr.headers["Content-Type"].startswith("image/svg+xml")
    assert qr.text.startswith("<svg")


def test_secrets_are_stored_hashed(redis_url: str, klass: ClassInfo) -> None:
    r = redis.Redis.from_url(redis_url, decode_responses=True)
    dump = "".join(str(v) for v in r.hgetall(f"rp:class:{klass.class_id}").values())
    assert klass.teacher_secret not in dump and klass.cohost_secret not in dump
    assert r.get(f"rp:cred:{klass.teacher_secret}") is None


def test_join_and_rejoin_with_seat_token(live_server, klass: ClassInfo, clients) -> None:
    teacher = clients(live_server.url, {"token": klass.teacher_secret})
    seat = klass.join("Ana")
    joined = teacher.wait_for("student.joined")
    assert joined["student"]["name"] == "Ana"
    student = clients(live_server.url, {"token": seat["seat_token"]})
    snap = student.wait_for("snapshot")
    assert snap["role"] == "student" and snap["you"]["id"] == seat["student_id"]
    assert "join_code" not in snap["class"] and "students" not in snap
    teacher.wait_for("presence", lambda d: d == {"student_id": seat["student_id"],
                                                  "online": True})
    student.close()
    teacher.wait_for("presence", lambda d: d["online"] is False)
    again = clients(live_server.url, {"token": seat["seat_token"]})
    assert again.wait_for("snapshot")["you"]["id"] == seat["student_id"]


def test_wrong_code_gets_one_generic_error(live_server) -> None:
    answers = set()
    for code in ("ZZZZZZ", "", "x" * 16, "AB-CD"):
        r = requests.post(f"{live_server.url}/api/join", json={"code": code, "name": "Bo"},
                          timeout=10)
        answers.add((r.status_code, r.json()["error"]["message"]))
    assert len(answers) == 1
    assert answers.pop()[0] == 404


def test_locked_class_refuses_new_join_but_admits_seat(live_server, klass, clients) -> None:
    seat = klass.join("Ben")
    teacher = clients(live_server.url, {"token": klass.teacher_secret})
    assert teacher.call("class.lock", {"locked": True})["ok"] is True
    r = requests.post(f"{live_server.url}/api/join",
                      json={"code": klass.join_code, "name": "Chi"}, timeout=10)
    assert r.status_code == 403 and r.json()["error"]["code"] == "locked"
    student = clients(live_server.url, {"token": seat["seat_token"]})
    assert student.wait_for("snapshot")["class"]["locked"] is True
    assert teacher.call("class.lock", {"locked": False})["ok"] is True
    student.wait_for("class.updated", lambda d: d["class"]["locked"] is False)
    klass.join("Chi")


def test_removed_student_is_disconnected_and_refused(live_server, klass, clients) -> None:
    seat = klass.join("Dee")
    student = clients(live_server.url, {"token": seat["seat_token"]})
    student.wait_for("snapshot")
    teacher = clients(live_server.url, {"token": klass.teacher_secret})
    assert teacher.call("student.remove", {"student_id": seat["student_id"]})["ok"]
    student.wait_for("removed")
    teacher.wait_for("student.removed")
    with pytest.raises(socketio.exceptions.ConnectionError):
        clients(live_server.url, {"token": seat["seat_token"]})
    # The name is free again, and the old student is gone from the teacher's snapshot.
    klass.join("Dee")
    fresh = clients(live_server.url, {"token": klass.teacher_secret})
    ids = [s["id"] for s in fresh.wait_for("snapshot")["students"]]
    assert seat["student_id"] not in ids


@pytest.mark.parametrize("auth", [None, {}, {"token": "x" * 32}, {"token": 5},
                                  {"token": "short"}])
def test_connect_without_valid_credentials_is_refused(live_server, clients, auth) -> None:
    with pytest.raises(socketio.exceptions.ConnectionError):
        clients(live_server.url, auth)


def test_stage_view_needs_a_staff_secret(live_server, klass, clients) -> None:
    seat = klass.join("Eve")
    with pytest.raises(socketio.exceptions.ConnectionError):
        clients(live_server.url, {"token": seat["seat_token"], "view": "stage"})
    stage = clients(live_server.url, {"token": klass.teacher_secret, "view": "stage"})
    snap = stage.wait_for("snapshot")
    assert snap["role"] == "stage" and "students" not in snap


def test_foreign_origin_handshake_is_refused(live_server, klass, clients) -> None:
    handshake = f"{live_server.url}/socket.io/?EIO=4&transport=polling"
    foreign = requests.get(handshake, headers={"Origin": "http://evil.example"}, timeout=10)
    assert foreign.status_code == 400
    own = requests.get(handshake, headers={"Origin": live_server.url}, timeout=10)
    assert own.status_code == 200 and own.text.startswith("0{")
    with pytest.raises((socketio.exceptions.ConnectionError, ValueError)):
        clients(live_server.url, {"token": klass.teacher_secret},
                headers={"Origin": "http://evil.example"})


@pytest.mark.parametrize("event,payload", [
    ("class.lock", {"locked": True}),
    ("student.remove", {"student_id": "SELF"}),
    ("student.rename", {"student_id": "SELF", "name": "Boss"}),
])
def test_teacher_only_events_refused_for_student_and_cohost(
        live_server, klass, clients, event, payload) -> None:
    seat = klass.join("Fay")
    payload = {k: seat["student_id"] if v == "SELF" else v for k, v in payload.items()}
    student = clients(live_server.url, {"token": seat["seat_token"]})
    cohost = clients(live_server.url, {"token": klass.cohost_secret})
    for sender in (student, cohost):
        ack = sender.call(event, payload)
        assert ack["ok"] is False and ack["error"]["code"] == "forbidden"
    after = clients(live_server.url, {"token": klass.teacher_secret}).wait_for("snapshot")
    assert after["class"]["locked"] is False
    assert [(s["id"], s["name"]) for s in after["students"]] == [(seat["student_id"], "Fay")]


@pytest.mark.parametrize("name", ["Teacher", "teacher", "TEACHER", "Ｔｅａｃｈｅｒ", "Mr Teacher",
                                  "T e a c h e r", "Теacher", "Co-host"])
def test_names_posing_as_staff_are_refused(live_server, klass, name) -> None:
    r = requests.post(f"{live_server.url}/api/join", json={"code": klass.join_code, "name": name},
                      timeout=10)
    assert r.status_code == 400, name


@pytest.mark.parametrize("twin", ["gus", "GUS", "Ｇｕｓ", " Gus ", "G\u200bus"])
def test_duplicate_names_differing_by_case_or_width_are_refused(live_server, klass, twin) -> None:
    klass.join("Gus")
    r = requests.post(f"{live_server.url}/api/join", json={"code": klass.join_code, "name": twin},
                      timeout=10)
    assert r.status_code == 409 and r.json()["error"]["code"] == "name_taken"


def test_bad_join_bodies_are_refused(live_server, klass) -> None:
    url = f"{live_server.url}/api/join"
    for body in ({"code": klass.join_code}, {"code": klass.join_code, "name": 7},
                 {"code": klass.join_code, "name": "Hal", "admin": True},
                 {"code": klass.join_code, "name": "x" * 41}, ["nope"]):
        r = requests.post(url, json=body, timeout=10)
        assert r.status_code == 400, body
    r = requests.post(url, data="name=Hal", timeout=10)
    assert r.status_code == 400


def test_rename_and_roster_link(live_server, klass, clients) -> None:
    seat = klass.join("ivy")
    teacher = clients(live_server.url, {"token": klass.teacher_secret})
    teacher.wait_for("snapshot")
    csv = "name,email,tags\nIvy Lee,ivy@example.org,ELL\nJon,,new;priority\n"
    r = requests.post(f"{live_server.url}/api/classes/{klass.class_id}/roster", data=csv,
                      headers={"Authorization": f"Bearer {klass.teacher_secret}",
                               "Content-Type": "text/csv"}, timeout=10)
    assert r.status_code == 200 and r.json() == {"imported": 2}
    ack = teacher.call("student.rename", {"student_id": seat["student_id"], "name": "Ivy Lee"})
    assert ack["ok"], ack
    ack = teacher.call("student.link", {"student_id": seat["student_id"], "roster_id": "r1"})
    assert ack["ok"], ack
    updated = teacher.wait_for("student.updated", lambda d: d["student"]["roster_id"] == "r1")
    assert updated["student"]["tags"] == ["ELL"]
    # A student joining under a roster name is linked at once.
    jon = klass.join("jon")
    snap = clients(live_server.url, {"token": klass.teacher_secret}).wait_for("snapshot")
    linked = {s["id"]: s["roster_id"] for s in snap["students"]}
    assert linked[jon["student_id"]] == "r2"
    assert [e["name"] for e in snap["roster"]] == ["Ivy Lee", "Jon"]
    # A broken file is refused in plain words and changes nothing.
    r = requests.post(f"{live_server.url}/api/classes/{klass.class_id}/roster",
                      data="name,email,tags\nAna,not-an-address,\n", timeout=10,
                      headers={"Authorization": f"Bearer {klass.teacher_secret}"})
    assert r.status_code == 400 and r.json()["error"]["message"] == (
        "The roster was not imported (nothing changed). "
        "Line 2: 'not-an-address' does not look like an e-mail address.")
    # The co-host cannot import a roster.
    r = requests.post(f"{live_server.url}/api/classes/{klass.class_id}/roster", data=csv,
                      headers={"Authorization": f"Bearer {klass.cohost_secret}"}, timeout=10)
    assert r.status_code == 403


def test_cohost_link_rotates_and_revokes(live_server, klass, clients) -> None:
    auth = {"Authorization": f"Bearer {klass.teacher_secret}"}
    r = requests.post(f"{live_server.url}/api/classes/{klass.class_id}/secrets/cohost",
                      headers=auth, timeout=10)
    assert r.status_code == 200
    new_secret = r.json()["secret"]
    with pytest.raises(socketio.exceptions.ConnectionError):
        clients(live_server.url, {"token": klass.cohost_secret})
    assert clients(live_server.url, {"token": new_secret}).wait_for("snapshot")["role"] == "cohost"
    r = requests.delete(f"{live_server.url}/api/classes/{klass.class_id}/secrets/cohost",
                        headers=auth, timeout=10)
    assert r.status_code == 204
    with pytest.raises(socketio.exceptions.ConnectionError):
        clients(live_server.url, {"token": new_secret})


def test_delete_class_leaves_nothing(live_server, redis_url, klass, clients) -> None:
    klass.join("Kim")
    r = redis.Redis.from_url(redis_url, decode_responses=True)
    assert r.keys(f"rp:class:{klass.class_id}*")
    resp = requests.delete(f"{live_server.url}/api/classes/{klass.class_id}",
                           headers={"Authorization": f"Bearer {klass.teacher_secret}"},
                           timeout=10)
    assert resp.status_code == 204
    assert r.keys(f"rp:class:{klass.class_id}*") == []
    assert r.get(f"rp:code:{klass.join_code}") is None
    with pytest.raises(socketio.exceptions.ConnectionError):
        clients(live_server.url, {"token": klass.teacher_secret})


def test_healthz_and_openapi(live_server) -> None:
    health = requests.get(f"{live_server.url}/healthz", timeout=10)
    assert health.status_code == 200
    assert health.json()["store"] == "redis" and health.json()["redis"] == "ok"
    doc = requests.get(f"{live_server.url}/api/openapi.json", timeout=10).json()
    assert doc["openapi"].startswith("3.")
    assert {"/api/classes", "/api/join", "/healthz"} <= set(doc["paths"])


def test_a_library_prompt_in_a_language_over_http(live_server) -> None:
    """GET /api/prompts/{id}?lang=: public, read-only, documented; docs/TRANSLATING.md."""
    url = f"{live_server.url}/api/prompts/personal-hobby-weekend"
    spanish = requests.get(url, params={"lang": "es-MX"}, timeout=10)
    assert spanish.status_code == 200
    body = spanish.json()
    assert body["lang"] == "es" and body["text"]["lang"] == "es"
    assert body["text"]["status"] == "draft" and body["text"]["text"].startswith("¿Qué")
    assert body["original"]["text"].startswith("What do you like to do on a free weekend?")
    assert requests.get(url, params={"lang": "zh-TW"}, timeout=10).json()["lang"] == "en"
    missing = requests.get(f"{live_server.url}/api/prompts/no-such-prompt", timeout=10)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    too_long = requests.get(url, params={"lang": "x" * 36}, timeout=10)
    assert too_long.status_code == 400 and "language tag" in too_long.json()["error"]["message"]
    doc = requests.get(f"{live_server.url}/api/openapi.json", timeout=10).json()
    assert "/api/prompts/{prompt_id}" in doc["paths"]


def test_pages_send_csp_and_load_nothing_foreign(live_server) -> None:
    for path in ("/", "/teacher", "/join", "/j/ABCDEF", "/stage"):
        r = requests.get(live_server.url + path, timeout=10)
        assert r.status_code == 200, path
        assert "default-src 'self'" in r.headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in r.headers["Content-Security-Policy"]
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        assert "http://" not in r.text and "https://" not in r.text, path


def _rejoin(klass: ClassInfo, rejoin_code: str) -> requests.Response:
    return requests.post(f"{klass.base}/api/rejoin",
                         json={"code": klass.join_code, "rejoin_code": rejoin_code}, timeout=10)


def test_rejoin_code_moves_the_seat_to_a_new_device(live_server, redis_url, klass: ClassInfo,
                                                      clients) -> None:
    teacher = clients(live_server.url, {"token": klass.teacher_secret})
    seat = klass.join("Ana")
    old_device = clients(live_server.url, {"token": seat["seat_token"]})
    old_device.wait_for("snapshot")
    made = old_device.call("seat.rejoin_code", {})
    assert made["ok"] is True
    code = made["rejoin_code"]
    assert len(code) == 9 and code[4] == "-"
    assert made["rejoin_url"].endswith(f"/j/{klass.join_code}#rejoin={code.replace('-', '')}")
    # Stored hashed, like every other credential.
    r = redis.Redis.from_url(redis_url, decode_responses=True)
    stored = str(r.hgetall(f"rp:class:{klass.class_id}:rejoin")) + str(
        r.hgetall(f"rp:class:{klass.class_id}:students"))
    assert code.replace("-", "") not in stored and code not in stored

    # Typed on another device (lower case, without the dash): the same seat, a new token.
    moved = _rejoin(klass, code.replace("-", "").lower())
    assert moved.status_code == 200, moved.text
    body = moved.json()
    assert body["student_id"] == seat["student_id"] and body["name"] == "Ana"
    assert body["seat_token"] != seat["seat_token"]
    # The old device is told and closed; its token no longer opens anything.
    assert "another device" in old_device.wait_for("seat.moved")["message"]
    with pytest.raises(socketio.exceptions.ConnectionError):
        clients(live_server.url, {"token": seat["seat_token"]})
    new_device = clients(live_server.url, {"token": body["seat_token"]})
    assert new_device.wait_for("snapshot")["you"]["id"] == seat["student_id"]
    # One student, one record: the teacher still sees exactly one Ana.
    snap = teacher.call("snapshot.get", {})["snapshot"]
    assert [s["name"] for s in snap["students"]] == ["Ana"]
    # A code works once.
    assert _rejoin(klass, code).status_code == 404


def test_rejoin_codes_cannot_take_another_seat(live_server, klass: ClassInfo, clients) -> None:
    teacher = clients(live_server.url, {"token": klass.teacher_secret})
    cohost = clients(live_server.url, {"token": klass.cohost_secret})
    ana, ben = klass.join("Ana"), klass.join("Ben")
    ana_socket = clients(live_server.url, {"token": ana["seat_token"]})
    refused = ana_socket.call("seat.rejoin_code", {"student_id": ben["student_id"]})
    assert refused["ok"] is False and refused["error"]["code"] == "forbidden"
    assert cohost.call("seat.rejoin_code", {"student_id": ben["student_id"]})["ok"] is False
    # The teacher confirms "this is Ben" and gives him a code; a newer code replaces it.
    first = teacher.call("seat.rejoin_code", {"student_id": ben["student_id"]})["rejoin_code"]
    second = teacher.call("seat.rejoin_code", {"student_id": ben["student_id"]})["rejoin_code"]
    assert _rejoin(klass, first).status_code == 404
    wrong = _rejoin(klass, "ABCD-EFGH")
    assert wrong.status_code == 404
    assert "rejoin code did not work" in wrong.json()["error"]["message"]
    # A code of one class opens nothing in another.
    other = create_class(live_server.url, "Other class")
    elsewhere = requests.post(f"{live_server.url}/api/rejoin",
                              json={"code": other.join_code, "rejoin_code": second}, timeout=10)
    assert elsewhere.status_code == 404
    # Removing the student revokes their code.
    assert teacher.call("student.remove", {"student_id": ben["student_id"]})["ok"] is True
    assert _rejoin(klass, second).status_code == 404
    bad = requests.post(f"{live_server.url}/api/rejoin",
                        json={"code": klass.join_code, "rejoin_code": 5}, timeout=10)
    assert bad.status_code == 400


def test_a_loopback_join_link_comes_with_a_warning(live_server, clients) -> None:
    # The browser test shows the warning is absent with a public PUBLIC_URL.
    made = requests.post(f"{live_server.url}/api/classes",
                         json={"name": "Loop", "grade_band": "6-8"}, timeout=10).json()
    assert "--host 0.0.0.0" in made["join_warning"]
    teacher = clients(live_server.url, {"token": made["teacher_secret"]})
    assert teacher.wait_for("snapshot")["class"]["join_warning"] == made["join_warning"]
