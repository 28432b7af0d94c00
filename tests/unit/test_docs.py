"""The contract documents checked against the code: docs/PROTOCOL.md's event index (and its
prose tables and objects) against the event table, the schemas, the acks, the emits and what
each role may send; docs/redis-keys.md against the store's key registry; the served OpenAPI
document (and PROTOCOL.md's HTTP tables) against the Flask routes.

Outside clients test the server against these documents only, so any drift fails here.
The emits are read from the source (AST), not run: fast, and every emit counts, however rare.
Who may send is asked of the server itself, in process.
"""

from __future__ import annotations

import ast
import inspect
import re
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from server.realtime import events
from server.store import keys as store_keys

ROOT = Path(__file__).resolve().parents[2]
PROTOCOL = (ROOT / "docs" / "PROTOCOL.md").read_text(encoding="utf-8")
REDIS_KEYS = (ROOT / "docs" / "redis-keys.md").read_text(encoding="utf-8")
EMITTING_MODULES = ("server/realtime/broadcast.py", "server/realtime/connect.py",
                    "server/realtime/events.py", "server/realtime/scheduler.py")
# Sends on what broadcast emits (each event as made, or several as one `batch`): its emits
# carry no event of their own but `batch`, whose audience is that of the events it carries.
RELAY_MODULE = "server/realtime/coalesce.py"


# ---- Markdown tables -------------------------------------------------------------------------

def _cells(line: str) -> list[str]:
    """Split a table row on `|`, except inside `code`."""
    cells, cell, in_code = [], "", False
    for ch in line.strip().strip("|"):
        if ch == "`":
            in_code = not in_code
        if ch == "|" and not in_code:
            cells.append(cell.strip())
            cell = ""
        else:
            cell += ch
    cells.append(cell.strip())
    return cells


def tables(text: str) -> Iterator[tuple[list[str], list[list[str]]]]:
    """Every table: (header cells, rows of cells)."""
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        if lines[i].startswith("|") and i + 1 < len(lines) and lines[i + 1].startswith("|---"):
            header = _cells(lines[i])
            rows = []
            i += 2
            while i < len(lines) and lines[i].startswith("|"):
                rows.append(_cells(lines[i]))
                i += 1
            yield header, rows
        else:
            i += 1


def _names(cell: str) -> list[str]:
    """The `code` names in a cell, in order."""
    return re.findall(r"`([^`]+)`", cell)


def _fields(cell: str) -> set[str]:
    """A comma-separated list of names (`?` marks an optional one); `–` is none."""
    return {f.strip().strip("`") for f in cell.split(",") if f.strip() not in ("", "–")}


# ---- the event index of PROTOCOL.md ----------------------------------------------------------

def event_index() -> dict[tuple[str, str], dict[str, Any]]:
    """(event, direction) -> {"who", "payload", "ack"} from the index table."""
    found = [rows for header, rows in tables(PROTOCOL)
             if header[:2] == ["event", "direction"]]
    assert len(found) == 1, "PROTOCOL.md needs exactly one event index table"
    index: dict[tuple[str, str], dict[str, Any]] = {}
    for name, direction, who, payload, ack in found[0]:
        key = (name.strip("`"), direction)
        assert key not in index, f"{key} twice in the event index"
        index[key] = {"who": _fields(who), "payload": _fields(payload), "ack": _fields(ack)}
    return index


def object_keys(cell: str) -> set[str]:
    """The field names of the JSON objects a prose cell shows (`{"a": str, "b"?, "c"｜null}`):
    quoted names at the objects' top level that come after `{` or `,`, or before `:`. Values
    (`"teacher"｜"class"`) and nested objects are not counted."""
    text = cell.replace("`", "")
    keys: set[str] = set()
    depth = {"{": 0, "[": 0}
    closing = {"}": "{", "]": "["}
    i = 0
    while i < len(text):
        ch = text[i]
        if ch in depth:
            depth[ch] += 1
        elif ch in closing:
            depth[closing[ch]] -= 1
        elif ch == '"':
            end = text.find('"', i + 1)
            if end == -1:
                break
            name = text[i + 1:end]
            before = text[:i].rstrip()[-1:]
            after = text[end + 1:].lstrip("?").lstrip()[:1]
            if depth == {"{": 1, "[": 0} and re.fullmatch(r"[a-z_]+", name) and (
                    before in ("{", ",") or after == ":"):
                keys.add(name)
            i = end
        i += 1
    return keys


def prose_tables() -> dict[tuple[str, str], dict[str, set[str]]]:
    """(event, direction) -> {"payload", "ack"} field names from PROTOCOL.md's prose event
    tables (a table with a "to" column is server → client)."""
    found: dict[tuple[str, str], dict[str, set[str]]] = {}
    for header, rows in tables(PROTOCOL):
        if header[0] != "event" or header[1] == "direction":
            continue
        for row in rows:
            cells = dict(zip(header, row, strict=True))
            direction = "server → client" if "to" in cells else "client → server"
            for name in _names(row[0]):
                entry = found.setdefault((name, direction), {})
                if "payload" in cells:
                    entry["payload"] = object_keys(cells["payload"])
                if "ack result" in cells:
                    entry["ack"] = object_keys(cells["ack result"])
    return found


def _prose_events() -> set[str]:
    """Events named in the first column of PROTOCOL.md's other event tables."""
    names: set[str] = set()
    for header, rows in tables(PROTOCOL):
        if header[0] == "event" and header[1] != "direction":
            for row in rows:
                names.update(_names(row[0]))
    return names


# ---- what the code sends and accepts ---------------------------------------------------------

def _function_source(fn: Any) -> ast.FunctionDef:
    tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    node = tree.body[0]
    assert isinstance(node, ast.FunctionDef)
    return node


def _dict_keys(node: ast.AST | None) -> set[str] | None:
    if isinstance(node, ast.Dict):
        keys = set()
        for k in node.keys:
            if k is None:  # **spread: unknown
                return None
            assert isinstance(k, ast.Constant)
            keys.add(str(k.value))
        return keys
    return None


def _returned_keys(fn: Any) -> set[str]:
    """Keys of the dicts a handler returns (following helpers of its module it returns)."""
    module = inspect.getmodule(fn)
    keys: set[str] = set()
    for node in ast.walk(_function_source(fn)):
        if isinstance(node, ast.Return) and node.value is not None:
            literal = _dict_keys(node.value)
            if literal is not None:
                keys |= literal
            elif isinstance(node.value, ast.Call) and isinstance(node.value.func, ast.Name):
                keys |= _returned_keys(getattr(module, node.value.func.id))
            else:
                raise AssertionError(f"cannot read what {fn.__name__} returns")
    return keys


def client_events() -> dict[str, dict[str, set[str]]]:
    out = {}
    for name, (schema, fn) in events.EVENTS.items():
        payload = {f if info.is_required() else f + "?"
                   for f, info in schema.model_fields.items()}
        out[name] = {"payload": payload, "ack": _returned_keys(fn)}
    return out


ROOM_FUNCTIONS = {"everyone", "staff", "teacher", "cohost", "students", "stage", "student"}


def _rooms_called(node: ast.AST) -> set[str]:
    return {n.func.attr for n in ast.walk(node)
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
            and isinstance(n.func.value, ast.Name) and n.func.value.id == "rooms"}


def _event_names(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        return _event_names(node.body) + _event_names(node.orelse)
    raise AssertionError(f"event name not a literal at line {node.lineno}")


def snapshot_fields() -> set[str]:
    """The snapshot's top-level fields: its literal plus every `snap["field"] = …` in its
    module (the round and rotation parts add theirs)."""
    tree = ast.parse((ROOT / "server/domain/snapshot.py").read_text(encoding="utf-8"))
    fields: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.AnnAssign) and ast.unparse(node.target) == "snap":
            fields |= _dict_keys(node.value) or set()
        if isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Store) \
                and ast.unparse(node.value) == "snap":
            assert isinstance(node.slice, ast.Constant)
            fields.add(str(node.slice.value))
    return fields


def server_events() -> dict[str, dict[str, set[str]]]:
    """event -> {"to": audiences, "payload": keys} over every emit in the server's source.
    Audiences are the `rooms` functions (`student` = one student's room), `socket` (one given
    socket) or `process` (every socket of one process)."""
    out: dict[str, dict[str, set[str]]] = {}
    for path in EMITTING_MODULES:
        tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
        functions = {f.name: f for f in ast.walk(tree) if isinstance(f, ast.FunctionDef)}
        for fn in functions.values():
            locals_ = {t.id: a.value for a in ast.walk(fn) if isinstance(a, ast.Assign)
                       for t in a.targets if isinstance(t, ast.Name)}
            for call in ast.walk(fn):
                if not isinstance(call, ast.Call):
                    continue
                callee = call.func
                name = callee.attr if isinstance(callee, ast.Attribute) else getattr(
                    callee, "id", "")
                if name == "_to_staff":
                    audience = {"teacher", "cohost"}
                elif name == "emit" and fn.name != "_to_staff":
                    to = next((k.value for k in call.keywords if k.arg == "to"), None)
                    if to is None:
                        audience = {"process"} if isinstance(callee, ast.Attribute) else {
                            "socket"}
                    else:
                        audience = _rooms_called(to)
                        if not audience:  # a variable: a socket id, or rooms chosen above
                            helpers = [functions[c.func.id] for c in ast.walk(fn)
                                       if isinstance(c, ast.Call)
                                       and isinstance(c.func, ast.Name)
                                       and c.func.id in functions]
                            audience = set().union(*map(_rooms_called, helpers)) or {"socket"}
                else:
                    continue
                payload_node = call.args[2 if name == "_to_staff" else 1]
                if isinstance(payload_node, ast.Name):
                    payload_node = locals_.get(payload_node.id, payload_node)
                    if isinstance(payload_node, ast.Name) and payload_node.id in functions:
                        returns = [r.value for r in ast.walk(functions[payload_node.id])
                                   if isinstance(r, ast.Return)]
                        payload_node = returns[0]
                if isinstance(payload_node, ast.Lambda):
                    payload_node = payload_node.body
                keys = _dict_keys(payload_node)
                if isinstance(payload_node, ast.Call) and ast.unparse(
                        payload_node.func) == "snapshot.build":
                    keys = snapshot_fields()
                for event in _event_names(call.args[0]):
                    entry = out.setdefault(event, {"to": set(), "payload": set()})
                    entry["to"] |= audience
                    entry["payload"] |= keys if keys is not None else {"…"}
    from server.realtime.coalesce import COALESCED

    out["batch"] = {"to": set().union(*(out[e]["to"] for e in COALESCED)),
                    "payload": {"events"}}
    return out


def _same(what: str, *, documented: Any, code: Any) -> None:
    documented, code = set(documented), set(code)
    assert documented == code, (f"{what}: in the code but not documented: "
                                f"{sorted(code - documented)}; documented but not in the code: "
                                f"{sorted(documented - code)}")


# ---- tests -----------------------------------------------------------------------------------

def test_event_index_lists_every_client_event_with_its_payload_and_ack() -> None:
    index = event_index()
    documented = {name: row for (name, direction), row in index.items()
                  if direction == "client → server"}
    code = client_events()
    _same("client events", documented=documented, code=code)
    for name, row in code.items():
        assert documented[name]["payload"] == row["payload"], f"{name}: payload fields"
        assert documented[name]["ack"] == row["ack"], f"{name}: ack result fields"


def test_event_index_lists_every_server_event_with_its_audience_and_payload() -> None:
    index = event_index()
    documented = {name: row for (name, direction), row in index.items()
                  if direction == "server → client"}
    code = server_events()
    _same("server events", documented=documented, code=code)
    for name, row in code.items():
        assert documented[name]["who"] == row["to"], f"{name}: audience"
        assert {f.rstrip("?") for f in documented[name]["payload"]} == row["payload"], \
            f"{name}: payload fields"
        assert documented[name]["ack"] == set(), f"{name}: a server event has no ack"


def test_every_emit_is_in_a_module_the_index_is_checked_against() -> None:
    emitting = {str(path.relative_to(ROOT)) for path in (ROOT / "server").rglob("*.py")
                if any(isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute | ast.Name)
                       and getattr(n.func, "attr", getattr(n.func, "id", "")) == "emit"
                       for n in ast.walk(ast.parse(path.read_text(encoding="utf-8"))))}
    assert emitting <= {*EMITTING_MODULES, RELAY_MODULE}


def test_event_index_and_the_prose_tables_name_the_same_events() -> None:
    _same("events of the prose tables", documented=_prose_events(),
          code={name for name, _ in event_index()})


def test_prose_tables_show_the_same_payload_and_ack_fields() -> None:
    """What a reader of the prose tables sees: the same field names as the code."""
    prose = prose_tables()
    for name, row in client_events().items():
        documented = prose[(name, "client → server")]
        assert documented["payload"] == {f.rstrip("?") for f in row["payload"]}, \
            f"{name}: payload fields in the prose table"
        assert documented["ack"] == row["ack"], f"{name}: ack fields in the prose table"
    for name, row in server_events().items():
        if name != "snapshot":  # its fields are spread over several sections
            assert prose[(name, "server → client")]["payload"] == row["payload"], \
                f"{name}: payload fields in the prose table"


def test_every_index_direction_and_audience_is_known() -> None:
    for (name, direction), row in event_index().items():
        assert direction in ("client → server", "server → client"), name
        allowed = ({"teacher", "cohost", "student", "stage"} if direction == "client → server"
                   else ROOM_FUNCTIONS | {"socket", "process"})
        assert row["who"] <= allowed, f"{name}: unknown role or audience"


def test_redis_keys_doc_matches_the_key_registry() -> None:
    documented = {}
    for header, rows in tables(REDIS_KEYS):
        if header[:2] == ["key", "type"]:
            for row in rows:
                pattern = row[0].strip("`")
                assert pattern not in documented, f"{pattern} twice"
                documented[pattern] = (row[1], row[-1])
    registry = {spec.pattern: spec for spec in store_keys.KEY_REGISTRY}
    _same("Redis keys", documented=documented, code=registry)
    for pattern, spec in registry.items():
        kind, ttl = documented[pattern]
        assert kind == spec.type, f"{pattern}: type"
        assert ttl.startswith(spec.ttl), f"{pattern}: TTL should start {spec.ttl!r}"


def test_every_key_function_of_the_store_is_in_the_registry() -> None:
    """A key named outside the registry would escape the doc check."""
    source = ast.parse(inspect.getsource(store_keys))
    named = {f.name for f in source.body if isinstance(f, ast.FunctionDef)
             and f.name.endswith("_key")}
    _same("key functions", documented={spec.name.__name__ for spec in store_keys.KEY_REGISTRY},
          code=named)
    # and no method builds a key name from the prefix itself
    for node in ast.walk(source):
        if isinstance(node, ast.FunctionDef) and not node.name.endswith("_key"):
            for sub in ast.walk(node):
                if isinstance(sub, ast.JoinedStr):
                    assert "PREFIX" not in ast.unparse(sub), f"{node.name} names a key"


@pytest.fixture(scope="module")
def app() -> Any:
    """The HTTP routes alone (no store, no Socket.IO): all the route checks need."""
    from flask import Flask

    from server.http import api

    flask_app = Flask(__name__)
    flask_app.register_blueprint(api.bp)
    return flask_app


def _route_methods(app: Any) -> set[tuple[str, str]]:
    return {(rule.endpoint, method) for rule in app.url_map.iter_rules()
            if rule.rule.startswith(("/api/", "/healthz"))
            for method in rule.methods - {"HEAD", "OPTIONS"}}


def _matched(app: Any, paths: list[tuple[str, str]]) -> set[tuple[str, str]]:
    """(endpoint, method) each documented (method, path) reaches; fails for one that reaches
    no route."""
    adapter = app.url_map.bind("localhost")
    found = set()
    for method, path in paths:
        concrete = re.sub(r"\{[^}]+\}", "1", path.split("?")[0])
        try:
            endpoint, _ = adapter.match(concrete, method=method)
        except Exception as exc:
            raise AssertionError(f"{method} {path} is documented but has no route") from exc
        found.add((endpoint, method))
    return found


def test_openapi_document_covers_exactly_the_routes(app: Any) -> None:
    from server.http.openapi import openapi_document

    paths = [(method.upper(), path) for path, item in openapi_document()["paths"].items()
             for method in item if method in ("get", "post", "put", "patch", "delete")]
    _same("routes", documented=_matched(app, paths), code=_route_methods(app))


def test_protocol_http_tables_cover_exactly_the_routes(app: Any) -> None:
    paths = []
    for header, rows in tables(PROTOCOL):
        if header[0] == "method, path":
            for row in rows:
                for entry in _names(row[0])[:1]:
                    method, _, path = entry.partition(" ")
                    if not path.startswith("/"):
                        continue  # "…/export?format=csv": a variant of the row above
                    alternatives = re.search(r"\{([^}]*｜[^}]*)\}", path)
                    for alt in alternatives.group(1).split("｜") if alternatives else [None]:
                        paths.append((method, path if alt is None else
                                      path.replace(alternatives.group(0), alt)))
    _same("routes", documented=_matched(app, paths), code=_route_methods(app))


# ---- who may send each event: the index's "who" column, asked of the server itself ---------

SAMPLE: dict[str, Any] = {  # a valid value for each field name the schemas use
    "locked": False, "student_id": "nobody", "name": "Bo", "roster_id": None,
    "retention_days": 30, "approval_required": False, "lang": "en", "text": "Hello there",
    "seconds": 60, "prompt_id": "no-such-prompt", "client_id": "client-0001",
    "visibility": "class", "spotlight_ok": True, "card_id": "nocard", "hidden": True,
    "starred": True, "reaction": "heart", "rotations": 1, "minutes": 5, "size": 2,
    "rotation": 0, "room": 0, "slots_per_week": 1, "weeks": 1, "week": 0, "slot": 0,
    "status": "done",
}
# Optional fields sent anyway, where the handler needs one of several.
SAMPLE_OPTIONAL = {"size", "approval_required", "prompt_id", "text"}


def _sample(schema: Any) -> dict[str, Any]:
    from server.schemas import parse

    body = {f: SAMPLE[f] for f, info in schema.model_fields.items()
            if info.is_required() or f in SAMPLE_OPTIONAL}
    parse(schema, body)  # valid, so that only the sender's role can refuse it
    return body


def test_only_the_documented_roles_may_send_each_event(tmp_path: Path) -> None:
    """Every event from every role, in process: a role the index leaves out is refused
    (`forbidden`, or `not_found` where the server does not reveal the thing exists); a role it
    lists is never told `forbidden` (it may get `not_found` or `conflict`: the samples name
    nothing real)."""
    from server.extensions import socketio
    from tests.inprocess import config_for, create

    app = create(config_for(tmp_path))  # no background loops: nothing here needs a timer
    web = app.test_client()
    made = web.post("/api/classes", json={"name": "Roles", "grade_band": "6-8"}).get_json()
    seat = web.post("/api/join", json={"code": made["join_code"], "name": "Ana"}).get_json()
    tokens = {"cohost": {"token": made["cohost_secret"]},
              "student": {"token": seat["seat_token"]},
              "stage": {"token": made["teacher_secret"], "view": "stage"},
              "teacher": {"token": made["teacher_secret"]}}
    senders = {role: socketio.test_client(app, auth=auth) for role, auth in tokens.items()}
    opened = [senders[role].emit(name, body, callback=True) for role, name, body in (
        ("teacher", "round.start", {"custom_text": "What do you collect?"}),
        ("cohost", "round.host_card", {"skip": True}),  # (a teacher's answer binds the co-host)
        ("teacher", "round.open", {"timer_seconds": None}))]
    assert all(ack["ok"] for ack in opened), opened  # so round events reach the role check
    index = event_index()
    wrong = []
    for name, (schema, _fn) in events.EVENTS.items():
        allowed = index[(name, "client → server")]["who"]
        body = _sample(schema)
        for role, client in senders.items():  # the co-host before the teacher: see host_card
            ack = client.emit(name, body, callback=True)
            refused = ack["error"]["code"] if not ack["ok"] else None
            if role in allowed and refused == "forbidden":
                wrong.append(f"{name}: documented for {role}, but refused: {ack['error']}")
            if role not in allowed and refused not in ("forbidden", "not_found"):
                wrong.append(f"{name}: not documented for {role}, but answered {ack}")
    assert wrong == []


# ---- the objects the events carry ------------------------------------------------------------

def view_fields(*functions: Any) -> set[str]:
    """Every top-level field a projections function can put in its answer: the keys of its dict
    literals and constant-tuple comprehensions assigned to `view` or returned, and every
    `view["field"] = …`."""
    fields: set[str] = set()
    for fn in functions:
        for node in ast.walk(_function_source(fn)):
            value = None
            if isinstance(node, ast.Return) or _assigns(node, "view"):
                value = node.value
            elif isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Store) \
                    and ast.unparse(node.value) == "view":
                assert isinstance(node.slice, ast.Constant)
                fields.add(str(node.slice.value))
            if isinstance(value, ast.DictComp):
                for gen in value.generators:
                    if isinstance(gen.iter, ast.Tuple):
                        fields |= {str(c.value) for c in gen.iter.elts
                                   if isinstance(c, ast.Constant)}
            fields |= _dict_keys(value) or set()
    return fields


def documented_object(name: str) -> set[str]:
    """The top-level fields of PROTOCOL.md's `name = {…}` object."""
    text = PROTOCOL.replace("`", "")
    start = text.index(f"{name} = {{") + len(name) + 3
    depth, end = 0, start
    for end in range(start, len(text)):
        depth += {"{": 1, "}": -1}.get(text[end], 0)
        if depth == 0:
            break
    return object_keys(text[start:end + 1])


def test_documented_objects_have_the_fields_the_views_make() -> None:
    from server.domain import projections

    objects = {"class": (projections.class_view,), "round": (projections.round_view,),
               "student": (projections.staff_student, projections.self_student)}
    for name, functions in objects.items():
        _same(f"the {name} object", documented=documented_object(name),
              code=view_fields(*functions))


def _assigns(node: ast.AST, variable: str) -> bool:
    """`variable = …` or, typed, `variable: SomeRecord = …`."""
    if isinstance(node, ast.AnnAssign):
        return isinstance(node.target, ast.Name) and node.target.id == variable
    return isinstance(node, ast.Assign) and any(
        isinstance(t, ast.Name) and t.id == variable for t in node.targets)


def _literal_keys(fn: Any, variable: str) -> set[str]:
    """Keys of the dict literals `fn` assigns to `variable`."""
    return set().union(*(_dict_keys(node.value) or set() for node in ast.walk(_function_source(fn))
                         if _assigns(node, variable)))


def test_documented_card_and_reply_have_the_fields_the_server_stores_and_sends() -> None:
    from server.domain import projections, rounds

    module = ast.parse(inspect.getsource(rounds))
    changed = {str(n.slice.value) for n in ast.walk(module)  # new["field"] = … in moderation
               if isinstance(n, ast.Subscript) and isinstance(n.ctx, ast.Store)
               and ast.unparse(n.value) == "new" and isinstance(n.slice, ast.Constant)}
    card = (_literal_keys(rounds.submit_card, "card") | changed
            | view_fields(projections.card_view))
    # client_id is kept for idempotent retries and never sent (the projections drop it).
    _same("the card object", documented=documented_object("card"), code=card - {"client_id"})
    _same("the reply object", documented=documented_object("reply"),
          code=_literal_keys(rounds.send_reply, "reply"))


def test_openapi_request_bodies_are_the_schemas_the_routes_parse() -> None:
    """A route that validates its JSON body with a schema declares exactly that schema, and
    the document gives it (generated from the pydantic model, never written by hand)."""
    from server import schemas
    from server.http import api
    from server.http.openapi import ENDPOINTS, openapi_document

    document = openapi_document()
    parsed = []
    for fn in ast.parse(inspect.getsource(api)).body:
        if not isinstance(fn, ast.FunctionDef):
            continue
        models = {n.args[0].id for n in ast.walk(fn) if isinstance(n, ast.Call)
                  and getattr(n.func, "id", "") == "parse" and isinstance(n.args[0], ast.Name)}
        for spec in (e for e in ENDPOINTS if e.view == fn.name):
            assert ({spec.body.__name__} if spec.body else set()) == models, spec.path
            for model in models:
                body = document["paths"][spec.path][spec.method]["requestBody"]["content"]
                assert body["application/json"]["schema"] == {
                    "$ref": f"#/components/schemas/{model}"}, (spec.method, spec.path)
                component = document["components"]["schemas"][model]
                assert component == getattr(schemas, model).model_json_schema(), model
                parsed.append(model)
    assert parsed, "no route parses a JSON body: the check above checked nothing"


def _documented_fields(text: str, i: int) -> tuple[dict[str, Any] | None, int]:
    """The object PROTOCOL.md writes at text[i] == "{" as {field: (optional, inner object or
    None)}; None for a map ({key: text}) or an elided object ({…}). Returns (tree, end)."""
    fields: dict[str, Any] = {}
    closed_form = True
    i += 1
    while i < len(text) and text[i] != "}":
        if text[i] in " ,":
            i += 1
            continue
        if text[i] != '"':
            closed_form = False  # not a list of "fields": skip to the end of the object
        name_end = text.index('"', i + 1) if text[i] == '"' else i
        name, i = text[i + 1:name_end], name_end + 1
        optional = text.startswith("?", i)
        i += optional
        inner = None
        if text.startswith(":", i):
            i += 1
            while text[i] == " ":
                i += 1
            if text[i] == "[" and text[i + 1] == "{":
                inner, i = _documented_fields(text, i + 1)
                i = text.index("]", i) + 1
            elif text[i] == "{":
                inner, i = _documented_fields(text, i)
        depth = 0  # skip the rest of the value: "a"｜"b", bool, (remarks, with commas)
        while i < len(text) and not (depth == 0 and text[i] in ",}"):
            if text[i] == '"':
                i = text.index('"', i + 1)
            depth += (text[i] in "{[(") - (text[i] in "}])")
            i += 1
        if closed_form:
            fields[name] = (optional, inner)
    return (fields if closed_form and fields else None), i + 1


def _same_fields(where: str, documented: dict[str, Any], schema: Any, components: Any) -> None:
    while "$ref" in schema or "anyOf" in schema or schema.get("type") == "array":
        if "$ref" in schema:
            schema = components[schema["$ref"].rsplit("/", 1)[1]]
        elif "anyOf" in schema:
            [schema] = [s for s in schema["anyOf"] if s.get("type") != "null"]
        else:
            schema = schema["items"]
    properties, required = schema["properties"], set(schema.get("required", ()))
    _same(where, documented=set(documented), code=set(properties))
    _same(f"{where}: optional fields", code=set(properties) - required,
          documented={name for name, (optional, _) in documented.items() if optional})
    for name, (_, inner) in documented.items():
        if inner is not None:
            _same_fields(f"{where}.{name}", inner, properties[name], components)


def test_protocol_http_answers_and_credentials_are_the_declared_ones() -> None:
    """Each HTTP row of PROTOCOL.md that writes its JSON answer ({"field", "optional"?, ...},
    nested objects too) names exactly the fields of the answer type the route declares, with
    the same status; its "who" is "anyone" exactly when the route needs no credential."""
    from server.http import api  # noqa: F401  (registers the routes)
    from server.http.openapi import openapi_document

    document = openapi_document()
    operations = {(method, path): op for path, item in document["paths"].items()
                  for method, op in item.items()}
    checked, path = [], ""
    for header, rows in tables(PROTOCOL):
        if header[0] != "method, path":
            continue
        for row in rows:
            method, _, written = _names(row[0])[0].partition(" ")
            path = written.split("?")[0] if written.startswith("/") else path
            concrete = re.sub(r"\{[^}]*｜[^}]*\}", "x", path)
            found = sorted((p.count("{"), (m, p)) for m, p in operations if m == method.lower()
                           and re.fullmatch(re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(p)),
                                            concrete))
            assert found, f"{method} {path}"
            operation = operations[found[0][1]]
            if header[1] == "who":
                public = row[1].startswith("anyone")
                assert public == ("security" not in operation), (row[0], row[1])
            for code in _names(row[-1]):
                answer = re.match(r"(?:(2\d\d) )?\{", code)
                if answer:
                    break
            else:
                continue
            status = answer.group(1) or next(s for s in operation["responses"] if s < "3")
            fields, _ = _documented_fields(code, answer.end() - 1)
            schema = operation["responses"][status]["content"]["application/json"]["schema"]
            assert fields is not None, code
            _same_fields(f"{method} {path}", fields, schema, document["components"]["schemas"])
            checked.append((method, path))
    assert len(checked) >= 10, checked


def test_protocol_pages_are_the_page_routes() -> None:
    """PROTOCOL.md's "Pages:" line names every page route of server/http/pages.py (the
    favicon and the static files under web/ aside) and nothing the static files would answer."""
    from flask import Flask

    from server.http import pages

    flask_app = Flask(__name__)
    flask_app.register_blueprint(pages.bp)
    adapter = flask_app.url_map.bind("localhost")
    paragraph = PROTOCOL.split("\nPages: ", 1)[1].split("\n\n", 1)[0]
    documented = {adapter.match(name.split("#")[0], method="GET", return_rule=True)[0].rule
                  for name in _names(paragraph)}
    routes = {rule.rule for rule in flask_app.url_map.iter_rules()
              if rule.endpoint not in ("pages.favicon", "pages.static_file", "static")}
    _same("pages", documented=documented, code=routes)
