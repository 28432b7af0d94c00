"""Configuration from the environment, checked once at start-up.

Every setting is read here and nowhere else; an unknown `RAPPORT_*` variable or an invalid value
stops the server with a message that names it, so a typo never silently falls back to a default.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from server.domain.common import (
    DEFAULT_RETENTION_DAYS,
    MAX_RETENTION_DAYS,
    MIN_RETENTION_DAYS,
)

ASYNC_MODES = ("gevent", "eventlet", "threading")
REPO_ROOT = Path(__file__).resolve().parent.parent

# name -> one-line description; the README's configuration table says the same.
SETTINGS: dict[str, str] = {
    "REDIS_URL": "Redis server to use as store and Socket.IO message queue.",
    "SECRET_KEY": "Flask secret key; generated and kept in the instance folder when absent.",
    "ASYNC_MODE": "gevent (default), eventlet or threading.",
    "PUBLIC_URL": "Public base URL for links and QR codes, e.g. https://rapport.school.example.",
    "RAPPORT_RETENTION_DAYS": "Default retention of a class's data, in days "
                              f"({MIN_RETENTION_DAYS}-{MAX_RETENTION_DAYS}, "
                              f"default {DEFAULT_RETENTION_DAYS}).",
    "RAPPORT_ALLOWED_ORIGINS": "Extra browser origins allowed to connect, comma separated.",
    "RAPPORT_INSTANCE_PATH": "Folder for the secret key and the private Redis (./instance).",
    "RAPPORT_STORE": "Force a store: redis, private-redis or memory (default: chosen, see README).",
    "RAPPORT_PROCESSES": "With REDIS_URL: many (default: processes share events through Redis) "
                         "or one (a single process: no Socket.IO message queue).",
    "RAPPORT_LOG_LEVEL": "DEBUG, INFO (default), WARNING or ERROR.",
    "RAPPORT_RATE_LIMITS": "on (default) or off (only for load tests on a private network).",
    "RAPPORT_TRUSTED_PROXIES": "How many reverse proxies in front set X-Forwarded-* (0-5).",
    "RAPPORT_BATCH_MS": "How long a class's card and count events wait to go out together, "
                        "in ms (0-1000, default 25; 0: each at once).",
    "RAPPORT_JITSI_URL": "Jitsi Meet server, e.g. https://meet.school.example (enables Jitsi).",
    "RAPPORT_JITSI_APP_ID": "Jitsi token authentication: the app id (with RAPPORT_JITSI_SECRET).",
    "RAPPORT_JITSI_SECRET": "Jitsi token authentication: the shared secret (HS256).",
    "RAPPORT_BBB_URL": "BigBlueButton API, e.g. https://bbb.school.example/bigbluebutton/api.",
    "RAPPORT_BBB_SECRET": "BigBlueButton shared secret (bbb-conf --secret).",
    "RAPPORT_BBB_CHECKSUM": "BigBlueButton checksum: sha1, sha256 (default), sha384 or sha512.",
    "RAPPORT_ZOOM": "on: rotation screens give Zoom instructions (default off).",
}
STORE_MODES = ("redis", "private-redis", "memory")
PROCESS_COUNTS = ("one", "many")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
BBB_CHECKSUMS = ("sha1", "sha256", "sha384", "sha512")


@dataclass(frozen=True)
class VideoConfig:
    """The one video platform Rapport drives, if any. Secrets stay on the server."""

    platform: str | None = None  # None, "jitsi", "bbb" or "zoom"
    url: str | None = None  # Jitsi origin, or BigBlueButton API base (no trailing slash)
    app_id: str | None = None  # Jitsi tokens
    secret: str | None = field(default=None, repr=False)  # Jitsi app secret / BBB shared secret
    checksum: str = "sha256"  # BigBlueButton

    @property
    def origin(self) -> str | None:
        """The Jitsi origin the teacher's page may load scripts and frames from."""
        if self.platform != "jitsi" or not self.url:
            return None
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.netloc}"


class ConfigError(ValueError):
    """A setting is missing, unknown or invalid; the message names it."""


@dataclass(frozen=True)
class Config:
    secret_key: str
    async_mode: str = "gevent"
    redis_url: str | None = None
    store_mode: str | None = None  # None: choose (redis if REDIS_URL, else private-redis/memory)
    # How many processes serve the store: with "one", emits and disconnects stay in process
    # (no Socket.IO message queue). The private and in-memory stores always serve one.
    processes: str = "many"
    public_url: str | None = None
    retention_days: int = DEFAULT_RETENTION_DAYS
    allowed_origins: tuple[str, ...] = ()
    instance_path: Path = field(default_factory=lambda: Path.cwd() / "instance")
    log_level: str = "INFO"
    rate_limits: bool = True
    trusted_proxies: int = 0
    batch_ms: int = 25  # server.realtime.coalesce
    video: VideoConfig = field(default_factory=VideoConfig)
    web_root: Path = REPO_ROOT / "web"
    prompts_dir: Path = REPO_ROOT / "prompts"
    testing: bool = False
    bind_host: str | None = None  # the address `rapport serve` listens on; None when unknown
    network_urls: tuple[str, ...] = ()  # where `rapport serve` answers on the network

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Config:
        env = os.environ if env is None else env
        unknown = sorted(
            k for k in env if k.startswith("RAPPORT_") and k not in SETTINGS
        )
        if unknown:
            raise ConfigError(
                f"unknown setting {', '.join(unknown)}; known: "
                + ", ".join(k for k in SETTINGS if k.startswith("RAPPORT_"))
            )
        instance_path = Path(env.get("RAPPORT_INSTANCE_PATH") or Path.cwd() / "instance")
        async_mode = env.get("ASYNC_MODE", "gevent").strip().lower()
        if async_mode not in ASYNC_MODES:
            raise ConfigError(f"ASYNC_MODE={async_mode!r} is not one of {', '.join(ASYNC_MODES)}")
        redis_url = env.get("REDIS_URL") or None
        if redis_url and urlsplit(redis_url).scheme not in ("redis", "rediss", "unix"):
            raise ConfigError("REDIS_URL must start with redis://, rediss:// or unix://")
        store_mode = env.get("RAPPORT_STORE") or None
        if store_mode is not None and store_mode not in STORE_MODES:
            raise ConfigError(
                f"RAPPORT_STORE={store_mode!r} is not one of {', '.join(STORE_MODES)}")
        if store_mode == "redis" and not redis_url:
            raise ConfigError("RAPPORT_STORE=redis needs REDIS_URL")
        processes = (env.get("RAPPORT_PROCESSES") or "many").strip().lower()
        if processes not in PROCESS_COUNTS:
            raise ConfigError(
                f"RAPPORT_PROCESSES={processes!r} is not one of {', '.join(PROCESS_COUNTS)}")
        if env.get("RAPPORT_PROCESSES") and processes == "many" and not redis_url:
            raise ConfigError("RAPPORT_PROCESSES=many needs REDIS_URL (several processes share "
                              "one Redis; the private and in-memory stores serve one process)")
        public_url = env.get("PUBLIC_URL") or None
        if public_url:
            public_url = _check_origin("PUBLIC_URL", public_url, allow_path=True).rstrip("/")
        origins = tuple(
            _check_origin("RAPPORT_ALLOWED_ORIGINS", o.strip())
            for o in env.get("RAPPORT_ALLOWED_ORIGINS", "").split(",")
            if o.strip()
        )
        retention = _int_setting(env, "RAPPORT_RETENTION_DAYS", DEFAULT_RETENTION_DAYS,
                                 MIN_RETENTION_DAYS, MAX_RETENTION_DAYS)
        log_level = env.get("RAPPORT_LOG_LEVEL", "INFO").upper()
        if log_level not in LOG_LEVELS:
            raise ConfigError(f"RAPPORT_LOG_LEVEL={log_level!r} is not one of {LOG_LEVELS}")
        rate_limits = env.get("RAPPORT_RATE_LIMITS", "on").strip().lower()
        if rate_limits not in ("on", "off"):
            raise ConfigError(f"RAPPORT_RATE_LIMITS={rate_limits!r} is not on or off")
        trusted_proxies = _int_setting(env, "RAPPORT_TRUSTED_PROXIES", 0, 0, 5)
        batch_ms = _int_setting(env, "RAPPORT_BATCH_MS", 25, 0, 1000)
        secret_key = env.get("SECRET_KEY") or _instance_secret_key(instance_path)
        if len(secret_key) < 16:
            raise ConfigError("SECRET_KEY must be at least 16 characters")
        return cls(
            secret_key=secret_key,
            async_mode=async_mode,
            redis_url=redis_url,
            store_mode=store_mode,
            processes=processes,
            public_url=public_url,
            retention_days=retention,
            allowed_origins=origins,
            instance_path=instance_path,
            log_level=log_level,
            rate_limits=rate_limits == "on",
            trusted_proxies=trusted_proxies,
            batch_ms=batch_ms,
            video=_video_setting(env),
        )

    @property
    def cors_origins(self) -> list[str] | None:
        """Origins allowed besides the page's own; None keeps Socket.IO same-origin only."""
        extra = list(self.allowed_origins)
        if self.public_url:
            parts = urlsplit(self.public_url)
            extra.append(f"{parts.scheme}://{parts.netloc}")
        return extra or None


def _video_setting(env: Mapping[str, str]) -> VideoConfig:
    jitsi = (env.get("RAPPORT_JITSI_URL") or "").strip()
    bbb = (env.get("RAPPORT_BBB_URL") or "").strip()
    zoom = (env.get("RAPPORT_ZOOM") or "off").strip().lower()
    if zoom not in ("on", "off"):
        raise ConfigError(f"RAPPORT_ZOOM={zoom!r} is not on or off")
    chosen = [name for name, on in (("RAPPORT_JITSI_URL", jitsi), ("RAPPORT_BBB_URL", bbb),
                                    ("RAPPORT_ZOOM", zoom == "on")) if on]
    if len(chosen) > 1:
        raise ConfigError(f"choose one video platform: {', '.join(chosen)} are all set")
    app_id = (env.get("RAPPORT_JITSI_APP_ID") or "").strip() or None
    jitsi_secret = env.get("RAPPORT_JITSI_SECRET") or None
    if (app_id is None) != (jitsi_secret is None):
        raise ConfigError("RAPPORT_JITSI_APP_ID and RAPPORT_JITSI_SECRET go together")
    if app_id and not jitsi:
        raise ConfigError("RAPPORT_JITSI_APP_ID needs RAPPORT_JITSI_URL")
    if jitsi_secret and len(jitsi_secret) < 32:
        raise ConfigError("RAPPORT_JITSI_SECRET must be at least 32 characters (HS256)")
    bbb_secret = env.get("RAPPORT_BBB_SECRET") or None
    if bool(bbb) != bool(bbb_secret):
        raise ConfigError("RAPPORT_BBB_URL and RAPPORT_BBB_SECRET go together")
    checksum = (env.get("RAPPORT_BBB_CHECKSUM") or "sha256").strip().lower()
    if checksum not in BBB_CHECKSUMS:
        raise ConfigError(f"RAPPORT_BBB_CHECKSUM={checksum!r} is not one of {BBB_CHECKSUMS}")
    if jitsi:
        origin = _check_origin("RAPPORT_JITSI_URL", jitsi).rstrip("/")
        return VideoConfig("jitsi", origin, app_id, jitsi_secret)
    if bbb:
        url = _check_origin("RAPPORT_BBB_URL", bbb, allow_path=True).rstrip("/")
        if not url.endswith("/api"):
            url += "/api"  # accept .../bigbluebutton as well as .../bigbluebutton/api
        return VideoConfig("bbb", url, None, bbb_secret, checksum)
    if zoom == "on":
        return VideoConfig("zoom")
    return VideoConfig()


def _int_setting(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a whole number") from None
    if not low <= value <= high:
        raise ConfigError(f"{name}={value} is outside {low}..{high}")
    return value


def _check_origin(name: str, value: str, *, allow_path: bool = False) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"{name}: {value!r} is not an http(s) URL")
    if not allow_path and parts.path not in ("", "/"):
        raise ConfigError(f"{name}: {value!r} must be an origin (scheme://host[:port])")
    return value


def _instance_secret_key(instance_path: Path) -> str:
    """Make the secret key once and keep it, so restarts do not invalidate sessions."""
    path = instance_path / "secret_key"
    if path.exists():
        return path.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key
