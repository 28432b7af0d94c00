"""The connect race: a socket joins its rooms before its snapshot is built.

In process (threading mode, in-memory store) so the interleaving can be forced: while the
student's snapshot is being built, the teacher broadcasts to the class. The student must get
that event (joined in time), and the snapshot must come after it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from server.domain import snapshot
from server.extensions import socketio
from server.realtime import broadcast
from tests.inprocess import config_for, create


@pytest.fixture
def app(tmp_path: Path) -> Any:
    return create(config_for(tmp_path))  # tests/inprocess.py: no background loops


def test_an_event_sent_while_the_snapshot_is_built_is_not_lost(app, monkeypatch) -> None:
    web = app.test_client()
    made = web.post("/api/classes", json={"name": "Race", "grade_band": "6-8"}).get_json()
    seat = web.post("/api/join", json={"code": made["join_code"], "name": "Ana"}).get_json()
    real_snapshot = snapshot.build

    def snapshot_with_an_event_in_between(*args: Any, **kwargs: Any) -> Any:
        broadcast.rotation_message(made["class_id"], {"text": "sent mid-connect", "at": 1})
        return real_snapshot(*args, **kwargs)

    monkeypatch.setattr(snapshot, "build", snapshot_with_an_event_in_between)
    student = socketio.test_client(app, auth={"token": seat["seat_token"]})
    names = [packet["name"] for packet in student.get_received()]
    assert "rotation.message" in names, f"the event sent mid-connect was lost: {names}"
    assert names.index("rotation.message") < names.index("snapshot")
