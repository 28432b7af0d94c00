"""A socket's arrival and departure, in the one order that loses nothing.

Connect: authenticate the credential; join the socket's rooms; build the snapshot; record the
socket in the store (which closes the oldest beyond the seat's and the address's caps, rules
of server/domain/limits.py); keep its sender in process memory; check the credential again
(a revocation that came before the rooms were joined is seen here, one after reaches the
rooms); then tell staff the student is present, send the snapshot, close replaced sockets.

Rooms come before the snapshot so an event sent in between reaches this socket (ahead of the
snapshot, which already includes it) instead of being lost. The credential's room is what a
revocation closes (server/realtime/senders.py). Disconnect undoes it: the store forgets the
socket, staff see the student leave when their last socket goes, and rotations still to come
are planned again without them.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from socketio.exceptions import ConnectionRefusedError
from werkzeug.wrappers import Request

from server.context import Services, services
from server.domain import classes, limits, rotations, snapshot
from server.domain.classes import Identity
from server.domain.errors import NOT_VALID
from server.domain.runtime import now_ms
from server.realtime import broadcast, rooms, senders
from server.realtime.flood import flood_guard
from server.realtime.offload import run_blocking
from server.store import StoreUnavailable

log = logging.getLogger(__name__)


def store_failed(exc: StoreUnavailable) -> None:
    """An unreachable store (refused, reset or loading: an outage, not a timeout) makes every
    screen resync once it is back (server/realtime/scheduler.py)."""
    scheduler = services().scheduler
    if scheduler is not None and exc.unreachable:
        scheduler.store_unreachable()


def client_address(environ: dict[str, Any], trusted_proxies: int) -> str:
    """The client's address, trusting X-Forwarded-For as far as HTTP requests do (ProxyFix
    never sees Socket.IO's requests, which are answered before Flask's app)."""
    if trusted_proxies:
        header = str(environ.get("HTTP_X_FORWARDED_FOR", ""))
        forwarded = [a.strip() for a in header.split(",") if a.strip()]
        if len(forwarded) >= trusted_proxies:
            return forwarded[-trusted_proxies]
    return str(environ.get("REMOTE_ADDR") or "unknown")


def _refuse(code: str, message: str) -> ConnectionRefusedError:
    """The client's `connect_error` gets `message` = the code and `data` = {code, message}."""
    return ConnectionRefusedError(code, {"code": code, "message": message})


def on_connect(server: Any, sid: str, environ: dict[str, Any], auth: Any) -> None:
    svc = services()
    token = auth.get("token") if isinstance(auth, dict) else None
    view = auth.get("view") if isinstance(auth, dict) else None
    try:
        identity = classes.authenticate(svc.store, token, view)
        if identity is None:
            raise _refuse("not_authorised", NOT_VALID)
        token_hash = classes.hash_secret(token)  # type: ignore[arg-type]
        for room in (*rooms.of(identity), rooms.credential(identity.class_id, token_hash)):
            server.enter_room(sid, room)
        host_url = Request(environ).host_url
        snap = snapshot.build(svc, identity, host_url, now_ms())
        if snap is None:
            raise _refuse("not_authorised", "This class or seat does not exist any more.")
        address = client_address(environ, svc.config.trusted_proxies)
        seat_cap, address_cap = limits.socket_caps(identity, svc.limits.enabled)
        opened = svc.store.socket_opened(identity.class_id, sid, token_hash, identity.student_id,
                                         address=address, seat_cap=seat_cap,
                                         address_cap=address_cap)
        senders.admit(sid, senders.Sender(identity, token_hash, address, host_url))
        # Revoked since the check above? Now that the socket is in its rooms a revocation
        # reaches it; one that came before is seen here (server/realtime/senders.py).
        if svc.store.credential(token_hash) is None or senders.revoked(sid):
            _unadmit(svc, identity, sid)
            raise _refuse("not_authorised", NOT_VALID)
    except StoreUnavailable as exc:
        # Not the client's fault: it should retry, and keep its seat token.
        store_failed(exc)
        admitted = senders.forget(sid)
        if admitted is not None:  # opened in the store: forget it there too, if it answers
            with contextlib.suppress(StoreUnavailable):
                svc.store.socket_closed(admitted.identity.class_id, sid)
        raise _refuse("unavailable", "The server cannot reach its store. Try again shortly."
                      ) from None
    if identity.student_id and opened.student_sockets == 1:
        broadcast.presence(identity.class_id, identity.student_id, True)
    # Straight to the socket, which is on this process: not through the message queue.
    server.emit("snapshot", snap, to=sid, ignore_queue=True)
    if opened.close:
        broadcast.sockets_replaced(opened.close)


def _unadmit(svc: Services, identity: Identity, sid: str) -> None:
    """Undo `socket_opened` for a socket refused after it."""
    senders.forget(sid)
    svc.store.socket_closed(identity.class_id, sid)


def on_disconnect(sid: str) -> None:
    flood_guard.forget(sid)
    sender = senders.forget(sid)
    if sender is None:
        return
    identity = sender.identity
    try:
        svc = services()
        student_id, left = svc.store.socket_closed(identity.class_id, sid)
        if student_id and left == 0:
            broadcast.presence(identity.class_id, student_id, False)
            # Someone dropped out mid-rotation: re-plan the rotations still to come.
            replanned = rotations.student_left(svc.store, svc.library, identity.class_id,
                                               student_id, run=run_blocking)
            if replanned is not None:
                broadcast.rotation_changed(identity.class_id, *replanned)
    except StoreUnavailable:
        log.warning("store unavailable while recording a disconnect")
