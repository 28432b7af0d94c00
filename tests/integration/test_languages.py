"""Each student's language (issue 14) over the real server and Redis: the interface catalog
over HTTP, the language kept in the seat (at join and with seat.language), validated against
the shipped list, seen by the teacher; the class language the stage follows."""

from __future__ import annotations

import requests

from tests.conftest import ClassInfo, create_class


def test_interface_catalog_over_http(live_server) -> None:
    url = f"{live_server.url}/api/i18n"
    spanish = requests.get(url, params={"lang": "es-MX,en"}, timeout=10)
    assert spanish.status_code == 200
    body = spanish.json()
    assert (body["lang"], body["dir"]) == ("es", "ltr")
    assert body["messages"]["join.title"] == "Únete a tu clase"
    assert {m["tag"] for m in body["languages"]} == {"en", "es", "ar", "zh-Hans", "vi", "uk"}
    arabic = requests.get(url, params={"lang": "ar-EG"}, timeout=10).json()
    assert arabic["dir"] == "rtl" and {"stage.answered#two", "stage.answered#few"} <= set(
        arabic["messages"])
    assert requests.get(url, params={"lang": "zh-CN"}, timeout=10).json()["lang"] == "zh-Hans"
    assert requests.get(url, params={"lang": "tlh"}, timeout=10).json()["lang"] == "en"
    assert requests.get(url, timeout=10).json()["lang"] == "en"
    doc = requests.get(f"{live_server.url}/api/openapi.json", timeout=10).json()
    assert "/api/i18n" in doc["paths"]
    assert "lang" in doc["components"]["schemas"]["JoinClass"]["properties"]


def test_the_seat_keeps_the_students_language(live_server, clients) -> None:
    klass: ClassInfo = create_class(live_server.url)
    teacher = clients(live_server.url, {"token": klass.teacher_secret})
    teacher.wait_for("snapshot")
    join = f"{live_server.url}/api/join"
    refused = requests.post(join, json={"code": klass.join_code, "name": "Kim", "lang": "fr"},
                            timeout=10)
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "invalid"
    seat = requests.post(join, json={"code": klass.join_code, "name": "Lucía", "lang": "es"},
                         timeout=10).json()
    joined = teacher.wait_for("student.joined")["student"]
    assert joined["name"] == "Lucía" and joined["lang"] == "es"
    names = [s["name"] for s in teacher.call("snapshot.get", {})["snapshot"]["students"]]
    assert names == ["Lucía"]  # the refused join seated nobody

    student = clients(live_server.url, {"token": seat["seat_token"]})
    assert student.wait_for("snapshot")["you"]["lang"] == "es"
    assert student.call("seat.language", {"lang": "uk"}) == {"ok": True, "lang": "uk"}
    assert teacher.wait_for("student.updated")["student"]["lang"] == "uk"
    for bad in ({"lang": "xx"}, {"lang": "UK"}, {"lang": None}, {}, {"lang": "uk", "x": 1}):
        answer = student.call("seat.language", bad)
        assert answer["ok"] is False and answer["error"]["code"] == "invalid", bad
    assert student.call("snapshot.get", {})["snapshot"]["you"]["lang"] == "uk"
    assert teacher.call("seat.language", {"lang": "es"})["error"]["code"] == "forbidden"
    record = teacher.call("record.get", {"days": 14})["record"]
    assert [row["tag"] for row in record["coverage_by_language"]] == ["uk"]
    assert record["students"][0]["language"] == "uk"


def test_the_stage_follows_the_teachers_language(live_server, clients) -> None:
    klass = create_class(live_server.url)
    teacher = clients(live_server.url, {"token": klass.teacher_secret})
    cohost = clients(live_server.url, {"token": klass.cohost_secret})
    stage = clients(live_server.url, {"token": klass.teacher_secret, "view": "stage"})
    assert stage.wait_for("snapshot")["class"]["lang"] == "en"
    seat = klass.join("Ana")
    student = clients(live_server.url, {"token": seat["seat_token"]})
    student.wait_for("snapshot")
    assert teacher.call("class.language", {"lang": "ar"}) == {"ok": True, "lang": "ar"}
    assert stage.wait_for("class.updated")["class"]["lang"] == "ar"
    assert student.wait_for("class.updated")["class"]["lang"] == "ar"
    assert cohost.call("class.language", {"lang": "es"})["error"]["code"] == "forbidden"
    assert student.call("class.language", {"lang": "es"})["error"]["code"] == "forbidden"
    assert teacher.call("class.language", {"lang": "klingon"})["error"]["code"] == "invalid"
    assert teacher.call("snapshot.get", {})["snapshot"]["class"]["lang"] == "ar"
