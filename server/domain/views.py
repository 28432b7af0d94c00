"""What each role may see. Snapshots and live events are built only from these functions,
so a reader finds every visibility rule here.
"""

from __future__ import annotations

from typing import Any, Protocol

from server.domain.classes import Identity
from server.store.redis_store import RedisStore


class SnapshotContext(Protocol):
    store: RedisStore
    handle: Any
    config: Any

    def join_url(self, code: str, host_url: str) -> str: ...


def self_student(student: dict[str, Any]) -> dict[str, Any]:
    return {"id": student["id"], "name": student["name"]}


def staff_student(store: RedisStore, class_id: str, student: dict[str, Any], *,
                  online: bool, roster: dict[str, dict[str, Any]] | None = None
                  ) -> dict[str, Any]:
    roster_id = student.get("roster_id")
    entry = None
    if roster_id:
        entry = (roster or {}).get(roster_id) if roster is not None else \
            store.get_roster_entry(class_id, roster_id)
    return {
        "id": student["id"], "name": student["name"], "online": online,
        "roster_id": roster_id, "tags": (entry or {}).get("tags", []),
    }


def class_view(ctx: SnapshotContext, record: dict[str, Any], *, for_staff: bool,
               host_url: str = "") -> dict[str, Any]:
    view = {k: record[k] for k in ("id", "name", "grade_band", "locked")}
    if for_staff:
        view["join_code"] = record["join_code"]
        view["join_url"] = ctx.join_url(record["join_code"], host_url or "")
        view["retention_days"] = record["retention_days"]
        if ctx.handle.warning:
            view["store_warning"] = ctx.handle.warning
    return view


def snapshot(ctx: SnapshotContext, identity: Identity, host_url: str) -> dict[str, Any] | None:
    """Everything `identity` may see, in one message; None when the class is gone."""
    store = ctx.store
    record = store.get_class(identity.class_id)
    if record is None:
        return None
    staff = identity.is_staff
    snap: dict[str, Any] = {
        "role": identity.role,
        "class": class_view(ctx, record, for_staff=staff, host_url=host_url),
    }
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
            staff_student(store, identity.class_id, s, online=s["id"] in online, roster=roster)
            for s in store.list_students(identity.class_id)
        ]
        if identity.role == "teacher":
            snap["roster"] = list(roster.values())
    return snap
