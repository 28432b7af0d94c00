"""The OpenAPI 3.1 document of the HTTP API, built from the same schemas that validate input."""

from __future__ import annotations

from functools import cache
from typing import Any

from server import __version__
from server.schemas import CreateClass, JoinClass, RejoinSeat

ERROR = {"$ref": "#/components/schemas/Error"}


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": schema}}}


def _errors(*codes: int) -> dict[str, Any]:
    return {str(c): {"description": "refused", **_json(ERROR)} for c in codes}


def _class_path() -> list[dict[str, Any]]:
    return [{"name": "class_id", "in": "path", "required": True,
             "schema": {"type": "string", "pattern": "^[0-9a-f]{16}$"}}]


BEARER: list[dict[str, list[str]]] = [{"bearer": []}]
ID = {"type": "string", "pattern": "^[a-z0-9]{1,32}$"}


def _path_param(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": schema}


TZ = {"name": "tz", "in": "query", "required": False,
      "description": "IANA time zone for times in the file (e.g. Europe/Paris); default UTC",
      "schema": {"type": "string", "maxLength": 64}}
CSV_NOTE = ("CSV files are UTF-8 with a byte-order mark and CRLF line ends; a cell starting "
            "with = + - @ tab or CR gets a leading apostrophe; times are ISO 8601 with offset.")


def _download(media_type: str, description: str) -> dict[str, Any]:
    return {"description": description,
            "content": {media_type: {"schema": {"type": "string"}}}}


def _class_paths() -> dict[str, Any]:
    """Class-scoped downloads and uploads (rounds, rotations, check-ins): docs/PROTOCOL.md."""
    return {
        "/api/classes/{class_id}/photos": {"post": {
            "summary": "Upload a photo for a card (student); stored re-encoded as JPEG",
            "security": BEARER, "parameters": _class_path(),
            "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
                "type": "object", "required": ["photo"],
                "properties": {"photo": {"type": "string", "format": "binary"}}}}}},
            "responses": {"201": {"description": "stored", **_json({
                "type": "object", "required": ["photo_id"],
                "properties": {"photo_id": {"type": "string"}}})},
                **_errors(400, 403, 404, 409, 413, 429, 503)},
        }},
        "/api/classes/{class_id}/photos/{photo_id}": {"get": {
            "summary": "A card's photo, for whoever may see the card",
            "security": BEARER, "parameters": [*_class_path(), _path_param("photo_id", ID)],
            "responses": {"200": {"description": "the photo",
                                  "content": {"image/jpeg": {"schema": {
                                      "type": "string", "format": "binary"}}}},
                          **_errors(403, 404, 503)},
        }},
        "/api/classes/{class_id}/audio": {"post": {
            "summary": "Upload a spoken answer for a card (student); kept as sent",
            "description": ("WebM/Opus, Ogg/Opus or MP4/AAC, recognised from the bytes; at most "
                            "1.5 MB and 60 seconds (65 s of slack); anything else is refused "
                            "with a reason and nothing is stored."),
            "security": BEARER, "parameters": _class_path(),
            "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
                "type": "object", "required": ["audio"],
                "properties": {"audio": {"type": "string", "format": "binary"}}}}}},
            "responses": {"201": {"description": "stored", **_json({
                "type": "object", "required": ["audio_id", "mime", "duration_ms"],
                "properties": {"audio_id": {"type": "string"},
                               "mime": {"enum": ["audio/webm", "audio/ogg", "audio/mp4"]},
                               "duration_ms": {"type": "integer"}}})},
                **_errors(400, 403, 404, 409, 413, 429, 503)},
        }},
        "/api/classes/{class_id}/audio/{audio_id}": {"get": {
            "summary": "A card's spoken answer, for whoever may see the card",
            "security": BEARER, "parameters": [*_class_path(), _path_param("audio_id", ID)],
            "responses": {"200": {"description": "the recording, in its own container",
                                  "content": {m: {"schema": {"type": "string",
                                                             "format": "binary"}}
                                              for m in ("audio/webm", "audio/ogg",
                                                        "audio/mp4")}},
                          **_errors(403, 404, 503)},
        }},
        "/api/classes/{class_id}/rounds/{round_id}/export": {"get": {
            "summary": "A round with every card and reply (teacher)",
            "description": CSV_NOTE,
            "security": BEARER,
            "parameters": [*_class_path(), _path_param("round_id", ID),
                           {"name": "format", "in": "query", "required": False,
                            "schema": {"enum": ["json", "csv"]}}, TZ],
            "responses": {"200": {"description": "the round (JSON or CSV)", "content": {
                "application/json": {"schema": {"type": "object"}},
                "text/csv": {"schema": {"type": "string"}}}},
                **_errors(400, 403, 404, 503)},
        }},
        "/api/classes/{class_id}/rotations/{number}/export": {"get": {
            "summary": "One rotation (1-based) as Zoom pre-assign CSV, CSV or a printable page",
            "description": "zoom: the students who have an e-mail in the roster (refused when "
                           "none has); zoom-by-hand: who must be assigned by hand in Zoom and "
                           "to which room; html: printable list with class name, date and the "
                           "rotation's times (in `tz`). zoom and zoom-by-hand are the "
                           "teacher's only (403 for a co-host: they hold e-mail addresses). "
                           + CSV_NOTE,
            "security": BEARER,
            "parameters": [*_class_path(),
                           _path_param("number", {"type": "integer", "minimum": 0}),
                           {"name": "format", "in": "query", "required": False,
                            "schema": {"enum": ["zoom", "zoom-by-hand", "csv", "html"]}}, TZ],
            "responses": {"200": {"description": "the rotation", "content": {
                "text/csv": {"schema": {"type": "string"}},
                "text/html": {"schema": {"type": "string"}},
                "application/json": {"schema": {
                    "type": "object", "required": ["by_hand", "with_email"],
                    "properties": {
                        "with_email": {"type": "integer"},
                        "by_hand": {"type": "array", "items": {
                            "type": "object", "required": ["student", "room"],
                            "properties": {"student": {"type": "string"},
                                           "room": {"type": "string"}}}}}}}}},
                **_errors(400, 403, 404, 503)},
        }},
        "/api/classes/{class_id}/video/bbb": {"post": {
            "summary": "Create the class's BigBlueButton meeting with the rotation's breakout "
                       "groups and get a moderator link (staff; only when BigBlueButton is "
                       "configured, else 404): docs/VIDEO.md",
            "security": BEARER, "parameters": _class_path(),
            "responses": {"200": {"description": "created (or already running)", **_json({
                "type": "object", "required": ["moderator_url", "duplicate", "rotation", "rooms"],
                "properties": {
                    "moderator_url": {"type": "string"},
                    "duplicate": {"type": "boolean", "description":
                                  "the meeting already existed: it keeps its first groups"},
                    "rotation": {"type": ["integer", "null"], "description":
                                 "1-based rotation whose rooms were given, or null"},
                    "rooms": {"type": "integer"}}})},
                **_errors(403, 404, 502, 503)},
        }},
        "/api/classes/{class_id}/export": {"get": {
            "summary": "Everything the class holds, for the teacher to keep (end of term)",
            "description": ("JSON keeps stored times as they are (epoch); a card with a "
                            "spoken answer carries it as `audio` {id, mime, duration_ms, "
                            "bytes, base64}; the CSV's `audio` column gives its length. The "
                            "JSON holds every private thread (`private_threads`), those of "
                            "withdrawn cards included. "
                            + CSV_NOTE),
            "security": BEARER,
            "parameters": [*_class_path(),
                           {"name": "format", "in": "query", "required": False,
                            "schema": {"enum": ["json", "csv"]}}, TZ],
            "responses": {"200": {"description": "JSON (everything) or CSV (every card)",
                                  "content": {"application/json": {"schema": {"type": "object"}},
                                              "text/csv": {"schema": {"type": "string"}}}},
                          **_errors(400, 403, 404, 503)},
        }},
        "/api/classes/{class_id}/students/{student_id}": {"delete": {
            "summary": "Delete a student and all their data (teacher)",
            "description": ("Seat, name, roster row (name, e-mail, tags), cards, photos, "
                            "replies, reactions, pair history, check-ins, notes and rate-limit "
                            "buckets; then Redis rewrites its append-only file, when it keeps "
                            "one."),
            "security": BEARER, "parameters": [*_class_path(), _path_param("student_id", ID)],
            "responses": {"204": {"description": "deleted"}, **_errors(403, 404, 503)},
        }},
        **{f"/api/classes/{{class_id}}/checkins.{fmt}": {"get": {
            "summary": f"The check-in plan as {label} (teacher)",
            "description": CSV_NOTE if fmt == "csv" else (
                "Meetings on the chosen weekdays from the chosen time, local to `tz`; the "
                "first is on the first chosen day whose time is still ahead, never in the past."),
            "security": BEARER,
            "parameters": _class_path() if fmt == "csv" else [*_class_path(), {
                "name": "days", "in": "query", "required": False,
                "description": "weekdays, comma separated (default mon,tue,wed,thu,fri)",
                "schema": {"type": "string", "example": "tue,thu"}}, {
                "name": "time", "in": "query", "required": False,
                "description": "time of day of the first meeting, HH:MM (default 10:00)",
                "schema": {"type": "string", "pattern": "^[0-9]{1,2}:[0-9]{2}$"}}, TZ],
            "responses": {"200": _download(media, label), **_errors(400, 403, 404, 503)},
        }} for fmt, media, label in (("csv", "text/csv", "CSV"),
                                     ("ics", "text/calendar", "iCalendar"))},
    }


def _prompt_paths() -> dict[str, Any]:
    """The prompt library in a language (server/domain/prompt_translations.py)."""
    piece = {
        "type": "object", "required": ["lang", "dir", "text", "status"],
        "description": "One string in the language asked for, or in English when it is not "
                       "translated yet; set lang and dir on the element that shows it.",
        "properties": {
            "lang": {"type": ["string", "null"]},
            "dir": {"enum": ["ltr", "rtl", "auto"]},
            "text": {"type": "string"},
            "status": {"enum": ["reviewed", "draft", "not-yet", "source", "custom"]},
        },
    }
    localized = {
        "type": "object", "required": ["id", "lang", "text", "starter", "original"],
        "properties": {
            "id": {"type": "string"},
            "lang": {"type": "string", "description": "the language served (en if none fits)"},
            "text": piece,
            "starter": {"anyOf": [piece, {"type": "null"}]},
            "original": {"type": "object", "required": ["lang", "text", "starter"],
                         "properties": {"lang": {"const": "en"}, "text": {"type": "string"},
                                        "starter": {"type": ["string", "null"]}}},
        },
    }
    return {"/api/prompts/{prompt_id}": {"get": {
        "summary": "A library prompt and its starter in a language, with the English original",
        "parameters": [_path_param("prompt_id", {"type": "string", "maxLength": 60}),
                       {"name": "lang", "in": "query", "required": False,
                        "description": "BCP 47 tag (es, ar, zh-Hans, zh-CN, vi, uk, es-MX ...)",
                        "schema": {"type": "string", "maxLength": 35}}],
        "responses": {"200": {"description": "the prompt", **_json(localized)},
                      **_errors(400, 404)},
    }}}


def _interface_paths() -> dict[str, Any]:
    """The interface's messages in a language (server/domain/ui_translations.py)."""
    language = {"type": "object", "required": ["tag", "name", "dir"],
                "properties": {"tag": {"type": "string"}, "name": {"type": "string"},
                               "dir": {"enum": ["ltr", "rtl"]}}}
    bundle = {
        "type": "object", "required": ["lang", "dir", "name", "draft", "messages", "languages"],
        "properties": {
            "lang": {"type": "string", "description": "the language served (en if none fits)"},
            "dir": {"enum": ["ltr", "rtl"]},
            "name": {"type": "string", "description": "the language's own name"},
            "draft": {"type": "boolean",
                      "description": "some translations are drafts, not yet reviewed"},
            "messages": {"type": "object", "additionalProperties": {"type": "string"},
                         "description": "key -> text with {placeholders}; plural forms as "
                                        "key#one, key#other ... (CLDR categories)"},
            "languages": {"type": "array", "items": language,
                          "description": "every shipped language, for a language menu"},
        },
    }
    return {"/api/i18n": {"get": {
        "summary": "The interface's messages in the best shipped language",
        "parameters": [{"name": "lang", "in": "query", "required": False,
                        "description": "BCP 47 tags, best first, comma-separated "
                                       "(navigator.languages): es-MX,en",
                        "schema": {"type": "string", "maxLength": 200}}],
        "responses": {"200": {"description": "the catalog", **_json(bundle)}},
    }}}


@cache
def openapi_document() -> dict[str, Any]:
    created = {
        "type": "object",
        "required": ["class_id", "name", "grade_band", "join_code", "join_url",
                     "teacher_secret", "teacher_url", "cohost_secret", "cohost_url"],
        "properties": {**{k: {"type": "string"} for k in (
            "class_id", "name", "grade_band", "join_code", "join_url", "teacher_secret",
            "teacher_url", "cohost_secret", "cohost_url")},
            "join_warning": {
                "type": "string",
                "description": "present when join_url points to this computer only (loopback, "
                               "no PUBLIC_URL): a sentence saying students on other devices "
                               "cannot open it and what to do"}},
    }
    joined = {
        "type": "object", "required": ["class_id", "student_id", "name", "seat_token"],
        "properties": {k: {"type": "string"} for k in
                       ("class_id", "student_id", "name", "seat_token")},
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": "Rapport", "version": __version__,
                 "description": "HTTP API of Rapport. Real-time events: docs/PROTOCOL.md."},
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                           "description": "teacher/co-host secret or seat token"}},
            "schemas": {
                "Error": {"type": "object", "required": ["error"], "properties": {"error": {
                    "type": "object", "required": ["code", "message"],
                    "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
                }}},
                "CreateClass": CreateClass.model_json_schema(),
                "JoinClass": JoinClass.model_json_schema(),
                "RejoinSeat": RejoinSeat.model_json_schema(),
            },
        },
        "paths": ({
            "/healthz": {"get": {
                "summary": "Liveness, store mode and a Redis ping",
                "responses": {"200": {"description": "ok", **_json({"type": "object"})},
                              "503": {"description": "store down", **_json({"type": "object"})}},
            }},
            "/api/classes": {"post": {
                "summary": "Create a class",
                "requestBody": {"required": True,
                                **_json({"$ref": "#/components/schemas/CreateClass"})},
                "responses": {"201": {"description": "created", **_json(created)},
                              **_errors(400, 413, 429, 503)},
            }},
            "/api/join": {"post": {
                "summary": "Join a class with its code and a display name",
                "requestBody": {"required": True,
                                **_json({"$ref": "#/components/schemas/JoinClass"})},
                "responses": {"200": {"description": "seated", **_json(joined)},
                              **_errors(400, 403, 404, 409, 413, 429, 503)},
            }},
            "/api/rejoin": {"post": {
                "summary": "Take one's own seat to this device with a one-time rejoin code "
                           "(from the socket event seat.rejoin_code); the old seat token "
                           "stops working",
                "requestBody": {"required": True,
                                **_json({"$ref": "#/components/schemas/RejoinSeat"})},
                "responses": {"200": {"description": "seated", **_json(joined)},
                              **_errors(400, 404, 413, 429, 503)},
            }},
            "/api/qr.svg": {"get": {
                "summary": "QR code (SVG) of the join link for a code",
                "parameters": [{"name": "code", "in": "query", "required": True,
                                "schema": {"type": "string", "maxLength": 16}}],
                "responses": {"200": {"description": "SVG",
                                      "content": {"image/svg+xml": {"schema": {"type": "string"}}}},
                              **_errors(400)},
            }},
            "/api/classes/{class_id}/roster": {"post": {
                "summary": "Replace the roster from a CSV (name,email,tags)",
                "security": BEARER, "parameters": _class_path(),
                "requestBody": {"required": True,
                                "content": {"text/csv": {"schema": {"type": "string"}}}},
                "responses": {"200": {"description": "imported", **_json({
                    "type": "object", "properties": {"imported": {"type": "integer"}}})},
                    **_errors(400, 403, 503)},
            }},
            "/api/classes/{class_id}/secrets/{role}": {"post": {
                "summary": "Rotate the teacher or co-host secret",
                "security": BEARER,
                "parameters": [*_class_path(), {"name": "role", "in": "path", "required": True,
                               "schema": {"enum": ["teacher", "cohost"]}}],
                "responses": {"200": {"description": "new secret", **_json({
                    "type": "object", "properties": {"secret": {"type": "string"},
                                                     "url": {"type": "string"}}})},
                    **_errors(400, 403, 503)},
            }},
            "/api/classes/{class_id}/secrets/cohost": {"delete": {
                "summary": "Revoke the co-host link", "security": BEARER,
                "parameters": _class_path(),
                "responses": {"204": {"description": "revoked"}, **_errors(403, 503)},
            }},
            "/api/classes/{class_id}": {"delete": {
                "summary": "Delete the class and everything in it", "security": BEARER,
                "parameters": _class_path(),
                "responses": {"204": {"description": "deleted"}, **_errors(403, 503)},
            }},
            **_class_paths(),
            **_prompt_paths(),
            **_interface_paths(),
            "/api/openapi.json": {"get": {
                "summary": "This document",
                "responses": {"200": {"description": "OpenAPI", **_json({"type": "object"})}},
            }},
        }),
    }
