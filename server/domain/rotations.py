"""Live breakout rotations: build a plan from the students present, adjust it by hand, run it
with server-held timers, re-plan when someone leaves, and remember who has met whom.

The planning itself is `server.planner`; this module decides what to ask it and keeps the
live state. Room conversation starters come from class-visible cards only.

Size: one state machine (plan, adjust by hand, start, advance, extend, end, re-plan when someone
leaves), its check-in-room variant and the rooms' conversation starters, which are recomputed
whenever the rooms change. What each role sees of a rotation is `server.domain.projections`;
its exports are `server.domain.rotation_export`.
"""

from __future__ import annotations

import re
import secrets
from collections import Counter

from server.domain import projections
from server.domain.classes import Identity, require_staff
from server.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from server.domain.followup import due_for_checkin
from server.domain.prompts import PromptLibrary
from server.domain.records import (
    RotationMessage,
    RotationRecord,
    RotationSettings,
    RotationUpdate,
    Starter,
)
from server.domain.runtime import Clock, Runner, now_ms, run_here
from server.domain.text import strip_invisible
from server.planner import DEFAULT_LEFTOVER, PlanError, PlanRequest, evaluate, plan
from server.planner.stats import meeting_stats
from server.store.redis_store import RedisStore

PLAN_SECONDS = 1.5  # live planning must not hold a lesson up
REPLAN_SECONDS = 0.5
NOT_RUNNING = "No rotation is running."


def _request(rotation: RotationRecord, history: list[tuple[str, str, int]],
             fixed: list[list[list[str]]] | None = None, time_limit: float = PLAN_SECONDS
             ) -> PlanRequest:
    s = rotation["settings"]
    return PlanRequest(
        students=list(rotation["students"]), size=s.get("size"), rooms=s.get("rooms"),
        leftover=s.get("leftover", DEFAULT_LEFTOVER), max_size=s.get("max_size"),
        rotations=s["rotations"],
        apart=[(a, b) for a, b in s["apart"]],
        together=[list(g) for g in s["together"]], absent=list(rotation.get("left", [])),
        history=history, fixed_rotations=fixed or [], seed=s.get("seed", 0),
        time_limit=time_limit,
    )


def _stats(rotation: RotationRecord, history: list[tuple[str, str, int]]
           ) -> dict[str, object]:
    # Rotations that have begun are already in the stored history: count them once.
    begun = rotation["rotations"][:rotation["current"] + 1]
    if rotation["settings"].get("checkin_room"):
        return _checkin_stats(rotation["rotations"][len(begun):],
                              history, rotation["settings"], offset=len(begun))
    stats = evaluate(rotation["rotations"],
                     _request(rotation, _subtract(history, begun), begun))
    return {**stats.to_dict(), "violation_details": stats.violation_details}


def build_plan(store: RedisStore, library: PromptLibrary, identity: Identity, *,
               size: int | None, rooms: int | None, rotations: int, minutes: int,
               absent: list[str], apart: list[list[str]], together: list[list[str]],
               checkin_room: int = 0, seed: int = 0, leftover: str = DEFAULT_LEFTOVER,
               max_size: int | None = None, run: Runner = run_here, clock: Clock = now_ms
               ) -> RotationRecord:
    """A new draft plan for the students present now (online, not marked absent).

    With `checkin_room` > 0, room 1 of every rotation is the teacher's: that many students,
    the ones most due a one-on-one check-in, a different few each rotation. With `rooms` and
    `max_size`, the students who do not fit sit out (stay in the main room), spread by the
    planner so that nobody sits out twice before everyone has sat out once.
    """
    if (size is None) == (rooms is None):  # the request's shape first, then who sends it
        raise InvalidInput("Give a room size or a number of rooms.", "plan_size_or_rooms")
    require_staff(identity)
    if checkin_room and identity.role != "teacher":
        # Its order (who is most due a one-on-one) comes from the connection record, which is
        # built from private cards, replies and check-ins: the teacher's alone.
        raise Forbidden("Only the teacher can plan a check-in room: who is most due a "
                        "one-on-one comes from their private connection record.",
                        "plan_checkin_teacher_only")
    if checkin_room and rooms is not None and rooms < 2:
        raise InvalidInput("A check-in room needs at least one other room beside it.",
                           "plan_checkin_needs_room")
    if max_size is not None and rooms is None:
        raise InvalidInput("A most-per-room cap goes with a number of rooms.",
                           "plan_cap_needs_rooms")
    if max_size is not None and checkin_room:
        # Both choose who is out of the student rooms each rotation; one rule at a time.
        raise InvalidInput("A check-in room and a most-per-room cap cannot be combined.",
                           "plan_checkin_and_cap")
    current = store.get_rotation(identity.class_id)
    if current is not None and current["status"] == "running":
        raise Conflict("A rotation is running. End it before planning a new one.",
                       "plan_rotation_running")
    known = {s["id"]: s for s in store.list_students(identity.class_id)}
    for sid in [*absent, *(x for p in apart for x in p), *(x for g in together for x in g)]:
        if sid not in known:
            raise InvalidInput(f"Unknown student {sid!r}.")
    online = store.online_students(identity.class_id)
    present = [sid for sid in known if sid in online and sid not in set(absent)]
    # Constraints about students who are not here do not bind this lesson.
    apart = [p for p in apart if all(x in present for x in p)]
    together = [[x for x in g if x in present] for g in together]
    together = [g for g in together if len(g) > 1]
    record: RotationRecord = {
        "id": secrets.token_hex(6), "status": "draft", "current": -1, "deadline": None,
        "students": present, "left": [], "message": None, "created_at": clock(),
        "settings": {"size": size, "rooms": rooms, "leftover": leftover, "max_size": max_size,
                     "rotations": rotations, "minutes": minutes,
                     "apart": apart, "together": together, "absent": absent, "seed": seed,
                     "checkin_room": checkin_room},
        "rotations": [], "stats": {}, "starters": [],  # filled in below
    }
    history = store.pair_history(identity.class_id)
    try:
        if checkin_room:
            due = [s for s in due_for_checkin(store, identity.class_id) if s in present]
            record["rotations"] = run(lambda: _plan_with_checkin_room(
                record, history, due, rotations, PLAN_SECONDS))
            record["stats"] = _checkin_stats(record["rotations"], history, record["settings"])
        else:
            made = run(lambda: plan(_request(record, history)))
            record["rotations"] = made.rotations
            record["stats"] = {**made.stats.to_dict(), "violation_details": []}
    except PlanError as exc:
        message = str(exc)
        for sid, student in known.items():  # the planner speaks ids; teachers read names
            message = message.replace(sid, student["name"])
        raise InvalidInput(f"These constraints cannot all hold: {message}", "plan_constraints",
                           {"detail": message}) from None
    record["starters"] = starters_for(store, library, identity.class_id, record["rotations"],
                                      seed)
    store.put_rotation(identity.class_id, record)
    return record


def require_rotation(store: RedisStore, class_id: str) -> RotationRecord:
    record = store.get_rotation(class_id)
    if record is None:
        raise NotFound("There is no rotation plan yet.")
    return record


def move_student(store: RedisStore, library: PromptLibrary, identity: Identity, *,
                 rotation: int, student_id: str, room: int) -> RotationRecord:
    """Move a student to another room of a rotation that has not started; stats at once."""
    require_staff(identity)
    history = store.pair_history(identity.class_id)

    def change(record: RotationRecord) -> RotationUpdate:
        if not 0 <= rotation < len(record["rotations"]):
            raise InvalidInput("No such rotation.")
        if rotation <= record["current"]:
            raise Conflict("That rotation has already started.", "plan_rotation_started")
        rooms = [list(r) for r in record["rotations"][rotation]]
        if not 0 <= room < len(rooms):
            raise InvalidInput("No such room.")
        source = next((r for r in rooms if student_id in r), None)
        if source is None:
            raise NotFound("That student is not in this rotation.")
        source.remove(student_id)
        rooms[room].append(student_id)
        rotations = [list(r) for r in record["rotations"]]
        rotations[rotation] = rooms
        updated = record.copy()
        updated["rotations"] = rotations
        return {"rotations": rotations, "stats": _stats(updated, history)}

    updated = store.update_rotation(identity.class_id, change)
    assert updated is not None
    return _refresh_starters(store, library, identity.class_id, updated)


def _refresh_starters(store: RedisStore, library: PromptLibrary, class_id: str,
                      record: RotationRecord) -> RotationRecord:
    """Starters belong to rooms' members: recompute them when the rooms change."""
    starters = starters_for(store, library, class_id, record["rotations"],
                            record["settings"].get("seed", 0))
    updated = store.update_rotation(
        class_id, lambda latest: {"starters": starters}
        if latest["rotations"] == record["rotations"] else None)
    return updated or record


def start_rotation(store: RedisStore, identity: Identity, clock: Clock = now_ms
                   ) -> RotationRecord:
    require_staff(identity)
    now = clock()

    def change(record: RotationRecord) -> RotationUpdate:
        if record["status"] != "draft":
            raise Conflict("This plan has already run. Make a new one.", "plan_already_run")
        return {"status": "running", "current": 0,
                "deadline": now + record["settings"]["minutes"] * 60_000, "message": None}

    updated = store.update_rotation(identity.class_id, change)
    assert updated is not None
    _rotation_began(store, identity.class_id, updated)
    return updated


def deadline_item(record: RotationRecord) -> str:
    # The rotation number is part of the item: a timer that fires just as the host presses
    # "skip" finds a different item and cannot advance twice.
    return f"{record['id']}:{record['current']}"


def _rotation_began(store: RedisStore, class_id: str, record: RotationRecord) -> None:
    """Schedule its end and count its pairs as met (history for later plans)."""
    store.set_deadline("rotation", class_id, deadline_item(record), record["deadline"])
    rooms = record["rotations"][record["current"]]
    store.record_pairs(class_id, [(r[i], r[j]) for r in rooms
                                  for i in range(len(r)) for j in range(i + 1, len(r))])


def advance(store: RedisStore, class_id: str, *, expected: int | None = None,
            clock: Clock = now_ms) -> RotationRecord | None:
    """Go to the next rotation, or end after the last; None if nothing changed.

    `expected` is the rotation the caller saw: a timer and a host pressing "skip" at the same
    moment advance once, not twice.
    """
    now = clock()

    def change(record: RotationRecord) -> RotationUpdate | None:
        if record["status"] != "running":
            return None
        if expected is not None and record["current"] != expected:
            return None
        nxt = record["current"] + 1
        if nxt >= len(record["rotations"]):
            return {"status": "ended", "deadline": None, "ended_at": now}
        return {"current": nxt, "deadline": now + record["settings"]["minutes"] * 60_000}

    updated = store.update_rotation(class_id, change)
    if updated is None:
        return None
    store.set_deadline("rotation", class_id, f"{updated['id']}:{updated['current'] - 1}", None)
    if updated["status"] == "running":
        _rotation_began(store, class_id, updated)
    else:
        store.set_deadline("rotation", class_id, deadline_item(updated), None)
    return updated


def skip(store: RedisStore, identity: Identity, clock: Clock = now_ms) -> RotationRecord:
    require_staff(identity)
    record = require_rotation(store, identity.class_id)
    updated = advance(store, identity.class_id, expected=record["current"], clock=clock)
    if updated is None:
        raise Conflict(NOT_RUNNING)
    return updated


def extend(store: RedisStore, identity: Identity, seconds: int, clock: Clock = now_ms
           ) -> RotationRecord:
    require_staff(identity)
    now = clock()

    def change(record: RotationRecord) -> RotationUpdate | None:
        if record["status"] != "running":
            return None
        return {"deadline": max(record["deadline"] or now, now) + seconds * 1000}

    updated = store.update_rotation(identity.class_id, change)
    if updated is None:
        raise Conflict(NOT_RUNNING)
    store.set_deadline("rotation", identity.class_id, deadline_item(updated), updated["deadline"])
    return updated


def end(store: RedisStore, identity: Identity, clock: Clock = now_ms) -> RotationRecord:
    require_staff(identity)
    now = clock()

    def change(record: RotationRecord) -> RotationUpdate | None:
        if record["status"] != "running":
            return None
        return {"status": "ended", "deadline": None, "ended_at": now}

    updated = store.update_rotation(identity.class_id, change)
    if updated is None:
        raise Conflict(NOT_RUNNING)
    store.set_deadline("rotation", identity.class_id, deadline_item(updated), None)
    return updated


def broadcast_message(store: RedisStore, identity: Identity, text: str,
                      clock: Clock = now_ms) -> RotationMessage:
    require_staff(identity)
    message: RotationMessage = {"text": strip_invisible(text).strip(), "at": clock(),
                                "from": identity.role}
    if not message["text"]:
        raise InvalidInput("The message is empty.")

    def change(record: RotationRecord) -> RotationUpdate | None:
        return {"message": message} if record["status"] == "running" else None

    # Not a new revision: everyone, staff included, gets the message as `rotation.message`.
    if store.update_rotation(identity.class_id, change, revision=False) is None:
        raise Conflict(NOT_RUNNING)
    return message


def without_student(record: RotationRecord, student_id: str) -> RotationUpdate | None:
    """The fields of a rotation record to set once a student's data is deleted: they leave
    every room, list and setting of the plan, and the starters go (they may name them). None
    when the plan never had them."""
    if student_id not in record.get("students", []):
        return None
    strip = [[[s for s in room if s != student_id] for room in rotation]
             for rotation in record["rotations"]]
    return {"rotations": strip,
            "students": [s for s in record["students"] if s != student_id],
            "left": [s for s in record.get("left", []) if s != student_id],
            "settings": {**record["settings"],
                         "absent": [s for s in record["settings"]["absent"]
                                    if s != student_id],
                         "apart": [p for p in record["settings"]["apart"]
                                   if student_id not in p],
                         "together": [[s for s in g if s != student_id]
                                      for g in record["settings"]["together"]]},
            "starters": []}


def forget_student(store: RedisStore, class_id: str, student_id: str) -> None:
    """Take a student whose data was deleted (`classes.forget_student`) out of the plan."""
    store.update_rotation(class_id, lambda record: without_student(record, student_id))


def student_left(store: RedisStore, library: PromptLibrary, class_id: str, student_id: str, *,
                 run: Runner = run_here
                 ) -> tuple[RotationRecord, RotationRecord] | None:
    """Re-plan the rotations still to come without a student who dropped out of a running
    plan; the ones already run (and the one running now) stay as they were. The plan before
    and after, or None if nothing changed."""
    record = store.get_rotation(class_id)
    if record is None or record["status"] != "running":
        return None  # a draft is planned again from whoever is online when it is made
    if student_id not in record["students"] or student_id in record["left"]:
        return None
    kept = record["rotations"][:record["current"] + 1]
    left = [*record["left"], student_id]
    remaining = [s for s in record["students"] if s not in left]
    if not remaining:
        return None
    settings = record["settings"].copy()
    settings["apart"] = [p for p in settings["apart"] if student_id not in p]
    settings["together"] = [g for g in ([x for x in g if x != student_id]
                                        for g in settings["together"]) if len(g) > 1]
    room_count = settings.get("rooms")
    if room_count and room_count > len(remaining):
        settings["rooms"] = len(remaining)
    candidate = record.copy()
    candidate["left"], candidate["settings"] = left, settings
    history = store.pair_history(class_id)
    # Pairs of the kept rotations are already in the stored history (counted as each began).
    earlier = _subtract(history, kept)
    try:
        if settings.get("checkin_room"):
            candidate["students"] = remaining
            due = [s for s in due_for_checkin(store, class_id) if s in remaining]
            count = len(record["rotations"]) - len(kept)
            future = run(lambda: _plan_with_checkin_room(candidate, history, due, count,
                                                         REPLAN_SECONDS))
            new_rotations = [*kept, *future]
            stats = _checkin_stats(future, history, settings, offset=len(kept))
        else:
            made = run(lambda: plan(_request(candidate, earlier, kept, REPLAN_SECONDS)))
            new_rotations = made.rotations
            stats = {**made.stats.to_dict(), "violation_details": []}
    except PlanError:
        return None  # the current plan stays; the host can re-plan by hand

    def change(latest: RotationRecord) -> RotationUpdate | None:
        if latest["id"] != record["id"] or latest["current"] != record["current"]:
            return None  # moved on meanwhile; the next departure re-plans again
        return {"rotations": new_rotations, "left": left, "settings": settings,
                "stats": stats}

    updated = store.update_rotation(class_id, change)
    if updated is None:
        return None
    return record, _refresh_starters(store, library, class_id, updated)


def _subtract(history: list[tuple[str, str, int]], rotations: list[list[list[str]]]
              ) -> list[tuple[str, str, int]]:
    counts = Counter({frozenset((a, b)): n for a, b, n in history})
    for rooms in rotations:
        for r in rooms:
            for i in range(len(r)):
                for j in range(i + 1, len(r)):
                    counts[frozenset((r[i], r[j]))] -= 1
    return [(*sorted(pair), n) for pair, n in counts.items() if n > 0]  # type: ignore[misc]


# ---- the teacher's check-in room -------------------------------------------------------------

def _plan_with_checkin_room(record: RotationRecord, history: list[tuple[str, str, int]],
                            due: list[str], count: int, time_limit: float
                            ) -> list[list[list[str]]]:
    """`count` rotations whose first room is the teacher's: the students most due a check-in
    (a keep-together group comes along whole), different ones each rotation; the others are
    planned rotation by rotation around everything met so far."""
    s = record["settings"]
    size = s["checkin_room"]
    room_count = s.get("rooms")
    present = [x for x in record["students"] if x not in record.get("left", [])]
    unit_of = {x: g for g in s["together"] for x in g}
    apart = {frozenset(p) for p in s["apart"]}
    met = Counter({frozenset((a, b)): n for a, b, n in history})
    queue = [x for x in due if x in present]
    result: list[list[list[str]]] = []
    for number in range(count):
        picked: list[str] = []
        for sid in queue:
            unit = unit_of.get(sid, [sid])
            fits = len(picked) + len(unit) <= size
            clash = any(frozenset((a, b)) in apart for a in unit for b in picked)
            if fits and not clash and not set(unit) & set(picked):
                picked += unit
            if len(picked) >= size:
                break
        # Those just seen go to the back of the line.
        queue = [x for x in queue if x not in picked] + [x for x in queue if x in picked]
        others = [x for x in present if x not in picked]
        rooms: list[list[str]] = []
        if others:
            request = PlanRequest(
                students=others, size=s.get("size"), leftover=s.get("leftover", DEFAULT_LEFTOVER),
                rooms=min(room_count - 1, len(others)) if room_count else None,
                rotations=1, apart=[(a, b) for a, b in s["apart"]
                                    if a in others and b in others],
                together=[g for g in s["together"] if all(x in others for x in g)],
                history=[(*sorted(p), n) for p, n in met.items() if n > 0],
                seed=s.get("seed", 0) + number, time_limit=time_limit / max(count, 1))
            rooms = plan(request).rotations[0]
        rotation = [picked, *rooms]
        for room in rotation:
            for i in range(len(room)):
                for j in range(i + 1, len(room)):
                    met[frozenset((room[i], room[j]))] += 1
        result.append(rotation)
    return result


def _checkin_stats(rotations: list[list[list[str]]], history: list[tuple[str, str, int]],
                   settings: RotationSettings, offset: int = 0) -> dict[str, object]:
    """Honest statistics of a plan with a check-in room. The planner's lower bound assumes
    every student in a student room every rotation, so none is claimed here; the meeting
    counts are the planner's own (`server.planner.stats.meeting_stats`)."""
    met = meeting_stats(rotations, Counter({frozenset((a, b)): n for a, b, n in history}),
                        first_number=offset + 1)
    details: list[str] = []
    apart = {frozenset(p) for p in settings["apart"]}
    for number, rotation in enumerate(rotations, start=offset + 1):
        room_of = {x: i for i, room in enumerate(rotation) for x in room}
        for group in settings["together"]:
            if len({room_of.get(x) for x in group}) > 1:
                details.append(f"rotation {number}: keep-together group {group} split")
        for room in rotation:
            for i in range(len(room)):
                for j in range(i + 1, len(room)):
                    pair = frozenset((room[i], room[j]))
                    if pair in apart:
                        details.append(f"rotation {number}: keep-apart pair {sorted(pair)}")
    return {"repeats": met.repeats, "lower_bound": None, "optimal": False,
            "max_meetings": met.max_meetings,
            "first_repeat_rotation": met.first_repeat_rotation,
            "distinct_partners_min": met.distinct_partners_min,
            "distinct_partners_mean": round(met.distinct_partners_mean, 3),
            "violations": len(details), "violation_details": details,
            "new_pair_share": round(met.new_pair_share, 4), "sit_outs_min": 0,
            "sit_outs_max": 0, "seconds": 0.0}


# ---- conversation starters ------------------------------------------------------------------

_WORD = re.compile(r"[^\W\d_]{4,}", re.UNICODE)
_STOP = frozenset({
    "about", "after", "again", "also", "always", "because", "been", "being", "best", "both",
    "could", "didn", "every", "from", "have", "having", "here", "into", "just", "like", "love",
    "loved", "make", "many", "more", "most", "much", "only", "other", "over", "really", "said",
    "same", "some", "such", "than", "that", "their", "them", "then", "there", "these", "they",
    "thing", "things", "this", "those", "very", "want", "went", "were", "what", "when", "where",
    "which", "while", "with", "would", "your", "yours", "mine", "myself", "favorite",
    "favourite"
})


def _topics(text: str) -> set[str]:
    return {w for w in (m.group(0).casefold() for m in _WORD.finditer(text)) if w not in _STOP}


def starters_for(store: RedisStore, library: PromptLibrary, class_id: str,
                 rotations: list[list[list[str]]], seed: int) -> list[list[Starter]]:
    """A conversation starter per room: a topic two members both shared on class-visible
    cards if there is one, else a light prompt the class has not had."""
    shared: dict[str, set[str]] = {}
    for card in store.all_cards(class_id):
        if projections.public(card):  # the whole room may see it
            shared.setdefault(card["student_id"], set()).update(_topics(card["text"]))
    names = {s["id"]: s["name"] for s in store.list_students(class_id)}
    klass = store.get_class(class_id)
    band = klass.get("grade_band") if klass else None
    used = store.used_prompt_ids(class_id)
    result: list[list[Starter]] = []
    for number, rooms in enumerate(rotations):
        row = []
        for index, room in enumerate(rooms):
            row.append(_starter(room, shared, names, library, band, used,
                                f"{seed}:{number}:{index}"))
        result.append(row)
    return result


def _starter(room: list[str], shared: dict[str, set[str]], names: dict[str, str],
             library: PromptLibrary, band: str | None, used: set[str], seed: str
             ) -> Starter:
    counts: Counter[str] = Counter()
    for sid in room:
        counts.update(shared.get(sid, ()))
    common = sorted((t for t, n in counts.items() if n >= 2), key=lambda t: (-counts[t], t))
    if common:
        topic = common[0]
        who = [names.get(s, "Someone") for s in room if topic in shared.get(s, ())]
        return {"kind": "shared", "topic": topic, "names": who[:3],
                "text": f"{' and '.join(who[:3])} both mentioned \u201c{topic}\u201d. "
                        "Tell each other how it came into your life."}
    prompt = library.suggest(side="student", depth="light", grade_band=band, exclude_ids=used,
                             seed=seed) or library.suggest(side="student", seed=seed)
    return {"kind": "prompt", "prompt_id": prompt.id if prompt else None,
            "text": prompt.text if prompt else "Share one thing that made you smile this week."}
