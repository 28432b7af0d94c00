"""The `rapport` command line.

`rapport serve` patches the standard library for gevent or eventlet *before* it imports Flask,
redis-py or anything that opens sockets, which is why this module imports them lazily.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

DESCRIPTION = """\
Rapport: a teacher's companion beside a live video lesson.

commands:
  serve   run the web server (teacher, student and stage pages, Socket.IO, HTTP API)
  plan    plan breakout-room rotations from the command line
  prompt-translations
          check or update the prompt library's translations (docs/TRANSLATING.md)

Configuration comes from the environment (REDIS_URL, SECRET_KEY, ASYNC_MODE, PUBLIC_URL,
RAPPORT_*); see the README's configuration table. `rapport COMMAND --help` explains each
command.
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rapport", description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    serve = sub.add_parser(
        "serve", help="run the web server",
        description="Run the Rapport server. With no REDIS_URL it keeps its data in a private "
                    "redis-server (if installed) or, failing that, in memory.",
    )
    serve.add_argument("--host", default="127.0.0.1",
                       help="address to listen on (default 127.0.0.1; 0.0.0.0 for all)")
    serve.add_argument("--port", type=int, default=None,
                       help="port to listen on (default $PORT, else 5000)")

    from server.planner import cli as planner_cli

    plan = sub.add_parser(
        "plan", help="plan breakout-room rotations",
        description="Plan breakout-room rotations in which students keep meeting classmates "
                    "they have not met, with keep-apart and keep-together constraints.",
    )
    planner_cli.configure_parser(plan)

    translations = sub.add_parser(
        "prompt-translations", help="check or update the prompt translations",
        description="The prompt library's translations are PO files in prompts/i18n/ "
                    "(docs/TRANSLATING.md). 'check' reports per language what is translated, "
                    "draft, not yet, missing or stale and fails on missing or stale entries; "
                    "'update' rewrites every file to match prompts/library.json.",
    )
    translations.add_argument("action", choices=("check", "update"))
    translations.add_argument("--add", metavar="LANG", action="append", default=[],
                              help="with update: also create prompts/i18n/LANG.po "
                                   "(a BCP 47 tag such as fr or pt-BR)")
    translations.add_argument("--prompts", type=Path, default=None,
                              help="the prompt directory (default: the shipped prompts/)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "serve":
        return serve(args.host, args.port)
    if args.command == "plan":
        from server.planner import cli as planner_cli

        return planner_cli.run(args)
    if args.command == "prompt-translations":
        if args.add and args.action != "update":
            parser.error("--add goes with update: rapport prompt-translations update --add LANG")
        return prompt_translations(args.action, args.add, args.prompts)
    parser.print_help()
    return 0


def prompt_translations(action: str, add: list[str], prompts_dir: Path | None) -> int:
    from server.domain import prompt_translations as pt
    from server.domain.prompts import DEFAULT_PROMPTS_DIR, PromptLibraryError, load_library

    directory = prompts_dir or DEFAULT_PROMPTS_DIR
    try:
        library = load_library(directory)
        if action == "update":
            for line in pt.update_files(directory / "i18n", library, add) or ["nothing to do"]:
                print(line)
        translations = pt.load_translations(directory / "i18n", library)
    except PromptLibraryError as exc:
        print(f"rapport: {exc}", file=sys.stderr)
        return 1
    for line in translations.summary():
        print(line)
    problems = translations.problems()
    if problems:
        for line in problems:
            print(line, file=sys.stderr)
        print("Run `rapport prompt-translations update` (add a missing language with --add), "
              "then translate the new empty entries.", file=sys.stderr)
        return 1
    return 0


def _patch_for(async_mode: str) -> None:
    if async_mode == "gevent":
        from gevent import monkey

        monkey.patch_all()
    elif async_mode == "eventlet":
        import eventlet

        eventlet.monkey_patch()


def serve(host: str, port: int | None) -> int:
    async_mode = os.environ.get("ASYNC_MODE", "gevent").strip().lower()
    _patch_for(async_mode)

    from server.config import Config, ConfigError

    try:
        config = Config.from_env()
    except ConfigError as exc:
        print(f"rapport: configuration error: {exc}", file=sys.stderr)
        return 2
    if port is None:
        raw = os.environ.get("PORT", "5000")
        if not raw.isdigit() or not 0 < int(raw) < 65536:
            print(f"rapport: configuration error: PORT={raw!r} is not a port", file=sys.stderr)
            return 2
        port = int(raw)

    import socket
    from dataclasses import replace

    from server.app import create_app
    from server.extensions import socketio

    network = tuple(f"http://{_url_host(a)}:{port}" for a in lan_addresses()) \
        if host in ("0.0.0.0", "::", "") else ()
    config = replace(config, bind_host=host, network_urls=network)
    app = create_app(config, process_name=f"{socket.gethostname()}:{port}")
    handle = app.extensions["rapport"].handle

    def stop(*_: object) -> None:
        # Stop the private Redis (it flushes its append-only file), then leave at once: worker
        # threads of the threading and eventlet modes would otherwise hold the process open.
        handle.close()
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    print(f"Rapport is serving on http://{_url_host(host)}:{port} ({config.async_mode}, "
          f"store: {app.extensions['rapport'].handle.mode})", file=sys.stderr, flush=True)
    print(reach_text(host, port, config.public_url, network), file=sys.stderr, flush=True)
    try:
        socketio.run(app, host=host, port=port, debug=False, use_reloader=False,
                     log_output=False, allow_unsafe_werkzeug=config.async_mode == "threading")
    except KeyboardInterrupt:
        pass
    finally:
        handle.close()
    return 0


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def lan_addresses() -> list[str]:
    """This machine's non-loopback IP addresses (best effort, no packet is sent)."""
    import socket

    found: list[str] = []
    for family, probe in ((socket.AF_INET, "192.0.2.1"), (socket.AF_INET6, "2001:db8::1")):
        try:
            # Connecting a UDP socket only picks the outgoing interface's address.
            with socket.socket(family, socket.SOCK_DGRAM) as udp:
                udp.connect((probe, 9))
                found.append(udp.getsockname()[0])
        except OSError:
            pass
    try:
        for info in socket.getaddrinfo(socket.gethostname(), None):
            found.append(str(info[4][0]))
    except OSError:
        pass
    from server.domain.reach import is_loopback

    unique = dict.fromkeys(a.split("%")[0] for a in found)
    return [a for a in unique if not is_loopback(a) and not a.startswith("fe80")]


def reach_text(host: str, port: int, public_url: str | None,
               network_urls: Sequence[str] = ()) -> str:
    """Where teachers and students can open Rapport, in plain words."""
    from server.domain.reach import ALL_INTERFACES, is_loopback

    lines = []
    if host in ALL_INTERFACES:
        lines.append(f"Open it on this computer at http://127.0.0.1:{port}")
        if network_urls:
            lines.append("Students on the same network can reach: " + ", ".join(network_urls))
            lines.append("Open your dashboard at one of those addresses, so that join links "
                         "and QR codes use it.")
        else:
            lines.append("No network address found: students on other devices may not reach it.")
    elif is_loopback(host) and not public_url:
        lines.append("Only this computer can open it. For students on other devices, run "
                     "`rapport serve --host 0.0.0.0` (or put it behind a proxy and set "
                     "PUBLIC_URL).")
    if public_url:
        lines.append(f"Join links and QR codes use PUBLIC_URL: {public_url}")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
