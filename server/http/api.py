"""The HTTP API: thin handlers that validate, call the domain and answer JSON.

Size: one thin handler per HTTP route (22 routes, most under 15 lines) in one blueprint, each
under its one declaration (`endpoint`: summary, request schema, answer type, query parameters,
auth, error statuses) that registers the route and from which the OpenAPI document is generated
(server/http/openapi.py): the file reads as the route table and as the API's reference.
"""

from __future__ import annotations

import io
import json
import logging
import urllib.request
from typing import Any

import segno
from flask import Blueprint, Response, jsonify, render_template, request

from server.context import Services, services
from server.domain import (
    classes,
    export,
    followup,
    json_input,
    prompt_translations,
    rotation_export,
    rotations,
    rounds,
    spreadsheet,
    video,
)
from server.domain.audio import MAX_AUDIO_BYTES
from server.domain.classes import Identity
from server.domain.errors import (
    DomainError,
    Forbidden,
    InvalidInput,
    NotFound,
    PayloadTooLarge,
)
from server.domain.limits import LIMITS
from server.domain.photos import MAX_UPLOAD_BYTES
from server.domain.reach import join_link_warning
from server.extensions import socketio
from server.http import answers
from server.http.openapi import BINARY, TEXT, Query, endpoint, openapi_document
from server.realtime import broadcast
from server.realtime.offload import run_blocking
from server.schemas import CreateClass, JoinClass, RejoinSeat, parse
from server.store import StoreUnavailable

bp = Blueprint("api", __name__)
log = logging.getLogger(__name__)
MAX_ROSTER_BYTES = 256 * 1024
MAX_JSON_BODY = 64 * 1024  # the largest JSON body of the API is well under 1 KiB
BBB_TIMEOUT_SECONDS = 5
MAX_BBB_ANSWER = 64 * 1024
TZ = Query("tz", {"type": "string", "maxLength": 64},
           "IANA time zone for times in the file (e.g. Europe/Paris); default UTC")
CSV_NOTE = ("CSV files are UTF-8 with a byte-order mark and CRLF line ends; a cell starting "
            "with = + - @ tab or CR gets a leading apostrophe; times are ISO 8601 with offset.")


@bp.errorhandler(DomainError)
def domain_error(exc: DomainError) -> tuple[Response, int]:
    return jsonify(error=exc.to_dict()), exc.http_status


@bp.errorhandler(StoreUnavailable)
def store_error(_exc: StoreUnavailable) -> tuple[Response, int]:
    return jsonify(error={"code": "unavailable",
                          "message": "The server cannot reach its store. Try again shortly."}), 503


def _client_ip() -> str:
    return request.remote_addr or "unknown"


def _json_body() -> Any:
    if not request.is_json:
        raise InvalidInput("Send a JSON object with Content-Type: application/json.")
    if (request.content_length or 0) > MAX_JSON_BODY:
        raise PayloadTooLarge(f"A JSON body can be at most {MAX_JSON_BODY // 1024} KiB.")
    # Depth and size are checked before parsing: deep nesting must not reach the parser.
    return json_input.loads(request.get_data(cache=True))


def _bearer() -> Identity:
    header = request.headers.get("Authorization", "")
    token = header[7:] if header.startswith("Bearer ") else None
    identity = classes.authenticate(services().store, token)
    if identity is None:
        raise Forbidden("This link is not valid any more. Ask the teacher for a new one.")
    return identity


def _for_class(class_id: str) -> Identity:
    identity = _bearer()
    if identity.class_id != class_id:
        raise Forbidden("That is not your class.")
    return identity


@endpoint(bp, "GET", "/healthz", "Liveness, store mode and a Redis ping",
          returns=answers.Health, same_body={503: "store down"})
def healthz() -> tuple[Response, int]:
    svc = services()
    ok = svc.store.ping()
    body: answers.Health = {
        "status": "ok" if ok else "unavailable",
        "store": svc.handle.mode,
        "redis": "ok" if ok else "down",
        "durable": svc.handle.durable,
        "async_mode": svc.config.async_mode,
    }
    if svc.handle.warning:
        body["warning"] = svc.handle.warning
    return jsonify(body), 200 if ok else 503


@endpoint(bp, "POST", "/api/classes", "Create a class", body=CreateClass, status=201,
          answer="created", returns=answers.ClassCreated, errors=(400, 413, 429, 503))
def create_class() -> tuple[Response, int]:
    svc = services()
    svc.limits.hit("create-class", _client_ip())
    body = parse(CreateClass, _json_body())
    made = classes.create_class(svc.store, body.name, body.grade_band,
                                body.retention_days or svc.config.retention_days)
    join_url = svc.join_url(made.join_code, request.host_url)
    created: answers.ClassCreated = {
        "class_id": made.class_id, "name": made.record["name"],
        "grade_band": made.record["grade_band"], "join_code": made.join_code,
        "join_url": join_url, "teacher_secret": made.teacher_secret,
        "teacher_url": svc.page_url("teacher", made.teacher_secret, request.host_url),
        "cohost_secret": made.cohost_secret,
        "cohost_url": svc.page_url("teacher", made.cohost_secret, request.host_url)}
    warning = _join_warning(join_url)
    if warning:
        created["join_warning"] = warning
    return jsonify(created), 201


def _join_warning(join_url: str) -> str | None:
    config = services().config
    return join_link_warning(join_url, config.bind_host, config.network_urls)


@endpoint(bp, "POST", "/api/join", "Join a class with its code and a display name",
          body=JoinClass, answer="seated", returns=answers.Seated,
          errors=(400, 403, 404, 409, 413, 429, 503))
def join() -> tuple[Response, int]:
    svc = services()
    ip = _client_ip()
    svc.limits.check("join-guess", ip)
    svc.limits.hit("join", ip)
    body = parse(JoinClass, _json_body())
    try:
        student, seat_token = classes.join_class(svc.store, body.code, body.name, body.lang)
    except NotFound:
        svc.limits.hit("join-guess", ip)  # wrong codes spend the guessing budget
        raise
    class_id = svc.store.class_id_for_code(classes.normalise_code(body.code))
    assert class_id is not None
    broadcast.student_joined(class_id, student)
    return _seated(class_id, student["id"], student["name"], seat_token)


def _seated(class_id: str, student_id: str, name: str, seat_token: str) -> tuple[Response, int]:
    seated: answers.Seated = {"class_id": class_id, "student_id": student_id, "name": name,
                              "seat_token": seat_token}
    return jsonify(seated), 200


@endpoint(bp, "POST", "/api/rejoin",
          "Take one's own seat to this device with a one-time rejoin code (from the socket "
          "event seat.rejoin_code); the old seat token stops working",
          body=RejoinSeat, answer="seated", returns=answers.Seated,
          errors=(400, 404, 413, 429, 503))
def rejoin() -> tuple[Response, int]:
    """Take one's own seat to this device with a one-time rejoin code."""
    svc = services()
    ip = _client_ip()
    svc.limits.check("join-guess", ip)
    svc.limits.hit("join", ip)
    body = parse(RejoinSeat, _json_body())
    try:
        class_id, student, seat_token, old_hash = classes.rejoin_class(
            svc.store, body.code, body.rejoin_code)
    except NotFound:
        svc.limits.hit("join-guess", ip)  # wrong codes spend the guessing budget
        raise
    broadcast.seat_moved(class_id, old_hash)
    return _seated(class_id, student["id"], student["name"], seat_token)


@endpoint(bp, "GET", "/api/qr.svg", "QR code (SVG) of the join link for a code",
          answer="SVG", media={"image/svg+xml": TEXT}, errors=(400,),
          query=(Query("code", {"type": "string", "maxLength": 16}, required=True),))
def qr_code() -> Response:
    code = classes.normalise_code(request.args.get("code", ""))
    if not code or len(code) > 16 or any(c not in classes.JOIN_CODE_ALPHABET for c in code):
        raise InvalidInput("code must be a class code.")
    url = services().join_url(code, request.host_url)
    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="svg", scale=10, border=2, dark="#111",
                                    light="#fff", xmldecl=False, svgns=True)
    response = Response(out.getvalue(), mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


@endpoint(bp, "GET", "/api/prompts/<prompt_id>",
          "A library prompt and its starter in a language, with the English original",
          answer="the prompt", returns=answers.LocalizedPrompt, errors=(400, 404),
          query=(Query("lang", {"type": "string", "maxLength": 35},
                       "BCP 47 tag (es, ar, zh-Hans, zh-CN, vi, uk, es-MX ...)"),))
def prompt_in_language(prompt_id: str) -> Response:
    """A library prompt and its starter in a language, with the English original. Public:
    the library is public data (prompts/ in the repository), nothing about a class."""
    svc = services()
    lang = request.args.get("lang", "")
    if len(lang) > prompt_translations.MAX_TAG_LENGTH:
        raise InvalidInput("lang must be a language tag such as es or zh-Hans.")
    response = jsonify(prompt_translations.localized_prompt(
        svc.library, svc.translations, prompt_id, lang or None))
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@endpoint(bp, "GET", "/api/i18n", "The interface's messages in the best shipped language",
          answer="the catalog", returns=answers.InterfaceBundle,
          query=(Query("lang", {"type": "string", "maxLength": 200},
                       "BCP 47 tags, best first, comma-separated (navigator.languages): "
                       "es-MX,en"),))
def interface_language() -> Response:
    """The interface's messages in the best shipped language for ``lang`` (BCP 47 tags, best
    first, comma-separated, as navigator.languages), every key filled in. Public."""
    wanted = request.args.get("lang", "")[:200].split(",")[:10]
    catalogs = services().ui
    response = jsonify(catalogs.bundle(catalogs.resolve(wanted)))
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@endpoint(bp, "POST", "/api/classes/<class_id>/roster",
          "Replace the roster from a CSV (name,email,tags)", auth=True, raw="text/csv",
          answer="imported", returns=answers.RosterImported, errors=(400, 403, 503))
def import_roster(class_id: str) -> tuple[Response, int]:
    svc = services()
    identity = _for_class(class_id)
    raw = request.get_data(cache=False)
    if len(raw) > MAX_ROSTER_BYTES:
        raise InvalidInput("A roster file can be at most 256 KiB.")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput("The roster must be a UTF-8 CSV file.") from None
    imported = classes.import_roster(svc.store, identity, text)
    broadcast.roster_changed(class_id)
    done: answers.RosterImported = {"imported": imported}
    return jsonify(done), 200


@endpoint(bp, "POST", "/api/classes/<class_id>/secrets/<role>",
          "Rotate the teacher or co-host secret", auth=True, answer="new secret",
          returns=answers.SecretRotated, errors=(400, 403, 503))
def rotate_secret(class_id: str, role: str) -> tuple[Response, int]:
    svc = services()
    identity = _for_class(class_id)
    secret, old_hash = classes.rotate_secret(svc.store, identity, role)
    broadcast.credential_revoked(class_id, old_hash)
    rotated: answers.SecretRotated = {
        "secret": secret, "url": svc.page_url("teacher", secret, request.host_url)}
    return jsonify(rotated), 200


@endpoint(bp, "DELETE", "/api/classes/<class_id>/secrets/cohost", "Revoke the co-host link",
          auth=True, status=204, answer="revoked", errors=(403, 503))
def revoke_cohost(class_id: str) -> tuple[str, int]:
    svc = services()
    old_hash = classes.revoke_cohost(svc.store, _for_class(class_id))
    broadcast.credential_revoked(class_id, old_hash)
    return "", 204


@endpoint(bp, "DELETE", "/api/classes/<class_id>", "Delete the class and everything in it",
          auth=True, status=204, answer="deleted", errors=(403, 503))
def delete_class(class_id: str) -> tuple[str, int]:
    svc = services()
    identity = _for_class(class_id)
    classes.delete_class(svc.store, identity)
    broadcast.class_deleted(class_id)
    _rewrite_append_only_file(svc)
    return "", 204


def _read_upload(identity: Identity, field: str, what: str, *, limit: str,
                 max_bytes: int) -> bytes:
    """Rate-limit an upload per address and per student, then read one byte past its limit
    (so the domain can refuse an oversized file with a clear message)."""
    limits = services().limits
    limits.hit(f"{limit}-ip", _client_ip())
    if identity.student_id:
        limits.hit(limit, identity.student_id)
    upload = request.files.get(field)
    if upload is None:
        raise InvalidInput(f"Send the {what} as multipart/form-data in a field named '{field}'.")
    return upload.stream.read(max_bytes + 1)


@endpoint(bp, "POST", "/api/classes/<class_id>/photos",
          "Upload a photo for a card (student); stored re-encoded as JPEG", auth=True,
          upload="photo", status=201, answer="stored", returns=answers.PhotoStored,
          errors=(400, 403, 404, 409, 413, 429, 503))
def upload_photo(class_id: str) -> tuple[Response, int]:
    identity = _for_class(class_id)
    data = _read_upload(identity, "photo", "photo", limit="upload", max_bytes=MAX_UPLOAD_BYTES)
    photo_id = rounds.store_photo(services().store, identity, data, run=run_blocking)
    stored: answers.PhotoStored = {"photo_id": photo_id}
    return jsonify(stored), 201


@endpoint(bp, "GET", "/api/classes/<class_id>/photos/<photo_id>",
          "A card's photo, for whoever may see the card", auth=True, answer="the photo",
          media={"image/jpeg": BINARY}, errors=(403, 404, 503))
def photo(class_id: str, photo_id: str) -> Response:
    identity = _for_class(class_id)
    jpeg = rounds.photo_for(services().store, identity, photo_id)
    response = Response(jpeg, mimetype="image/jpeg")
    response.headers["Cache-Control"] = "private, no-store"
    return response


@endpoint(bp, "POST", "/api/classes/<class_id>/audio",
          "Upload a spoken answer for a card (student); kept as sent",
          description="WebM/Opus, Ogg/Opus or MP4/AAC, recognised from the bytes; at most "
                      "1.5 MB and 60 seconds (65 s of slack); anything else is refused with "
                      "a reason and nothing is stored.",
          auth=True, upload="audio", status=201, answer="stored",
          returns=answers.AudioStored, errors=(400, 403, 404, 409, 413, 429, 503))
def upload_audio(class_id: str) -> tuple[Response, int]:
    identity = _for_class(class_id)
    data = _read_upload(identity, "audio", "recording", limit="voice", max_bytes=MAX_AUDIO_BYTES)
    return jsonify(rounds.store_audio(services().store, identity, data, run=run_blocking)), 201


@endpoint(bp, "GET", "/api/classes/<class_id>/audio/<audio_id>",
          "A card's spoken answer, for whoever may see the card", auth=True,
          answer="the recording, in its own container",
          media={m: BINARY for m in ("audio/webm", "audio/ogg", "audio/mp4")},
          errors=(403, 404, 503))
def audio(class_id: str, audio_id: str) -> Response:
    identity = _for_class(class_id)
    data, meta = rounds.attachment_for(services().store, identity, "audio", audio_id)
    response = Response(data, mimetype=meta["mime"])
    response.headers["Cache-Control"] = "private, no-store"
    return response


@endpoint(bp, "GET", "/api/classes/<class_id>/rounds/<round_id>/export",
          "A round with every card and reply (teacher)", description=CSV_NOTE, auth=True,
          answer="the round (JSON or CSV)", returns=answers.RoundExport,
          media={"text/csv": TEXT},
          query=(Query("format", {"enum": ["json", "csv"]}), TZ), errors=(400, 403, 404, 503))
def export_round(class_id: str, round_id: str) -> Response:
    identity = _for_class(class_id)
    export = rounds.export_round(services().store, identity, round_id)
    if request.args.get("format", "json") == "csv":
        where = spreadsheet.zone(request.args.get("tz"))
        body = run_blocking(lambda: spreadsheet.csv_text(
            rounds.EXPORT_COLUMNS, ([row[c] for c in rounds.EXPORT_COLUMNS]
                                    for row in rounds.export_round_rows(export, where))))
        return _download(body, "text/csv", f"round-{round_id}.csv")
    return _json_download(export, f"round-{round_id}.json")


@endpoint(bp, "GET", "/api/classes/<class_id>/rotations/<int:number>/export",
          "One rotation (1-based) as Zoom pre-assign CSV, CSV or a printable page",
          description="zoom: the students who have an e-mail in the roster (refused when "
                      "none has); zoom-by-hand: who must be assigned by hand in Zoom and to "
                      "which room; html: printable list with class name, date and the "
                      "rotation's times (in `tz`). zoom and zoom-by-hand are the teacher's "
                      "only (403 for a co-host: they hold e-mail addresses). " + CSV_NOTE,
          auth=True, answer="the rotation", returns=answers.ZoomByHand,
          media={"text/csv": TEXT, "text/html": TEXT},
          query=(Query("format", {"enum": ["zoom", "zoom-by-hand", "csv", "html"]}), TZ),
          errors=(400, 403, 404, 503))
def export_rotation(class_id: str, number: int) -> Response:
    """One rotation as a Zoom pre-assign CSV, a plain CSV or a printable page."""
    svc = services()
    identity = _for_class(class_id)
    classes.require_staff(identity)
    record = rotations.require_rotation(svc.store, class_id)
    names = {s["id"]: s["name"] for s in svc.store.list_students(class_id)}
    rows = rotation_export.export_rows(record, number, names)
    fmt = request.args.get("format", "csv")
    if fmt in ("zoom", "zoom-by-hand"):
        assigned, by_hand = rotation_export.zoom_assignments(svc.store, identity, rows, names)
        if fmt == "zoom-by-hand":
            answer: answers.ZoomByHand = {"by_hand": [{"student": h["student"],
                                                       "room": h["room"]} for h in by_hand],
                                          "with_email": len(assigned)}
            return jsonify(answer)
        body = spreadsheet.csv_text(("Pre-assign Room Name", "Email Address"),
                                    rotation_export.zoom_csv_rows(assigned))
        return _download(body, "text/csv", f"rotation-{number}-zoom.csv")
    rows = rows + rotation_export.sitting_out_rows(record, number)  # not for Zoom: main room
    if fmt == "html":
        where = spreadsheet.zone(request.args.get("tz"))
        class_record = classes.require_class(svc.store, class_id)
        page = render_template("rotation_print.html", number=number,
                               total=len(record["rotations"]), class_name=class_record["name"],
                               when=rotation_export.rotation_times(record, number, where),
                               today=spreadsheet.long_date(where),
                               rooms=_group_rooms(rows, names))
        return Response(page, mimetype="text/html")
    body = spreadsheet.csv_text(("rotation", "room", "student"),
                                [(str(number), room, names[sid]) for room, sid in rows])
    return _download(body, "text/csv", f"rotation-{number}.csv")


def _group_rooms(rows: list[tuple[str, str]], names: dict[str, str]) -> list[tuple[str, list[str]]]:
    grouped: dict[str, list[str]] = {}
    for room, sid in rows:
        grouped.setdefault(room, []).append(names[sid])
    return list(grouped.items())


@endpoint(bp, "POST", "/api/classes/<class_id>/video/bbb",
          "Create the class's BigBlueButton meeting with the rotation's breakout groups and "
          "get a moderator link (staff; only when BigBlueButton is configured, else 404): "
          "docs/VIDEO.md", auth=True, answer="created (or already running)",
          returns=answers.BbbMeeting, errors=(403, 404, 502, 503))
def open_bbb_meeting(class_id: str) -> tuple[Response, int]:
    """Create the class's BigBlueButton meeting with the rotation's breakout groups (staff)."""
    svc = services()
    identity = _for_class(class_id)
    created = video.open_bbb_meeting(svc.config, svc.store, identity, fetch=_http_get)
    return jsonify(created), 200


def _http_get(url: str) -> str:
    # Server to server, short: a slow BigBlueButton must not hold the teacher's request long.
    with urllib.request.urlopen(url, timeout=BBB_TIMEOUT_SECONDS) as answer:
        body: bytes = answer.read(MAX_BBB_ANSWER)
        return body.decode("utf-8", "replace")


@endpoint(bp, "GET", "/api/classes/<class_id>/checkins.<fmt>",
          "The check-in plan as CSV (teacher)", description=CSV_NOTE, auth=True, answer="CSV",
          media={"text/csv": TEXT}, errors=(400, 403, 404, 503),
          path="/api/classes/{class_id}/checkins.csv")
@endpoint(bp, "GET", "/api/classes/<class_id>/checkins.<fmt>",
          "The check-in plan as iCalendar (teacher)",
          description="Meetings on the chosen weekdays from the chosen time, local to `tz`; the "
                      "first is on the first chosen day whose time is still ahead, never in "
                      "the past.",
          auth=True, answer="iCalendar", media={"text/calendar": TEXT},
          query=(Query("days", {"type": "string", "example": "tue,thu"},
                       "weekdays, comma separated (default mon,tue,wed,thu,fri)"),
                 Query("time", {"type": "string", "pattern": "^[0-9]{1,2}:[0-9]{2}$"},
                       "time of day of the first meeting, HH:MM (default 10:00)"), TZ),
          errors=(400, 403, 404, 503), path="/api/classes/{class_id}/checkins.ics")
def export_checkins(class_id: str, fmt: str) -> Response:
    if fmt not in ("csv", "ics"):
        raise InvalidInput("Check-ins export as .csv or .ics.")
    args = request.args
    calendar = followup.CalendarChoice.from_query(args.get("days"), args.get("time"),
                                                   args.get("tz"))
    body = followup.export_checkins(services().store, _for_class(class_id), fmt,
                                    calendar=calendar)
    mimetype = "text/csv" if fmt == "csv" else "text/calendar"
    return _download(body, mimetype, f"checkins.{fmt}")


def _download(body: str, mimetype: str, filename: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f"attachment; filename={filename}"
    return response


def _json_download(data: Any, filename: str) -> Response:
    """A whole class can be megabytes of JSON: serialise it off the event loop."""
    return _download(run_blocking(lambda: json.dumps(data)), "application/json", filename)


@endpoint(bp, "GET", "/api/classes/<class_id>/export",
          "Everything the class holds, for the teacher to keep (end of term)",
          description="JSON keeps stored times as they are (epoch); a card with a spoken "
                      "answer carries it as `audio` {id, mime, duration_ms, bytes, base64}; "
                      "the CSV's `audio` column gives its length. The JSON holds every "
                      "private thread (`private_threads`), those of withdrawn cards "
                      "included. " + CSV_NOTE,
          auth=True, answer="JSON (everything) or CSV (every card)",
          returns=answers.ClassExport, media={"text/csv": TEXT},
          query=(Query("format", {"enum": ["json", "csv"]}), TZ), errors=(400, 403, 404, 503))
def export_class(class_id: str) -> Response:
    data = export.export_class(services().store, _for_class(class_id))
    if request.args.get("format", "json") == "csv":
        where = spreadsheet.zone(request.args.get("tz"))
        return _download(run_blocking(lambda: export.cards_csv(data, where)), "text/csv",
                         f"class-{class_id}-cards.csv")
    return _json_download(data, f"class-{class_id}.json")


@endpoint(bp, "DELETE", "/api/classes/<class_id>/students/<student_id>",
          "Delete a student and all their data (teacher)",
          description="Seat, name, roster row (name, e-mail, tags), cards, photos, replies, "
                      "reactions, pair history, check-ins, notes and rate-limit buckets; then "
                      "Redis rewrites its append-only file, when it keeps one.",
          auth=True, status=204, answer="deleted", errors=(403, 404, 503))
def forget_student(class_id: str, student_id: str) -> tuple[str, int]:
    svc = services()
    identity = _for_class(class_id)
    classes.forget_student(svc.store, identity, student_id, rate_actions=LIMITS)
    rotations.forget_student(svc.store, class_id, student_id)
    broadcast.student_forgotten(class_id, student_id)
    _rewrite_append_only_file(svc)
    return "", 204


def _rewrite_append_only_file(svc: Services) -> None:
    """After a deletion, the deleted data must leave the disk too: Redis rewrites its
    append-only file (in the background; again after a rewrite that was already running)."""

    def rewrite() -> None:
        for _ in range(600):
            outcome = svc.store.rewrite_append_only_file()
            if outcome != "busy":
                if outcome.startswith("refused"):
                    log.warning("deleted data stays in Redis's append-only file until it is "
                                "rewritten: run BGREWRITEAOF (docs/SECURITY.md, Data): %s",
                                outcome)
                return
            socketio.sleep(1)  # an older rewrite is still running: ask again when it ends

    socketio.start_background_task(rewrite)


@endpoint(bp, "GET", "/api/openapi.json", "This document", answer="OpenAPI",
          media={"application/json": {"type": "object"}})
def openapi() -> Response:
    return jsonify(openapi_document())
