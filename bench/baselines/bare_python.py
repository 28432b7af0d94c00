"""Baseline: a bare python-socketio server doing Rapport's icebreaker fan-out, nothing else.

Same async mode as Rapport (gevent, gevent-websocket handler), same events and payload shapes
and sizes, same rooms and fan-out (card.added to the class's students + the teacher, or to the
teacher + author for "just my teacher" cards; `answered` to the teacher; `spotlight` and
`round.updated` to everyone; reaction counts coalesced per card every 0.5 s), but no
application logic: no validation, no Redis, no message queue, state in dicts.

    python bench/baselines/bare_python.py --port 5100
"""

from __future__ import annotations

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import json  # noqa: E402
import secrets  # noqa: E402
import time  # noqa: E402
from typing import Any  # noqa: E402

import gevent  # noqa: E402
import socketio  # noqa: E402
from gevent import pywsgi  # noqa: E402
from geventwebsocket.handler import WebSocketHandler  # noqa: E402

sio = socketio.Server(async_mode="gevent", cors_allowed_origins="*", logger=False,
                      engineio_logger=False, http_compression=False,
                      max_http_buffer_size=64 * 1024)
CLASSES: dict[str, dict[str, Any]] = {}  # class id -> {name, code, students{id: name}, round}
CODES: dict[str, str] = {}
TOKENS: dict[str, tuple[str, str, str | None]] = {}  # token -> (class id, role, student id)
SESSIONS: dict[str, tuple[str, str, str | None]] = {}
DIRTY: set[tuple[str, str]] = set()
PROMPTS = [{"id": f"p{i}", "text": "Show us something on your shelf and tell its story.",
            "category": "personal", "depth": 1, "grade_bands": ["9-12"]} for i in range(40)]


def now_ms() -> int:
    return int(time.time() * 1000)


# ---- HTTP: create and join --------------------------------------------------------------------

def http_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    path, method = environ["PATH_INFO"], environ["REQUEST_METHOD"]
    body: Any = {}
    if method == "POST":
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = json.loads(environ["wsgi.input"].read(length) or b"{}")
    status, answer = "404 Not Found", {"error": "not_found"}
    if path == "/healthz":
        status, answer = "200 OK", {"status": "ok"}
    elif path == "/api/classes" and method == "POST":
        class_id, code = secrets.token_hex(6), secrets.token_hex(3).upper()
        teacher = secrets.token_urlsafe(24)
        CLASSES[class_id] = {"name": body["name"], "code": code, "students": {},
                             "round": None, "cards": {}, "counts": {}}
        CODES[code] = class_id
        TOKENS[teacher] = (class_id, "teacher", None)
        status, answer = "201 Created", {
            "class_id": class_id, "name": body["name"], "grade_band": body["grade_band"],
            "join_code": code, "join_url": f"/j/{code}", "teacher_secret": teacher,
            "teacher_url": f"/teacher#key={teacher}", "cohost_secret": teacher,
            "cohost_url": f"/teacher#key={teacher}"}
    elif path == "/api/join" and method == "POST":
        class_id = CODES[body["code"]]
        student_id, seat = secrets.token_hex(6), secrets.token_urlsafe(24)
        CLASSES[class_id]["students"][student_id] = body["name"]
        TOKENS[seat] = (class_id, "student", student_id)
        status, answer = "200 OK", {"class_id": class_id, "student_id": student_id,
                                    "name": body["name"], "seat_token": seat}
    raw = json.dumps(answer).encode()
    start_response(status, [("Content-Type", "application/json"),
                            ("Content-Length", str(len(raw)))])
    return [raw]


# ---- Socket.IO ----------------------------------------------------------------------------------

@sio.event
def connect(sid: str, environ: dict[str, Any], auth: Any = None) -> None:
    who = TOKENS.get((auth or {}).get("token", ""))
    if who is None:
        raise ConnectionRefusedError("not_authorised")
    class_id, role, student_id = who
    SESSIONS[sid] = who
    klass = CLASSES[class_id]
    sio.enter_room(sid, f"c:{class_id}")
    if role == "teacher":
        sio.enter_room(sid, f"c:{class_id}:teacher")
    else:
        sio.enter_room(sid, f"c:{class_id}:students")
        sio.enter_room(sid, f"c:{class_id}:s:{student_id}")
        sio.emit("presence", {"student_id": student_id, "online": True},
                 to=f"c:{class_id}:teacher")
    snap = {"role": role, "you": {"role": role},
            "class": {"id": class_id, "name": klass["name"], "grade_band": "9-12",
                      "locked": False, "approval_required": False},
            "round": klass["round"], "cards": [], "spotlight": None, "replies": [],
            "about_teacher": [], "my_cards": []}
    if role == "teacher":
        snap["students"] = [{"id": i, "name": n, "online": True, "roster_id": None, "tags": []}
                            for i, n in klass["students"].items()]
    sio.emit("snapshot", snap, to=sid)


@sio.event
def disconnect(sid: str, *_: Any) -> None:
    SESSIONS.pop(sid, None)


def _round_changed(class_id: str, **changes: Any) -> dict[str, Any]:
    klass = CLASSES[class_id]
    klass["round"].update(changes, server_time=now_ms())
    sio.emit("round.updated", {"round": klass["round"]}, to=f"c:{class_id}")
    return {"ok": True, "round": klass["round"]}


@sio.on("prompt.list")
def prompt_list(sid: str, _data: Any = None) -> dict[str, Any]:
    return {"ok": True, "prompts": PROMPTS, "custom": [], "suggestion": PROMPTS[0], "used": [],
            "categories": {}}


@sio.on("round.start")
def round_start(sid: str, data: Any) -> dict[str, Any]:
    class_id = SESSIONS[sid][0]
    klass = CLASSES[class_id]
    prompt = next(p for p in PROMPTS if p["id"] == data["prompt_id"])
    klass["round"] = {"id": secrets.token_hex(6), "status": "draft", "prompt": prompt,
                      "host_card": None, "opened_at": None, "deadline": None,
                      "closed_at": None}
    klass["cards"], klass["counts"] = {}, {}
    ack = _round_changed(class_id)
    sio.emit("spotlight", {"card": None}, to=f"c:{class_id}")
    return ack


@sio.on("round.host_card")
def host_card(sid: str, data: Any) -> dict[str, Any]:
    return _round_changed(SESSIONS[sid][0], host_card={
        "text": data["text"], "author_role": "teacher", "skipped": False,
        "posted_at": now_ms()})


@sio.on("round.open")
def round_open(sid: str, _data: Any) -> dict[str, Any]:
    return _round_changed(SESSIONS[sid][0], status="open", opened_at=now_ms())


@sio.on("round.close")
def round_close(sid: str, _data: Any) -> dict[str, Any]:
    return _round_changed(SESSIONS[sid][0], status="closed", closed_at=now_ms())


@sio.on("card.submit")
def card_submit(sid: str, data: Any) -> dict[str, Any]:
    class_id, _, student_id = SESSIONS[sid]
    klass = CLASSES[class_id]
    now = now_ms()
    card = {"id": secrets.token_hex(6), "round_id": klass["round"]["id"],
            "student_id": student_id, "author": klass["students"][student_id],
            "text": data["text"], "visibility": data["visibility"],
            "spotlight_ok": data["spotlight_ok"], "photo_id": None, "status": "visible",
            "created_at": now, "updated_at": now, "reactions": {}}
    klass["cards"][card["id"]] = card
    if card["visibility"] == "class":
        sio.emit("card.added", {"card": card}, to=f"c:{class_id}:students")
    else:
        sio.emit("card.added", {"card": card}, to=f"c:{class_id}:s:{student_id}")
    sio.emit("card.added", {"card": {**card, "flagged": False, "starred": False}},
             to=f"c:{class_id}:teacher")
    answered = sorted(c["student_id"] for c in klass["cards"].values())
    sio.emit("answered", {"answered": answered, "count": len(answered),
                          "student_count": len(klass["students"])}, to=f"c:{class_id}:teacher")
    return {"ok": True, "card": card, "duplicate": False}


@sio.on("spotlight.set")
def spotlight_set(sid: str, data: Any) -> dict[str, Any]:
    class_id = SESSIONS[sid][0]
    card = CLASSES[class_id]["cards"][data["card_id"]]
    sio.emit("spotlight", {"card": card}, to=f"c:{class_id}")
    return {"ok": True, "card": card}


@sio.on("react")
def react(sid: str, data: Any) -> dict[str, Any]:
    class_id = SESSIONS[sid][0]
    counts = CLASSES[class_id]["counts"].setdefault(data["card_id"], {})
    counts[data["reaction"]] = counts.get(data["reaction"], 0) + 1
    DIRTY.add((class_id, data["card_id"]))
    return {"ok": True}


def flush_reactions() -> None:
    global DIRTY
    while True:
        gevent.sleep(0.5)
        dirty, DIRTY = DIRTY, set()
        for class_id, card_id in dirty:
            sio.emit("reactions", {"card_id": card_id,
                                   "counts": dict(CLASSES[class_id]["counts"][card_id])},
                     to=f"c:{class_id}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=5100)
    args = parser.parse_args()
    gevent.spawn(flush_reactions)
    app = socketio.WSGIApp(sio, http_app)
    pywsgi.WSGIServer(("127.0.0.1", args.port), app, handler_class=WebSocketHandler,
                      log=None).serve_forever()


if __name__ == "__main__":
    main()
