"""A revocation racing a connect: the socket is refused, never left open with a stale sender.

In process (threading mode, in-memory store) so the interleaving can be forced. A socket's
sender is checked once, at connect (server/realtime/senders.py): a revocation that lands while
the connect handler runs must still stop it, whether it lands before the handler checks the
credential again (the check fails) or after (the socket, already in its rooms, is marked).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from server.app import create_app
from server.config import Config
from server.domain import classes, snapshot
from server.extensions import socketio
from server.realtime import broadcast


@pytest.fixture
def app(tmp_path: Path) -> Any:
    config = Config(secret_key="test-secret-key-0123456789", async_mode="threading",
                    store_mode="memory", instance_path=tmp_path, rate_limits=False,
                    testing=True)
    return create_app(config)


def _class_with_a_student(app: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    web = app.test_client()
    made = web.post("/api/classes", json={"name": "Race", "grade_band": "6-8"}).get_json()
    seat = web.post("/api/join", json={"code": made["join_code"], "name": "Ana"}).get_json()
    return made, seat


def _remove(app: Any, made: dict[str, Any], student_id: str) -> None:
    store = app.extensions["rapport"].store
    teacher = classes.Identity(made["class_id"], "teacher")
    with app.app_context():  # as in a handler: the broadcast reaches the app's deliveries
        classes.remove_student(store, teacher, student_id)
        broadcast.student_removed(made["class_id"], student_id)


def test_removed_before_the_socket_is_in_its_rooms(app, monkeypatch) -> None:
    made, seat = _class_with_a_student(app)
    real_authenticate = classes.authenticate

    def authenticate_then_remove(*args: Any, **kwargs: Any) -> Any:
        identity = real_authenticate(*args, **kwargs)
        _remove(app, made, seat["student_id"])  # the revocation finds no socket to close
        return identity

    monkeypatch.setattr(classes, "authenticate", authenticate_then_remove)
    student = socketio.test_client(app, auth={"token": seat["seat_token"]})
    assert not student.is_connected()
    store = app.extensions["rapport"].store
    assert store.online_students(made["class_id"]) == set()


def test_removed_while_the_snapshot_is_built(app, monkeypatch) -> None:
    made, seat = _class_with_a_student(app)
    real_build = snapshot.build

    def build_then_remove(*args: Any, **kwargs: Any) -> Any:
        built = real_build(*args, **kwargs)
        _remove(app, made, seat["student_id"])  # the socket is in its rooms, not yet open
        return built

    monkeypatch.setattr(snapshot, "build", build_then_remove)
    student = socketio.test_client(app, auth={"token": seat["seat_token"]})
    assert not student.is_connected()
    store = app.extensions["rapport"].store
    assert store.online_students(made["class_id"]) == set()  # and not counted as present


def test_removed_just_after_the_credential_is_checked_again(app, monkeypatch) -> None:
    made, seat = _class_with_a_student(app)
    store = app.extensions["rapport"].store
    real_credential = store.credential
    checks: list[str] = []

    def credential_then_remove(secret_hash: str) -> Any:
        found = real_credential(secret_hash)
        checks.append(secret_hash)
        if len(checks) == 2:  # the second check: the connect handler's, once in the rooms
            _remove(app, made, seat["student_id"])
        return found

    monkeypatch.setattr(store, "credential", credential_then_remove)
    student = socketio.test_client(app, auth={"token": seat["seat_token"]})
    assert len(checks) == 2
    assert not student.is_connected()
    assert store.online_students(made["class_id"]) == set()


def test_a_socket_left_alone_stays(app) -> None:
    made, seat = _class_with_a_student(app)
    student = socketio.test_client(app, auth={"token": seat["seat_token"]})
    assert student.is_connected()
    assert student.emit("snapshot.get", {}, callback=True)["ok"] is True
    _remove(app, made, seat["student_id"])
    assert not student.is_connected()
