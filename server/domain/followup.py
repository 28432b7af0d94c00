"""The teacher's follow-up tools on top of a class's data: the one-on-one check-in plan and
the connection record (with private notes). Teacher only: they draw on private cards and
replies, which the co-host never sees.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from fractions import Fraction
from typing import Any

from server.domain import checkins, connections
from server.domain.classes import NO_SUCH_STUDENT, Identity, require_teacher
from server.domain.errors import InvalidInput, NotFound
from server.domain.records import CheckinMeeting, CheckinPlanRecord, CheckinStatus, Note
from server.domain.runtime import Clock, now_ms
from server.domain.spreadsheet import BOM, zone
from server.domain.text import clean_text
from server.store.redis_store import RedisStore

WEEK_MS = 7 * connections.DAY_MS
MAX_NOTE = 2000


def _roster_tags(store: RedisStore, class_id: str) -> dict[str, list[str]]:
    roster = {e["id"]: e["tags"] for e in store.list_roster(class_id)}
    return {s["id"]: roster.get(s.get("roster_id") or "", [])
            for s in store.list_students(class_id)}


def _students(store: RedisStore, class_id: str) -> list[checkins.CheckinStudent]:
    tags = _roster_tags(store, class_id)
    return [checkins.CheckinStudent(s["id"], s["name"], tuple(tags[s["id"]]))
            for s in store.list_students(class_id)]


def _current_week(settings: CheckinPlanRecord, now: int) -> int:
    return max(0, (now - int(settings["created_at"])) // WEEK_MS)


def _plan(store: RedisStore, class_id: str, settings: CheckinPlanRecord, now: int
          ) -> checkins.CheckinPlan:
    history = [checkins.PastMeeting(m["student_id"], m["week"], m["status"])
               for m in store.checkin_log(class_id)]
    return checkins.plan_checkins(
        _students(store, class_id), settings["slots_per_week"], settings["weeks"],
        settings["minutes"], settings.get("weights"), history=history,
        current_week=_current_week(settings, now))


def plan_checkins(store: RedisStore, identity: Identity, *, slots_per_week: int, minutes: int,
                  weeks: int, weights: dict[str, int] | None, clock: Clock = now_ms
                  ) -> dict[str, Any]:
    require_teacher(identity)
    now = clock()
    previous = store.get_checkin_plan(identity.class_id)
    settings: CheckinPlanRecord = {
        "slots_per_week": slots_per_week, "minutes": minutes, "weeks": weeks, "weights": weights,
        # Keep week numbering stable across re-plans so logged meetings still line up.
        "created_at": previous["created_at"] if previous else now}
    made = _plan(store, identity.class_id, settings, now)
    store.put_checkin_plan(identity.class_id, settings)
    return _plan_view(store, identity.class_id, settings, made)


def current_checkins(store: RedisStore, identity: Identity, clock: Clock = now_ms
                     ) -> dict[str, Any] | None:
    require_teacher(identity)
    settings = store.get_checkin_plan(identity.class_id)
    if settings is None:
        return None
    return _plan_view(store, identity.class_id, settings,
                      _plan(store, identity.class_id, settings, clock()))


def _plan_view(store: RedisStore, class_id: str, settings: CheckinPlanRecord,
               made: checkins.CheckinPlan) -> dict[str, Any]:
    names = {s["id"]: s["name"] for s in store.list_students(class_id)}
    view = made.to_dict()
    for week in view["weeks"]:
        for slot in week["slots"]:
            slot["name"] = names.get(slot["student_id"], "?")
    view["settings"] = settings
    view["log"] = sorted(store.checkin_log(class_id), key=lambda m: (m["week"], m["slot"]))
    return view


def mark_checkin(store: RedisStore, identity: Identity, *, week: int, slot: int,
                 student_id: str, status: CheckinStatus, clock: Clock = now_ms
                 ) -> CheckinMeeting:
    """Record a meeting as done or missed; a missed one is carried forward by the next plan."""
    require_teacher(identity)
    if store.get_student(identity.class_id, student_id) is None:
        raise NotFound(NO_SUCH_STUDENT)
    if store.get_checkin_plan(identity.class_id) is None:
        raise InvalidInput("Plan check-ins first.")
    meeting: CheckinMeeting = {"week": week, "slot": slot, "student_id": student_id,
                               "status": status, "at": clock()}
    store.log_checkin(identity.class_id, meeting)
    return meeting


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class CalendarChoice:
    """When the teacher holds check-ins: which weekdays, from what time, in which time zone."""

    weekdays: tuple[int, ...] = (0, 1, 2, 3, 4)  # Monday = 0
    day_start: time = time(10, 0)
    tz_name: str = "UTC"

    @classmethod
    def from_query(cls, days: str | None, at: str | None, tz: str | None) -> CalendarChoice:
        """From `days=mon,wed,fri`, `time=15:30`, `tz=Europe/Paris` (each optional)."""
        choice = cls()
        if days:
            picked = [d.strip().lower()[:3] for d in days.split(",")[:7]]
            if not picked or any(d not in WEEKDAYS for d in picked):
                raise InvalidInput("Choose the days as mon, tue, wed, thu, fri, sat or sun.")
            choice = replace(choice, weekdays=tuple(sorted({WEEKDAYS.index(d) for d in picked})))
        if at:
            match = _CLOCK.fullmatch(at.strip())
            if match is None or int(match[1]) > 23 or int(match[2]) > 59:
                raise InvalidInput("Give the time of day as hours and minutes, like 15:30.")
            choice = replace(choice, day_start=time(int(match[1]), int(match[2])))
        if tz:
            zone(tz)  # a plain error for an unknown zone
            choice = replace(choice, tz_name=tz)
        return choice

    def first_day(self, now_ms: int) -> date:
        """The first chosen weekday whose start time is still ahead: never a day already past."""
        here = datetime.fromtimestamp(now_ms / 1000, zone(self.tz_name))
        day = here.date()
        for _ in range(8):
            if day.weekday() in self.weekdays and \
                    datetime.combine(day, self.day_start, here.tzinfo) > here:
                return day
            day += timedelta(days=1)
        raise AssertionError("some weekday is chosen")


_CLOCK = re.compile(r"([0-9]{1,2}):([0-9]{2})")


def export_checkins(store: RedisStore, identity: Identity, fmt: str, clock: Clock = now_ms,
                    calendar: CalendarChoice | None = None) -> str:
    """The plan as CSV (with a byte-order mark, for spreadsheets) or as an iCalendar file whose
    first meeting is on the first chosen day still ahead."""
    require_teacher(identity)
    settings = store.get_checkin_plan(identity.class_id)
    if settings is None:
        raise NotFound("There is no check-in plan yet.")
    now = clock()
    made = _plan(store, identity.class_id, settings, now)
    names = {s["id"]: s["name"] for s in store.list_students(identity.class_id)}
    if fmt == "csv":
        return BOM + checkins.plan_to_csv(made, names)
    calendar = calendar or CalendarChoice()
    return checkins.plan_to_ical(made, names, calendar.first_day(now),
                                 minutes=settings["minutes"], tz_name=calendar.tz_name,
                                 weekdays=calendar.weekdays, day_start=calendar.day_start)


def connection_record(store: RedisStore, identity: Identity, days: int,
                      clock: Clock = now_ms) -> dict[str, Any]:
    require_teacher(identity)
    view = connections.record_to_dict(_record(store, identity.class_id, clock()), days)
    view["notes"] = store.get_notes(identity.class_id)
    return view


def due_for_checkin(store: RedisStore, class_id: str, clock: Clock = now_ms) -> list[str]:
    """Every student, most due a one-on-one first: never reached, then longest since a real
    connection; among equals, the more heavily weighted (ELL, new, priority) first."""
    weights = {tag.casefold(): Fraction(w) for tag, w in checkins.DEFAULT_TAG_WEIGHTS.items()}
    entries = _record(store, class_id, clock()).students
    return [e.student_id for e in sorted(entries, key=lambda e: (
        e.last_connection_ms is not None,
        e.last_connection_ms if e.last_connection_ms is not None else e.joined_at_ms,
        -checkins.weight_of(e.tags, weights)[0], e.name.casefold(), e.student_id))]


def _record(store: RedisStore, class_id: str, now: int) -> connections.ConnectionRecord:
    tags = _roster_tags(store, class_id)
    students = [connections.StudentInfo(s["id"], s["name"], tuple(tags[s["id"]]),
                                        s["joined_at"] * 1000, s.get("lang"))
                for s in store.list_students(class_id)]
    spotlit = {e["card_id"] for e in store.spotlights(class_id)}
    cards = [connections.CardFact(c["student_id"], c["created_at"], c["visibility"],
                                  c["id"] in spotlit)
             for c in store.all_cards(class_id)]
    owners = {c["id"]: c["student_id"] for c in store.all_cards(class_id)}
    replies = [connections.ReplyFact(owners[r["card_id"]], r["at"], r["from"])
               for r in store.all_replies(class_id) if r["card_id"] in owners]
    meetings = [connections.CheckinFact(m["student_id"], m["at"], m["status"])
                for m in store.checkin_log(class_id)]
    return connections.build_connection_record(students, cards, replies, meetings, now_ms=now)


def set_note(store: RedisStore, identity: Identity, student_id: str, text: str,
             clock: Clock = now_ms) -> Note | None:
    require_teacher(identity)
    if store.get_student(identity.class_id, student_id) is None:
        raise NotFound(NO_SUCH_STUDENT)
    if not text.strip():
        store.set_note(identity.class_id, student_id, None)
        return None
    note: Note = {"text": clean_text(text, MAX_NOTE, "note"), "at": clock()}
    store.set_note(identity.class_id, student_id, note)
    return note
