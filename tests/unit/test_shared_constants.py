"""One home per shared constant: the schemas and the browser's copies equal the Python ones.

The vocabularies live in `server/domain/records.py` and the limits in
`server/domain/common.py`. The input schemas use them directly (checked here through the
models' own JSON schema); the browser's plain ES modules and pages cannot import Python, so
their copies are read from the files and compared.
"""

from __future__ import annotations

import csv
import io
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, get_args

import pytest

from server import schemas
from server.domain import (
    checkins,
    classes,
    common,
    connections,
    followup,
    prompts,
    records,
    rounds,
)
from server.domain.names import normalise_name
from server.planner.stats import meeting_stats
from server.roster import RosterError, parse_roster_csv
from server.store import redis_store

WEB = Path(__file__).resolve().parents[2] / "web"


class _Page(HTMLParser):
    """Each element's attributes by id, and the option values of each <select> by id."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.by_id: dict[str, dict[str, str | None]] = {}
        self.options: dict[str, list[str]] = {}
        self._select: str | None = None
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if found.get("id"):
            self.by_id[str(found["id"])] = found
        if tag == "select":
            self._select = found.get("id")
            self.options[str(self._select)] = []
        elif tag == "option" and self._select is not None:
            self.options[self._select].append(str(found.get("value")))

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None


def _page(name: str) -> _Page:
    return _Page((WEB / name).read_text(encoding="utf-8"))


def _js(name: str) -> str:
    return (WEB / "js" / name).read_text(encoding="utf-8")


def _block(text: str, start: str) -> str:
    """From `start` to the first line that closes a literal (`];` or `};`)."""
    begin = text.index(start)
    return text[begin:text.index("\n}", begin) if start.endswith("{") else
                text.index("\n]", begin)]


def _field(model: type[schemas.Schema], name: str) -> dict[str, Any]:
    prop: dict[str, Any] = model.model_json_schema()["properties"][name]
    for option in prop.get("anyOf", [prop]):  # `X | None`: the non-null branch
        if option.get("type") != "null":
            return option
    raise AssertionError(f"{model.__name__}.{name} has no non-null type")


# ---- Python: every copy is the records' vocabulary -------------------------------------------

def test_vocabularies_have_one_home() -> None:
    assert rounds.REACTIONS is records.REACTIONS
    assert redis_store.REACTIONS == records.REACTIONS  # the store deletes counts per reaction
    assert classes.GRADE_BANDS is prompts.GRADE_BANDS is records.GRADE_BANDS
    assert prompts.DEPTHS is records.DEPTHS
    assert connections.CHECKIN_STATUSES is checkins.CHECKIN_STATUSES is records.CHECKIN_STATUSES
    assert tuple(connections.SENDERS) == records.REPLY_SENDERS
    bench = (WEB.parent / "bench" / "load.py").read_text(encoding="utf-8")  # runs standalone
    found = re.search(r"^REACTIONS = \(([^)]*)\)", bench, re.MULTILINE)
    assert found is not None and tuple(re.findall(r'"(\w+)"', found[1])) == records.REACTIONS


def test_schema_literals_are_the_records_literals() -> None:
    assert set(_field(schemas.CreateClass, "grade_band")["enum"]) == set(records.GRADE_BANDS)
    assert set(_field(schemas.React, "reaction")["enum"]) == set(records.REACTIONS)
    assert set(_field(schemas.SubmitCard, "visibility")["enum"]) == set(records.VISIBILITIES)
    assert set(_field(schemas.PromptQuery, "depth")["enum"]) == set(records.DEPTHS)
    assert set(_field(schemas.MarkCheckin, "status")["enum"]) == set(records.CHECKIN_STATUSES)
    assert get_args(schemas.Reaction) == records.REACTIONS


def test_schema_bounds_are_the_common_limits() -> None:
    for model in (schemas.CreateClass, schemas.SetRetention):
        days = _field(model, "retention_days")
        assert (days["minimum"], days["maximum"]) == (common.MIN_RETENTION_DAYS,
                                                      common.MAX_RETENTION_DAYS)
    timer = _field(schemas.OpenRound, "timer_seconds")
    assert (timer["minimum"], timer["maximum"]) == (common.MIN_TIMER, common.MAX_TIMER)
    assert _field(schemas.CreateClass, "name")["maxLength"] == common.MAX_CLASS_NAME
    staff = _field(schemas.ClassSettings, "staff_names")
    assert staff["items"]["maxLength"] == common.MAX_NAME_LENGTH
    for field, (low, high) in {"slots_per_week": (checkins.MIN_SLOTS, checkins.MAX_SLOTS),
                               "minutes": (checkins.MIN_MINUTES, checkins.MAX_MINUTES),
                               "weeks": (checkins.MIN_HORIZON, checkins.MAX_HORIZON)}.items():
        bounds = _field(schemas.PlanCheckins, field)
        assert (bounds["minimum"], bounds["maximum"]) == (low, high), field
    assert _field(schemas.MarkCheckin, "slot")["maximum"] == checkins.MAX_SLOTS - 1


# ---- the browser's copies --------------------------------------------------------------------

def test_browser_reactions_are_the_servers() -> None:
    block = _block(_js("reactions.js"), "export const REACTIONS = [")
    assert tuple(re.findall(r'\{\s*id:\s*"([^"]+)"', block)) == records.REACTIONS


def test_browser_grade_bands_are_the_servers() -> None:
    labels = _block(_js("teacher.js"), "const GRADE_LABELS = {")
    keys = re.findall(r'^\s*"?([\w-]+)"?:\s*\(\)', labels, re.MULTILINE)
    assert tuple(keys) == records.GRADE_BANDS
    assert tuple(_page("index.html").options["grade-band"]) == records.GRADE_BANDS
    assert tuple(_page("teacher.html").options["f-grade"]) == records.GRADE_BANDS


def test_browser_limits_are_the_servers() -> None:
    index, student, teacher = _page("index.html"), _page("student.html"), _page("teacher.html")
    assert index.by_id["class-name"]["maxlength"] == str(common.MAX_CLASS_NAME)
    assert teacher.by_id["delete-confirm-name"]["maxlength"] == str(common.MAX_CLASS_NAME)
    assert student.by_id["name"]["maxlength"] == str(common.MAX_NAME_LENGTH)
    teacher_js = _js("teacher.js")
    assert re.search(r'id: inputId, type: "text", maxlength: (\d+)', teacher_js)[1] == \
        str(common.MAX_NAME_LENGTH)  # type: ignore[index]
    days = teacher.by_id["retention-days"]
    assert (days["min"], days["max"]) == (str(common.MIN_RETENTION_DAYS),
                                          str(common.MAX_RETENTION_DAYS))
    check = re.search(r"days < (\d+) \|\| days > (\d+)", teacher_js)
    assert check is not None and (int(check[1]), int(check[2])) == (
        common.MIN_RETENTION_DAYS, common.MAX_RETENTION_DAYS)
    assert 't("teacher.say_retention_range")' in teacher_js  # worded by the catalog:
    pot = (WEB.parent / "server/i18n/messages.pot").read_text()
    assert (f'msgctxt "teacher.say_retention_range"\nmsgid "Choose {common.MIN_RETENTION_DAYS} '
            f'to {common.MAX_RETENTION_DAYS} days."') in pot
    timers = [int(v) for v in teacher.options["timer"] if v]
    assert timers and all(common.MIN_TIMER <= v <= common.MAX_TIMER for v in timers)
    assert student.by_id["card-text"]["maxlength"] == str(rounds.MAX_CARD_TEXT)
    assert student.by_id["my-reply-text"]["maxlength"] == str(rounds.MAX_REPLY_TEXT)


def _number(text: str, pattern: str) -> int:
    found = re.search(pattern, text)
    assert found is not None, pattern
    return int(found[1])


def test_browser_text_checks_are_the_servers() -> None:
    """The length checks the pages make before sending: the server's limits, not copies that
    drift (a card, a reply, a custom prompt, a note, a name, a rotation message, a group)."""
    student_round, host_round = _js("round-student.js"), _js("round-host.js")
    assert _number(student_round, r"\[\.\.\.text\]\.length > (\d+)") == rounds.MAX_CARD_TEXT
    assert _number(host_round, r'id: inputId, maxlength: (\d+)') == rounds.MAX_REPLY_TEXT
    assert _number(host_round, r"\[\.\.\.text\]\.length < (\d+)") == prompts.MIN_TEXT_LENGTH
    assert _number(host_round, r"\[\.\.\.text\]\.length < \d+ \|\| \[\.\.\.text\]\.length > (\d+)"
                   ) == prompts.MAX_TEXT_LENGTH
    assert _number(_js("connections.js"), r'h\("textarea", \{ id, maxlength: (\d+)') == \
        followup.MAX_NOTE
    assert _number(_js("student.js"), r"\[\.\.\.name\]\.length > (\d+)") == common.MAX_NAME_LENGTH
    rotation = _js("rotation-host.js")
    message = _field(schemas.RotationMessage, "text")
    assert _number(rotation, r"!text \|\| \[\.\.\.text\]\.length > (\d+)") == message["maxLength"]
    assert _number(rotation, r'rot\.message_length", \{ min: 1, max: (\d+)') == message["maxLength"]
    group = _field(schemas.PlanRotations, "together")["items"]
    assert (_number(rotation, r"ids\.length < (\d+) \|\|"),
            _number(rotation, r"ids\.length < \d+ \|\| ids\.length > (\d+)")) == (
        group["minItems"], group["maxItems"])


def test_browser_checkin_statuses_are_the_servers() -> None:
    typedef = re.search(r'status: ((?:"\w+"(?: \| )?)+)', _js("checkins.js"))
    assert typedef is not None
    assert tuple(re.findall(r'"(\w+)"', typedef[1])) == records.CHECKIN_STATUSES


def test_protocol_lists_the_same_vocabularies() -> None:
    protocol = (WEB.parent / "docs" / "PROTOCOL.md").read_text(encoding="utf-8")
    listed = re.search(r"Reactions are a fixed set: ([^.]+)\.", protocol)
    assert listed is not None
    assert tuple(re.findall(r"`(\w+)`", listed[1])) == records.REACTIONS
    bands = re.search(r'"grade_band": ((?:"[^"]+"｜?)+)', protocol)
    assert bands is not None
    assert tuple(re.findall(r'"([^"]+)"', bands[1])) == records.GRADE_BANDS


# ---- the shared rules ------------------------------------------------------------------------

@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_safe_cell_defuses_every_formula_start(start: str) -> None:
    assert common.safe_cell(f"{start}1+1") == f"'{start}1+1"


@pytest.mark.parametrize("value", ["plain", "a=b", " =x", "x-1", "", "Zoë", 3, None, True])
def test_safe_cell_leaves_everything_else(value: object) -> None:
    assert common.safe_cell(value) == value


def test_planner_cli_csv_is_defused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from server.planner.cli import main

    roster = tmp_path / "roster.csv"
    roster.write_text("=HYPERLINK(1),=x@evil.example\n+Ana,a@b.example\n@Ben,b@b.example\n"
                      "Cleo,c@b.example\n", encoding="utf-8")
    assert main(["--roster", str(roster), "--size", "2", "--rotations", "1",
                 "--format", "csv"]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert {row[2] for row in rows[1:]} == {"'=HYPERLINK(1)", "'+Ana", "'@Ben", "Cleo"}
    assert main(["--roster", str(roster), "--size", "2", "--rotations", "1",
                 "--format", "zoom"]) == 0
    assert "'=x@evil.example" in capsys.readouterr().out


def test_checkin_plan_csv_is_defused() -> None:
    made = checkins.plan_checkins([checkins.CheckinStudent("s1", "=Ana", ("-x",))], 1, 1,
                                  tag_weights={"-x": 2}, current_week=1,
                                  history=[checkins.PastMeeting("s1", 0, "done")])
    rows = list(csv.reader(io.StringIO(checkins.plan_to_csv(made, {"s1": "=Ana"}))))
    assert rows[1][2:4] == ["'=Ana", "'-x"] and rows[1][4].startswith("'-x: weighted 2x")


def test_one_name_rule_for_seats_and_roster() -> None:
    # The roster refuses as duplicates exactly the names a seat treats as one person.
    assert normalise_name("Ana  Lee") == normalise_name("ana lee")
    assert normalise_name("Ana") == normalise_name("\u0410na")  # Cyrillic А
    for first, second in (("Ana Lee", "ana  lee"), ("Ana", "\u0410na"), ("ﬁona", "Fiona")):
        with pytest.raises(RosterError, match="line 2: duplicate name"):
            parse_roster_csv(f"{first}\n{second}\n")
    with pytest.raises(RosterError, match="first on line 1, which looks the same as 'Amie'"):
        parse_roster_csv("Amie\nArnie\n")  # "rn" looks like "m": one seat name, one row
    assert len(parse_roster_csv("Ana\nAnn\n")) == 2
    assert len(parse_roster_csv("A" * common.MAX_ROSTER_NAME_LENGTH + "\n")) == 1


def test_checkin_room_statistics_are_the_planners() -> None:
    rotations = [[["a", "b"], ["c", "d", "e"]], [["a", "c"], ["b", "d", "e"]]]
    met = meeting_stats(rotations, {frozenset(("a", "b")): 1}, first_number=3)
    assert (met.repeats, met.max_meetings, met.first_repeat_rotation) == (2, 2, 3)
    assert met.distinct_partners_min == 2 and met.new_pair_share == pytest.approx(6 / 8)
