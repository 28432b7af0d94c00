"""Rate limits: one table of who may do what how often, enforced with token buckets in Redis
(so every process shares them). A refused action gets `rate_limited` and changes nothing.

Limits are per IP address where no one is signed in yet (joining, creating a class) and per
seat where someone is (cards, reactions, uploads). Schools often put a whole class behind one
address, so per-IP limits leave room for a full class joining at once, while wrong join codes
have a tight budget of their own: guessing a code takes years.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from server.domain.errors import DomainError, RateLimited, Revoked
from server.domain.runtime import now_ms
from server.store import Bucket, Guard
from server.store.redis_store import RedisStore

if TYPE_CHECKING:  # classes imports this module: its class deletion drops the staff's buckets
    from server.domain.classes import Identity


@dataclass(frozen=True)
class Limit:
    per_minute: float
    burst: int
    message: str


LIMITS: dict[str, Limit] = {
    "create-class": Limit(10 / 60, 10, "Too many classes created from here. Try again later."),
    "join": Limit(120, 120, "Too many people joining from here at once. Try again in a minute."),
    "join-guess": Limit(10, 20, "Too many wrong class codes. Wait a minute and check the code."),
    "card": Limit(10, 10, "You are posting very fast. Wait a moment and try again."),
    "react": Limit(60, 30, "Lots of reactions! Wait a moment before sending more."),
    "reply": Limit(20, 10, "You are sending replies very fast. Wait a moment."),
    "upload": Limit(10, 5, "Too many photos at once. Wait a minute and try again."),
    "upload-ip": Limit(120, 60, "Too many photos from here at once. Wait a minute."),
    "voice": Limit(10, 5, "Too many recordings at once. Wait a minute and try again."),
    "voice-ip": Limit(120, 60, "Too many recordings from here at once. Wait a minute."),
}


def seat_of(identity: Identity) -> str:
    """Whose budget a signed-in action spends: a student's own seat; the teacher, the co-host
    and the stage each one per class."""
    return identity.student_id or staff_seat(identity.class_id, identity.role)


CLASS_SEAT_ROLES = ("teacher", "cohost", "stage")  # one budget per class (`seat_of`)


def staff_seat(class_id: str, role: str) -> str:
    return f"{class_id}:{role}"


def class_buckets(class_id: str) -> list[tuple[str, str]]:
    """Every (action, subject) rate-limit bucket the class's staff may have: deleted with it."""
    return [(action, staff_seat(class_id, role)) for action in LIMITS for role in CLASS_SEAT_ROLES]


# Open sockets one credential may hold at once; a new one beyond the cap closes the oldest.
# A student: phone, laptop and a stray tab; staff: dashboard and stage on a few screens.
SEAT_SOCKETS = 4
STAFF_SOCKETS = 8
# From one address (with rate limits on): a whole school can sit behind one NAT address.
ADDRESS_SOCKETS = 300


def socket_caps(identity: Identity, enabled: bool) -> tuple[int, int | None]:
    """(open sockets one credential may hold, open sockets one address may hold or None for
    no cap): staff and the stage sit on more screens than a student; the per-address cap is
    off with the rate limits (load tests)."""
    seat = STAFF_SOCKETS if identity.is_staff or identity.role == "stage" else SEAT_SOCKETS
    return seat, ADDRESS_SOCKETS if enabled else None


class RateLimits:
    def __init__(self, store: RedisStore, enabled: bool = True) -> None:
        self.store = store
        self.enabled = enabled

    def hit(self, action: str, subject: str) -> None:
        """Spend one token of `action` for `subject`, or refuse."""
        if self.enabled and not self._take(action, subject, consume=True):
            raise RateLimited(LIMITS[action].message)

    def check(self, action: str, subject: str) -> None:
        """Refuse if `subject` has no token left for `action`, without spending one."""
        if self.enabled and not self._take(action, subject, consume=False):
            raise RateLimited(LIMITS[action].message)

    def _take(self, action: str, subject: str, *, consume: bool) -> bool:
        limit = LIMITS[action]
        return self.store.take_token(action, subject, per_minute=limit.per_minute,
                                     burst=limit.burst, now_ms=now_ms(), consume=consume)

    def guard(self, action: str, identity: Identity, cred_hash: str) -> Guard:
        """The checks a hot event's write carries in its one round trip: the sender's
        credential still exists, and one token of `action` for their seat is taken."""
        limit = LIMITS[action]
        bucket = Bucket(action, seat_of(identity), limit.per_minute, limit.burst,
                        now_ms()) if self.enabled else None
        return Guard(cred_hash, bucket)


def refusal(outcome: str, action: str | None) -> DomainError | None:
    """The error for a guard's refusal (`Guard`; `action` the rate limit it took, if any),
    None for any other outcome."""
    if outcome == "revoked":
        return Revoked()
    if outcome == "rate_limited" and action is not None:
        return RateLimited(LIMITS[action].message)
    return None
