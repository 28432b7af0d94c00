"""BigBlueButton: checksum-signed API calls. Rapport creates the class's meeting with the
rotation's breakout `groups` (BigBlueButton 2.5+) whose rosters are students' seat ids, and
gives each student a signed join link whose `userID` is that seat id, so the moderator's
breakout dialog opens already filled.

Checksum (API docs, "API Security Model"): hex digest of call name + query string + shared
secret, with sha1, sha256, sha384 or sha512.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode

from server.config import VideoConfig
from server.domain.errors import DomainError

Fetch = Callable[[str], str]  # GET a URL, return the body; raises OSError on failure


class VideoUnavailable(DomainError):
    code = "unavailable"
    http_status = 502


def checksum(call: str, query: str, secret: str, algorithm: str = "sha256") -> str:
    return hashlib.new(algorithm, f"{call}{query}{secret}".encode()).hexdigest()


def signed_url(video: VideoConfig, call: str, params: list[tuple[str, str]]) -> str:
    """`{api}/{call}?{query}&checksum=…`; the checksum covers exactly the query sent."""
    assert video.url and video.secret
    query = urlencode(params)
    signature = checksum(call, query, video.secret, video.checksum)
    return f"{video.url}/{call}?{query}&checksum={signature}"


def meeting_id(secret_key: str, class_id: str) -> str:
    digest = hmac.new(secret_key.encode(), f"bbb-meeting:{class_id}".encode(),
                      hashlib.sha256).hexdigest()
    return f"rapport-{digest[:24]}"


def groups(rooms: list[list[str]]) -> list[dict[str, object]]:
    """The `groups` value: one group per room, named as students see it, roster = seat ids."""
    return [{"id": str(i + 1), "name": f"Room {i + 1}", "roster": list(room)}
            for i, room in enumerate(rooms)]


def create_url(video: VideoConfig, meeting: str, name: str, rooms: list[list[str]]) -> str:
    params = [("name", name), ("meetingID", meeting), ("breakoutRoomsEnabled", "true")]
    if rooms:
        params.append(("groups", json.dumps(groups(rooms), separators=(",", ":"))))
    return signed_url(video, "create", params)


def join_url(video: VideoConfig, meeting: str, *, full_name: str, user_id: str,
             moderator: bool) -> str:
    return signed_url(video, "join", [
        ("fullName", full_name), ("meetingID", meeting),
        ("role", "MODERATOR" if moderator else "VIEWER"), ("userID", user_id),
        ("redirect", "true")])


@dataclass(frozen=True)
class Created:
    moderator_url: str
    duplicate: bool  # the meeting already existed: BigBlueButton kept its first groups


def create_meeting(video: VideoConfig, meeting: str, name: str, rooms: list[list[str]],
                   moderator_name: str, moderator_id: str, fetch: Fetch) -> Created:
    """Create the meeting (idempotent on BigBlueButton's side) and a moderator join link."""
    try:
        body = fetch(create_url(video, meeting, name, rooms))
        root = ET.fromstring(body)
    except (OSError, ET.ParseError):
        raise VideoUnavailable("BigBlueButton did not answer. Check RAPPORT_BBB_URL, then "
                               "try again.") from None
    if (root.findtext("returncode") or "") != "SUCCESS":
        message = root.findtext("message") or root.findtext("messageKey") or "refused"
        raise VideoUnavailable(f"BigBlueButton refused to create the meeting: {message}")
    return Created(
        moderator_url=join_url(video, meeting, full_name=moderator_name, user_id=moderator_id,
                               moderator=True),
        duplicate=root.findtext("messageKey") == "duplicateWarning")
