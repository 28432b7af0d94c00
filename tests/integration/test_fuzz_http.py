"""Schemathesis against the OpenAPI document the app serves at /api/openapi.json, in process
(the WSGI app itself, on the in-memory store: no port, no server process).

Every documented operation gets generated requests (valid and invalid), anonymously and, for
the class-scoped paths, with a teacher's bearer secret for a real class. No input may cause a
5xx, and every answer must be one the document describes (status, content type, body schema).
Derandomized: the same requests every run.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.inprocess import Klass, config_for, create

CHECKS = [schemathesis.checks.not_a_server_error, status_code_conformance,
          content_type_conformance, response_schema_conformance]
MAX_EXAMPLES = 30
FUZZ_SETTINGS = settings(
    max_examples=MAX_EXAMPLES, derandomize=True, deadline=None, database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                           HealthCheck.filter_too_much, HealthCheck.data_too_large],
)


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """One app for the module (rate limits off, like the live tests' servers)."""
    yield create(config_for(tmp_path_factory.mktemp("fuzz-http")))


@pytest.fixture(scope="module")
def api_schema(app: Flask) -> Any:
    return schemathesis.openapi.from_wsgi("/api/openapi.json", app)


@pytest.fixture(autouse=True)
def _pytest9_nodeid_shim(request: pytest.FixtureRequest) -> None:
    """schemathesis 4.32's from_fixture reads and rewrites `request.node._nodeid`, which
    pytest 9 no longer has: give it one (it only decorates the node id in reports)."""
    node: Any = request.node
    if not hasattr(node, "_nodeid"):
        with contextlib.suppress(AttributeError):  # a slotted node: nothing to do
            node._nodeid = node.nodeid


schema = schemathesis.pytest.from_fixture("api_schema")
SHARED: dict[int, Klass] = {}


def new_class(app: Flask, name: str) -> Klass:
    web = app.test_client()
    r = web.post("/api/classes", json={"name": name, "grade_band": "9-12"})
    assert r.status_code == 201, r.get_data(as_text=True)
    body = r.get_json()
    return Klass(web, body["class_id"], body["join_code"], body["teacher_secret"],
                 body["cohost_secret"], body)


def shared_class(app: Flask) -> Klass:
    if id(app) not in SHARED:
        SHARED[id(app)] = new_class(app, "Schemathesis shared class")
    return SHARED[id(app)]


@schema.parametrize()
@FUZZ_SETTINGS
def test_api_anonymous(case: Any, app: Flask) -> None:
    """Whatever anyone sends, without credentials or with junk ones: no 5xx, documented
    answers only."""
    case.call_and_validate(checks=CHECKS)


@schema.include(path_regex=r"\{class_id\}").parametrize()
@FUZZ_SETTINGS
def test_api_as_teacher(case: Any, app: Flask) -> None:
    """The class-scoped paths with the teacher's secret for a real class, so generation gets
    past the credential check. Operations that rotate the secret or delete the class get a
    fresh class per case; the others share one."""
    if case.method.upper() == "DELETE" or "/secrets/" in case.path:
        klass = new_class(app, "Schemathesis class")
    else:
        klass = shared_class(app)
    if "class_id" in (case.path_parameters or {}):
        case.path_parameters["class_id"] = klass.class_id
    case.headers = {**(case.headers or {}), "Authorization": f"Bearer {klass.teacher_secret}"}
    case.call_and_validate(checks=CHECKS)


def test_fuzzer_covers_every_documented_operation(api_schema: Any, app: Flask) -> None:
    """The generated tests above reach every operation the served document describes (none
    left out as unreadable), and that document describes every route
    (tests/unit/test_docs.py): so no endpoint escapes the fuzzing."""
    document = app.test_client().get("/api/openapi.json").get_json()
    documented = {(method.upper(), path) for path, item in document["paths"].items()
                  for method in item if method in ("get", "post", "put", "patch", "delete")}
    fuzzed = {(op.ok().method.upper(), op.ok().path) for op in api_schema.get_all_operations()}
    # Loaded from this path, schemathesis leaves out the operation that served it.
    assert fuzzed and fuzzed == documented - {("GET", "/api/openapi.json")}
