"""The OpenAPI 3.1 document of the HTTP API, generated from one declaration per route.

`endpoint(bp, method, rule, summary, ...)` registers a route on a blueprint and records what
it takes and answers: the JSON schema it parses (a pydantic model), the type of its JSON answer
(a TypedDict from server/http/answers.py, or a model), its query parameters, whether it needs a
bearer credential and the error statuses it can give. The document's paths come from those
records only, so a route has no second description to drift from (tests/unit/test_docs.py
checks the document against the routes, tests/integration/test_http_answers.py real answers
against the document).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any, TypeVar

from flask import Blueprint
from pydantic import BaseModel, TypeAdapter

from server import __version__

View = TypeVar("View", bound=Callable[..., Any])
REF = "#/components/schemas/{model}"
ERROR = {"$ref": "#/components/schemas/Error"}
BINARY = {"type": "string", "format": "binary"}
TEXT = {"type": "string"}
# Path parameters by name, shared by every route that takes one.
PATH_PARAMS: dict[str, dict[str, Any]] = {
    "class_id": {"type": "string", "pattern": "^[0-9a-f]{16}$"},
    "role": {"enum": ["teacher", "cohost"]},
    "prompt_id": {"type": "string", "maxLength": 60},
    "number": {"type": "integer", "minimum": 0},
    **{name: {"type": "string", "pattern": "^[a-z0-9]{1,32}$"}
       for name in ("photo_id", "audio_id", "round_id", "student_id")},
}


@dataclass(frozen=True)
class Query:
    """A query parameter (documented only: the route reads it with its own default)."""

    name: str
    schema: dict[str, Any]
    description: str = ""
    required: bool = False


@dataclass(frozen=True)
class Endpoint:
    view: str  # the name of the function that answers
    method: str
    path: str  # as OpenAPI writes it: /api/classes/{class_id}
    summary: str
    description: str
    status: int  # of success
    answer: str  # what success means, in a word or two
    returns: Any  # the type of the JSON answer (TypedDict or model), or None
    media: dict[str, dict[str, Any]]  # other media types of a successful answer: schema
    same_body: dict[int, str]  # further statuses answered with the success body
    body: type[BaseModel] | None  # the JSON request body, parsed with this model
    upload: str | None  # the multipart/form-data field of an uploaded file
    raw: str | None  # the media type of a raw request body
    auth: bool
    query: tuple[Query, ...]
    errors: tuple[int, ...]


ENDPOINTS: list[Endpoint] = []


def endpoint(bp: Blueprint, method: str, rule: str, summary: str, *, description: str = "",
             status: int = 200, answer: str = "ok", returns: Any = None,
             media: dict[str, dict[str, Any]] | None = None,
             same_body: dict[int, str] | None = None, body: type[BaseModel] | None = None,
             upload: str | None = None, raw: str | None = None, auth: bool = False,
             query: tuple[Query, ...] = (), errors: tuple[int, ...] = (),
             path: str | None = None) -> Callable[[View], View]:
    """Register `rule` for `method` on `bp` and document it. `path` documents one concrete
    form of a rule with a variable part (checkins.<fmt> as checkins.csv and checkins.ics):
    stacked decorators with the same rule register it once."""
    documented = path or re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule)

    def register(view: View) -> View:
        ENDPOINTS.append(Endpoint(view.__name__, method.lower(), documented, summary,
                                  description, status, answer, returns, media or {},
                                  same_body or {}, body, upload, raw, auth, query, errors))
        registered: set[tuple[str, str]] = getattr(view, "_rules", set())
        if (method, rule) not in registered:
            bp.route(rule, methods=[method])(view)
            view._rules = registered | {(method, rule)}  # type: ignore[attr-defined]
        return view

    return register


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": schema}}}


class _Components:
    """The document's shared schemas: request models and answer types, each under its name."""

    def __init__(self) -> None:
        self.schemas: dict[str, Any] = {"Error": {
            "type": "object", "required": ["error"], "properties": {"error": {
                "type": "object", "required": ["code", "message"],
                "properties": {"code": {"type": "string"}, "message": {"type": "string"}}}}}}

    def add(self, name: str, schema: dict[str, Any]) -> dict[str, str]:
        for sub, part in schema.pop("$defs", {}).items():
            self.add(sub, part)
        if self.schemas.setdefault(name, schema) != schema:
            raise ValueError(f"two different schemas are named {name}")
        return {"$ref": REF.format(model=name)}

    def request(self, model: type[BaseModel]) -> dict[str, str]:
        return self.add(model.__name__, model.model_json_schema(ref_template=REF))

    def answer(self, kind: Any) -> dict[str, str]:
        schema = TypeAdapter(kind).json_schema(mode="serialization", ref_template=REF)
        return self.add(kind.__name__, schema)


def _operation(spec: Endpoint, components: _Components) -> dict[str, Any]:
    params = [{"name": name, "in": "path", "required": True, "schema": PATH_PARAMS[name]}
              for name in re.findall(r"\{([a-z_]+)\}", spec.path)]
    params += [{"name": q.name, "in": "query", "required": q.required, "schema": q.schema,
                **({"description": q.description} if q.description else {})}
               for q in spec.query]
    content = dict(spec.media)
    if spec.returns is not None:
        content["application/json"] = components.answer(spec.returns)
    ok: dict[str, Any] = {"description": spec.answer}
    if content:
        ok["content"] = {media: {"schema": schema} for media, schema in content.items()}
    operation: dict[str, Any] = {
        "summary": spec.summary,
        **({"description": spec.description} if spec.description else {}),
        **({"security": [{"bearer": []}]} if spec.auth else {}),
        **({"parameters": params} if params else {}),
        "responses": {str(spec.status): ok,
                      **{str(code): {**ok, "description": what}
                         for code, what in spec.same_body.items()},
                      **{str(code): {"description": "refused", **_json(ERROR)}
                         for code in spec.errors}},
    }
    if spec.body is not None:
        operation["requestBody"] = {"required": True, **_json(components.request(spec.body))}
    elif spec.upload is not None:
        operation["requestBody"] = {"required": True, "content": {"multipart/form-data": {
            "schema": {"type": "object", "required": [spec.upload],
                       "properties": {spec.upload: BINARY}}}}}
    elif spec.raw is not None:
        operation["requestBody"] = {"required": True, "content": {spec.raw: {"schema": TEXT}}}
    return operation


@cache
def openapi_document() -> dict[str, Any]:
    components = _Components()
    paths: dict[str, dict[str, Any]] = {}
    for spec in ENDPOINTS:
        if spec.method in paths.setdefault(spec.path, {}):
            raise ValueError(f"{spec.method} {spec.path} is declared twice")
        paths[spec.path][spec.method] = _operation(spec, components)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Rapport", "version": __version__,
                 "description": "HTTP API of Rapport. Real-time events: docs/PROTOCOL.md."},
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                           "description": "teacher/co-host secret or seat token"}},
            "schemas": components.schemas,
        },
        "paths": paths,
    }
