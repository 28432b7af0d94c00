"""Staff get a plan's changes, not the plan (`rotation.changed`): the change covers every field
of the staff view, and applied to the plan it was made from (as web/js/rotation-host.js does)
gives the new plan."""

from __future__ import annotations

import copy
from typing import Any

from server.domain import projections

NAMES = {f"s{i}": f"Kid {i}" for i in range(6)}


def record() -> Any:
    return {
        "id": "plan1", "status": "draft", "current": -1, "deadline": None,
        "students": list(NAMES), "left": [], "message": None, "created_at": 0,
        "settings": {"size": 2, "rooms": None, "rotations": 3, "minutes": 5, "apart": [],
                     "together": [], "absent": [], "seed": 1, "checkin_room": 0},
        "rotations": [[["s0", "s1"], ["s2", "s3"], ["s4", "s5"]],
                      [["s0", "s2"], ["s1", "s4"], ["s3", "s5"]],
                      [["s0", "s3"], ["s1", "s5"], ["s2", "s4"]]],
        "stats": {"repeats": 0}, "starters": [[{"kind": "prompt", "text": "Hi"}] * 3] * 3,
        "rev": 4,
    }


def applied(view: dict[str, Any], change: dict[str, Any]) -> dict[str, Any]:
    fields, rooms, starters = change
    out = {**view, **fields, "rotations": list(view["rotations"]),
           "starters": list(view["starters"])}
    for index, value in rooms.items():
        out["rotations"][int(index)] = value
    for index, value in starters.items():
        out["starters"][int(index)] = value
    return out


def test_the_change_covers_every_field_of_the_staff_view() -> None:
    view = projections.rotation_for_staff(record(), NAMES, 0)
    assert view is not None
    assert set(view) == {*projections.ROTATION_CHANGE_FIELDS, "id", "rev", "server_time",
                         "rotations", "starters"}


def test_a_change_applied_to_the_plan_gives_the_new_plan() -> None:
    before = record()
    moved = copy.deepcopy(before)
    moved["rotations"][1] = [["s0"], ["s1", "s4", "s2"], ["s3", "s5"]]
    moved["stats"] = {"repeats": 1}
    moved["rev"] = 6
    started = {**copy.deepcopy(before), "status": "running", "current": 0, "deadline": 99,
               "rev": 5}
    left = {**copy.deepcopy(before), "left": ["s5"],
            "rotations": [before["rotations"][0], [["s0", "s2"], ["s1", "s4", "s3"]],
                          [["s0", "s3"], ["s1", "s2", "s4"]]],
            "starters": [before["starters"][0], [{"kind": "shared", "text": "x"}] * 2,
                         [{"kind": "prompt", "text": "y"}] * 2], "rev": 7}
    for after in (moved, started, left):
        change = projections.rotation_changes(before, after, NAMES)
        assert change is not None
        old = projections.rotation_for_staff(before, NAMES, 0)
        new = projections.rotation_for_staff(after, NAMES, 0)
        assert old is not None and new is not None
        assert {**applied(old, change), "rev": new["rev"]} == new
    fields, rooms, starters = projections.rotation_changes(before, moved, NAMES) or ({}, {}, {})
    assert set(fields) == {"stats"} and set(rooms) == {"1"} and starters == {}
    assert projections.rotation_changes(before, {**before, "id": "plan2"}, NAMES) is None
