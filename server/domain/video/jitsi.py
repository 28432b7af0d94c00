"""Jitsi Meet: the class's meeting room, the tokens that let people in, and how the host's
page embeds it. Moving people between breakout rooms happens in the host's browser through
Jitsi's IFrame API (web/js/video-jitsi.js); the server only names rooms and signs tokens.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any
from urllib.parse import quote, urlsplit

import jwt

from server.config import VideoConfig

TOKEN_SECONDS = 4 * 3600  # a lesson; a reconnect gets a fresh one
AUDIENCE = "jitsi"  # prosody's token plugin accepts "jitsi" (asap_accepted_audiences)


def meeting_room(secret_key: str, class_id: str) -> str:
    """An unguessable, stable room name: on a public Jitsi server anyone who knows a room
    name can walk in, so it is derived from the server's secret, not from the class name."""
    digest = hmac.new(secret_key.encode(), f"jitsi-room:{class_id}".encode(),
                      hashlib.sha256).hexdigest()
    return f"rapport-{digest[:24]}"


def breakout_room_name(index: int) -> str:
    """Breakout rooms carry the names students see in Rapport: "Room 1", "Room 2"…"""
    return f"Room {index + 1}"


def token(video: VideoConfig, *, room: str, user_id: str, name: str, moderator: bool,
          now: float, lifetime: int = TOKEN_SECONDS) -> str | None:
    """A JWT for this person and this room (HS256 with the app secret), or None when the
    Jitsi server does not use token authentication."""
    if not video.app_id or not video.secret or not video.url:
        return None
    issued = int(now)
    claims: dict[str, Any] = {
        "aud": AUDIENCE, "iss": video.app_id, "sub": urlsplit(video.url).hostname,
        "room": room, "iat": issued, "nbf": issued - 60, "exp": issued + lifetime,
        "context": {"user": {
            "id": user_id, "name": name,
            # Both spellings in use: the "moderator" claim and the token_affiliation plugin.
            "moderator": moderator, "affiliation": "owner" if moderator else "member"}},
        "moderator": moderator,
    }
    return jwt.encode(claims, video.secret, algorithm="HS256")


def embed_options(video: VideoConfig, room: str) -> dict[str, Any]:
    """What the host's page passes to `new JitsiMeetExternalAPI(domain, options)`."""
    assert video.url
    parts = urlsplit(video.url)
    return {"origin": f"{parts.scheme}://{parts.netloc}", "domain": parts.netloc,
            "no_ssl": parts.scheme == "http", "room": room}


def join_url(video: VideoConfig, room: str, name: str, jwt_token: str | None) -> str:
    """A student's link into the meeting, their Rapport name filled in (Jitsi reads
    `userInfo.displayName` from the fragment, which never reaches any server)."""
    assert video.url
    query = f"?jwt={jwt_token}" if jwt_token else ""
    fragment = "userInfo.displayName=" + quote(json.dumps(name, ensure_ascii=False), safe="")
    return f"{video.url}/{room}{query}#{fragment}"
