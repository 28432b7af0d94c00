"""Video platforms: settings, Jitsi tokens and links, BigBlueButton checksums and URLs, the
security headers with and without Jitsi."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

import jwt
import pytest

from server.app import CSP, PERMISSIONS_POLICY, security_policies
from server.config import Config, ConfigError, VideoConfig
from server.domain.classes import Identity
from server.domain.video import bbb, jitsi, video_view

SECRET = "0123456789abcdef-jitsi-secret-0123456789"


def env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {"RAPPORT_INSTANCE_PATH": str(tmp_path), **extra}


# ---- settings --------------------------------------------------------------------------------

def test_no_video_by_default(tmp_path: Path) -> None:
    config = Config.from_env(env(tmp_path))
    assert config.video == VideoConfig() and config.video.origin is None


def test_jitsi_settings(tmp_path: Path) -> None:
    config = Config.from_env(env(tmp_path, RAPPORT_JITSI_URL="https://meet.school.example/",
                                 RAPPORT_JITSI_APP_ID="rapport", RAPPORT_JITSI_SECRET=SECRET))
    assert config.video.platform == "jitsi" and config.video.url == "https://meet.school.example"
    assert config.video.origin == "https://meet.school.example"
    assert SECRET not in repr(config)  # never in a log line that prints the config


def test_bbb_settings_accept_either_base(tmp_path: Path) -> None:
    for url in ("https://bbb.example/bigbluebutton", "https://bbb.example/bigbluebutton/api/"):
        config = Config.from_env(env(tmp_path, RAPPORT_BBB_URL=url, RAPPORT_BBB_SECRET="s3cret"))
        assert config.video.url == "https://bbb.example/bigbluebutton/api"
        assert config.video.checksum == "sha256" and config.video.origin is None


@pytest.mark.parametrize("extra,words", [
    ({"RAPPORT_JITSI_URL": "meet.example"}, "RAPPORT_JITSI_URL"),
    ({"RAPPORT_JITSI_URL": "https://meet.example/path"}, "RAPPORT_JITSI_URL"),
    ({"RAPPORT_JITSI_URL": "https://m.example", "RAPPORT_JITSI_APP_ID": "a"}, "go together"),
    ({"RAPPORT_JITSI_APP_ID": "a", "RAPPORT_JITSI_SECRET": SECRET}, "needs RAPPORT_JITSI_URL"),
    ({"RAPPORT_JITSI_URL": "https://m.example", "RAPPORT_JITSI_APP_ID": "a",
      "RAPPORT_JITSI_SECRET": "short"}, "at least 32"),
    ({"RAPPORT_BBB_URL": "https://b.example/bigbluebutton"}, "go together"),
    ({"RAPPORT_BBB_URL": "https://b.example/b", "RAPPORT_BBB_SECRET": "s",
      "RAPPORT_BBB_CHECKSUM": "md5"}, "RAPPORT_BBB_CHECKSUM"),
    ({"RAPPORT_ZOOM": "yes"}, "RAPPORT_ZOOM"),
    ({"RAPPORT_ZOOM": "on", "RAPPORT_JITSI_URL": "https://m.example"}, "choose one"),
    ({"RAPPORT_JITSI_DOMAIN": "m.example"}, "unknown setting RAPPORT_JITSI_DOMAIN"),
])
def test_bad_video_settings_named(tmp_path: Path, extra: dict[str, str], words: str) -> None:
    with pytest.raises(ConfigError, match=words):
        Config.from_env(env(tmp_path, **extra))


# ---- security headers ------------------------------------------------------------------------

def test_policies_unchanged_without_jitsi() -> None:
    for video in (VideoConfig(), VideoConfig("zoom"),
                  VideoConfig("bbb", "https://b.example/api", None, "s")):
        assert security_policies(Config(secret_key="k" * 16, video=video)) == (
            CSP, PERMISSIONS_POLICY)


def test_policies_allow_the_jitsi_origin_only() -> None:
    origin = "https://meet.school.example"
    csp, permissions = security_policies(
        Config(secret_key="k" * 16, video=VideoConfig("jitsi", origin)))
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["script-src"] == f"'self' {origin}"
    assert directives["frame-src"] == origin
    assert directives["connect-src"] == "'self'" and directives["default-src"] == "'self'"
    assert f'camera=(self "{origin}")' in permissions
    assert f'microphone=(self "{origin}")' in permissions
    assert "geolocation=()" in permissions


# ---- Jitsi -----------------------------------------------------------------------------------

JITSI = VideoConfig("jitsi", "https://meet.school.example", "rapport", SECRET)


def test_room_name_is_stable_and_unguessable() -> None:
    room = jitsi.meeting_room("server-secret-1234", "c0ffee")
    assert room == jitsi.meeting_room("server-secret-1234", "c0ffee")
    assert room != jitsi.meeting_room("server-secret-1234", "c0ffef")
    assert room != jitsi.meeting_room("other-secret-1234", "c0ffee")
    assert room.startswith("rapport-") and "c0ffee" not in room and room == room.lower()


def test_tokens_moderator_for_staff_only() -> None:
    staff = jitsi.token(JITSI, room="r1", user_id="c:teacher", name="Teacher", moderator=True,
                        now=1_000_000)
    student = jitsi.token(JITSI, room="r1", user_id="s1", name="Ana", moderator=False,
                          now=1_000_000)
    assert staff and student
    for token, moderator in ((staff, True), (student, False)):
        claims = jwt.decode(token, SECRET, algorithms=["HS256"], audience="jitsi",
                            options={"verify_exp": False, "verify_nbf": False})
        assert claims["iss"] == "rapport" and claims["room"] == "r1"
        assert claims["exp"] - claims["iat"] == jitsi.TOKEN_SECONDS
        assert claims["moderator"] is moderator
        assert claims["context"]["user"]["moderator"] is moderator
        assert claims["context"]["user"]["affiliation"] == ("owner" if moderator else "member")
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(student, "another-secret-that-is-32-bytes-long", algorithms=["HS256"],
                   audience="jitsi", options={"verify_exp": False, "verify_nbf": False})


def test_no_token_without_token_auth() -> None:
    open_jitsi = VideoConfig("jitsi", "https://meet.jit.si")
    assert jitsi.token(open_jitsi, room="r", user_id="s", name="A", moderator=True,
                       now=0) is None
    url = jitsi.join_url(open_jitsi, "rapport-abc", "Zoë \"Z\" O'Neil", None)
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == "https://meet.jit.si/rapport-abc"
    assert parts.query == ""
    key, value = unquote(parts.fragment).split("=", 1)
    assert key == "userInfo.displayName" and json.loads(value) == "Zoë \"Z\" O'Neil"


def test_snapshot_views_keep_secrets_on_the_server() -> None:
    config = Config(secret_key="k" * 16, video=JITSI)
    student = video_view(config, Identity("c1", "student", "s1"), {"id": "s1", "name": "Ana"},
                         now=1_000)
    teacher = video_view(config, Identity("c1", "teacher"), None, now=1_000)
    stage = video_view(config, Identity("c1", "stage"), None, now=1_000)
    assert stage is None
    assert set(student or {}) == {"platform", "join_url"}
    token = dict(parse_qsl(urlsplit(student["join_url"]).query))["jwt"]  # type: ignore[index]
    assert jwt.decode(token, options={"verify_signature": False})["moderator"] is False
    assert teacher and teacher["room"] == student["join_url"].split("/")[3].split("?")[0]  # type: ignore[index]
    assert jwt.decode(teacher["jwt"], options={"verify_signature": False})["moderator"] is True
    for view in (student, teacher):
        assert SECRET not in json.dumps(view) and "k" * 16 not in json.dumps(view)
    assert video_view(Config(secret_key="k" * 16), Identity("c1", "teacher"), None) is None


# ---- BigBlueButton ---------------------------------------------------------------------------

def test_checksum_matches_the_worked_example_in_the_api_docs() -> None:
    # docs.bigbluebutton.org, API Reference, "API Security Model" > "Usage".
    query = "name=Test+Meeting&meetingID=abc123&attendeePW=111222&moderatorPW=333444"
    secret = "639259d4-9dd8-4b25-bf01-95f9567eaf4b"
    assert bbb.checksum("create", query, secret, "sha1") == \
        "1fcbb0c4fc1f039f73aa6d697d2db9ba7f803f17"
    assert bbb.checksum("create", query, secret, "sha256") == hashlib.sha256(
        f"create{query}{secret}".encode()).hexdigest()


BBB = VideoConfig("bbb", "https://bbb.example/bigbluebutton/api", None,
                  "639259d4-9dd8-4b25-bf01-95f9567eaf4b", "sha1")


def _split(url: str) -> tuple[str, str, str]:
    """(call, query without checksum, checksum) exactly as BigBlueButton reads them."""
    parts = urlsplit(url)
    query, _, signature = parts.query.rpartition("&checksum=")
    return parts.path.rsplit("/", 1)[1], query, signature


def test_signed_url_reproduces_the_docs_example() -> None:
    url = bbb.signed_url(BBB, "create", [("name", "Test Meeting"), ("meetingID", "abc123"),
                                         ("attendeePW", "111222"), ("moderatorPW", "333444")])
    assert url == ("https://bbb.example/bigbluebutton/api/create?name=Test+Meeting&meetingID="
                   "abc123&attendeePW=111222&moderatorPW=333444"
                   "&checksum=1fcbb0c4fc1f039f73aa6d697d2db9ba7f803f17")


def test_create_url_carries_groups_with_seat_ids() -> None:
    url = bbb.create_url(BBB, "rapport-1", "Period 3 & friends", [["s1", "s2"], ["s3"]])
    call, query, signature = _split(url)
    assert call == "create"
    assert signature == bbb.checksum("create", query, BBB.secret or "", "sha1")
    params = dict(parse_qsl(query))
    assert params["name"] == "Period 3 & friends" and params["meetingID"] == "rapport-1"
    assert json.loads(params["groups"]) == [
        {"id": "1", "name": "Room 1", "roster": ["s1", "s2"]},
        {"id": "2", "name": "Room 2", "roster": ["s3"]}]
    assert "groups" not in dict(parse_qsl(_split(bbb.create_url(BBB, "m", "n", []))[1]))


def test_join_urls_use_seat_ids_and_roles() -> None:
    sha256 = VideoConfig("bbb", BBB.url, None, BBB.secret, "sha256")
    url = bbb.join_url(sha256, "rapport-1", full_name="Zoë", user_id="s1", moderator=False)
    call, query, signature = _split(url)
    assert call == "join" and signature == bbb.checksum("join", query, BBB.secret or "")
    params = dict(parse_qsl(query))
    assert params == {"fullName": "Zoë", "meetingID": "rapport-1", "role": "VIEWER",
                      "userID": "s1", "redirect": "true"}
    staff = dict(parse_qsl(_split(bbb.join_url(sha256, "m", full_name="Teacher",
                                               user_id="teacher", moderator=True))[1]))
    assert staff["role"] == "MODERATOR"


def test_create_meeting_reads_the_answer() -> None:
    asked: list[str] = []

    def answer(body: str):  # type: ignore[no-untyped-def]
        def fetch(url: str) -> str:
            asked.append(url)
            return body
        return fetch

    ok = "<response><returncode>SUCCESS</returncode></response>"
    dup = ("<response><returncode>SUCCESS</returncode><messageKey>duplicateWarning"
           "</messageKey></response>")
    bad = ("<response><returncode>FAILED</returncode><messageKey>checksumError</messageKey>"
           "<message>Checksums do not match</message></response>")
    made = bbb.create_meeting(BBB, "m", "n", [["s1"]], "Teacher", "teacher", answer(ok))
    assert not made.duplicate and _split(made.moderator_url)[0] == "join"
    assert bbb.create_meeting(BBB, "m", "n", [], "T", "teacher", answer(dup)).duplicate
    with pytest.raises(bbb.VideoUnavailable, match="Checksums do not match"):
        bbb.create_meeting(BBB, "m", "n", [], "T", "teacher", answer(bad))
    with pytest.raises(bbb.VideoUnavailable, match="did not answer"):
        bbb.create_meeting(BBB, "m", "n", [], "T", "teacher", answer("<html>oops"))
    assert len(asked) == 4


def test_every_setting_is_in_the_readme() -> None:
    from server.config import REPO_ROOT, SETTINGS

    readme = (REPO_ROOT / "README.md").read_text()
    assert [name for name in SETTINGS if f"`{name}`" not in readme] == []


def test_stylesheets_have_balanced_braces() -> None:
    """A rule left open swallows every rule after it (the video styles once were)."""
    import re

    from server.config import REPO_ROOT

    for path in (REPO_ROOT / "web" / "css").glob("*.css"):
        text = re.sub(r"/\*.*?\*/", "", path.read_text(), flags=re.S)
        depth = 0
        for char in text:
            depth += {"{": 1, "}": -1}.get(char, 0)
            assert depth >= 0, path.name
        assert depth == 0, path.name
