"""The fair one-on-one check-in planner (journey 6).

A teacher has a few short one-on-one slots a week and many students. This module says honestly
whether everyone can be seen within the horizon (`capacity_check`) and proposes who to meet in
each slot (`plan_checkins`), giving *more* meetings to students who need them (tags such as
`ELL`, `new`, `priority`): equity, not equality. Plain standard-library Python, deterministic.

How the plan is built — weighted fair queuing ("stride scheduling")
-------------------------------------------------------------------
Every student *i* has a weight ``w_i`` (the largest weight among their tags, 1 if none has a
weight) and a *virtual time* ``v_i``. Each slot goes to the student with the smallest virtual
time; a meeting advances it by ``1 / w_i``, so a weight-2 student's clock runs half as fast and
comes up twice as often. Ties (exact: virtual times are `Fraction`s) are broken, in order, by:

1. a missed meeting carried forward (they come up first),
2. never seen (nobody gets a second meeting while someone has had none),
3. higher weight (at equal virtual time their *finish* time ``v + 1 / w`` is earlier, so this
   keeps the weighted students on their share rather than a meeting behind it),
4. longest since their last meeting,
5. a fixed order: the roster order, or a seeded shuffle of it when `seed` is given.

No randomness is involved unless a seed is given, and then it is a fixed `random.Random(seed)`,
so the same inputs always give the same plan.

History: a *done* meeting before ``current_week`` advances the student's starting virtual time
by ``1 / w_i``; a *missed* one does not, so the student keeps their place at the front and is
carried forward. So that a student with a lot of catching up to do (a late joiner, a long run of
missed meetings) does not take a streak of slots, nobody starts more than ``catch_up_limit``
units of virtual time (one unit = one meeting of an untagged student) behind the most-served
student; never-seen students start at the front.

The fairness guarantee (tested in ``tests/unit/test_checkins.py``)
------------------------------------------------------------------
Let ``s_i`` be a student's starting virtual time and ``p_i`` the meetings the plan gives them.
For any two students *i* and *j* with ``p_i >= 1``::

    s_i + p_i / w_i  <=  s_j + p_j / w_j + 1 / w_i

Proof: when *i* is picked, ``v_i <= v_j`` (smallest virtual time); after the meeting
``v_i + 1 / w_i <= v_j + 1 / w_i``, and ``v_j`` only ever grows afterwards, so the inequality
holds until *i* is picked again, where the same argument applies. Ties never matter.

With no history (all ``s`` equal) this reads ``p_i <= floor(w_i / w_j * p_j) + 1``: over the
horizon nobody gets more than one meeting beyond their weighted share of anyone else's. For
example an ELL student (weight 2) gets at most ``2 * p + 1`` meetings when an untagged student
gets ``p``, and at least ``2 * p - 1`` (the same inequality with *i* and *j* swapped). And since
the never-seen all share the smallest virtual time, everyone is seen once before anyone is seen
twice whenever the horizon has room for it.

Against the ideal split of ``T`` slots (``T * w_i / W``, ``W`` the total weight of ``n``
students), a fresh plan gives nobody more than one meeting above their ideal share; a student can
fall below it by at most ``w_i * n / W`` (summing the bound above over everyone). With 20 ELL
students and 120 others in 160 slots this is exactly 2 meetings each for ELL and 1 for the rest.

Size: one algorithm with its proof (this docstring, a tenth of the file), the input checks, the
capacity check that says whether the horizon is enough, and the plan's two file formats (CSV,
iCalendar). They share the plan types and are tested together (tests/unit/test_checkins.py).
"""

from __future__ import annotations

import csv
import heapq
import io
import math
import random
import urllib.parse
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from server.domain import clock
from server.domain.common import safe_cell
from server.domain.errors import InvalidInput
from server.domain.records import CHECKIN_STATUSES

DEFAULT_TAG_WEIGHTS: Mapping[str, float] = {"ELL": 2, "new": 2, "priority": 2}
MAX_STUDENTS = 1000
MIN_SLOTS, MAX_SLOTS = 0, 200
MIN_MINUTES, MAX_MINUTES = 5, 60
MIN_HORIZON, MAX_HORIZON = 1, 52
MAX_WEIGHT = 10

REASON_CARRIED = "missed last time — carried forward"
REASON_NOT_SEEN = "not seen yet"


# ---- inputs ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class CheckinStudent:
    id: str
    name: str = ""
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class PastMeeting:
    """A meeting already on record. `week` is on the same scale as `current_week`."""

    student_id: str
    week: int
    status: str  # "done" | "missed"


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_int(value: object, low: int, high: int, what: str) -> int:
    if not _is_int(value) or not low <= value <= high:  # type: ignore[operator]
        raise InvalidInput(f"The {what} must be a whole number from {low} to {high}.")
    return value  # type: ignore[return-value]


def _coerce_students(students: Iterable[CheckinStudent | Mapping[str, Any]]
                     ) -> list[CheckinStudent]:
    result: list[CheckinStudent] = []
    seen: set[str] = set()
    for raw in students:
        if isinstance(raw, CheckinStudent):
            student = raw
        elif isinstance(raw, Mapping):
            student = CheckinStudent(id=raw.get("id"), name=raw.get("name") or "",  # type: ignore[arg-type]
                                     tags=tuple(raw.get("tags") or ()))
        else:
            raise InvalidInput("Each student must have an id, a name and tags.")
        if not isinstance(student.id, str) or not student.id:
            raise InvalidInput("Each student needs a non-empty id.")
        if student.id in seen:
            raise InvalidInput(f"The student id {student.id!r} appears twice.")
        if not all(isinstance(tag, str) for tag in student.tags):
            raise InvalidInput("Tags must be text.")
        seen.add(student.id)
        result.append(CheckinStudent(student.id, str(student.name), tuple(student.tags)))
    if len(result) > MAX_STUDENTS:
        raise InvalidInput(f"A plan can cover at most {MAX_STUDENTS} students.")
    return result


def _coerce_history(history: Iterable[PastMeeting | Mapping[str, Any]]) -> list[PastMeeting]:
    result: list[PastMeeting] = []
    for raw in history:
        if isinstance(raw, PastMeeting):
            meeting = raw
        elif isinstance(raw, Mapping):
            meeting = PastMeeting(raw.get("student_id"), raw.get("week"),  # type: ignore[arg-type]
                                  raw.get("status"))  # type: ignore[arg-type]
        else:
            raise InvalidInput("Each past meeting needs a student_id, a week and a status.")
        if not isinstance(meeting.student_id, str) or not _is_int(meeting.week):
            raise InvalidInput("Each past meeting needs a student_id and a whole-number week.")
        if meeting.status not in CHECKIN_STATUSES:
            raise InvalidInput("A past meeting's status must be 'done' or 'missed'.")
        result.append(meeting)
    return result


def _coerce_weights(tag_weights: Mapping[str, float] | None) -> dict[str, Fraction]:
    weights = DEFAULT_TAG_WEIGHTS if tag_weights is None else tag_weights
    result: dict[str, Fraction] = {}
    for tag, weight in weights.items():
        if not isinstance(tag, str) or isinstance(weight, bool) \
                or not isinstance(weight, int | float) or not 0 < weight <= MAX_WEIGHT:
            raise InvalidInput(f"A tag weight must be a number above 0 and at most {MAX_WEIGHT}.")
        # str() first so that 1.5 becomes exactly 3/2 and ties between students stay exact.
        result[tag.casefold()] = Fraction(str(weight))
    return result


def weight_of(tags: Iterable[str], weights: Mapping[str, Fraction]) -> tuple[Fraction, list[str]]:
    """The student's weight (largest of their weighted tags, else 1) and the tags giving it."""
    weighted = [(weights[tag.casefold()], tag) for tag in tags if tag.casefold() in weights]
    if not weighted:
        return Fraction(1), []
    top = max(weight for weight, _ in weighted)
    return top, [tag for weight, tag in weighted if weight == top]


def _format_weight(weight: Fraction | float) -> str:
    value = float(weight)
    return str(int(value)) if value.is_integer() else f"{value:g}"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _hours(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{rest} minutes"
    return f"{hours} h {rest} min" if rest else _plural(hours, "hour")


# ---- capacity --------------------------------------------------------------------------------

@dataclass(frozen=True)
class FairShare:
    """Meetings each student of one weight class would get over the horizon in a perfect split."""

    weight: float
    tags: tuple[str, ...]  # the tags that give this weight; () for weight-1 students
    students: int
    meetings_per_student: float


@dataclass(frozen=True)
class Capacity:
    students: int
    slots_per_week: int
    horizon_weeks: int
    meeting_minutes: int
    total_slots: int
    meetings_needed: int  # to see everyone once
    everyone_seen: bool
    weeks_to_see_everyone: int | None  # None when there are no slots
    slots_needed_per_week: int  # to see everyone once within the horizon
    fair_share: tuple[FairShare, ...]
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "students": self.students, "slots_per_week": self.slots_per_week,
            "horizon_weeks": self.horizon_weeks, "meeting_minutes": self.meeting_minutes,
            "total_slots": self.total_slots, "meetings_needed": self.meetings_needed,
            "everyone_seen": self.everyone_seen,
            "weeks_to_see_everyone": self.weeks_to_see_everyone,
            "slots_needed_per_week": self.slots_needed_per_week,
            "fair_share": [{"weight": share.weight, "tags": list(share.tags),
                            "students": share.students,
                            "meetings_per_student": share.meetings_per_student}
                           for share in self.fair_share],
            "message": self.message,
        }


def _capacity(roster: list[CheckinStudent], slots_per_week: int, horizon_weeks: int,
              meeting_minutes: int, weights: Mapping[str, Fraction]) -> Capacity:
    count = len(roster)
    total_slots = slots_per_week * horizon_weeks
    weeks_needed: int | None
    if count == 0:
        weeks_needed = 0
    elif slots_per_week == 0:
        weeks_needed = None
    else:
        weeks_needed = math.ceil(count / slots_per_week)
    everyone_seen = total_slots >= count

    classes: dict[Fraction, tuple[set[str], int]] = {}
    for student in roster:
        weight, tags = weight_of(student.tags, weights)
        class_tags, members = classes.get(weight, (set(), 0))
        classes[weight] = (class_tags | set(tags), members + 1)
    total_weight = sum((weight * members for weight, (_, members) in classes.items()),
                       Fraction(0))
    fair_share = tuple(
        FairShare(weight=float(weight), tags=tuple(sorted(tags, key=str.casefold)),
                  students=members,
                  meetings_per_student=round(float(total_slots * weight / total_weight), 2))
        for weight, (tags, members) in sorted(classes.items(), reverse=True))

    minutes_a_week = slots_per_week * meeting_minutes
    everyone = f"all {count} students" if count != 1 else "your 1 student"
    if count == 0:
        message = "There are no students on the roster yet."
    elif slots_per_week == 0:
        message = (f"With no check-in slots a week, none of your {count} students can be seen; "
                   "add slots to plan check-ins.")
    else:
        message = (f"With {_plural(slots_per_week, 'slot')} a week, seeing {everyone} once "
                   f"takes {_plural(weeks_needed or 0, 'week')}; your horizon is "
                   f"{_plural(horizon_weeks, 'week')}.")
        if everyone_seen:
            message += " Everyone can be seen at least once within the horizon."
        else:
            message += (f" To see everyone within {_plural(horizon_weeks, 'week')} you would "
                        f"need {_plural(math.ceil(count / horizon_weeks), 'slot')} a week.")
        message += (f" That is {_hours(minutes_a_week)} of {meeting_minutes}-minute check-ins "
                    "a week.")
    return Capacity(
        students=count, slots_per_week=slots_per_week, horizon_weeks=horizon_weeks,
        meeting_minutes=meeting_minutes, total_slots=total_slots, meetings_needed=count,
        everyone_seen=everyone_seen, weeks_to_see_everyone=weeks_needed,
        slots_needed_per_week=math.ceil(count / horizon_weeks) if count else 0,
        fair_share=fair_share, message=message)


def _check_settings(slots_per_week: int, horizon_weeks: int, meeting_minutes: int) -> None:
    _check_int(slots_per_week, MIN_SLOTS, MAX_SLOTS, "number of slots a week")
    _check_int(horizon_weeks, MIN_HORIZON, MAX_HORIZON, "horizon in weeks")
    _check_int(meeting_minutes, MIN_MINUTES, MAX_MINUTES, "meeting length in minutes")


def capacity_check(students: Iterable[CheckinStudent | Mapping[str, Any]], slots_per_week: int,
                   horizon_weeks: int, meeting_minutes: int = 10,
                   tag_weights: Mapping[str, float] | None = None) -> Capacity:
    """Can everyone be seen once within the horizon, and what is each weight class's share?"""
    roster = _coerce_students(students)
    _check_settings(slots_per_week, horizon_weeks, meeting_minutes)
    return _capacity(roster, slots_per_week, horizon_weeks, meeting_minutes,
                     _coerce_weights(tag_weights))


# ---- the plan --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Because:
    """Why a slot goes to a student, as data, so that a page can say it in its own language and
    number the weeks as it shows them (`PlannedSlot.reasons` is the English for exports)."""

    kind: str  # "carried" (missed last time), "not_seen" or "in_turn"
    last_week: int | None  # "in_turn": the week last seen (same scale as `PlannedSlot.week`)
    weighted: tuple[str, ...] = ()  # the weighted tags, when the student's weight is not 1
    weight: str | None = None  # that weight, as "2" or "1.5"

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "last_week": self.last_week,
                "weighted": list(self.weighted), "weight": self.weight}


@dataclass(frozen=True)
class PlannedSlot:
    week: int  # same scale as the history and `current_week`
    slot: int  # 0-based within the week
    student_id: str
    reasons: tuple[str, ...]
    because: Because | None = None

    @property
    def why(self) -> str:
        return "; ".join(self.reasons)


@dataclass(frozen=True)
class CheckinPlan:
    start_week: int
    slots_per_week: int
    meeting_minutes: int
    weeks: tuple[tuple[PlannedSlot, ...], ...]  # weeks -> slots, in order
    capacity: Capacity
    weights: Mapping[str, float]  # student id -> weight
    tags: Mapping[str, tuple[str, ...]]  # student id -> tags
    meetings: Mapping[str, int]  # student id -> meetings planned over the horizon
    start_virtual_time: Mapping[str, Fraction] = field(repr=False)  # `s_i` of the guarantee

    @property
    def horizon_weeks(self) -> int:
        return len(self.weeks)

    def schedule(self) -> list[list[str]]:
        """Weeks -> slots -> student id."""
        return [[slot.student_id for slot in week] for week in self.weeks]

    def slots(self) -> list[PlannedSlot]:
        return [slot for week in self.weeks for slot in week]

    def unseen(self) -> list[str]:
        """Students the plan does not reach within the horizon, in roster order."""
        return [student_id for student_id, count in self.meetings.items() if count == 0]

    def to_dict(self) -> dict[str, Any]:
        return {
            "start_week": self.start_week, "slots_per_week": self.slots_per_week,
            "meeting_minutes": self.meeting_minutes, "horizon_weeks": self.horizon_weeks,
            "weeks": [{"week": self.start_week + index,
                       "slots": [{"slot": slot.slot, "student_id": slot.student_id,
                                  "why": slot.why, "reasons": list(slot.reasons),
                                  "because": slot.because.to_dict() if slot.because else None}
                                 for slot in week]}
                      for index, week in enumerate(self.weeks)],
            "meetings": dict(self.meetings), "unseen": self.unseen(),
            "capacity": self.capacity.to_dict(),
        }


@dataclass
class _Queue:
    """One student's place in the scheduler."""

    student_id: str
    weight: Fraction
    weighted_tags: list[str]
    virtual_time: Fraction
    carried_forward: bool
    seen: bool
    last_seen: tuple[int, int]  # (week, slot); history meetings use slot -1
    order: int

    def key(self) -> tuple[Any, ...]:
        return (self.virtual_time, not self.carried_forward, self.seen, -self.weight,
                self.last_seen, self.order)

    def reasons(self) -> tuple[str, ...]:
        reasons: list[str] = []
        if self.carried_forward:
            reasons.append(REASON_CARRIED)
        elif not self.seen:
            reasons.append(REASON_NOT_SEEN)
        if self.weight != 1:
            reasons.append(f"{'/'.join(self.weighted_tags)}: weighted "
                           f"{_format_weight(self.weight)}x")
        if self.seen and not self.carried_forward:
            reasons.append(f"next in turn — last seen week {self.last_seen[0]}")
        return tuple(reasons)

    def because(self) -> Because:
        weighted = self.weight != 1
        kind = "carried" if self.carried_forward else "in_turn" if self.seen else "not_seen"
        return Because(kind, self.last_seen[0] if kind == "in_turn" else None,
                       tuple(self.weighted_tags) if weighted else (),
                       _format_weight(self.weight) if weighted else None)


def plan_checkins(students: Iterable[CheckinStudent | Mapping[str, Any]], slots_per_week: int,
                  horizon_weeks: int, meeting_minutes: int = 10,
                  tag_weights: Mapping[str, float] | None = None,
                  history: Iterable[PastMeeting | Mapping[str, Any]] = (),
                  current_week: int = 0, *, seed: int | None = None,
                  catch_up_limit: float = 1) -> CheckinPlan:
    """Plan who to meet in each slot of weeks ``current_week .. current_week + horizon - 1``.

    See the module docstring for the algorithm and the fairness guarantee. History records from
    ``current_week`` on are ignored (they belong to the period being planned) and so are records
    of students no longer on the roster. ``catch_up_limit`` caps, in meetings of an untagged
    student, how far behind the most-served student anyone starts.
    """
    roster = _coerce_students(students)
    _check_settings(slots_per_week, horizon_weeks, meeting_minutes)
    if not _is_int(current_week):
        raise InvalidInput("The current week must be a whole number.")
    if isinstance(catch_up_limit, bool) or not isinstance(catch_up_limit, int | float) \
            or catch_up_limit < 0:
        raise InvalidInput("The catch-up limit must be a number of at least 0.")
    weights = _coerce_weights(tag_weights)
    past = [meeting for meeting in _coerce_history(history) if meeting.week < current_week]

    order = list(range(len(roster)))
    if seed is not None:
        random.Random(seed).shuffle(order)

    queues: dict[str, _Queue] = {}
    for student, position in zip(roster, order, strict=True):
        weight, weighted_tags = weight_of(student.tags, weights)
        queues[student.id] = _Queue(student.id, weight, weighted_tags, Fraction(0), False,
                                    False, (0, 0), position)
    last_done: dict[str, int] = {}
    last_missed: dict[str, int] = {}
    for meeting in past:
        queue = queues.get(meeting.student_id)
        if queue is None:
            continue
        if meeting.status == "done":
            queue.virtual_time += 1 / queue.weight
            last_done[queue.student_id] = max(meeting.week, last_done.get(queue.student_id,
                                                                          meeting.week))
        else:
            last_missed[queue.student_id] = max(meeting.week,
                                                last_missed.get(queue.student_id, meeting.week))
    for student_id, queue in queues.items():
        if student_id in last_done:
            queue.seen = True
            queue.last_seen = (last_done[student_id], -1)
        # A done meeting in the same week as a miss wins: we cannot tell their order.
        queue.carried_forward = last_missed.get(student_id, -math.inf) > last_done.get(
            student_id, -math.inf)
    if queues:
        floor = max(queue.virtual_time for queue in queues.values()) - Fraction(
            str(catch_up_limit))
        for queue in queues.values():
            queue.virtual_time = max(queue.virtual_time, floor, Fraction(0))
    start_virtual_time = {student_id: queue.virtual_time for student_id, queue in queues.items()}

    heap = [(queue.key(), queue.student_id) for queue in queues.values()]
    heapq.heapify(heap)
    meetings = dict.fromkeys(queues, 0)
    weeks: list[tuple[PlannedSlot, ...]] = []
    for week in range(current_week, current_week + horizon_weeks):
        planned: list[PlannedSlot] = []
        for slot in range(slots_per_week if heap else 0):
            _, student_id = heapq.heappop(heap)
            queue = queues[student_id]
            planned.append(PlannedSlot(week, slot, student_id, queue.reasons(), queue.because()))
            meetings[student_id] += 1
            # The plan assumes the meeting happens; a miss is fed back through `history`.
            queue.virtual_time += 1 / queue.weight
            queue.carried_forward = False
            queue.seen = True
            queue.last_seen = (week, slot)
            heapq.heappush(heap, (queue.key(), student_id))
        weeks.append(tuple(planned))

    return CheckinPlan(
        start_week=current_week, slots_per_week=slots_per_week, meeting_minutes=meeting_minutes,
        weeks=tuple(weeks),
        capacity=_capacity(roster, slots_per_week, horizon_weeks, meeting_minutes, weights),
        weights={sid: float(queue.weight) for sid, queue in queues.items()},
        tags={student.id: student.tags for student in roster},
        meetings=meetings, start_virtual_time=start_virtual_time)


# ---- exports ---------------------------------------------------------------------------------

def plan_to_csv(plan: CheckinPlan, names: Mapping[str, str]) -> str:
    """Columns week, slot (1-based), student, tags, reason. Unknown names fall back to the id."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["week", "slot", "student", "tags", "reason"])
    for slot in plan.slots():
        # Every cell: the reason names weighted tags, and a tag may start with "-".
        writer.writerow([safe_cell(cell) for cell in (
            slot.week, slot.slot + 1, names.get(slot.student_id, slot.student_id),
            ", ".join(plan.tags.get(slot.student_id, ())), slot.why)])
    return buffer.getvalue()


def ical_escape(text: str) -> str:
    """RFC 5545 TEXT escaping: backslash, semicolon, comma and newlines."""
    text = text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return text.replace("\r\n", "\\n").replace("\r", "\\n").replace("\n", "\\n")


def ical_fold(line: str) -> str:
    """Fold a content line so no physical line exceeds 75 octets, never splitting a character."""
    pieces: list[str] = []
    current, size, limit = "", 0, 75
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            pieces.append(current)
            current, size, limit = " ", 1, 75  # the leading space counts toward the 75
        current += char
        size += width
    pieces.append(current)
    return "\r\n".join(pieces)


def _utc_stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _weekdays(week_start: date, weekdays: Sequence[int] = (0, 1, 2, 3, 4)) -> list[date]:
    # The chosen days (Monday-to-Friday by default) among the seven starting at `week_start`.
    days = (week_start + timedelta(days=offset) for offset in range(7))
    return [day for day in days if day.weekday() in weekdays]


def plan_to_ical(plan: CheckinPlan, names: Mapping[str, str], start_date: date,
                 slot_times: Sequence[time] | None = None, minutes: int | None = None,
                 tz_name: str = "UTC", *, dtstamp: datetime | None = None,
                 weekdays: Sequence[int] = (0, 1, 2, 3, 4), day_start: time = time(10, 0)
                 ) -> str:
    """One VEVENT per planned meeting, as an RFC 5545 VCALENDAR (CRLF, folded, escaped).

    Plan week ``start_week + k`` is the seven days from ``start_date + 7k``. Its slots are spread
    over that week's chosen `weekdays` (Monday = 0; Monday to Friday by default) in turn (slot 0
    on the first such day, slot 1 on the next, ...), and the n-th slot of a day is at
    ``slot_times[n % len(slot_times)]`` — by default `day_start` (10:00), then steps of at least
    the meeting length. Times are local to
    `tz_name` and written in UTC, so no VTIMEZONE block is needed. `dtstamp` pins DTSTAMP (now
    by default). Descriptions carry no tags or reasons: calendars get shared.
    """
    length = plan.meeting_minutes if minutes is None else minutes
    _check_int(length, MIN_MINUTES, MAX_MINUTES, "meeting length in minutes")
    try:
        zone = ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise InvalidInput(f"Unknown time zone {tz_name!r}.") from error
    if not weekdays or any(not 0 <= d <= 6 for d in weekdays):
        raise InvalidInput("Choose at least one weekday.")
    if slot_times is not None and not slot_times:
        raise InvalidInput("Give at least one slot time, or none for the default.")
    step = max(15, math.ceil(length / 5) * 5)
    stamp = _utc_stamp(dtstamp or datetime.fromtimestamp(clock.now(), UTC))

    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Rapport//Check-ins//EN",
             "CALSCALE:GREGORIAN", "METHOD:PUBLISH"]
    for slot in plan.slots():
        week_start = start_date + timedelta(weeks=slot.week - plan.start_week)
        days = _weekdays(week_start, weekdays)
        day = days[slot.slot % len(days)]
        nth_of_day = slot.slot // len(days)
        if slot_times:
            local = datetime.combine(day, slot_times[nth_of_day % len(slot_times)])
        else:
            local = datetime.combine(day, day_start) + timedelta(minutes=step * nth_of_day)
        begins = local.replace(tzinfo=zone)
        ends = begins + timedelta(minutes=length)
        name = names.get(slot.student_id, slot.student_id)
        uid = (f"checkin-{urllib.parse.quote(slot.student_id, safe='')}-w{slot.week}"
               f"-s{slot.slot}@rapport")
        lines += ["BEGIN:VEVENT", f"UID:{ical_escape(uid)}", f"DTSTAMP:{stamp}",
                  f"DTSTART:{_utc_stamp(begins)}", f"DTEND:{_utc_stamp(ends)}",
                  f"SUMMARY:{ical_escape(f'Check-in: {name}')}",
                  f"DESCRIPTION:{ical_escape(f'{length}-minute one-on-one check-in.')}",
                  "END:VEVENT"]
    lines.append("END:VCALENDAR")
    return "".join(ical_fold(line) + "\r\n" for line in lines)
