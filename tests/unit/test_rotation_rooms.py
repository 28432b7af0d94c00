"""`rapport plan` and live rotations follow one room-size rule (fakeredis, in process)."""

from __future__ import annotations

import json

import fakeredis
import pytest

from server.domain import classes, rotations
from server.domain.classes import Identity
from server.domain.prompts import load_library
from server.planner import room_sizes
from server.planner.cli import main
from server.store import RedisStore


def live_sizes(count: int, size: int, leftover: str) -> list[list[int]]:
    store = RedisStore(fakeredis.FakeRedis(decode_responses=True), default_retention_days=30)
    store.heartbeat()  # this process is alive, so its students' sockets count as online
    made = classes.create_class(store, "Bio", "9-12", retention_days=30)
    for number in range(count):
        student, _seat = classes.join_class(store, made.join_code, f"Kid {number}")
        store.socket_opened(made.class_id, f"sid-{number}", f"hash-{number}", student["id"],
                            address="127.0.0.1", seat_cap=2, address_cap=None)
    record = rotations.build_plan(
        store, load_library(), Identity(made.class_id, "teacher"), size=size, rooms=None,
        rotations=3, minutes=5, absent=[], apart=[], together=[], leftover=leftover)
    return [sorted(map(len, rooms), reverse=True) for rooms in record["rotations"]]


def cli_sizes(count: int, size: int, leftover: str, capsys: pytest.CaptureFixture[str]
              ) -> list[list[int]]:
    args = ["--students", str(count), "--size", str(size), "--rotations", "3",
            "--leftover", leftover, "--time-limit", "0.2", "--format", "json"]
    assert main(args) == 0
    output = json.loads(capsys.readouterr().out)
    return [sorted(map(len, rooms), reverse=True) for rooms in output["rotations"]]


@pytest.mark.parametrize(("count", "size", "leftover", "expected"), [
    (5, 2, "smaller", [3, 2]),  # never a room of one
    (7, 3, "smaller", [3, 2, 2]),
    (7, 3, "larger", [4, 3]),
    (11, 4, "larger", [4, 4, 3]),  # 3 left over for 2 rooms: falls back to smaller rooms
])
def test_cli_and_live_rotations_share_the_room_rule(
    count: int, size: int, leftover: str, expected: list[int],
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert room_sizes(count, size, None, leftover) == expected
    assert live_sizes(count, size, leftover) == [expected] * 3
    assert cli_sizes(count, size, leftover, capsys) == [expected] * 3
