"""How a class's queued events are cut into batches (server/realtime/coalesce.py): every socket
gets exactly its events, each once, in the order they were made, whatever the mix of rooms;
and a burst to one audience becomes one message."""

from __future__ import annotations

import random
from typing import Any

from server.domain.classes import Identity
from server.realtime import rooms
from server.realtime.coalesce import Queued, batches

CLASS = "c0ffee"
SOCKETS = {
    "teacher": Identity(CLASS, "teacher"),
    "cohost": Identity(CLASS, "cohost"),
    "stage": Identity(CLASS, "stage"),
    **{f"kid{i}": Identity(CLASS, "student", f"s{i}") for i in range(4)},
}
JOINED = {name: set(rooms.of(identity)) for name, identity in SOCKETS.items()}
TARGETS: list[tuple[str, ...]] = [
    (rooms.everyone(CLASS),), (rooms.staff(CLASS),), (rooms.teacher(CLASS),),
    (rooms.cohost(CLASS),), (rooms.stage(CLASS),), (rooms.students(CLASS),),
    *((rooms.student(CLASS, f"s{i}"),) for i in range(4)),
    (rooms.teacher(CLASS), rooms.student(CLASS, "s1")),  # a reply, private counts
]


def received(sent: list[tuple[tuple[str, ...], list[tuple[str, Any]]]], socket: str
             ) -> list[tuple[str, Any]]:
    """What one socket gets from the emits, in order (an emit to several rooms once)."""
    return [event for targets, events in sent if JOINED[socket] & set(targets)
            for event in events]


def test_every_socket_gets_its_events_once_and_in_order() -> None:
    rng = random.Random(13)
    for _ in range(500):
        queue: list[Queued] = [(rng.choice(["card.added", "answered", "reactions"]), n,
                                rng.choice(TARGETS)) for n in range(rng.randint(1, 30))]
        sent = batches(queue)
        for socket in SOCKETS:
            expected = [(e, n) for e, n, targets in queue if JOINED[socket] & set(targets)]
            assert received(sent, socket) == expected, (socket, queue)


def test_a_burst_to_each_audience_is_one_message_each() -> None:
    """Cards arriving: each card to the students, the co-host and the teacher, then the
    answered count to the teacher, the co-host and the stage; five cards, four messages."""
    queue: list[Queued] = []
    for n in range(5):
        for room in (rooms.students(CLASS), rooms.cohost(CLASS), rooms.teacher(CLASS)):
            queue.append(("card.added", n, (room,)))
        for room in (rooms.teacher(CLASS), rooms.cohost(CLASS), rooms.stage(CLASS)):
            queue.append(("answered", n, (room,)))
    sent = batches(queue)
    assert [targets for targets, _ in sent] == [
        (rooms.students(CLASS),), (rooms.cohost(CLASS),), (rooms.teacher(CLASS),),
        (rooms.stage(CLASS),)]
    assert received(sent, "teacher") == [(e, n) for n in range(5)
                                         for e in ("card.added", "answered")]


def test_an_event_to_a_wider_room_in_between_starts_new_batches() -> None:
    """A count to everyone between two cards for the students: the second card cannot join
    the first's message (the students would get it before the count)."""
    students, everyone = (rooms.students(CLASS),), (rooms.everyone(CLASS),)
    sent = batches([("card.added", 1, students), ("reactions", 2, everyone),
                    ("card.added", 3, students), ("answered", 4, (rooms.stage(CLASS),))])
    assert [(targets, [n for _, n in events]) for targets, events in sent] == [
        (students, [1]), (everyone, [2]), (students, [3]), ((rooms.stage(CLASS),), [4])]
