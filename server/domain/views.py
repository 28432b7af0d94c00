"""What each role may see. Snapshots and live events are built only from these functions,
so a reader finds every visibility rule here.
"""

from __future__ import annotations

from typing import Any, Protocol

from server.domain.classes import Identity
from server.domain.reach import ALL_INTERFACES, join_link_warning
from server.domain.video import video_view
from server.store.redis_store import RedisStore


class SnapshotContext(Protocol):
    store: RedisStore
    handle: Any
    config: Any

    def join_url(self, code: str, host_url: str) -> str: ...


def self_student(student: dict[str, Any]) -> dict[str, Any]:
    return {"id": student["id"], "name": student["name"], "lang": student.get("lang")}


def staff_student(store: RedisStore, class_id: str, student: dict[str, Any], *,
                  online: bool, roster: dict[str, dict[str, Any]] | None = None,
                  role: str = "teacher") -> dict[str, Any]:
    """A student as staff see them; roster tags (ELL, new, priority…) only for the teacher."""
    roster_id = student.get("roster_id")
    view = {"id": student["id"], "name": student["name"], "online": online,
            "roster_id": roster_id}
    if role == "teacher":
        entry = None
        if roster_id:
            entry = (roster or {}).get(roster_id) if roster is not None else \
                store.get_roster_entry(class_id, roster_id)
        view["tags"] = (entry or {}).get("tags", [])
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


def class_view(ctx: SnapshotContext, record: dict[str, Any], *, for_staff: bool,
               host_url: str = "", show_code: bool | None = None) -> dict[str, Any]:
    """The class as staff see it, or as students do; the stage also shows the join code."""
    view = {k: record[k] for k in ("id", "name", "grade_band", "locked")}
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


def snapshot(ctx: SnapshotContext, identity: Identity, host_url: str,
             server_time: int = 0) -> dict[str, Any] | None:
    """Everything `identity` may see, in one message; None when the class is gone."""
    store = ctx.store
    record = store.get_class(identity.class_id)
    if record is None:
        return None
    staff = identity.is_staff
    snap: dict[str, Any] = {
        "role": identity.role,
        "class": class_view(ctx, record, for_staff=staff, host_url=host_url,
                            show_code=staff or identity.role == "stage"),
    }
    me: dict[str, Any] | None = None
    if identity.role == "student":
        assert identity.student_id
        me = store.get_student(identity.class_id, identity.student_id)
        if me is None:
            return None
        snap["you"] = {"role": "student", **self_student(me)}
    else:
        snap["you"] = {"role": identity.role}
    if staff:
        online = store.online_students(identity.class_id)
        roster = {e["id"]: e for e in store.list_roster(identity.class_id)}
        snap["students"] = [
            staff_student(store, identity.class_id, s, online=s["id"] in online, roster=roster,
                          role=identity.role)
            for s in store.list_students(identity.class_id)
        ]
        if identity.role == "teacher":
            snap["roster"] = list(roster.values())
    _round_part(ctx, identity, snap, server_time)
    _rotation_part(ctx, identity, snap, server_time)
    video = video_view(ctx.config, identity, me)
    if video is not None:  # only when a video platform is configured
        snap["video"] = video
    return snap


# ---- rounds and cards ------------------------------------------------------------------------
# Audiences: "teacher", "cohost", "author" (the card's student), "students" (every student,
# the author included), "stage". A card view of None means that audience must not see it.

CARD_AUDIENCES = ("teacher", "cohost", "author", "students")
_PUBLIC_CARD_FIELDS = ("id", "round_id", "student_id", "author", "text", "visibility",
                       "spotlight_ok", "photo_id", "audio_id", "status", "created_at",
                       "updated_at")


def card_view(audience: str, card: dict[str, Any] | None,
              reactions: dict[str, int] | None = None) -> dict[str, Any] | None:
    if card is None:
        return None
    card = {"audio_id": None, **card}  # cards posted before voice answers existed
    private = card["visibility"] != "class"
    if audience == "teacher":
        view = {k: v for k, v in card.items() if k != "client_id"}
    elif audience == "cohost":
        if private:
            return None
        view = {k: card[k] for k in _PUBLIC_CARD_FIELDS}
        view["flagged"] = card.get("flagged", False)
    elif audience == "author":
        if card["status"] == "hidden":
            return None
        view = {k: card[k] for k in _PUBLIC_CARD_FIELDS}
    elif audience in ("students", "stage"):
        if private or card["status"] != "visible":
            return None
        view = {k: card[k] for k in _PUBLIC_CARD_FIELDS}
    else:
        return None
    view["reactions"] = reactions or {}
    return view


def audience_of(identity: Identity, card: dict[str, Any]) -> str:
    if identity.role == "student":
        return "author" if identity.student_id == card["student_id"] else "students"
    return identity.role


def round_view(record: dict[str, Any] | None, *, staff: bool, answered: list[str] | None = None,
               student_count: int | None = None, server_time: int | None = None
               ) -> dict[str, Any] | None:
    if record is None:
        return None
    view = {k: record.get(k) for k in ("id", "status", "prompt", "host_card", "opened_at",
                                       "deadline", "closed_at", "spotlight")}
    if view["host_card"] is not None:
        view["host_card"] = {k: record["host_card"].get(k)
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


def _round_part(ctx: SnapshotContext, identity: Identity, snap: dict[str, Any],
                server_time: int) -> None:
    from server.domain import rounds

    store = ctx.store
    class_id = identity.class_id
    record = rounds.current_round(store, class_id)
    staff = identity.is_staff
    stage = identity.role == "stage"
    answered = answered_as(store, class_id, record["id"], identity.role) \
        if record and (staff or stage) else None
    count = len(snap["students"]) if staff else \
        len(store.list_students(class_id)) if stage else None
    snap["round"] = round_view(record, staff=staff, answered=answered, student_count=count,
                               server_time=server_time)
    spotlight = rounds.spotlighted_card(store, class_id, record)
    snap["cards"], snap["replies"] = [], []
    if record is not None and identity.role != "stage":
        counts = store.reaction_counts(class_id, record["id"])
        visible = []
        for card in store.list_cards(class_id, record["id"]):
            view = card_view(audience_of(identity, card), card, counts.get(card["id"]))
            if view is not None:
                visible.append(view)
        snap["cards"] = visible
        # Private threads: the teacher's all, a student's only their own, nobody else's.
        if identity.role in ("teacher", "student"):
            mine = [c["id"] for c in visible
                    if identity.role == "teacher" or c["student_id"] == identity.student_id]
            threads = store.replies(class_id, record["id"], mine)
            snap["replies"] = [r for thread in threads.values() for r in thread]
    counts_for_spot = (store.reaction_counts(class_id, record["id"], [spotlight["id"]])
                       if record and spotlight else {})
    snap["spotlight"] = card_view("stage", spotlight,
                                  counts_for_spot.get(spotlight["id"]) if spotlight else None)
    snap["about_teacher"] = [
        {k: c.get(k) for k in ("text", "prompt", "author_role", "posted_at", "audio_id")}
        for c in store.host_cards(class_id, limit=20)
    ]
    if identity.role == "student" and identity.student_id:
        refs = [r for r in store.student_card_refs(class_id, identity.student_id)
                if record is None or r[0] != record["id"]]
        snap["my_cards"] = [card_view("author", c) or {}
                            for c in store.cards_by_ref(class_id, refs)
                            if c["status"] != "hidden"]


def _rotation_part(ctx: SnapshotContext, identity: Identity, snap: dict[str, Any],
                   server_time: int) -> None:
    from server.domain import rotations

    store = ctx.store
    record = store.get_rotation(identity.class_id)
    names = {s["id"]: s["name"] for s in store.list_students(identity.class_id)}
    if identity.is_staff:
        snap["rotation"] = rotations.staff_view(record, names, server_time)
    elif identity.role == "stage":
        snap["rotation"] = rotations.stage_view(record, names, server_time)
    else:
        assert identity.student_id
        snap["rotation"] = rotations.student_view(record, identity.student_id, names,
                                                  server_time)
