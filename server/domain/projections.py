"""Who sees what: every rule about what a class, student, round, card, reply or rotation looks
like to the teacher, the co-host, a card's author, the other students and the stage (the
projected screen). Snapshots (`server.domain.snapshot`), live events (`server.realtime.broadcast`)
and the rules that serve or count things only for those who may see them (attachments,
reactions) are all built from these functions, so a reader finds every visibility rule here.

Audiences of a card: "teacher", "cohost", "author" (the card's student), "students" (every
student, the author included), "stage". A view of None means that audience must not see it.
The video call's per-role view (platform credentials) is `server.domain.video`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from server.domain.classes import Identity
from server.domain.reach import ALL_INTERFACES, join_link_warning
from server.domain.records import (
    AttachmentMeta,
    CardRecord,
    ClassRecord,
    HostCard,
    RosterRecord,
    RotationRecord,
    RoundRecord,
    StudentRecord,
)
from server.store.redis_store import RedisStore


class SnapshotContext(Protocol):
    store: RedisStore
    handle: Any
    config: Any

    def join_url(self, code: str, host_url: str) -> str: ...


def self_student(student: StudentRecord) -> dict[str, Any]:
    return {"id": student["id"], "name": student["name"], "lang": student.get("lang")}


def sees_roster(role: str) -> bool:
    """The roster (full names, e-mails, tags such as ELL) and each student's language: the
    teacher's only. The co-host sees who is in the class, not the roster."""
    return role == "teacher"


def staff_student(store: RedisStore, class_id: str, student: StudentRecord, *,
                  online: bool, roster: dict[str, RosterRecord] | None = None,
                  role: str = "teacher") -> dict[str, Any]:
    """A student as staff see them; roster tags (ELL, new, priority…) only for the teacher."""
    roster_id = student.get("roster_id")
    view = {"id": student["id"], "name": student["name"], "online": online,
            "roster_id": roster_id}
    if sees_roster(role):
        entry: RosterRecord | None = None
        if roster_id:
            entry = roster.get(roster_id) if roster is not None else \
                store.get_roster_entry(class_id, roster_id)
        view["tags"] = entry.get("tags", []) if entry else []
        view["lang"] = student.get("lang")  # the interface language the student chose
    return view


def answered_as(store: RedisStore, class_id: str, round_id: str, role: str) -> list[str]:
    """Who answered the round, as `role` may know it: the teacher (and the stage, which only
    counts them) every author; the co-host only the authors of class cards, which their cards
    show anyway, so nothing tells a co-host who posted "just my teacher"."""
    if role == "cohost":
        return [c["student_id"] for c in store.list_cards(class_id, round_id)
                if c["visibility"] == "class"]
    return store.answered(class_id, round_id)


def class_view(ctx: SnapshotContext, record: ClassRecord, *, for_staff: bool,
               host_url: str = "", show_code: bool | None = None) -> dict[str, Any]:
    """The class as staff see it, or as students do; the stage also shows the join code."""
    stored: Mapping[str, object] = record
    view = {k: stored[k] for k in ("id", "name", "grade_band", "locked")}
    view["approval_required"] = bool(record.get("approval_required"))
    view["lang"] = record.get("lang") or "en"  # the teacher's language: the stage shows it
    view["private_replies"] = not record.get("private_replies_off")
    if for_staff:
        view["staff_names"] = record.get("staff_names", [])
    if for_staff if show_code is None else show_code:
        view["join_code"] = record["join_code"]
        view["join_url"] = ctx.join_url(record["join_code"], host_url or "")
    if for_staff:
        view["retention_days"] = record["retention_days"]
        warning = join_link_warning(ctx.join_url(record["join_code"], host_url or ""),
                                    ctx.config.bind_host, ctx.config.network_urls)
        if warning:
            view["join_warning"] = warning
            if ctx.config.network_urls and ctx.config.bind_host in ALL_INTERFACES:
                view["network_url"] = ctx.config.network_urls[0]
        if ctx.handle.warning:
            view["store_warning"] = ctx.handle.warning
    return view


def class_for(ctx: SnapshotContext, record: ClassRecord, role: str,
              host_url: str = "") -> dict[str, Any]:
    """The class as `role` sees it: staff everything they manage; the stage also the join code
    and link, which it shows the room; a student neither."""
    staff = role in ("teacher", "cohost")
    return class_view(ctx, record, for_staff=staff, host_url=host_url,
                      show_code=staff or role == "stage")


# ---- rounds and cards ------------------------------------------------------------------------

CARD_AUDIENCES = ("teacher", "cohost", "author", "students")  # the stage: only the spotlight
HOST_CARD = "host"  # the card_id of a recording attached to the host's own answer
_PUBLIC_CARD_FIELDS = ("id", "round_id", "student_id", "author", "text", "visibility",
                       "spotlight_ok", "photo_id", "audio_id", "status", "created_at",
                       "updated_at")


PUBLIC = {"visibility": "class", "status": "visible"}  # the fields that make a card public


def public(card: CardRecord) -> bool:
    """A card every student may see (and the stage, when it is spotlighted): one for the class,
    approved and not hidden. Only such cards take other students' reactions and give topics to
    breakout-room starters."""
    stored: Mapping[str, object] = card
    return all(stored[field] == value for field, value in PUBLIC.items())


def card_view(audience: str, card: CardRecord | None,
              reactions: dict[str, int] | None = None) -> dict[str, Any] | None:
    if card is None:
        return None
    stored: dict[str, Any] = {"audio_id": None, **card}  # cards from before voice answers
    private = card["visibility"] != "class"
    if audience == "teacher":
        view = {k: v for k, v in stored.items() if k != "client_id"}
    elif audience == "cohost":
        if private:
            return None
        view = {k: stored[k] for k in _PUBLIC_CARD_FIELDS}
        view["flagged"] = card.get("flagged", False)
    elif audience == "author":
        if card["status"] == "hidden":
            return None
        view = {k: stored[k] for k in _PUBLIC_CARD_FIELDS}
    elif audience in ("students", "stage"):
        if not public(card):
            return None
        view = {k: stored[k] for k in _PUBLIC_CARD_FIELDS}
    else:
        return None
    view["reactions"] = reactions or {}
    return view


def student_audience(card: Mapping[str, Any], student_id: str | None) -> str:
    """`card`: the stored card or a view of it (both name their student)."""
    return "author" if student_id == card["student_id"] else "students"


def audience_of(identity: Identity, card: Mapping[str, Any]) -> str:
    if identity.role == "student":
        return student_audience(card, identity.student_id)
    return identity.role


def student_sees(card: CardRecord, student_id: str) -> bool:
    """May this student see this card: their own unless it is hidden, anyone's public one."""
    return card_view(student_audience(card, student_id), card) is not None


def answered_changed(before: CardRecord, after: CardRecord) -> bool:
    """Does an edit change who answered, as someone may know it? The co-host's list counts
    class cards only (`answered_as`), so a change of visibility changes it."""
    return bool(before["visibility"] != after["visibility"])


def may_react(card: CardRecord, student_id: str) -> bool:
    """May this student react to this card: their own (whatever its status), or a public one.
    The store counts a reaction only when this holds."""
    return card["student_id"] == student_id or public(card)


def may_react_patterns(student_id: str) -> list[dict[str, str]]:
    """`may_react` as field patterns (a card may take the reaction when it has every field of
    one of them), for the store to apply where it reads the card, in the same round trip."""
    return [{"student_id": student_id}, PUBLIC]


def reactions_public(card: CardRecord) -> bool:
    """A public card's reaction counts go to everyone in the class (the co-host and the stage
    included); any other card's only to the teacher and its author."""
    return public(card)


# Private reply threads: the teacher sees every thread, a student only the threads on their own
# cards; the co-host, the stage and other students none.
THREAD_AUDIENCES = ("teacher", "author")


def sees_thread(identity: Identity, card: Mapping[str, Any]) -> bool:
    return audience_of(identity, card) in THREAD_AUDIENCES


def about_teacher_view(host_card: HostCard) -> dict[str, Any]:
    """One of the host's earlier answers, as the class sees it on "about my teacher"."""
    stored: Mapping[str, object] = host_card
    return {k: stored.get(k) for k in ("text", "prompt", "author_role", "posted_at",
                                          "audio_id")}


def may_see_attachment(identity: Identity, kind: str, item_id: str, meta: AttachmentMeta,
                       card: CardRecord | None, spotlight: str | None) -> bool:
    """May `identity` fetch this photo or recording? `meta` is the attachment's, `card` the card
    it is attached to (None when not attached, or the card is gone) and `spotlight` the id of
    the current round's spotlighted card.

    Not yet attached: only its uploader. The host's own answer: everyone in the class. A hidden
    card's: the teacher only. The stage: only the spotlighted card's. Anyone else: whoever may
    see the card.
    """
    if meta.get("card_id") is None:
        if meta.get("staff"):
            return bool(identity.role == meta["staff"])
        return identity.role == "student" and identity.student_id == meta["student_id"]
    if meta["card_id"] == HOST_CARD:
        return True
    if card is None or (card.get("photo_id") if kind == "photo"
                        else card.get("audio_id")) != item_id:
        return False
    if card["status"] == "hidden":
        return identity.role == "teacher"
    if identity.role == "stage":
        return spotlight == card["id"] and card_view("stage", card) is not None
    return card_view(audience_of(identity, card), card) is not None


def round_view(record: RoundRecord | None, *, staff: bool, answered: list[str] | None = None,
               student_count: int | None = None, server_time: int | None = None
               ) -> dict[str, Any] | None:
    if record is None:
        return None
    stored: Mapping[str, Any] = record
    view = {k: stored.get(k) for k in ("id", "status", "prompt", "host_card", "opened_at",
                                       "deadline", "closed_at", "spotlight")}
    if view["host_card"] is not None:
        view["host_card"] = {k: view["host_card"].get(k)
                             for k in ("text", "author_role", "skipped", "posted_at",
                                       "audio_id")}
    view["server_time"] = server_time
    if staff:
        view["answered"] = answered or []
        view["student_count"] = student_count
    elif answered is not None:  # the stage: how many, never who
        view["answered_count"] = len(answered)
        view["student_count"] = student_count
    return view


# ---- rotations -------------------------------------------------------------------------------

def rotation_for_staff(record: RotationRecord | None, names: dict[str, str], server_time: int
               ) -> dict[str, Any] | None:
    if record is None:
        return None
    return {
        "id": record["id"], "status": record["status"], "current": record["current"],
        "total": len(record["rotations"]), "deadline": record["deadline"],
        "server_time": server_time, "settings": record["settings"], "stats": record["stats"],
        "message": record.get("message"), "left": record.get("left", []),
        "rotations": [[[{"id": s, "name": names.get(s, "?")} for s in room] for room in rot]
                      for rot in record["rotations"]],
        "sitting_out": [[{"id": s, "name": names.get(s, "?")} for s in out]
                        for out in sitting_out(record)],
        "starters": record.get("starters", []), "rev": record.get("rev", 0),
    }


def sitting_out(record: RotationRecord) -> list[list[str]]:
    """Per rotation, the plan's students in no room: the sit-outs of capped rooms (none
    otherwise; students who left the lesson are not counted)."""
    if not record["settings"].get("max_size"):
        return [[] for _ in record["rotations"]]
    present = [s for s in record["students"] if s not in set(record.get("left", []))]
    result = []
    for rooms in record["rotations"]:
        placed = {s for room in rooms for s in room}
        result.append([s for s in present if s not in placed])
    return result


ROTATION_CHANGE_FIELDS = ("status", "current", "total", "deadline", "settings", "stats",
                          "message", "left", "sitting_out")


def rotation_changes(before: RotationRecord | None, after: RotationRecord,
                     names: dict[str, str]) -> tuple[dict[str, Any], dict[str, Any],
                                                     dict[str, Any]] | None:
    """What changed in the staff view of a plan: (the top-level fields that changed, the
    rotations whose rooms changed by index, the starters rows that changed by index); None
    when it is not the same plan (a new plan, or one with fewer starters rows), which staff
    get whole."""
    if before is None or before["id"] != after["id"]:
        return None
    old, new = rotation_for_staff(before, names, 0), rotation_for_staff(after, names, 0)
    assert old is not None and new is not None
    if len(new["rotations"]) != len(old["rotations"]) or \
            len(new["starters"]) < len(old["starters"]):
        return None
    fields = {k: new[k] for k in ROTATION_CHANGE_FIELDS if new[k] != old[k]}
    rooms = {str(i): rot for i, (was, rot) in enumerate(zip(old["rotations"], new["rotations"],
                                                             strict=True)) if rot != was}
    starters = {str(i): row for i, row in enumerate(new["starters"])
                if i >= len(old["starters"]) or old["starters"][i] != row}
    return fields, rooms, starters


def rotation_for_stage(record: RotationRecord | None, names: dict[str, str], server_time: int
               ) -> dict[str, Any] | None:
    """The stage shows every room of the current rotation (names only)."""
    if record is None or record["status"] != "running":
        return None if record is None else {"status": record["status"]}
    rooms = record["rotations"][record["current"]]
    return {"status": "running", "current": record["current"], "total": len(record["rotations"]),
            "deadline": record["deadline"], "server_time": server_time,
            "message": record.get("message"),
            "checkin_room": bool(record["settings"].get("checkin_room")),
            "rooms": [[names.get(s, "?") for s in room] for room in rooms]}


def rotation_for_student(record: RotationRecord | None, student_id: str, names: dict[str, str],
                 server_time: int) -> dict[str, Any] | None:
    """A student sees only their own room: number, roommates, starter, time left."""
    if record is None or record["status"] != "running":
        return None if record is None else {"status": record["status"]}
    rooms = record["rotations"][record["current"]]
    index = next((i for i, room in enumerate(rooms) if student_id in room), None)
    starters = record.get("starters") or []
    starter = None
    info: dict[str, Any] | None = None
    if index is not None and record["current"] < len(starters) and \
            index < len(starters[record["current"]]):
        found = starters[record["current"]][index]
        starter = found["text"]
        # What the English starter was made from, so a page can show it in the student's
        # language: a library prompt (by id), or a topic two roommates both mentioned.
        shown: Mapping[str, object] = found
        info = {k: shown[k] for k in ("kind", "prompt_id", "topic", "names") if k in shown}
    return {
        "status": "running", "current": record["current"], "total": len(record["rotations"]),
        "deadline": record["deadline"], "server_time": server_time,
        "message": record.get("message"),
        "room": None if index is None else index + 1,
        # Room 1 is the teacher's when the plan has a check-in room.
        "with_teacher": index == 0 and bool(record["settings"].get("checkin_room")),
        "roommates": [] if index is None else
        [names.get(s, "?") for s in rooms[index] if s != student_id],
        "starter": starter,
        "starter_info": info,
    }
