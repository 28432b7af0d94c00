"""Who is on each socket of this process, checked once at connect, and how a revocation
reaches every socket it concerns on every process.

An event's sender is looked up here, in process memory: no store round trip per event. That is
only safe because a revocation (a removed or forgotten student, a rotated or revoked link, a
seat moved to another device, a deleted class) closes at once every socket it concerns, on
every process: `disconnect_room` closes the sockets in a Socket.IO room (each socket is in its
class's, its student's and its credential's rooms), here and, through the message queue, on
every other process. A revoked socket's sender is marked first, so an event already on its
way is refused too.

A socket still in its connect handler cannot be disconnected yet; it is marked, and the
connect handler, which checks the credential again once the socket is in its rooms, refuses
it. Either the revocation's store write comes after that check (the socket is in the room by
then and is marked or closed), or before (the check fails).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import socketio

from server.domain.classes import Identity

log = logging.getLogger(__name__)
NAMESPACE = "/"


@dataclass(frozen=True)
class Sender:
    """A socket's proven identity and what its handshake said, kept while it is open."""

    identity: Identity
    token_hash: str  # the credential it connected with (its seat, for the flood guard)
    address: str  # the client's address, for the flood guard
    host_url: str  # the handshake's own URL, for links when PUBLIC_URL is unset


_senders: dict[str, Sender] = {}
_revoked: set[str] = set()  # sids whose credential was revoked while they were open


def admit(sid: str, sender: Sender) -> None:
    _senders[sid] = sender


def current(sid: str) -> Sender | None:
    """The socket's sender, or None when it never connected or has been revoked."""
    if sid in _revoked:
        return None
    return _senders.get(sid)


def revoked(sid: str) -> bool:
    return sid in _revoked


def forget(sid: str) -> Sender | None:
    """Drop a socket's record (it closed); returns its sender, revoked or not."""
    _revoked.discard(sid)
    return _senders.pop(sid, None)


def _disconnect_here(server: socketio.Server, room: str) -> None:
    """Close this process's sockets in `room` (marking them revoked first)."""
    manager = server.manager
    for sid, _eio_sid in list(manager.get_participants(NAMESPACE, room)):
        if manager.is_connected(sid, NAMESPACE):
            _revoked.add(sid)  # dropped again by the disconnect handler, called right here
            server.disconnect(sid, namespace=NAMESPACE, ignore_queue=True)
        elif manager.is_pre_connected(sid, NAMESPACE):
            _revoked.add(sid)  # its connect handler refuses it (or its first event, if late)


class QueueManager(socketio.RedisManager):  # type: ignore[misc]
    """Socket.IO's Redis message queue, which can also close a room's sockets everywhere.

    The request travels as a `disconnect` message with a `room` instead of a `sid`, in order
    with the emits published before it (a removed student gets `removed`, then is closed)."""

    def disconnect_room(self, room: str) -> None:
        message = {"method": "disconnect", "room": room, "namespace": NAMESPACE,
                   "host_id": self.host_id}
        _disconnect_here(self.server, room)
        self._publish(message)

    def _handle_disconnect(self, message: dict[str, Any]) -> None:
        room = message.get("room")
        if isinstance(room, str):
            _disconnect_here(self.server, room)
        elif message.get("sid"):
            super()._handle_disconnect(message)


def disconnect_room(server: socketio.Server, room: str) -> None:
    """Close every socket in `room`, on this process and on every other one."""
    manager = server.manager
    if isinstance(manager, QueueManager):
        manager.disconnect_room(room)
    else:  # no message queue: this is the only process
        _disconnect_here(server, room)
