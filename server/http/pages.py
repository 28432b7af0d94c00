"""The browser pages and their static files, all served by the app itself."""

from __future__ import annotations

from flask import Blueprint, Response, send_from_directory

from server.context import services

bp = Blueprint("pages", __name__)


def _web(path: str) -> Response:
    response = send_from_directory(services().config.web_root, path)
    if path.endswith(".html"):
        response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/")
def landing() -> Response:
    return _web("index.html")


@bp.get("/teacher")
def teacher() -> Response:
    return _web("teacher.html")


@bp.get("/join")
@bp.get("/j/<code>")
def student(code: str | None = None) -> Response:
    return _web("student.html")


@bp.get("/stage")
def stage() -> Response:
    return _web("stage.html")


@bp.get("/favicon.ico")
def favicon() -> Response:
    return _web("favicon.svg")


@bp.get("/<path:path>")
def static_file(path: str) -> Response:
    # send_from_directory refuses paths that leave web/ and answers 404 for missing files.
    return _web(path)
