"""Spoken answers, in process: stored with the card and its rules,
refused with a reason (and nothing stored) when not audio or too big, deleted with the card and
with the student, carried in the class export."""

from __future__ import annotations

import base64
import io
from typing import Any

import redis

from tests.conftest import card, ok, start_open_round
from tests.inprocess import InProcessApp, Klass
from tests.unit.test_audio import ogg, webm


def upload(klass: Klass, token: str, data: bytes, name: str = "answer.webm",
           kind: str = "audio/webm") -> Any:
    return klass.web.post(f"/api/classes/{klass.class_id}/audio", headers=klass.auth(token),
                          data={"audio": (io.BytesIO(data), name, kind)},
                          content_type="multipart/form-data")


def fetch(klass: Klass, token: str, audio_id: str) -> Any:
    return klass.web.get(f"/api/classes/{klass.class_id}/audio/{audio_id}",
                         headers=klass.auth(token))


def class_keys(r: redis.Redis, class_id: str) -> dict[str, Any]:
    """Every key of the class with its content, to show that a refusal changed nothing."""
    keys = sorted(r.scan_iter(f"rp:class:{class_id}:*"))
    return {k: r.dump(k) for k in keys}


def test_voice_answers_follow_the_card(rapport: InProcessApp) -> None:
    r = rapport.redis
    klass = rapport.create_class()
    teacher = rapport.connect({"token": klass.teacher_secret})
    ana_seat, ben_seat = klass.join("Ana"), klass.join("Ben")
    ana = rapport.connect({"token": ana_seat["seat_token"]})
    ben = rapport.connect({"token": ben_seat["seat_token"]})
    start_open_round(teacher)
    recording = webm(4)
    stored = upload(klass, ana_seat["seat_token"], recording)
    assert stored.status_code == 201, stored.get_data(as_text=True)
    audio_id = stored.get_json()["audio_id"]
    assert stored.get_json()["mime"] == "audio/webm"
    assert 3900 < stored.get_json()["duration_ms"] < 4100
    # Before it is attached only the uploader hears it; then the card's rules apply.
    assert fetch(klass, ben_seat["seat_token"], audio_id).status_code == 404
    assert fetch(klass, klass.teacher_secret, audio_id).status_code == 404
    assert fetch(klass, ana_seat["seat_token"], audio_id).data == recording
    # Spoken only (no words), just for the teacher.
    posted = ok(ana.call("card.submit", {**card("ana-voice-01", "", "teacher"),
                                         "audio_id": audio_id}))["card"]
    assert posted["audio_id"] == audio_id and posted["text"] == ""
    heard = fetch(klass, klass.teacher_secret, audio_id)
    assert heard.status_code == 200 and heard.data == recording
    assert heard.headers["Content-Type"] == "audio/webm"
    assert heard.headers["Cache-Control"] == "private, no-store"
    for token in (ben_seat["seat_token"], klass.cohost_secret):
        assert fetch(klass, token, audio_id).status_code == 404
    key = f"rp:class:{klass.class_id}:audio:{audio_id}"
    assert 0 < r.ttl(key) <= r.ttl(f"rp:class:{klass.class_id}")
    # A card needs words or a recording; a recording cannot be attached twice.
    empty = ben.call("card.submit", card("ben-voice-01", "  ", "class"))
    assert empty["ok"] is False and "empty" in empty["error"]["message"]
    stolen = ben.call("card.submit", {**card("ben-voice-02", "hi"), "audio_id": audio_id})
    assert stolen["ok"] is False and "not found" in stolen["error"]["message"]
    removing = ana.call("card.edit", {"card_id": posted["id"], "audio_id": None})
    assert removing["ok"] is False and "empty" in removing["error"]["message"]

    # Refusals: not audio, audio of another kind, too big. Clear words; nothing stored.
    before = class_keys(r, klass.class_id)
    for data, words in ((b"hello, I am not a recording" * 10, "not a voice recording"),
                        (webm(3)[:-9], "damaged"),
                        (b"\x1a\x45\xdf\xa3" + b"\x00" * (2 * 1024 * 1024), "at most 1.5 MB"),
                        (webm(75), "at most 60 seconds")):
        refused = upload(klass, ben_seat["seat_token"], data)
        assert refused.status_code == 400, refused.get_data(as_text=True)
        assert words in refused.get_json()["error"]["message"]
    assert class_keys(r, klass.class_id) == before

    # Shared with the class: every student may hear it, until the teacher hides the card.
    ben_audio = upload(klass, ben_seat["seat_token"], ogg(2), "a.ogg", "audio/ogg").get_json()
    ben_card = ok(ben.call("card.submit", {**card("ben-voice-03", "My dog barks"),
                                           "audio_id": ben_audio["audio_id"]}))["card"]
    assert fetch(klass, ana_seat["seat_token"], ben_audio["audio_id"]).status_code == 200
    ok(teacher.call("card.hide", {"card_id": ben_card["id"], "hidden": True}))
    assert fetch(klass, ana_seat["seat_token"], ben_audio["audio_id"]).status_code == 404
    assert fetch(klass, klass.teacher_secret, ben_audio["audio_id"]).status_code == 200

    # The class export carries the recording itself.
    exported = klass.web.get(f"/api/classes/{klass.class_id}/export",
                            headers={"Authorization": f"Bearer {klass.teacher_secret}"}).get_json()
    cards = {c["id"]: c for c in exported["rounds"][0]["cards"]}
    kept = cards[posted["id"]]["audio"]
    assert kept["id"] == audio_id and kept["mime"] == "audio/webm"
    assert base64.b64decode(kept["base64"]) == recording
    csv_text = klass.web.get(f"/api/classes/{klass.class_id}/export",
                             query_string={"format": "csv"},
                             headers=klass.auth(klass.teacher_secret)).get_data(as_text=True)
    assert ",4 s," in csv_text

    # Replacing the recording deletes the old one; withdrawing the card deletes its recording.
    second = upload(klass, ana_seat["seat_token"], webm(2)).get_json()["audio_id"]
    ok(ana.call("card.edit", {"card_id": posted["id"], "audio_id": second}))
    assert not r.exists(key)
    ok(ana.call("card.withdraw", {"card_id": posted["id"]}))
    assert not r.exists(f"rp:class:{klass.class_id}:audio:{second}")
    # Deleting the student deletes their recordings too (attached or not).
    loose = upload(klass, ben_seat["seat_token"], webm(1)).get_json()["audio_id"]
    gone = klass.web.delete(
        f"/api/classes/{klass.class_id}/students/{ben_seat['student_id']}",
        headers={"Authorization": f"Bearer {klass.teacher_secret}"})
    assert gone.status_code == 204
    assert not list(r.scan_iter(f"rp:class:{klass.class_id}:audio:*"))
    assert not r.exists(f"rp:class:{klass.class_id}:audio:{loose}")


def test_the_hosts_own_answer_by_voice(rapport: InProcessApp) -> None:
    klass = rapport.create_class()
    teacher = rapport.connect({"token": klass.teacher_secret})
    ana_seat = klass.join("Ana")
    ana = rapport.connect({"token": ana_seat["seat_token"]})
    listing = ok(teacher.call("prompt.list", {}))
    ok(teacher.call("round.start", {"prompt_id": listing["suggestion"]["id"]}))
    recording = ogg(5)
    stored = upload(klass, klass.teacher_secret, recording, "me.ogg", "audio/ogg")
    assert stored.status_code == 201, stored.get_data(as_text=True)
    audio_id = stored.get_json()["audio_id"]
    # Not yet shared: the teacher hears it, nobody else; a student cannot take it as theirs.
    assert fetch(klass, ana_seat["seat_token"], audio_id).status_code == 404
    assert fetch(klass, klass.cohost_secret, audio_id).status_code == 404
    assert fetch(klass, klass.teacher_secret, audio_id).data == recording
    shared = ok(teacher.call("round.host_card", {"text": "", "audio_id": audio_id}))["round"]
    assert shared["host_card"]["audio_id"] == audio_id and shared["host_card"]["text"] == ""
    ok(teacher.call("round.open", {"timer_seconds": None}))
    seen = ana.first("round.updated", lambda d: d["round"]["status"] == "open")
    assert seen["round"]["host_card"]["audio_id"] == audio_id
    # Shared with the whole class, like the written answer.
    for token in (ana_seat["seat_token"], klass.cohost_secret):
        assert fetch(klass, token, audio_id).data == recording
    taken = ana.call("card.submit", {**card("ana-host-01", "hi"), "audio_id": audio_id})
    assert taken["ok"] is False
    again = teacher.call("round.host_card", {"text": "", "audio_id": audio_id})
    assert again["ok"] is False and "not found" in again["error"]["message"]
    empty = teacher.call("round.host_card", {"text": "  "})
    assert empty["ok"] is False and "empty" in empty["error"]["message"]
    about = ana.call("snapshot.get", {})["snapshot"]["about_teacher"]
    assert about[0]["audio_id"] == audio_id
    exported = klass.web.get(f"/api/classes/{klass.class_id}/export",
                            headers={"Authorization": f"Bearer {klass.teacher_secret}"}).get_json()
    assert base64.b64decode(exported["about_teacher"][0]["audio"]["base64"]) == recording
