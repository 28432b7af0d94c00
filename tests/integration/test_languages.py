"""Each student's language (issue 14), in process: the interface catalog
over HTTP, the language kept in the seat (at join and with seat.language), validated against
the shipped list, seen by the teacher; the class language the stage follows."""

from __future__ import annotations

from tests.inprocess import InProcessApp


def test_interface_catalog_over_http(rapport: InProcessApp) -> None:
    url = "/api/i18n"
    spanish = rapport.web.get(url, query_string={"lang": "es-MX,en"})
    assert spanish.status_code == 200
    body = spanish.get_json()
    assert (body["lang"], body["dir"]) == ("es", "ltr")
    assert body["messages"]["join.title"] == "Únete a tu clase"
    assert {m["tag"] for m in body["languages"]} == {"en", "es", "ar", "zh-Hans", "vi", "uk"}
    arabic = rapport.web.get(url, query_string={"lang": "ar-EG"}).get_json()
    assert arabic["dir"] == "rtl" and {"stage.answered#two", "stage.answered#few"} <= set(
        arabic["messages"])
    assert rapport.web.get(url, query_string={"lang": "zh-CN"}).get_json()["lang"] == "zh-Hans"
    assert rapport.web.get(url, query_string={"lang": "tlh"}).get_json()["lang"] == "en"
    assert rapport.web.get(url).get_json()["lang"] == "en"
    doc = rapport.web.get("/api/openapi.json").get_json()
    assert "/api/i18n" in doc["paths"]
    assert "lang" in doc["components"]["schemas"]["JoinClass"]["properties"]


def test_the_seat_keeps_the_students_language(rapport: InProcessApp) -> None:
    klass = rapport.create_class()
    teacher = rapport.connect({"token": klass.teacher_secret})
    teacher.first("snapshot")
    join = "/api/join"
    refused = rapport.web.post(join, json={"code": klass.join_code, "name": "Kim", "lang": "fr"})
    assert refused.status_code == 400 and refused.get_json()["error"]["code"] == "invalid"
    seat = rapport.web.post(join, json={"code": klass.join_code, "name": "Lucía",
                                        "lang": "es"}).get_json()
    joined = teacher.first("student.joined")["student"]
    assert joined["name"] == "Lucía" and joined["lang"] == "es"
    names = [s["name"] for s in teacher.call("snapshot.get", {})["snapshot"]["students"]]
    assert names == ["Lucía"]  # the refused join seated nobody

    student = rapport.connect({"token": seat["seat_token"]})
    assert student.first("snapshot")["you"]["lang"] == "es"
    assert student.call("seat.language", {"lang": "uk"}) == {"ok": True, "lang": "uk"}
    assert teacher.first("student.updated")["student"]["lang"] == "uk"
    for bad in ({"lang": "xx"}, {"lang": "UK"}, {"lang": None}, {}, {"lang": "uk", "x": 1}):
        answer = student.call("seat.language", bad)
        assert answer["ok"] is False and answer["error"]["code"] == "invalid", bad
    assert student.call("snapshot.get", {})["snapshot"]["you"]["lang"] == "uk"
    assert teacher.call("seat.language", {"lang": "es"})["error"]["code"] == "forbidden"
    record = teacher.call("record.get", {"days": 14})["record"]
    assert [row["tag"] for row in record["coverage_by_language"]] == ["uk"]
    assert record["students"][0]["language"] == "uk"


def test_the_stage_follows_the_teachers_language(rapport: InProcessApp) -> None:
    klass = rapport.create_class()
    teacher = rapport.connect({"token": klass.teacher_secret})
    cohost = rapport.connect({"token": klass.cohost_secret})
    stage = rapport.connect({"token": klass.teacher_secret, "view": "stage"})
    assert stage.first("snapshot")["class"]["lang"] == "en"
    seat = klass.join("Ana")
    student = rapport.connect({"token": seat["seat_token"]})
    student.first("snapshot")
    assert teacher.call("class.language", {"lang": "ar"}) == {"ok": True, "lang": "ar"}
    assert stage.first("class.updated")["class"]["lang"] == "ar"
    assert student.first("class.updated")["class"]["lang"] == "ar"
    assert cohost.call("class.language", {"lang": "es"})["error"]["code"] == "forbidden"
    assert student.call("class.language", {"lang": "es"})["error"]["code"] == "forbidden"
    assert teacher.call("class.language", {"lang": "klingon"})["error"]["code"] == "invalid"
    assert teacher.call("snapshot.get", {})["snapshot"]["class"]["lang"] == "ar"
