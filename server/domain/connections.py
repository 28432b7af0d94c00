"""The connection record (journey 7): who has the teacher really reached, and when.

Plain standard-library Python over plain facts, so it can be tested with fixed times and fed
from any store. Times are epoch milliseconds; days and weeks are counted in UTC shifted by
``utc_offset_minutes`` (the class's local time, if the caller knows it).

What counts as a *real connection*
----------------------------------
A moment where the teacher and this student actually met as people, one to one or in front of
the class:

- a **private exchange**: a reply in the teacher-and-student thread, in either direction;
- a **check-in** that was *done* (a missed one is not a connection);
- a **spotlight**: the teacher showed the student's card to the class.

A card alone is *not* a connection: the student spoke, but nobody answered yet. Facts dated
after ``now_ms`` and facts about students not on the roster are ignored. A card carries no
separate spotlight time, so a spotlight is dated by its card.

For the weekly chart, all replies between the teacher and one student on the same day count as
one exchange, so a long back-and-forth does not outweigh three students reached once.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

from server.domain.errors import InvalidInput
from server.domain.records import CHECKIN_STATUSES, REPLY_SENDERS

DAY_MS = 86_400_000
UNTAGGED = "untagged"
NO_LANGUAGE = "unknown"  # a seat that never chose an interface language (joined before)
SENDERS = REPLY_SENDERS

REFLECTION_QUESTIONS: tuple[str, ...] = (
    "Beyond this one exchange, do I have a positive connection with this student?",
    "When I last reached out to this student, was it with something good, or only with a "
    "problem?",
    "Would I welcome the kind of feedback I gave this student if it were given to me?",
    "What do I know about this student's life outside my class, and what do they know about "
    "mine?",
    "Which students have I not heard from lately, and what might their silence be telling me?",
    "Am I reaching my English-language learners and new students as often as everyone else?",
    "Do I hold this student to high expectations, and do they know I believe they can meet them?",
    "What will I do this week to start a conversation with someone I have not reached?",
)


# ---- facts -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class StudentInfo:
    id: str
    name: str
    tags: tuple[str, ...] = ()
    joined_at_ms: int = 0
    language: str | None = None  # the interface language the student chose, e.g. "es"


@dataclass(frozen=True)
class CardFact:
    student_id: str
    at_ms: int
    visibility: str  # e.g. "private" | "class"
    spotlighted: bool = False


@dataclass(frozen=True)
class ReplyFact:
    student_id: str  # the student whose thread this is
    at_ms: int
    sender: str  # "teacher" | "student"


@dataclass(frozen=True)
class CheckinFact:
    student_id: str
    at_ms: int
    status: str  # "done" | "missed"


Fact = TypeVar("Fact", StudentInfo, CardFact, ReplyFact, CheckinFact)


def _coerce(kind: type[Fact], items: Iterable[Fact | Mapping[str, Any]]) -> list[Fact]:
    """Accept the dataclass or a dict with its fields (unknown keys are ignored)."""
    names = [field.name for field in dataclasses.fields(kind)]
    result: list[Fact] = []
    for item in items:
        if isinstance(item, kind):
            result.append(item)
        elif isinstance(item, Mapping):
            try:
                result.append(kind(**{name: item[name] for name in names if name in item}))
            except TypeError as error:
                raise InvalidInput(f"A {kind.__name__} is missing a field.") from error
        else:
            raise InvalidInput(f"Expected a {kind.__name__}.")
    return result


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# ---- the record ------------------------------------------------------------------------------

@dataclass(frozen=True)
class StudentConnection:
    student_id: str
    name: str
    tags: tuple[str, ...]
    joined_at_ms: int
    cards_shared: int
    times_spotlighted: int
    private_exchanges: int  # distinct days with a reply in the private thread
    checkins_done: int
    checkins_missed: int
    last_private_exchange_ms: int | None
    last_checkin_ms: int | None  # done check-ins only
    last_spotlight_ms: int | None
    last_connection_ms: int | None
    days_since_connection: int | None  # whole days; None if never reached
    language: str | None = None  # the interface language the student chose

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["tags"] = list(self.tags)
        return data


@dataclass(frozen=True)
class TagCoverage:
    tag: str  # a roster tag, or "untagged" (by language: a language tag, or "unknown")
    students: int
    reached: int  # with a real connection in the last `days` days
    share_reached: float  # reached / students, 0..1
    never_reached: int
    mean_days_since_connection: float | None  # over students reached at least once
    mean_connections: float  # real connections per student in the last `days` days

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class WeekPoint:
    week_start: date  # the Monday of the ISO week
    exchanges: int
    checkins: int
    spotlights: int

    @property
    def total(self) -> int:
        return self.exchanges + self.checkins + self.spotlights

    def to_dict(self) -> dict[str, Any]:
        return {"week_start": self.week_start.isoformat(), "exchanges": self.exchanges,
                "checkins": self.checkins, "spotlights": self.spotlights, "total": self.total}


@dataclass(frozen=True)
class ConnectionRecord:
    now_ms: int
    utc_offset_minutes: int
    students: tuple[StudentConnection, ...]  # roster order
    # Every real connection as (student id, epoch ms, kind); exchanges already one per day.
    events: tuple[tuple[str, int, str], ...]

    def student(self, student_id: str) -> StudentConnection:
        for entry in self.students:
            if entry.student_id == student_id:
                return entry
        raise KeyError(student_id)

    def _reached_within(self, entry: StudentConnection, days: int) -> bool:
        last = entry.last_connection_ms
        return last is not None and self.now_ms - last <= days * DAY_MS

    def not_reached(self, days: int) -> list[StudentConnection]:
        """Students with no real connection in the last `days` days, most overdue first.

        Never-reached students come first (longest on the roster first), then the rest by
        oldest last connection; name and id break ties.
        """
        _check_days(days)
        overdue = [entry for entry in self.students if not self._reached_within(entry, days)]
        return sorted(overdue, key=lambda entry: (
            entry.last_connection_ms is not None,
            entry.joined_at_ms if entry.last_connection_ms is None else entry.last_connection_ms,
            entry.name.casefold(), entry.student_id))

    def coverage_by_tag(self, days: int) -> list[TagCoverage]:
        """One row per roster tag (alphabetical), then "untagged"; a student counts under each
        of their tags."""
        _check_days(days)
        groups: dict[str, list[StudentConnection]] = defaultdict(list)
        for entry in self.students:
            for tag in dict.fromkeys(entry.tags):
                groups[tag].append(entry)
            if not entry.tags:
                groups[UNTAGGED].append(entry)
        order = sorted((tag for tag in groups if tag != UNTAGGED), key=lambda t: (t.casefold(), t))
        if UNTAGGED in groups:
            order.append(UNTAGGED)
        return [self._coverage(tag, groups[tag], days) for tag in order]

    def coverage_by_language(self, days: int) -> list[TagCoverage]:
        """One row per interface language the students chose (alphabetical by tag), then
        "unknown": are students who read in another language reached as often?"""
        _check_days(days)
        groups: dict[str, list[StudentConnection]] = defaultdict(list)
        for entry in self.students:
            groups[entry.language or NO_LANGUAGE].append(entry)
        order = sorted(tag for tag in groups if tag != NO_LANGUAGE)
        if NO_LANGUAGE in groups:
            order.append(NO_LANGUAGE)
        return [self._coverage(tag, groups[tag], days) for tag in order]

    def coverage_overall(self, days: int) -> TagCoverage:
        _check_days(days)
        return self._coverage("all", list(self.students), days)

    def _coverage(self, tag: str, members: list[StudentConnection], days: int) -> TagCoverage:
        since = self.now_ms - days * DAY_MS
        member_ids = {entry.student_id for entry in members}
        recent = sum(1 for student_id, at_ms, _ in self.events
                     if student_id in member_ids and at_ms >= since)
        reached = sum(1 for entry in members if self._reached_within(entry, days))
        known = [entry.days_since_connection for entry in members
                 if entry.days_since_connection is not None]
        count = len(members)
        return TagCoverage(
            tag=tag, students=count, reached=reached,
            share_reached=round(reached / count, 4) if count else 0.0,
            never_reached=count - len(known),
            mean_days_since_connection=round(sum(known) / len(known), 2) if known else None,
            mean_connections=round(recent / count, 2) if count else 0.0)

    def weekly_connections(self) -> list[WeekPoint]:
        """Real connections per ISO week, from the first week with one to the current week,
        with empty weeks included so a chart's axis is continuous."""
        if not self.events:
            return []
        counts: dict[date, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for _, at_ms, kind in self.events:
            counts[self._week_start(at_ms)][kind] += 1
        week = min(counts)
        last = self._week_start(self.now_ms)
        points: list[WeekPoint] = []
        while week <= last:
            kinds = counts.get(week, {})
            points.append(WeekPoint(week, kinds.get("exchange", 0), kinds.get("checkin", 0),
                                    kinds.get("spotlight", 0)))
            week += timedelta(weeks=1)
        return points

    def _local_date(self, at_ms: int) -> date:
        moment = datetime.fromtimestamp(at_ms / 1000, UTC)
        return (moment + timedelta(minutes=self.utc_offset_minutes)).date()

    def _week_start(self, at_ms: int) -> date:
        day = self._local_date(at_ms)
        return day - timedelta(days=day.weekday())


def _check_days(days: object) -> None:
    if not _is_int(days) or not 0 <= days <= 3650:  # type: ignore[operator]
        raise InvalidInput("The number of days must be a whole number from 0 to 3650.")


def _latest(current: int | None, candidate: int) -> int:
    return candidate if current is None or candidate > current else current


def build_connection_record(
        students: Iterable[StudentInfo | Mapping[str, Any]],
        cards: Iterable[CardFact | Mapping[str, Any]] = (),
        replies: Iterable[ReplyFact | Mapping[str, Any]] = (),
        checkins: Iterable[CheckinFact | Mapping[str, Any]] = (),
        *, now_ms: int, utc_offset_minutes: int = 0) -> ConnectionRecord:
    """Compute every student's connection record as of `now_ms`."""
    if not _is_int(now_ms) or not _is_int(utc_offset_minutes) \
            or not -14 * 60 <= utc_offset_minutes <= 14 * 60:
        raise InvalidInput("now_ms and utc_offset_minutes must be whole numbers.")
    roster = [dataclasses.replace(student, tags=tuple(student.tags))
              for student in _coerce(StudentInfo, students)]
    if any(not isinstance(student.id, str) or not student.id or not _is_int(student.joined_at_ms)
           for student in roster):
        raise InvalidInput("Each student needs a non-empty id and a whole-number joined_at_ms.")
    on_roster = {student.id for student in roster}
    if len(on_roster) != len(roster):
        raise InvalidInput("A student id appears twice.")
    card_facts = _coerce(CardFact, cards)
    reply_facts = _coerce(ReplyFact, replies)
    checkin_facts = _coerce(CheckinFact, checkins)
    facts: list[CardFact | ReplyFact | CheckinFact] = [*card_facts, *reply_facts,
                                                       *checkin_facts]
    for fact in facts:
        if not _is_int(fact.at_ms):
            raise InvalidInput("Every fact needs a whole-number at_ms.")
    if any(reply.sender not in SENDERS for reply in reply_facts):
        raise InvalidInput("A reply's sender must be 'teacher' or 'student'.")
    if any(checkin.status not in CHECKIN_STATUSES for checkin in checkin_facts):
        raise InvalidInput("A check-in's status must be 'done' or 'missed'.")

    def counts(fact: CardFact | ReplyFact | CheckinFact) -> bool:
        return fact.student_id in on_roster and fact.at_ms <= now_ms

    record = ConnectionRecord(now_ms, utc_offset_minutes, (), ())
    cards_shared: dict[str, int] = defaultdict(int)
    spotlights: dict[str, int] = defaultdict(int)
    checkins_done: dict[str, int] = defaultdict(int)
    checkins_missed: dict[str, int] = defaultdict(int)
    last_exchange: dict[str, int] = {}
    last_checkin: dict[str, int] = {}
    last_spotlight: dict[str, int] = {}
    exchange_days: dict[tuple[str, date], int] = {}  # (student, day) -> first reply that day
    events: list[tuple[str, int, str]] = []

    for card in filter(counts, card_facts):
        cards_shared[card.student_id] += 1
        if card.spotlighted:
            spotlights[card.student_id] += 1
            last_spotlight[card.student_id] = _latest(last_spotlight.get(card.student_id),
                                                      card.at_ms)
            events.append((card.student_id, card.at_ms, "spotlight"))
    for reply in filter(counts, reply_facts):
        last_exchange[reply.student_id] = _latest(last_exchange.get(reply.student_id),
                                                  reply.at_ms)
        day_key = (reply.student_id, record._local_date(reply.at_ms))
        exchange_days[day_key] = min(exchange_days.get(day_key, reply.at_ms), reply.at_ms)
    events.extend((student_id, at_ms, "exchange")
                  for (student_id, _), at_ms in exchange_days.items())
    for checkin in filter(counts, checkin_facts):
        if checkin.status == "done":
            checkins_done[checkin.student_id] += 1
            last_checkin[checkin.student_id] = _latest(last_checkin.get(checkin.student_id),
                                                       checkin.at_ms)
            events.append((checkin.student_id, checkin.at_ms, "checkin"))
        else:
            checkins_missed[checkin.student_id] += 1
    exchanges_per_student: dict[str, int] = defaultdict(int)
    for student_id, _ in exchange_days:
        exchanges_per_student[student_id] += 1

    entries: list[StudentConnection] = []
    for student in roster:
        sid = student.id
        moments = [moment for moment in (last_exchange.get(sid), last_checkin.get(sid),
                                         last_spotlight.get(sid)) if moment is not None]
        last = max(moments) if moments else None
        entries.append(StudentConnection(
            student_id=sid, name=student.name, tags=student.tags,
            joined_at_ms=student.joined_at_ms, cards_shared=cards_shared[sid],
            times_spotlighted=spotlights[sid], private_exchanges=exchanges_per_student[sid],
            checkins_done=checkins_done[sid], checkins_missed=checkins_missed[sid],
            last_private_exchange_ms=last_exchange.get(sid), last_checkin_ms=last_checkin.get(sid),
            last_spotlight_ms=last_spotlight.get(sid), last_connection_ms=last,
            days_since_connection=None if last is None else (now_ms - last) // DAY_MS,
            language=student.language))
    events.sort(key=lambda event: (event[1], event[0], event[2]))
    return dataclasses.replace(record, students=tuple(entries), events=tuple(events))


def record_to_dict(record: ConnectionRecord, days: int = 14) -> dict[str, Any]:
    """The whole record as JSON-ready data, with `days` as the "reached lately" window."""
    return {
        "now_ms": record.now_ms,
        "days": days,
        "students": [entry.to_dict() for entry in record.students],
        "not_reached": [entry.student_id for entry in record.not_reached(days)],
        "coverage": [row.to_dict() for row in record.coverage_by_tag(days)],
        "coverage_by_language": [row.to_dict() for row in record.coverage_by_language(days)],
        "coverage_overall": record.coverage_overall(days).to_dict(),
        "weekly": [point.to_dict() for point in record.weekly_connections()],
        "reflection_questions": list(REFLECTION_QUESTIONS),
    }
