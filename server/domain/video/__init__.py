"""The video call beside the lesson: Jitsi Meet (driven from the host's page), BigBlueButton
(breakout groups given at `create`) and Zoom (instructions only). One platform at a time, chosen
by the operator; with none configured nothing here is used.

`video_view` is what a snapshot carries about the call for one person. Secrets never leave the
server: students get only their own signed join link, staff get a moderator token or link.
"""

from __future__ import annotations

from typing import Any

from server.config import Config
from server.domain import clock
from server.domain.classes import Identity, require_class, require_staff
from server.domain.errors import NotFound
from server.domain.records import StudentRecord
from server.domain.video import bbb, jitsi
from server.store.redis_store import RedisStore


def staff_name(identity: Identity) -> str:
    """How staff appear in the call (students are matched by their own names, never these)."""
    return "Teacher" if identity.role == "teacher" else "Co-host"


def video_view(config: Config, identity: Identity, student: StudentRecord | None,
               now: float | None = None) -> dict[str, Any] | None:
    """The call as `identity` sees it, or None (nothing configured, or the stage)."""
    video = config.video
    if video.platform is None or identity.role == "stage":
        return None
    now = clock.now() if now is None else now
    class_id = identity.class_id
    if video.platform == "zoom":
        return {"platform": "zoom"}
    if video.platform == "jitsi":
        room = jitsi.meeting_room(config.secret_key, class_id)
        if identity.is_staff:
            name = staff_name(identity)
            return {"platform": "jitsi", **jitsi.embed_options(video, room),
                    "display_name": name,
                    "jwt": jitsi.token(video, room=room, user_id=f"{class_id}:{identity.role}",
                                       name=name, moderator=True, now=now)}
        assert student is not None
        token = jitsi.token(video, room=room, user_id=student["id"], name=student["name"],
                            moderator=False, now=now)
        return {"platform": "jitsi",
                "join_url": jitsi.join_url(video, room, student["name"], token)}
    meeting = bbb.meeting_id(config.secret_key, class_id)
    if identity.is_staff:
        return {"platform": "bbb"}  # the moderator link comes with creating the meeting
    assert student is not None
    return {"platform": "bbb",
            "join_url": bbb.join_url(video, meeting, full_name=student["name"],
                                     user_id=student["id"], moderator=False)}


def open_bbb_meeting(config: Config, store: RedisStore, identity: Identity, *,
                     fetch: bbb.Fetch) -> dict[str, Any]:
    """Create the class's BigBlueButton meeting with breakout groups for the rotation that is
    running (or, for a plan not started yet, its first rotation), and a moderator link.

    BigBlueButton takes `groups` only when it creates a meeting: if the meeting is already
    running, its first groups stay (`duplicate` says so, and the host is told)."""
    require_staff(identity)
    if config.video.platform != "bbb":
        raise NotFound("BigBlueButton is not set up on this server.")
    record = require_class(store, identity.class_id)
    rotation = store.get_rotation(identity.class_id)
    number: int | None = None
    rooms: list[list[str]] = []
    if rotation is not None and rotation["status"] in ("draft", "running"):
        number = max(rotation["current"], 0)
        rooms = rotation["rotations"][number]
    created = bbb.create_meeting(
        config.video, bbb.meeting_id(config.secret_key, identity.class_id), record["name"],
        rooms, moderator_name=staff_name(identity),
        moderator_id=identity.role, fetch=fetch)
    return {"moderator_url": created.moderator_url, "duplicate": created.duplicate,
            "rotation": None if number is None else number + 1, "rooms": len(rooms)}
