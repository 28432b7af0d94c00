"""The connection record: per-student metrics, not-reached list, coverage by tag, weekly series."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, date, datetime

import pytest

from server.domain.connections import (
    DAY_MS,
    REFLECTION_QUESTIONS,
    CardFact,
    CheckinFact,
    ReplyFact,
    StudentInfo,
    build_connection_record,
    record_to_dict,
)
from server.domain.errors import InvalidInput


def ms(year: int, month: int, day: int, hour: int = 12) -> int:
    return int(datetime(year, month, day, hour, tzinfo=UTC).timestamp() * 1000)


NOW = ms(2026, 3, 20)  # a Friday, noon UTC
TERM_START = ms(2026, 1, 5)

STUDENTS = [
    StudentInfo("ana", "Ana", ("ELL",), TERM_START),
    StudentInfo("ben", "Ben", (), TERM_START),
    StudentInfo("chi", "Chi", ("ELL", "new"), ms(2026, 3, 2)),
    StudentInfo("dev", "Dev", (), TERM_START),
    StudentInfo("eve", "Eve", ("new",), ms(2026, 3, 16)),
]
CARDS = [
    CardFact("ana", ms(2026, 3, 2), "class", spotlighted=True),
    CardFact("ana", ms(2026, 3, 9), "private"),
    CardFact("ben", ms(2026, 3, 18), "class", spotlighted=False),
    CardFact("dev", ms(2026, 2, 2), "class", spotlighted=True),
    CardFact("dev", ms(2026, 3, 17), "private"),
    CardFact("eve", ms(2026, 3, 19), "private"),
    CardFact("ana", ms(2026, 3, 25), "class", spotlighted=True),  # after now: ignored
    CardFact("zed", ms(2026, 3, 10), "class", spotlighted=True),  # not on the roster: ignored
]
REPLIES = [
    ReplyFact("ana", ms(2026, 3, 9, 13), "teacher"),
    ReplyFact("ana", ms(2026, 3, 9, 15), "student"),
    ReplyFact("ana", ms(2026, 3, 10, 9), "student"),
    ReplyFact("ben", ms(2026, 3, 19), "student"),
]
CHECKINS = [
    CheckinFact("chi", ms(2026, 3, 12), "done"),
    CheckinFact("ben", ms(2026, 3, 5), "missed"),
    CheckinFact("dev", ms(2026, 3, 16), "missed"),
    CheckinFact("ana", ms(2026, 2, 20), "done"),
]


def build(**overrides):
    arguments = {"students": STUDENTS, "cards": CARDS, "replies": REPLIES,
                 "checkins": CHECKINS, "now_ms": NOW} | overrides
    return build_connection_record(**arguments)


def test_per_student_metrics() -> None:
    record = build()
    ana = record.student("ana")
    assert ana.cards_shared == 2
    assert ana.times_spotlighted == 1
    assert ana.last_private_exchange_ms == ms(2026, 3, 10, 9)  # either direction counts
    assert ana.private_exchanges == 2  # two days with replies
    assert ana.last_checkin_ms == ms(2026, 2, 20)
    assert ana.checkins_done == 1 and ana.checkins_missed == 0
    assert ana.last_spotlight_ms == ms(2026, 3, 2)
    assert ana.last_connection_ms == ms(2026, 3, 10, 9)
    assert ana.days_since_connection == 10  # 10 days and 3 hours: whole days, rounded down

    ben = record.student("ben")
    assert ben.cards_shared == 1 and ben.times_spotlighted == 0
    assert ben.last_connection_ms == ms(2026, 3, 19)  # his reply, though his check-in was missed
    assert ben.days_since_connection == 1 and ben.checkins_missed == 1

    chi = record.student("chi")
    assert chi.cards_shared == 0 and chi.last_checkin_ms == ms(2026, 3, 12)
    assert chi.days_since_connection == 8


def test_a_card_or_a_missed_checkin_alone_is_not_a_connection() -> None:
    record = build()
    eve = record.student("eve")
    assert eve.cards_shared == 1
    assert eve.last_connection_ms is None and eve.days_since_connection is None
    dev = record.student("dev")  # shared a private card and missed a check-in since
    assert dev.last_connection_ms == ms(2026, 2, 2)  # the old spotlight
    assert dev.days_since_connection == 46
    assert dev.checkins_missed == 1 and dev.last_checkin_ms is None


def test_not_reached_lists_never_reached_first_then_most_overdue() -> None:
    record = build()
    assert [entry.student_id for entry in record.not_reached(7)] == ["eve", "dev", "ana", "chi"]
    assert [entry.student_id for entry in record.not_reached(9)] == ["eve", "dev", "ana"]
    assert [entry.student_id for entry in record.not_reached(30)] == ["eve", "dev"]
    assert [entry.student_id for entry in record.not_reached(60)] == ["eve"]


def test_never_reached_are_ordered_by_time_on_the_roster() -> None:
    record = build_connection_record(STUDENTS, now_ms=NOW)
    assert [entry.student_id for entry in record.not_reached(14)] == [
        "ana", "ben", "dev", "chi", "eve"]  # term start (by name), then later joiners


def test_reached_exactly_n_days_ago_counts_as_reached() -> None:
    record = build_connection_record(
        [StudentInfo("a", "A")], checkins=[CheckinFact("a", NOW - 7 * DAY_MS, "done")],
        now_ms=NOW)
    assert record.not_reached(7) == []
    assert len(record.not_reached(6)) == 1


def test_coverage_by_tag() -> None:
    rows = {row.tag: row for row in build().coverage_by_tag(14)}
    assert list(rows) == ["ELL", "new", "untagged"]
    ell = rows["ELL"]  # ana (10 days), chi (8 days)
    assert ell.students == 2 and ell.reached == 2 and ell.share_reached == 1.0
    assert ell.never_reached == 0 and ell.mean_days_since_connection == 9.0
    # ana: two exchange days on 9 and 10 March; chi: one check-in.
    assert ell.mean_connections == 1.5
    new = rows["new"]  # chi (8 days), eve (never)
    assert new.students == 2 and new.reached == 1 and new.share_reached == 0.5
    assert new.never_reached == 1 and new.mean_days_since_connection == 8.0
    untagged = rows["untagged"]  # ben (1 day), dev (46 days)
    assert untagged.students == 2 and untagged.reached == 1 and untagged.share_reached == 0.5
    assert untagged.mean_days_since_connection == 23.5
    assert untagged.mean_connections == 0.5
    overall = build().coverage_overall(14)
    assert overall.students == 5 and overall.reached == 3 and overall.share_reached == 0.6
    assert overall.never_reached == 1


def test_coverage_by_language_sits_beside_coverage_by_tag() -> None:
    """Students who read the interface in another language: reached as often as the rest?"""
    languages = {"ana": "es", "chi": "es", "dev": "ar"}  # ben and eve never chose one
    students = [dataclasses.replace(s, language=languages.get(s.id)) for s in STUDENTS]
    record = build_connection_record(students, CARDS, REPLIES, CHECKINS, now_ms=NOW)
    rows = {row.tag: row for row in record.coverage_by_language(14)}
    assert list(rows) == ["ar", "es", "unknown"]
    assert (rows["es"].students, rows["es"].reached) == (2, 2)  # ana and chi, like ELL above
    assert (rows["ar"].students, rows["ar"].reached, rows["ar"].never_reached) == (1, 0, 0)
    assert (rows["unknown"].students, rows["unknown"].reached) == (2, 1)  # ben yes, eve never
    data = record_to_dict(record, 14)
    assert [row["tag"] for row in data["coverage_by_language"]] == ["ar", "es", "unknown"]
    assert {s["student_id"]: s["language"] for s in data["students"]}["ana"] == "es"


def test_coverage_with_nobody_reached() -> None:
    rows = build_connection_record(STUDENTS[:2], now_ms=NOW).coverage_by_tag(30)
    assert [(row.tag, row.students, row.reached, row.mean_days_since_connection)
            for row in rows] == [("ELL", 1, 0, None), ("untagged", 1, 0, None)]


def test_weekly_series_counts_real_connections_per_iso_week() -> None:
    points = build().weekly_connections()
    assert points[0].week_start == date(2026, 2, 2)  # dev's spotlight, a Monday
    assert points[-1].week_start == date(2026, 3, 16)  # the week of now
    assert [point.week_start for point in points] == [
        date(2026, 2, 2), date(2026, 2, 9), date(2026, 2, 16), date(2026, 2, 23),
        date(2026, 3, 2), date(2026, 3, 9), date(2026, 3, 16)]
    by_week = {point.week_start: point for point in points}
    assert by_week[date(2026, 2, 9)].total == 0  # empty weeks stay on the axis
    assert by_week[date(2026, 2, 16)].checkins == 1  # ana, 20 Feb
    assert (by_week[date(2026, 3, 2)].spotlights, by_week[date(2026, 3, 2)].total) == (1, 1)
    march_9 = by_week[date(2026, 3, 9)]  # ana's two exchange days, chi's check-in
    assert (march_9.exchanges, march_9.checkins, march_9.total) == (2, 1, 3)
    march_16 = by_week[date(2026, 3, 16)]  # ben's reply; dev's missed check-in does not count
    assert (march_16.exchanges, march_16.checkins, march_16.total) == (1, 0, 1)
    assert sum(point.total for point in points) == 7


def test_weekly_series_respects_the_utc_offset() -> None:
    sunday_night = ms(2026, 3, 15, 23)  # Sunday 23:00 UTC is Monday 01:00 at UTC+2
    facts = {"students": [StudentInfo("a", "A")],
             "checkins": [CheckinFact("a", sunday_night, "done")], "now_ms": NOW}
    assert build_connection_record(**facts).weekly_connections()[0].week_start == \
        date(2026, 3, 9)
    shifted = build_connection_record(**facts, utc_offset_minutes=120)
    assert shifted.weekly_connections()[0].week_start == date(2026, 3, 16)


def test_empty_record() -> None:
    record = build_connection_record([], now_ms=NOW)
    assert record.students == () and record.weekly_connections() == []
    assert record.not_reached(7) == [] and record.coverage_by_tag(7) == []


def test_dicts_are_accepted_like_dataclasses() -> None:
    record = build_connection_record(
        [{"id": "a", "name": "A", "tags": ["ELL"], "joined_at_ms": 0, "extra": 1}],
        cards=[{"student_id": "a", "at_ms": NOW - DAY_MS, "visibility": "class",
                "spotlighted": True}],
        replies=[{"student_id": "a", "at_ms": NOW - 3 * DAY_MS, "sender": "teacher"}],
        checkins=[{"student_id": "a", "at_ms": NOW - 2 * DAY_MS, "status": "done"}],
        now_ms=NOW)
    entry = record.student("a")
    assert entry.tags == ("ELL",)
    assert entry.last_connection_ms == NOW - DAY_MS and entry.days_since_connection == 1


@pytest.mark.parametrize("overrides", [
    {"replies": [ReplyFact("ana", NOW, "parent")]},
    {"checkins": [CheckinFact("ana", NOW, "late")]},
    {"students": [*STUDENTS, StudentInfo("ana", "Ana again")]},
    {"cards": [{"student_id": "ana"}]},
    {"now_ms": "soon"},
])
def test_bad_facts_are_refused(overrides: dict) -> None:
    with pytest.raises(InvalidInput):
        build(**overrides)


def test_bad_window_is_refused() -> None:
    with pytest.raises(InvalidInput):
        build().not_reached(-1)


def test_record_to_dict_is_json_ready() -> None:
    data = record_to_dict(build(), days=14)
    text = json.dumps(data)
    assert json.loads(text) == data
    assert data["not_reached"] == ["eve", "dev"]
    assert data["students"][0]["student_id"] == "ana" and data["students"][0]["tags"] == ["ELL"]
    assert [row["tag"] for row in data["coverage"]] == ["ELL", "new", "untagged"]
    assert data["weekly"][-1] == {"week_start": "2026-03-16", "exchanges": 1, "checkins": 0,
                                  "spotlights": 0, "total": 1}
    assert data["reflection_questions"] == list(REFLECTION_QUESTIONS)


def test_reflection_questions() -> None:
    assert 6 <= len(REFLECTION_QUESTIONS) <= 8
    assert all(question.endswith("?") for question in REFLECTION_QUESTIONS)
    assert len(set(REFLECTION_QUESTIONS)) == len(REFLECTION_QUESTIONS)
