"""Classes, roles and joining, in process (tests/inprocess.py). The handshake's origin check,
the health of a real Redis and a join journey over real sockets: test_live_classes.py."""

from __future__ import annotations

from typing import Any

import pytest

from tests.inprocess import InProcessApp, Klass


@pytest.fixture
def klass(rapport: InProcessApp) -> Klass:
    return rapport.create_class()


def join_status(rapport: InProcessApp, body: Any) -> tuple[int, Any]:
    r = rapport.web.post("/api/join", json=body)
    return r.status_code, r.get_json()


def test_create_gives_links_code_and_qr(rapport: InProcessApp, klass: Klass) -> None:
    assert len(klass.join_code) >= 6
    assert all(c in "ABCDEFGHJKMNPQRSTUVWXYZ23456789" for c in klass.join_code)
    assert klass.teacher_secret != klass.cohost_secret
    assert len(klass.teacher_secret) >= 22  # >= 128 bits of url-safe base64
    qr = rapport.web.get("/api/qr.svg", query_string={"code": klass.join_code})
    assert qr.status_code == 200 and qr.headers["Content-Type"].startswith("image/svg+xml")
    assert qr.get_data(as_text=True).startswith("<svg")


def test_secrets_are_stored_hashed(rapport: InProcessApp, klass: Klass) -> None:
    r = rapport.redis
    dump = "".join(str(v) for v in r.hgetall(f"rp:class:{klass.class_id}").values())
    assert klass.teacher_secret not in dump and klass.cohost_secret not in dump
    assert r.get(f"rp:cred:{klass.teacher_secret}") is None
    everything = "".join(str(r.dump(k)) for k in r.keys("*"))
    assert klass.teacher_secret not in everything and klass.cohost_secret not in everything


def test_join_and_rejoin_with_seat_token(rapport: InProcessApp, klass: Klass) -> None:
    teacher = rapport.teacher(klass)
    seat = klass.join("Ana")
    joined = teacher.first("student.joined")
    assert joined["student"]["name"] == "Ana"
    student = rapport.student(seat)
    snap = student.first("snapshot")
    assert snap["role"] == "student" and snap["you"]["id"] == seat["student_id"]
    assert "join_code" not in snap["class"] and "students" not in snap
    assert teacher.received("presence") == [{"student_id": seat["student_id"], "online": True}]
    student.close()
    assert teacher.received("presence")[-1] == {"student_id": seat["student_id"],
                                                "online": False}
    again = rapport.student(seat)
    assert again.first("snapshot")["you"]["id"] == seat["student_id"]


def test_wrong_code_gets_one_generic_error(rapport: InProcessApp) -> None:
    answers = set()
    for code in ("ZZZZZZ", "", "x" * 16, "AB-CD"):
        status, body = join_status(rapport, {"code": code, "name": "Bo"})
        answers.add((status, body["error"]["message"]))
    assert len(answers) == 1
    assert answers.pop()[0] == 404


def test_locked_class_refuses_new_join_but_admits_seat(rapport: InProcessApp,
                                                       klass: Klass) -> None:
    seat = klass.join("Ben")
    teacher = rapport.teacher(klass)
    assert teacher.call("class.lock", {"locked": True})["ok"] is True
    status, body = join_status(rapport, {"code": klass.join_code, "name": "Chi"})
    assert status == 403 and body["error"]["code"] == "locked"
    student = rapport.student(seat)
    assert student.first("snapshot")["class"]["locked"] is True
    assert teacher.call("class.lock", {"locked": False})["ok"] is True
    student.first("class.updated", lambda d: d["class"]["locked"] is False)
    klass.join("Chi")


def test_removed_student_is_disconnected_and_refused(rapport: InProcessApp,
                                                     klass: Klass) -> None:
    seat = klass.join("Dee")
    student = rapport.student(seat)
    teacher = rapport.teacher(klass)
    assert teacher.call("student.remove", {"student_id": seat["student_id"]})["ok"]
    student.first("removed")
    assert not student.is_connected()
    teacher.first("student.removed")
    assert rapport.student(seat).refused["data"]["code"] == "not_authorised"
    # The name is free again, and the old student is gone from the teacher's snapshot.
    klass.join("Dee")
    ids = [s["id"] for s in rapport.teacher(klass).first("snapshot")["students"]]
    assert seat["student_id"] not in ids


@pytest.mark.parametrize("auth", [None, {}, {"token": "x" * 32}, {"token": 5},
                                  {"token": "short"}])
def test_connect_without_valid_credentials_is_refused(rapport: InProcessApp, auth) -> None:
    client = rapport.connect(auth)
    assert not client.is_connected()
    assert client.refused["data"]["code"] == "not_authorised"


def test_stage_view_needs_a_staff_secret(rapport: InProcessApp, klass: Klass) -> None:
    seat = klass.join("Eve")
    assert rapport.connect({"token": seat["seat_token"], "view": "stage"}).refused
    snap = rapport.stage(klass).first("snapshot")
    assert snap["role"] == "stage" and "students" not in snap


@pytest.mark.parametrize("event,payload", [
    ("class.lock", {"locked": True}),
    ("student.remove", {"student_id": "SELF"}),
    ("student.rename", {"student_id": "SELF", "name": "Boss"}),
])
def test_teacher_only_events_refused_for_student_and_cohost(
        rapport: InProcessApp, klass: Klass, event, payload) -> None:
    seat = klass.join("Fay")
    payload = {k: seat["student_id"] if v == "SELF" else v for k, v in payload.items()}
    student = rapport.student(seat)
    cohost = rapport.cohost(klass)
    for sender in (student, cohost):
        ack = sender.call(event, payload)
        assert ack["ok"] is False and ack["error"]["code"] == "forbidden"
    after = rapport.teacher(klass).first("snapshot")
    assert after["class"]["locked"] is False
    assert [(s["id"], s["name"]) for s in after["students"]] == [(seat["student_id"], "Fay")]


@pytest.mark.parametrize("name", ["Teacher", "teacher", "TEACHER", "Ｔｅａｃｈｅｒ", "Mr Teacher",
                                  "T e a c h e r", "Теacher", "Co-host"])
def test_names_posing_as_staff_are_refused(rapport: InProcessApp, klass: Klass, name) -> None:
    assert join_status(rapport, {"code": klass.join_code, "name": name})[0] == 400, name


@pytest.mark.parametrize("twin", ["gus", "GUS", "Ｇｕｓ", " Gus ", "G\u200bus"])
def test_duplicate_names_differing_by_case_or_width_are_refused(rapport: InProcessApp,
                                                                klass: Klass, twin) -> None:
    klass.join("Gus")
    status, body = join_status(rapport, {"code": klass.join_code, "name": twin})
    assert status == 409 and body["error"]["code"] == "name_taken"


def test_bad_join_bodies_are_refused(rapport: InProcessApp, klass: Klass) -> None:
    for body in ({"code": klass.join_code}, {"code": klass.join_code, "name": 7},
                 {"code": klass.join_code, "name": "Hal", "admin": True},
                 {"code": klass.join_code, "name": "x" * 41}, ["nope"]):
        assert join_status(rapport, body)[0] == 400, body
    assert rapport.web.post("/api/join", data="name=Hal").status_code == 400


def test_rename_and_roster_link(rapport: InProcessApp, klass: Klass) -> None:
    seat = klass.join("ivy")
    teacher = rapport.teacher(klass)
    csv = "name,email,tags\nIvy Lee,ivy@example.org,ELL\nJon,,new;priority\n"
    roster = f"/api/classes/{klass.class_id}/roster"
    r = rapport.web.post(roster, data=csv, headers={**klass.auth(klass.teacher_secret),
                                                    "Content-Type": "text/csv"})
    assert r.status_code == 200 and r.get_json() == {"imported": 2}
    ack = teacher.call("student.rename", {"student_id": seat["student_id"], "name": "Ivy Lee"})
    assert ack["ok"], ack
    ack = teacher.call("student.link", {"student_id": seat["student_id"], "roster_id": "r1"})
    assert ack["ok"], ack
    updated = teacher.first("student.updated", lambda d: d["student"]["roster_id"] == "r1")
    assert updated["student"]["tags"] == ["ELL"]
    # A student joining under a roster name is linked at once.
    jon = klass.join("jon")
    snap = rapport.teacher(klass).first("snapshot")
    linked = {s["id"]: s["roster_id"] for s in snap["students"]}
    assert linked[jon["student_id"]] == "r2"
    assert [e["name"] for e in snap["roster"]] == ["Ivy Lee", "Jon"]
    # A broken file is refused in plain words and changes nothing.
    r = rapport.web.post(roster, data="name,email,tags\nAna,not-an-address,\n",
                         headers=klass.auth(klass.teacher_secret))
    assert r.status_code == 400 and r.get_json()["error"]["message"] == (
        "The roster was not imported (nothing changed). "
        "Line 2: 'not-an-address' does not look like an e-mail address.")
    # The co-host cannot import a roster.
    r = rapport.web.post(roster, data=csv, headers=klass.auth(klass.cohost_secret))
    assert r.status_code == 403


def test_cohost_link_rotates_and_revokes(rapport: InProcessApp, klass: Klass) -> None:
    auth = klass.auth(klass.teacher_secret)
    url = f"/api/classes/{klass.class_id}/secrets/cohost"
    r = rapport.web.post(url, headers=auth)
    assert r.status_code == 200
    new_secret = r.get_json()["secret"]
    assert rapport.cohost(klass).refused
    assert rapport.connect({"token": new_secret}).first("snapshot")["role"] == "cohost"
    assert rapport.web.delete(url, headers=auth).status_code == 204
    assert rapport.connect({"token": new_secret}).refused


def test_delete_class_leaves_nothing(rapport: InProcessApp, klass: Klass) -> None:
    klass.join("Kim")
    r = rapport.redis
    assert r.keys(f"rp:class:{klass.class_id}*")
    resp = rapport.web.delete(f"/api/classes/{klass.class_id}",
                              headers=klass.auth(klass.teacher_secret))
    assert resp.status_code == 204
    assert r.keys(f"rp:class:{klass.class_id}*") == []
    assert r.get(f"rp:code:{klass.join_code}") is None
    assert rapport.teacher(klass).refused


def test_openapi_is_served(rapport: InProcessApp) -> None:
    doc = rapport.web.get("/api/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    assert {"/api/classes", "/api/join", "/healthz"} <= set(doc["paths"])


def test_a_library_prompt_in_a_language_over_http(rapport: InProcessApp) -> None:
    """GET /api/prompts/{id}?lang=: public, read-only, documented; docs/TRANSLATING.md."""
    url = "/api/prompts/personal-hobby-weekend"
    spanish = rapport.web.get(url, query_string={"lang": "es-MX"})
    assert spanish.status_code == 200
    body = spanish.get_json()
    assert body["lang"] == "es" and body["text"]["lang"] == "es"
    assert body["text"]["status"] == "draft" and body["text"]["text"].startswith("¿Qué")
    assert body["original"]["text"].startswith("What do you like to do on a free weekend?")
    assert rapport.web.get(url, query_string={"lang": "zh-TW"}).get_json()["lang"] == "en"
    missing = rapport.web.get("/api/prompts/no-such-prompt")
    assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "not_found"
    too_long = rapport.web.get(url, query_string={"lang": "x" * 36})
    assert too_long.status_code == 400
    assert "language tag" in too_long.get_json()["error"]["message"]
    doc = rapport.web.get("/api/openapi.json").get_json()
    assert "/api/prompts/{prompt_id}" in doc["paths"]


def test_pages_send_csp_and_load_nothing_foreign(rapport: InProcessApp) -> None:
    for path in ("/", "/teacher", "/join", "/j/ABCDEF", "/stage"):
        r = rapport.web.get(path)
        assert r.status_code == 200, path
        assert "default-src 'self'" in r.headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in r.headers["Content-Security-Policy"]
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        text = r.get_data(as_text=True)
        assert "http://" not in text and "https://" not in text, path


def rejoin(klass: Klass, rejoin_code: Any, code: str | None = None) -> Any:
    return klass.web.post("/api/rejoin", json={"code": code or klass.join_code,
                                               "rejoin_code": rejoin_code})


def test_rejoin_code_moves_the_seat_to_a_new_device(rapport: InProcessApp, klass: Klass) -> None:
    teacher = rapport.teacher(klass)
    seat = klass.join("Ana")
    old_device = rapport.student(seat)
    made = old_device.call("seat.rejoin_code", {})
    assert made["ok"] is True
    code = made["rejoin_code"]
    assert len(code) == 9 and code[4] == "-"
    assert made["rejoin_url"].endswith(f"/j/{klass.join_code}#rejoin={code.replace('-', '')}")
    # Stored hashed, like every other credential.
    r = rapport.redis
    stored = str(r.hgetall(f"rp:class:{klass.class_id}:rejoin")) + str(
        r.hgetall(f"rp:class:{klass.class_id}:students"))
    assert code.replace("-", "") not in stored and code not in stored

    # Typed on another device (lower case, without the dash): the same seat, a new token.
    moved = rejoin(klass, code.replace("-", "").lower())
    assert moved.status_code == 200, moved.get_data(as_text=True)
    body = moved.get_json()
    assert body["student_id"] == seat["student_id"] and body["name"] == "Ana"
    assert body["seat_token"] != seat["seat_token"]
    # The old device is told and closed; its token no longer opens anything.
    assert "another device" in old_device.first("seat.moved")["message"]
    assert not old_device.is_connected()
    assert rapport.student(seat).refused
    new_device = rapport.connect({"token": body["seat_token"]})
    assert new_device.first("snapshot")["you"]["id"] == seat["student_id"]
    # One student, one record: the teacher still sees exactly one Ana.
    snap = teacher.call("snapshot.get", {})["snapshot"]
    assert [s["name"] for s in snap["students"]] == ["Ana"]
    # A code works once.
    assert rejoin(klass, code).status_code == 404


def test_rejoin_codes_cannot_take_another_seat(rapport: InProcessApp, klass: Klass) -> None:
    teacher, cohost = rapport.teacher(klass), rapport.cohost(klass)
    ana, ben = klass.join("Ana"), klass.join("Ben")
    ana_socket = rapport.student(ana)
    refused = ana_socket.call("seat.rejoin_code", {"student_id": ben["student_id"]})
    assert refused["ok"] is False and refused["error"]["code"] == "forbidden"
    assert cohost.call("seat.rejoin_code", {"student_id": ben["student_id"]})["ok"] is False
    # The teacher confirms "this is Ben" and gives him a code; a newer code replaces it.
    first = teacher.call("seat.rejoin_code", {"student_id": ben["student_id"]})["rejoin_code"]
    second = teacher.call("seat.rejoin_code", {"student_id": ben["student_id"]})["rejoin_code"]
    assert rejoin(klass, first).status_code == 404
    wrong = rejoin(klass, "ABCD-EFGH")
    assert wrong.status_code == 404
    assert "rejoin code did not work" in wrong.get_json()["error"]["message"]
    # A code of one class opens nothing in another.
    other = rapport.create_class("Other class")
    assert rejoin(klass, second, code=other.join_code).status_code == 404
    # Removing the student revokes their code.
    assert teacher.call("student.remove", {"student_id": ben["student_id"]})["ok"] is True
    assert rejoin(klass, second).status_code == 404
    assert rejoin(klass, 5).status_code == 400


def test_a_loopback_join_link_comes_with_a_warning(rapport: InProcessApp) -> None:
    # The browser test shows the warning is absent with a public PUBLIC_URL.
    made = rapport.web.post("/api/classes", json={"name": "Loop", "grade_band": "6-8"}).get_json()
    assert "--host 0.0.0.0" in made["join_warning"]
    teacher = rapport.connect({"token": made["teacher_secret"]})
    assert teacher.first("snapshot")["class"]["join_warning"] == made["join_warning"]
