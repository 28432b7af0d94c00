"""The application factory."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from server.config import Config
from server.context import Services
from server.domain.limits import RateLimits
from server.domain.prompt_translations import PromptTranslations, load_translations
from server.domain.prompts import load_library
from server.domain.text import load_confusables
from server.domain.ui_translations import UI_DIRECTORY, load_ui_catalogs
from server.extensions import socketio
from server.realtime.coalesce import Deliveries
from server.realtime.scheduler import Scheduler
from server.realtime.senders import QueueManager
from server.store import RedisStore, open_store

MAX_SOCKET_MESSAGE = 64 * 1024  # the largest event the protocol needs, with room to spare
# Engine.IO's ping waits behind the deliveries queued for its socket: under overload it can
# take more than the default 20 s to come back, and dropping a slow client only adds a
# reconnect and a snapshot to the load. A vanished client is still noticed within 25 + 60 s.
PING_TIMEOUT_SECONDS = 60
MAX_HTTP_BODY = 6 * 1024 * 1024  # photo uploads (5 MB) plus multipart overhead
HTTP_ERROR_CODES = {404: "not_found", 405: "invalid", 413: "too_large", 429: "rate_limited",
                    503: "unavailable"}
HTTP_ERROR_MESSAGES = {
    413: f"The request is too large: at most {MAX_HTTP_BODY // (1024 * 1024)} MiB.",
    500: "Something went wrong on the server. Try again.",
}

CSP = (
    "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; style-src 'self'; "
    "script-src 'self'; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; "
    "object-src 'none'"
)
# The page itself may use the microphone: spoken answers, recorded only on the student's tap.
PERMISSIONS_POLICY = "camera=(self), microphone=(self), geolocation=()"


def security_policies(config: Config) -> tuple[str, str]:
    """(Content-Security-Policy, Permissions-Policy). With Jitsi configured, pages may load
    Jitsi's `external_api.js` and frame the meeting from that one origin, and the frame may use
    camera, microphone and screen sharing; without it both are exactly the constants above."""
    origin = config.video.origin
    if origin is None:
        return CSP, PERMISSIONS_POLICY
    csp = _add_source(_add_source(CSP, "script-src", origin), "frame-src", origin)
    permissions = PERMISSIONS_POLICY
    for feature in ("camera", "microphone", "display-capture"):
        permissions = _allow_feature(permissions, feature, origin)
    return csp, permissions


def _add_source(csp: str, directive: str, source: str) -> str:
    parts = [p.strip() for p in csp.split(";")]
    for i, part in enumerate(parts):
        if part.split(" ", 1)[0] == directive:
            parts[i] = f"{part} {source}"
            return "; ".join(parts)
    return "; ".join([*parts, f"{directive} {source}"])


def _allow_feature(policy: str, feature: str, origin: str) -> str:
    parts = [p.strip() for p in policy.split(",")]
    for i, part in enumerate(parts):
        name, _, allow = part.partition("=")
        if name == feature:
            sources = [*allow.strip("()").split(), f'"{origin}"']
            parts[i] = f"{name}=({' '.join(sources)})"
            return ", ".join(parts)
    return ", ".join([*parts, f'{feature}=("{origin}")'])


def create_app(config: Config | None = None, *, process_name: str | None = None,
               background: bool = True) -> Flask:
    """`process_name` names this process among those sharing the store (host:port when
    serving): a restart under the same name drops the sockets its previous run left behind.
    Without `background` no loop runs timers and heartbeats: a test calls the scheduler's
    `tick()` after moving `server.domain.clock` on."""
    config = config or Config.from_env()
    logging.basicConfig(
        level=config.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    app = Flask(__name__, static_folder=None)
    if config.trusted_proxies:
        # Behind nginx & co.: take the client's address and scheme from X-Forwarded-*.
        n = config.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]
    app.config.update(
        SECRET_KEY=config.secret_key,
        MAX_CONTENT_LENGTH=MAX_HTTP_BODY,
        TESTING=config.testing,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
    )
    # The prompt library is data checked at start-up: a broken file stops the server here.
    library = load_library(config.prompts_dir)
    load_confusables()  # Unicode's data (half a second) now, not on the first join's loop
    translations = load_translations(config.prompts_dir / "i18n", library)
    _log_translations(translations)
    ui = load_ui_catalogs(UI_DIRECTORY)
    handle = open_store(config)
    store = RedisStore(handle.client, config.retention_days, process_name=process_name)
    services = Services(config=config, handle=handle, library=library, store=store,
                        limits=RateLimits(store, enabled=config.rate_limits),
                        translations=translations, ui=ui)
    app.extensions["rapport"] = services

    from server.http import api, pages
    from server.realtime import events

    app.register_blueprint(api.bp)
    app.register_blueprint(pages.bp)
    # Our own manager on the message queue: it can also close a room's sockets everywhere.
    queue = (QueueManager(handle.message_queue, channel="flask-socketio")
             if handle.message_queue else None)
    socketio.init_app(
        app,
        async_mode=config.async_mode,
        message_queue=None,
        client_manager=queue,
        cors_allowed_origins=_origin_check(config),
        max_http_buffer_size=MAX_SOCKET_MESSAGE,
        ping_timeout=PING_TIMEOUT_SECONDS,
        # Snapshots and events are small; compressing them costs CPU for nothing.
        http_compression=False,
        logger=False,
        engineio_logger=False,
    )

    events.register(socketio, app)
    # Bursts of a class's card and count events go out as one message per audience; not in
    # process tests, where every event a handler causes has arrived when it returns.
    app.extensions["rapport.deliveries"] = Deliveries(
        config.batch_ms / 1000 if background else 0.0)
    scheduler = Scheduler(app)
    services.scheduler = scheduler
    scheduler.start(background=background)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Any:
        """API clients always get the JSON error shape, whatever the status and whoever
        refused (the router, the body-size limit, Werkzeug's parsers)."""
        if request.path.startswith("/api/"):
            status = exc.code or 500
            code = HTTP_ERROR_CODES.get(status, "invalid" if status < 500 else "internal")
            message = HTTP_ERROR_MESSAGES.get(status, exc.description or exc.name)
            return jsonify(error={"code": code, "message": message}), status
        return exc

    @app.errorhandler(500)
    def server_error(exc: Exception) -> Any:
        if request.path.startswith("/api/"):
            return jsonify(error={"code": "internal", "message": HTTP_ERROR_MESSAGES[500]}), 500
        return exc

    csp, permissions_policy = security_policies(config)

    @app.after_request
    def security_headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", csp)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Permissions-Policy"] = permissions_policy
        return response

    return app


def _origin_check(config: Config) -> Any:
    """Same origin always; PUBLIC_URL's origin and RAPPORT_ALLOWED_ORIGINS besides."""
    extra = set(config.cors_origins or ())

    def allowed(origin: str | None, environ: dict[str, Any]) -> bool:
        if origin is None:
            return True  # not a browser: it still has to authenticate
        own = f"{environ.get('wsgi.url_scheme', 'http')}://{environ.get('HTTP_HOST', '')}"
        return origin == own or origin in extra

    return allowed


def _log_translations(translations: PromptTranslations) -> None:
    """Missing and stale translations fall back to English, so they do not stop the server;
    say so in the log (the unit tests refuse them in the shipped files)."""
    log = logging.getLogger("rapport.prompts")
    outdated = [c.summary() for c in translations.languages.values() if c.missing or c.stale]
    if outdated:
        log.warning("prompt translations out of date (English shown instead): %s; run "
                    "`rapport prompt-translations update`", "; ".join(outdated))
    elif translations.languages:
        log.info("prompt translations: %s", "; ".join(translations.summary()))
