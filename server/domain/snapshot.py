"""The snapshot: everything one identity may see of a class, in one message, sent on connect
and on request. Composed from the store and the rules of `server.domain.projections`.
"""

from __future__ import annotations

from typing import Any

from server.domain import rounds
from server.domain.classes import Identity
from server.domain.projections import (
    SnapshotContext,
    about_teacher_view,
    answered_as,
    audience_of,
    card_view,
    class_for,
    rotation_for_staff,
    rotation_for_stage,
    rotation_for_student,
    round_view,
    sees_roster,
    sees_thread,
    self_student,
    staff_student,
)
from server.domain.records import StudentRecord
from server.domain.video import video_view
from server.store.redis_store import RedisStore


def build(ctx: SnapshotContext, identity: Identity, host_url: str,
          server_time: int = 0) -> dict[str, Any] | None:
    """Everything `identity` may see, in one message; None when the class is gone. Its
    dozen reads cost one round trip to the store (`RedisStore.reading`)."""
    ctx = _Reading(ctx, ctx.store.reading(identity.class_id, identity.student_id))
    store = ctx.store
    record = store.get_class(identity.class_id)
    if record is None:
        return None
    staff = identity.is_staff
    snap: dict[str, Any] = {
        "role": identity.role,
        "class": class_for(ctx, record, identity.role, host_url),
    }
    me: StudentRecord | None = None
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
        if sees_roster(identity.role):
            snap["roster"] = list(roster.values())
    _round_part(ctx, identity, snap, server_time)
    _rotation_part(ctx, identity, snap, server_time)
    video = video_view(ctx.config, identity, me)
    if video is not None:  # only when a video platform is configured
        snap["video"] = video
    return snap


class _Reading:
    """`ctx` with its store reading from one round trip."""

    def __init__(self, ctx: SnapshotContext, store: RedisStore) -> None:
        self.store, self.handle, self.config = store, ctx.handle, ctx.config
        self.join_url = ctx.join_url


def _round_part(ctx: SnapshotContext, identity: Identity, snap: dict[str, Any],
                server_time: int) -> None:
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
    # Shown only while the stage may see it (card_view below): approved and not hidden.
    spot_id = record.get("spotlight") if record is not None else None
    spotlight = store.get_card(class_id, record["id"], spot_id) \
        if record is not None and spot_id else None
    snap["cards"], snap["replies"] = [], []
    if record is not None and identity.role != "stage":  # the stage: only the spotlight
        counts = store.reaction_counts(class_id, record["id"])
        visible = []
        for card in store.list_cards(class_id, record["id"]):
            view = card_view(audience_of(identity, card), card, counts.get(card["id"]))
            if view is not None:
                visible.append(view)
        snap["cards"] = visible
        threads_seen = [c["id"] for c in visible if sees_thread(identity, c)]
        if threads_seen:
            threads = store.replies(class_id, record["id"], threads_seen)
            snap["replies"] = [r for thread in threads.values() for r in thread]
    counts_for_spot = (store.reaction_counts(class_id, record["id"], [spotlight["id"]])
                       if record and spotlight else {})
    snap["spotlight"] = card_view("stage", spotlight,
                                  counts_for_spot.get(spotlight["id"]) if spotlight else None)
    snap["about_teacher"] = [about_teacher_view(c) for c in store.host_cards(class_id, limit=20)]
    if identity.role == "student" and identity.student_id:
        refs = [r for r in store.student_card_refs(class_id, identity.student_id)
                if record is None or r[0] != record["id"]]
        mine = (card_view("author", c) for c in store.cards_by_ref(class_id, refs))
        snap["my_cards"] = [view for view in mine if view is not None]


def _rotation_part(ctx: SnapshotContext, identity: Identity, snap: dict[str, Any],
                   server_time: int) -> None:
    store = ctx.store
    record = store.get_rotation(identity.class_id)
    names = {s["id"]: s["name"] for s in store.list_students(identity.class_id)}
    if identity.is_staff:
        snap["rotation"] = rotation_for_staff(record, names, server_time)
    elif identity.role == "stage":
        snap["rotation"] = rotation_for_stage(record, names, server_time)
    else:
        assert identity.student_id
        snap["rotation"] = rotation_for_student(record, identity.student_id, names,
                                                server_time)
