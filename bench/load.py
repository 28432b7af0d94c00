"""Load generator for live classes: the icebreaker journey, class by class, over real sockets.

Each class is 1 teacher and 35 students. They join over HTTP (create + join), connect real
Socket.IO clients (websocket transport, seat/teacher token in the connect packet), then:

* the teacher opens a round: ``prompt.list`` -> ``round.start`` -> ``round.host_card`` ->
  ``round.open``;
* the 35 cards arrive spread over 20 s (``card.submit``; every 7th card is "just my teacher");
* the teacher spotlights 10 cards, 5 s apart (``spotlight.set``);
* every student reacts to each spotlight (``react``) a random moment after seeing it.

Classes start staggered. Durations are multiplied by ``--time-scale``.

Latency is measured with one monotonic clock per worker process: a whole class (its teacher
and its students) lives in one worker, so the send time and every receive time come from the
same clock.

* ``card``: ``card.submit`` sent -> the teacher receives ``card.added`` for that student;
* ``spotlight``: ``spotlight.set`` sent -> each student receives ``spotlight`` with that card;
* ``reaction``: ``react`` sent -> each student receives a ``reactions`` update whose total for
  that card is at least the reaction's rank in send order (the update "including it").
  Reaction counts are coalesced by the protocol (at most one update per card per 0.5 s), so
  this latency includes up to 0.5 s of deliberate waiting; ``reaction-net`` subtracts, per
  update, the time from the update's first receipt in the worker back to the send, i.e. it is
  the fan-out part only.

Nothing may be lost: every expected delivery is counted (teacher card.added, each student's
card.added for class cards, spotlight, final reaction counts) and compared with what arrived.
Before the round is closed and counted, a class waits (up to 30 s) for what is still on its
way, so that a late delivery under overload is reported as latency, not as lost; "drain" is
the longest such wait.

Servers: ``rapport`` (``rapport serve``, gevent, its own private redis-server with
appendonly/everysec), ``bare`` (bench/baselines/bare_python.py: python-socketio + gevent, same
events, same fan-out, no application logic, no Redis) and ``node``
(bench/baselines/node/server.js, socket.io 4). ``--servers rapport,bare,node`` runs them one
after another in the same command and prints the cost per delivery of each and the ratios.

``--processes 2`` runs that many Rapport processes sharing the Redis behind nginx (round robin,
websocket-only clients).

Duplicates: a delivery that tells its receiver nothing new (a ``card.added`` for a card it
already has, a ``spotlight`` it already shows, a ``reactions`` update whose total is not above
the last one it got) is counted per class; two processes each flushing a card's counts show up
here.

``busy`` acks (admission control: the server refused new work before doing any of it) are
retried after the ``retry_after_ms`` they carry, as the browser does, and counted apart from
errors.

Usage, from a checkout with the project and its bench extra installed (``pip install -e
'.[bench]'``; redis-server for ``rapport``, nginx for ``--processes 2``, Node.js for ``node``;
see docs/PERFORMANCE.md for the recorded runs):

    python bench/load.py --quick        # about 2 minutes: rapport x1, x2 (nginx), bare; 4 classes
    python bench/load.py --classes 16,32 --servers rapport,bare --processes 1,2
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing as mp
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from array import array
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
NODE_DIR = REPO / "bench" / "baselines" / "node"
STUDENTS = 35
CARD_WINDOW = 20.0  # seconds over which a class's cards arrive
SPOTLIGHTS = 10
SPOTLIGHT_GAP = 5.0
REACTIONS = ("heart", "clap", "smile", "star", "wow")
KINDS = ("card", "spotlight", "reaction", "reaction-net")
DRAIN_SECONDS = 30.0  # after a class's last action, how long its deliveries may still arrive

WORDS = ("my dog", "a record", "the sneakers", "grandma's recipe", "a skateboard", "this book",
         "my bike", "a drawing", "the guitar", "our garden", "a fossil", "my cat", "a kite")


def card_text(rng: random.Random) -> str:
    """A card of typical length (about 120 to 220 characters)."""
    parts = ["This is"]
    while sum(len(p) + 1 for p in parts) < rng.randint(120, 220):
        parts.append(rng.choice(WORDS) + ("," if rng.random() < 0.3 else ""))
    return " ".join(parts) + "."


# ---- JSON: orjson when installed, for the load generator's own parsing ---------------------

try:
    import orjson

    class FastJSON:
        @staticmethod
        def dumps(obj: Any, **_kw: Any) -> str:
            return orjson.dumps(obj).decode()

        @staticmethod
        def loads(raw: Any, **_kw: Any) -> Any:
            return orjson.loads(raw)
except ImportError:  # pragma: no cover
    FastJSON = json  # type: ignore[assignment,misc]


# ---- servers ---------------------------------------------------------------------------------

def find_binary(name: str) -> str:
    """`name` on PATH, or in the sbin folders a non-root PATH often leaves out (nginx)."""
    extra = os.pathsep.join(("/usr/local/sbin", "/usr/sbin", "/sbin"))
    found = shutil.which(name) or shutil.which(name, path=extra)
    if found is None:
        raise SystemExit(f"bench: {name} not found on PATH")
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_http(url: str, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args} exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=1) as r:
                if r.status in (200, 503):
                    return
        except OSError:
            pass
        time.sleep(0.1)  # polling an external process for readiness
    raise RuntimeError(f"{url} did not answer within {timeout}s")


@dataclass
class Stack:
    """The processes under test: server process(es), and Redis / nginx when used."""

    kind: str
    processes: int
    tmp: Path
    url: str = ""
    servers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    redis: subprocess.Popen[bytes] | None = None
    nginx: subprocess.Popen[bytes] | None = None

    def start(self) -> Stack:
        if self.kind == "rapport":
            self._start_redis()
        ports = [free_port() for _ in range(self.processes)]
        for port in ports:
            self.servers.append(self._start_server(port))
        for port, proc in zip(ports, self.servers, strict=True):
            wait_http(f"http://127.0.0.1:{port}/healthz", proc)
        if self.processes > 1:
            self._start_nginx(ports)
        else:
            self.url = f"http://127.0.0.1:{ports[0]}"
        return self

    def _start_redis(self) -> None:
        port = free_port()
        binary = find_binary("redis-server")
        data = self.tmp / "redis"
        data.mkdir(parents=True, exist_ok=True)
        self.redis = subprocess.Popen(
            [binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "",
             "--appendonly", "yes", "--appendfsync", "everysec", "--dir", str(data),
             "--logfile", str(data / "redis.log")],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, start_new_session=True)
        self.redis_url = f"redis://127.0.0.1:{port}/0"
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
                return
            time.sleep(0.05)
        raise RuntimeError("bench redis-server did not start")

    def _start_server(self, port: int) -> subprocess.Popen[bytes]:
        log = (self.tmp / f"{self.kind}-{port}.log").open("ab")
        env = {k: v for k, v in os.environ.items() if not k.startswith("RAPPORT_")}
        env.update(PYTHONUNBUFFERED="1")
        if self.kind == "rapport":
            env.update(REDIS_URL=self.redis_url, ASYNC_MODE="gevent",
                       SECRET_KEY="bench-secret-key-0123456789abcdef",
                       RAPPORT_INSTANCE_PATH=str(self.tmp / f"instance-{port}"),
                       RAPPORT_LOG_LEVEL="WARNING",
                       **processes_setting(self.processes),
                       # each class sits behind its own school address (X-Forwarded-For), so
                       # the per-address limits on creating classes and joining apply per class
                       RAPPORT_TRUSTED_PROXIES="2" if self.processes > 1 else "1")
            cmd = [sys.executable, "-m", "server", "serve", "--port", str(port)]
        elif self.kind == "bare":
            cmd = [sys.executable, str(REPO / "bench" / "baselines" / "bare_python.py"),
                   "--port", str(port)]
        elif self.kind == "node":
            ensure_node_modules()
            cmd = ["node", str(NODE_DIR / "server.js"), str(port)]
        else:
            raise ValueError(self.kind)
        return subprocess.Popen(cmd, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)

    def _start_nginx(self, ports: list[int]) -> None:
        binary = find_binary("nginx")  # --processes > 1 needs it (apt-get install nginx-light)
        port = free_port()
        conf = self.tmp / "nginx.conf"
        conf.write_text(nginx_config(self.tmp, port, ports, access_log=False))
        self.nginx = subprocess.Popen(
            [binary, "-c", str(conf), "-p", str(self.tmp), "-e", str(self.tmp / "error.log")],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True)
        self.url = f"http://127.0.0.1:{port}"
        wait_http(f"{self.url}/healthz", self.nginx)

    def server_pids(self) -> list[int]:
        return [p.pid for p in self.servers]

    def stop(self) -> None:
        for proc in [self.nginx, *self.servers, self.redis]:
            if proc is not None and proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()


def processes_setting(processes: int) -> dict[str, str]:
    """RAPPORT_PROCESSES for a server that knows it (one: no message queue), as a deployment
    of that many processes would set it; nothing for an older tree (it refuses unknown
    settings)."""
    if "RAPPORT_PROCESSES" not in (REPO / "server" / "config.py").read_text():
        return {}
    return {"RAPPORT_PROCESSES": "one" if processes == 1 else "many"}


def nginx_config(tmp: Path, port: int, upstreams: list[int], *, access_log: bool) -> str:
    """nginx in front of several processes: websocket upgrade, round robin."""
    servers = "\n".join(f"    server 127.0.0.1:{p};" for p in upstreams)
    log = (f'log_format up \'$remote_addr "$request" $status $upstream_addr\';\n'
           f"  access_log {tmp}/access.log up;") if access_log else "access_log off;"
    return f"""daemon off;
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 20000; }}
http {{
  {log}
  client_body_temp_path {tmp}/client_body;
  proxy_temp_path {tmp}/proxy;
  fastcgi_temp_path {tmp}/fastcgi;
  uwsgi_temp_path {tmp}/uwsgi;
  scgi_temp_path {tmp}/scgi;
  map $http_upgrade $connection_upgrade {{ default upgrade; '' close; }}
  upstream rapport {{
{servers}
  }}
  server {{
    listen 127.0.0.1:{port};
    location / {{
      proxy_pass http://rapport;
      proxy_http_version 1.1;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_read_timeout 300s;
      proxy_buffering off;
    }}
  }}
}}
"""


def ensure_node_modules() -> None:
    if (NODE_DIR / "node_modules" / "socket.io").exists():
        return
    print("bench: installing the node baseline (npm ci)", file=sys.stderr, flush=True)
    subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--silent"], cwd=NODE_DIR,
                   check=True)


class Sampler(threading.Thread):
    """Samples RSS of the server processes every 0.25 s; CPU times on demand."""

    def __init__(self, pids: list[int], extra: dict[str, int]) -> None:
        super().__init__(daemon=True)
        import psutil

        self.procs = [psutil.Process(p) for p in pids]
        self.extra = {}
        for name, pid in extra.items():
            proc = psutil.Process(pid)  # nginx: the master and its worker
            self.extra[name] = [proc, *proc.children(recursive=True)]
        self.peak_rss = 0
        self._stop = threading.Event()

    def rss(self) -> int:
        return sum(p.memory_info().rss for p in self.procs)

    def cpu(self) -> float:
        return sum(sum(p.cpu_times()[:2]) for p in self.procs)

    def extra_cpu(self) -> dict[str, float]:
        return {name: sum(sum(p.cpu_times()[:2]) for p in procs)
                for name, procs in self.extra.items()}

    def run(self) -> None:
        while not self._stop.wait(0.25):
            with contextlib.suppress(Exception):
                self.peak_rss = max(self.peak_rss, self.rss())

    def stop(self) -> None:
        self._stop.set()


# ---- one worker process: its share of the classes ---------------------------------------------

class Counters:
    def __init__(self, ctx: Any) -> None:
        self.connected = ctx.Value("i", 0)
        self.classes_done = ctx.Value("i", 0)
        self.deliveries = ctx.Value("q", 0)


@dataclass
class ClassRun:
    index: int
    rng: random.Random
    teacher: Any = None
    students: list[Any] = field(default_factory=list)
    student_ids: list[str] = field(default_factory=list)
    # latency bookkeeping (worker monotonic clock)
    card_sent: dict[str, float] = field(default_factory=dict)  # student id -> send time
    teacher_cards: set[str] = field(default_factory=set)  # student ids seen by the teacher
    class_cards: set[str] = field(default_factory=set)  # card ids visible to the class
    student_cards: list[set[str]] = field(default_factory=list)  # card ids each student saw
    spot_sent: dict[str, float] = field(default_factory=dict)  # card id -> send time
    spot_seen: list[set[str]] = field(default_factory=list)
    react_sent: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    react_ok: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    react_seen: list[dict[str, int]] = field(default_factory=list)  # per student: card->total
    update_first: dict[tuple[str, int], float] = field(default_factory=dict)
    spotlight_waiters: list[asyncio.Event] = field(default_factory=list)
    cards_done: asyncio.Event | None = None
    in_flight: int = 0  # calls not answered yet (busy ones being retried included)


class Worker:
    def __init__(self, url: str, classes: list[int], args: argparse.Namespace,
                 counters: Counters) -> None:
        self.url = url
        self.class_indexes = classes
        self.args = args
        self.counters = counters
        self.lat: dict[str, array[float]] = {k: array("f") for k in KINDS}
        self.errors: list[str] = []
        self.error_codes: dict[str, int] = defaultdict(int)  # "unavailable", "timeout", ...
        self.busy = 0  # `busy` acks, retried
        self.drain = 0.0  # longest wait for late deliveries after a class's last action
        self.messages = 0  # Socket.IO messages received in the journeys (a batch is one)
        self.duplicates: dict[str, int] = defaultdict(int)  # per event: nothing new in it
        self.by_event: dict[str, int] = defaultdict(int)  # journey deliveries per event
        self.deliveries = 0
        self.journey_deliveries = 0
        self.in_journey = False
        self.expected = defaultdict(int)
        self.received = defaultdict(int)
        self.pending_delivery = 0

    def error(self, what: str, code: str = "other") -> None:
        self.error_codes[code] += 1
        if len(self.errors) < 50:
            self.errors.append(what)
        else:
            self.errors.append("")  # counted, not kept

    def _count(self, event: str) -> None:
        self.deliveries += 1
        if self.in_journey:
            self.journey_deliveries += 1
            self.by_event[event] += 1
        self.pending_delivery += 1
        if self.pending_delivery >= 200:
            with self.counters.deliveries.get_lock():
                self.counters.deliveries.value += self.pending_delivery
            self.pending_delivery = 0

    # ---- setup ----

    async def setup_class(self, http: Any, index: int) -> ClassRun:
        run = ClassRun(index=index, rng=random.Random(index * 7919 + self.args.seed))
        school = {"X-Forwarded-For": f"10.{index // 250 % 250}.{index % 250}.1"}
        async with http.post(f"{self.url}/api/classes", headers=school,
                             json={"name": f"Bench class {index}", "grade_band": "9-12"}) as r:
            if r.status != 201:
                raise RuntimeError(f"create class: {r.status} {await r.text()}")
            made = await r.json()
        tokens = []
        for s in range(STUDENTS):
            async with http.post(f"{self.url}/api/join", headers=school,
                                 json={"code": made["join_code"],
                                       "name": f"Student {s:02d}"}) as r:
                if r.status != 200:
                    raise RuntimeError(f"join: {r.status} {await r.text()}")
                joined = await r.json()
            tokens.append(joined["seat_token"])
            run.student_ids.append(joined["student_id"])
        run.student_cards = [set() for _ in range(STUDENTS)]
        run.spot_seen = [set() for _ in range(STUDENTS)]
        run.react_seen = [{} for _ in range(STUDENTS)]
        run.teacher = await self.connect(http, made["teacher_secret"], run, None, school)
        for s, token in enumerate(tokens):
            run.students.append(await self.connect(http, token, run, s, school))
        return run

    async def connect(self, http: Any, token: str, run: ClassRun, s: int | None,
                      school: dict[str, str]) -> Any:
        import socketio

        sio = socketio.AsyncClient(reconnection=False, http_session=http, handle_sigint=False,
                                   json=FastJSON)
        on = self._teacher_handler(run) if s is None else self._student_handler(run, s)

        def unbatched(event: str, data: Any = None) -> None:
            if self.in_journey:
                self.messages += 1  # what the socket carried; deliveries count the events
            if event == "batch":  # several events in one message, in order
                for name, payload in data["events"]:
                    on(name, payload)
            else:
                on(event, data)

        sio.on("*", unbatched)
        for attempt in range(3):
            try:
                # the sockets too come from the class's school address: the per-address
                # socket cap (300) applies per class, as in a real deployment
                await sio.connect(self.url, auth={"token": token}, transports=["websocket"],
                                  headers=school, wait_timeout=30)
                break
            except Exception as exc:
                if attempt == 2:
                    raise RuntimeError(f"connect failed: {exc!r}") from None
                await asyncio.sleep(1 + attempt)
        with self.counters.connected.get_lock():
            self.counters.connected.value += 1
        return sio

    # ---- receiving ----

    def _teacher_handler(self, run: ClassRun) -> Any:
        def on(event: str, data: Any = None) -> None:
            self._count(event)
            if event == "card.added":
                sid = data["card"]["student_id"]
                sent = run.card_sent.get(sid)
                if sid in run.teacher_cards:
                    self.duplicates[event] += 1
                    return
                run.teacher_cards.add(sid)
                if sent is not None:
                    self.lat["card"].append((time.monotonic() - sent) * 1000)
                if run.cards_done is not None and len(run.teacher_cards) >= STUDENTS:
                    run.cards_done.set()
        return on

    def _student_handler(self, run: ClassRun, s: int) -> Any:
        def on(event: str, data: Any = None) -> None:
            self._count(event)
            now = time.monotonic()
            if event == "card.added":
                cid = data["card"]["id"]
                if cid in run.student_cards[s]:
                    self.duplicates[event] += 1
                run.student_cards[s].add(cid)
            elif event == "spotlight":
                card = data.get("card")
                if card is None:
                    return
                cid = card["id"]
                if cid in run.spot_seen[s]:
                    self.duplicates[event] += 1
                    return
                sent = run.spot_sent.get(cid)
                if sent is not None:
                    self.lat["spotlight"].append((now - sent) * 1000)
                run.spot_seen[s].add(cid)
                asyncio.get_running_loop().create_task(self.react_later(run, s, cid))
            elif event == "reactions":
                cid = data["card_id"]
                total = sum(data["counts"].values())
                seen = run.react_seen[s].get(cid, 0)
                if total <= seen:
                    self.duplicates[event] += 1
                    return
                first = run.update_first.setdefault((cid, total), now)
                sent = run.react_sent.get(cid, ())
                for rank in range(seen, min(total, len(sent))):
                    self.lat["reaction"].append((now - sent[rank]) * 1000)
                    self.lat["reaction-net"].append((now - first) * 1000)
                run.react_seen[s][cid] = total
        return on

    # ---- the journey ----

    async def call(self, sio: Any, event: str, data: Any) -> Any:
        for _attempt in range(20):
            try:
                ack = await sio.call(event, data, timeout=30)
            except Exception as exc:
                code = "timeout" if isinstance(exc, TimeoutError) or "Timeout" in repr(exc) \
                    else "exception"
                self.error(f"{event}: {exc!r}", code)
                return None
            if isinstance(ack, dict) and ack.get("ok"):
                return ack
            error = ack.get("error") if isinstance(ack, dict) else None
            code = str(error.get("code", "other")) if isinstance(error, dict) else "other"
            if code != "busy":
                self.error(f"{event}: {ack!r}"[:300], code)
                return None
            # Refused before any work was done: send it again after the pause asked for, as
            # the browser does.
            self.busy += 1
            pause = float(error.get("retry_after_ms", 1000)) / 1000  # type: ignore[union-attr]
            await asyncio.sleep(pause * (1 + random.random() / 2))
        self.error(f"{event}: still busy after 20 attempts", "busy")
        return None

    async def react_later(self, run: ClassRun, s: int, cid: str) -> None:
        gap = SPOTLIGHT_GAP * self.args.time_scale
        await asyncio.sleep(run.rng.uniform(0.1, 0.6) * gap)
        run.react_sent[cid].append(time.monotonic())
        run.in_flight += 1
        try:
            ack = await self.call(run.students[s], "react",
                                  {"card_id": cid, "reaction": run.rng.choice(REACTIONS)})
        finally:
            run.in_flight -= 1
        if ack is not None:
            run.react_ok[cid] += 1

    async def submit_later(self, run: ClassRun, s: int, delay: float) -> None:
        await asyncio.sleep(delay)
        visibility = "teacher" if s % 7 == 6 else "class"
        run.card_sent[run.student_ids[s]] = time.monotonic()
        ack = await self.call(run.students[s], "card.submit", {
            "client_id": uuid.uuid4().hex, "text": card_text(run.rng),
            "visibility": visibility, "spotlight_ok": True, "photo_id": None})
        if ack is not None and visibility == "class":
            run.class_cards.add(ack["card"]["id"])

    async def journey(self, run: ClassRun, start_at: float) -> None:
        scale = self.args.time_scale
        await asyncio.sleep(max(0.0, start_at - time.monotonic()))
        t = run.teacher
        listed = await self.call(t, "prompt.list", {})
        if listed is None:
            return
        prompt = listed.get("suggestion") or (listed.get("prompts") or [None])[0]
        ok = prompt is not None and await self.call(t, "round.start", {"prompt_id": prompt["id"]})
        ok = ok and await self.call(t, "round.host_card", {"text": card_text(run.rng)})
        ok = ok and await self.call(t, "round.open", {"timer_seconds": None})
        if not ok:
            return
        run.cards_done = asyncio.Event()
        delays = sorted(run.rng.uniform(0, CARD_WINDOW * scale) for _ in range(STUDENTS))
        order = list(range(STUDENTS))
        run.rng.shuffle(order)
        await asyncio.gather(*(self.submit_later(run, s, d)
                               for s, d in zip(order, delays, strict=True)))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(run.cards_done.wait(), 10)
        spot = sorted(run.class_cards)[:SPOTLIGHTS]
        gap = SPOTLIGHT_GAP * scale
        begin = time.monotonic()
        for k, cid in enumerate(spot):
            await asyncio.sleep(max(0.0, begin + k * gap - time.monotonic()))
            run.spot_sent[cid] = time.monotonic()
            await self.call(t, "spotlight.set", {"card_id": cid})
        # the last reactions go out within 0.6 gap; coalesced flushes follow within 0.5 s
        await asyncio.sleep(gap + 1.5)
        drained = time.monotonic()
        while not self.complete(run, spot) and time.monotonic() - drained < DRAIN_SECONDS:
            await asyncio.sleep(0.2)
        self.drain = max(self.drain, time.monotonic() - drained)
        await self.call(t, "round.close", {})
        self.tally(run, spot)
        with self.counters.classes_done.get_lock():
            self.counters.classes_done.value += 1

    @staticmethod
    def complete(run: ClassRun, spot: list[str]) -> bool:
        """Everything this class was sent has arrived (and every reaction was answered)."""
        if run.in_flight or len(run.teacher_cards) < STUDENTS:
            return False
        return all(set(spot) <= run.spot_seen[s] and run.class_cards <= run.student_cards[s]
                   and all(run.react_seen[s].get(c, 0) >= run.react_ok[c] for c in spot)
                   for s in range(STUDENTS))

    def tally(self, run: ClassRun, spot: list[str]) -> None:
        exp, rec = self.expected, self.received
        exp["teacher card.added"] += STUDENTS
        rec["teacher card.added"] += len(run.teacher_cards)
        for s in range(STUDENTS):
            own = {c for c in run.student_cards[s] if c not in run.class_cards}
            exp["student card.added"] += len(run.class_cards) + len(own)
            rec["student card.added"] += len(run.student_cards[s] & run.class_cards) + len(own)
            exp["student spotlight"] += len(spot)
            rec["student spotlight"] += len(run.spot_seen[s] & set(spot))
            for cid in spot:
                exp["reaction totals"] += run.react_ok[cid]
                rec["reaction totals"] += min(run.react_seen[s].get(cid, 0), run.react_ok[cid])
        exp["reactions sent"] += sum(len(v) for v in run.react_sent.values())
        rec["reactions sent"] += sum(run.react_ok.values())

    async def main(self, ready: Any, go: Any, done: Any, out: Any) -> None:
        import aiohttp

        conn = aiohttp.TCPConnector(limit=0, force_close=False)
        async with aiohttp.ClientSession(connector=conn, json_serialize=FastJSON.dumps) as http:
            sem = asyncio.Semaphore(8)

            async def setup(i: int) -> ClassRun:
                async with sem:
                    return await self.setup_class(http, i)

            try:
                runs = await asyncio.gather(*(setup(i) for i in self.class_indexes))
            except Exception as exc:
                out.put({"fatal": f"setup: {exc!r}"})
                return
            ready.put(os.getpid())
            while not go.is_set():
                await asyncio.sleep(0.05)
            start = time.monotonic()
            cpu_start = time.process_time()
            self.in_journey = True
            stagger = self.args.stagger * self.args.time_scale
            await asyncio.gather(*(self.journey(r, start + r.index * stagger) for r in runs))
            self.in_journey = False
            with self.counters.deliveries.get_lock():
                self.counters.deliveries.value += self.pending_delivery
            self.pending_delivery = 0
            out.put({
                "lat": {k: v.tobytes() for k, v in self.lat.items()},
                "errors": self.errors, "deliveries": self.journey_deliveries,
                "error_codes": dict(self.error_codes), "busy": self.busy, "drain": self.drain,
                "messages": self.messages,
                "duplicates": dict(self.duplicates), "by_event": dict(self.by_event),
                "expected": dict(self.expected), "received": dict(self.received),
                "cpu": time.process_time() - cpu_start,
            })
            while not done.is_set():
                await asyncio.sleep(0.1)
            await asyncio.gather(*(c.disconnect() for r in runs
                                   for c in [r.teacher, *r.students]),
                                 return_exceptions=True)


def worker_main(url: str, classes: list[int], args: argparse.Namespace, counters: Counters,
                ready: Any, go: Any, done: Any, out: Any) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    with contextlib.suppress(ImportError):
        import uvloop

        uvloop.install()
    asyncio.run(Worker(url, classes, args, counters).main(ready, go, done, out))


# ---- one run: one server kind, one number of classes ------------------------------------------

def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    k = (len(values) - 1) * p / 100
    lo = int(k)
    hi = min(lo + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def progress(total: int, desc: str) -> Any:
    try:
        from tqdm import tqdm

        return tqdm(total=total, desc=desc, file=sys.stderr, leave=False, dynamic_ncols=True,
                    mininterval=2.0)
    except ImportError:  # pragma: no cover
        class Plain:
            n = 0

            def update(self, k: int) -> None:
                self.n += k

            def set_postfix_str(self, _s: str) -> None: ...

            def close(self) -> None:
                print(f"{desc}: {self.n}/{total}", file=sys.stderr)
        return Plain()


def run_once(kind: str, classes: int, processes: int, args: argparse.Namespace) -> dict[str, Any]:
    import psutil

    tmp = Path(tempfile.mkdtemp(prefix=f"rapport-bench-{kind}-"))
    stack = Stack(kind, processes, tmp).start()
    extra = {}
    if stack.redis is not None:
        extra["redis"] = stack.redis.pid
    if stack.nginx is not None:
        extra["nginx"] = stack.nginx.pid
    sampler = Sampler(stack.server_pids(), extra)
    time.sleep(1.0)
    rss0 = sampler.rss()
    sampler.start()
    ctx = mp.get_context("spawn")
    counters = Counters(ctx)
    ready, out = ctx.Queue(), ctx.Queue()
    go, done = ctx.Event(), ctx.Event()
    nworkers = max(1, min(args.workers, classes))
    shares = [list(range(w, classes, nworkers)) for w in range(nworkers)]
    workers = [ctx.Process(target=worker_main,
                           args=(stack.url, share, args, counters, ready, go, done, out))
               for share in shares]
    label = f"{kind} x{processes} {classes} classes"
    result: dict[str, Any] = {"server": kind, "processes": processes, "classes": classes,
                              "clients": classes * (STUDENTS + 1),
                              "loadavg_start": os.getloadavg()}
    try:
        for w in workers:
            w.start()
        bar = progress(classes * (STUDENTS + 1), f"{label}: connect")
        t_connect = time.monotonic()
        cpu_connect0 = sampler.cpu()
        got = 0
        while got < nworkers:
            with contextlib.suppress(Exception):
                msg = ready.get(timeout=0.5)
                if isinstance(msg, int):
                    got += 1
            if not out.empty():
                fatal = out.get()
                raise RuntimeError(fatal.get("fatal", fatal))
            bar.update(counters.connected.value - bar.n)
            if any(not w.is_alive() for w in workers) and got < nworkers:
                raise RuntimeError("a load worker died during setup")
        bar.update(counters.connected.value - bar.n)
        bar.close()
        result["setup_s"] = time.monotonic() - t_connect
        result["setup_cpu_s"] = sampler.cpu() - cpu_connect0
        time.sleep(3.0)  # settle: idle connected clients
        rss_idle = sampler.rss()
        result["rss0_mb"] = rss0 / 2**20
        result["rss_idle_mb"] = rss_idle / 2**20
        result["idle_kb_per_client"] = (rss_idle - rss0) / 1024 / result["clients"]
        sampler.peak_rss = rss_idle
        cpu0, extra0 = sampler.cpu(), sampler.extra_cpu()
        machine0 = psutil.cpu_times()
        d0 = counters.deliveries.value
        t0 = time.monotonic()
        spy = None
        spy_file = None
        if args.py_spy and kind == "rapport":
            spy_file = args.py_spy.with_name(
                f"{args.py_spy.stem}-x{processes}-{classes}{args.py_spy.suffix or '.txt'}")
            spy = subprocess.Popen(
                [shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy"),
                 "record", "--pid", str(stack.server_pids()[0]), "--format", "raw",
                 "--rate", "100", "--nonblocking", "--gil", "--subprocesses",
                 "-o", str(spy_file)],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        go.set()
        bar = progress(classes, f"{label}: journeys")
        results = []
        while len(results) < nworkers:
            with contextlib.suppress(Exception):
                results.append(out.get(timeout=0.5))
            bar.update(counters.classes_done.value - bar.n)
            bar.set_postfix_str(f"{(counters.deliveries.value - d0) / (time.monotonic() - t0):.0f}"
                                " deliveries/s")
            if len(results) < nworkers and not any(w.is_alive() for w in workers):
                raise RuntimeError("load workers died")
        bar.close()
        elapsed = time.monotonic() - t0
        if spy is not None and spy_file is not None:
            spy.send_signal(signal.SIGINT)
            spy.wait(timeout=60)
            with contextlib.suppress(OSError):
                result["profile"] = summarise_profile(spy_file)
                result["profile_file"] = str(spy_file)
        cpu1, extra1 = sampler.cpu(), sampler.extra_cpu()
        machine1 = psutil.cpu_times()
        idle = (machine1.idle - machine0.idle) / (os.cpu_count() or 1)
        result["machine_busy"] = 1 - idle / elapsed
        result["loadavg_end"] = os.getloadavg()
        result["peak_rss_mb"] = sampler.peak_rss / 2**20
        result["kb_per_client_peak"] = sampler.peak_rss / 1024 / result["clients"]
    finally:
        done.set()
        for w in workers:
            w.join(timeout=30)
            if w.is_alive():
                w.terminate()
        sampler.stop()
        stack.stop()
    if args.keep_logs:
        result["logs"] = str(tmp)
    else:
        shutil.rmtree(tmp, ignore_errors=True)  # kept (logs) when the run failed
    lat: dict[str, list[float]] = {k: [] for k in KINDS}
    errors: list[str] = []
    error_codes: dict[str, int] = defaultdict(int)
    duplicates: dict[str, int] = defaultdict(int)
    by_event: dict[str, int] = defaultdict(int)
    busy = 0
    drain = 0.0
    messages = 0
    expected: dict[str, int] = defaultdict(int)
    received: dict[str, int] = defaultdict(int)
    deliveries = 0
    loadgen_cpu = 0.0
    for r in results:
        if "fatal" in r:
            raise RuntimeError(r["fatal"])
        for k, raw in r["lat"].items():
            a = array("f")
            a.frombytes(raw)
            lat[k].extend(a)
        errors += r["errors"]
        busy += r["busy"]
        drain = max(drain, r["drain"])
        messages += r.get("messages", 0)
        for name, total in (("error_codes", error_codes), ("duplicates", duplicates),
                            ("by_event", by_event)):
            for k, v in r[name].items():
                total[k] += v
        deliveries += r["deliveries"]
        loadgen_cpu += r.get("cpu", 0.0)
        for k, v in r["expected"].items():
            expected[k] += v
        for k, v in r["received"].items():
            received[k] += v
    for v in lat.values():
        v.sort()
    result.update(
        elapsed_s=elapsed, deliveries=deliveries, deliveries_per_s=deliveries / elapsed,
        cpu_s=cpu1 - cpu0, cpu_per_delivery_us=(cpu1 - cpu0) / max(deliveries, 1) * 1e6,
        extra_cpu_s={k: extra1[k] - extra0[k] for k in extra1},
        errors=len(errors), error_samples=[e for e in errors if e][:5],
        error_codes=dict(error_codes), busy=busy, drain_s=drain, messages=messages,
        duplicates=dict(duplicates), duplicates_per_class=sum(duplicates.values()) / classes,
        deliveries_per_class=deliveries / classes, by_event=dict(by_event),
        lost={k: expected[k] - received.get(k, 0) for k in expected},
        expected=dict(expected),
        latency={k: {"n": len(v), "p50": pct(v, 50), "p95": pct(v, 95), "p99": pct(v, 99)}
                 for k, v in lat.items()},
        loadgen_cpu_s=loadgen_cpu,
        # CPU used by anything else on the machine meanwhile (other users' processes)
        other_cpu_s=result["machine_busy"] * elapsed * (os.cpu_count() or 1)
        - (cpu1 - cpu0) - sum(extra1[k] - extra0[k] for k in extra1) - loadgen_cpu,
    )
    return result


# ---- report ----------------------------------------------------------------------------------

def _function(frame: str) -> str:
    """"name (/long/path/pkg/mod.py:123)" -> "name (pkg/mod.py)": one entry per function."""
    cut = frame.rfind(" (")
    if cut < 0:
        return frame
    where = frame[cut + 2:].rstrip(")").rsplit(":", 1)[0]
    return f"{frame[:cut]} ({'/'.join(where.split('/')[-2:])})"


def summarise_profile(path: Path, top: int = 14) -> dict[str, list[tuple[float, str]]]:
    """py-spy's raw output (collapsed stacks, one "frame;frame;... count" a line): the share
    of samples in each function and below it ("total"), and in it alone ("self")."""
    total: dict[str, int] = defaultdict(int)
    own: dict[str, int] = defaultdict(int)
    samples = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        samples += n
        frames = [_function(f) for f in stack.split(";") if not f.startswith("process ")]
        for frame in set(frames):
            total[frame] += n
        if frames:
            own[frames[-1]] += n
    if not samples:
        return {"total": [], "self": []}

    def best(table: dict[str, int]) -> list[tuple[float, str]]:
        ranked = sorted(table.items(), key=lambda kv: -kv[1])[:top]
        return [(100 * n / samples, f) for f, n in ranked]

    return {"total": best(total), "self": best(own), "samples": [(float(samples), "")]}


def fmt(v: float) -> str:
    return "-" if v != v else f"{v:.0f}" if v >= 10 else f"{v:.1f}"


IDLE_TARGET_KB = 64.0


def redis_cpu(r: dict[str, Any]) -> float:
    return float(r["extra_cpu_s"].get("redis", 0.0))


def cost_us(r: dict[str, Any]) -> float:
    """µs of CPU per delivery, server process(es) and Redis together."""
    return (r["cpu_s"] + redis_cpu(r)) / max(r["deliveries"], 1) * 1e6


def print_run(r: dict[str, Any]) -> None:
    lost = sum(r["lost"].values())
    load0, load1 = r["loadavg_start"], r["loadavg_end"]
    print(f"\n### {r['server']} x{r['processes']}: {r['classes']} classes, {r['clients']} "
          f"clients, {r['elapsed_s']:.0f} s of journeys")
    print("| event | samples | p50 ms | p95 ms | p99 ms |")
    print("|---|---:|---:|---:|---:|")
    for k, v in r["latency"].items():
        print(f"| {k} | {v['n']} | {fmt(v['p50'])} | {fmt(v['p95'])} | {fmt(v['p99'])} |")
    extra = ", ".join(f"{k} {v:.1f} s" for k, v in r["extra_cpu_s"].items())
    print(f"\ndeliveries {r['deliveries']} ({r['deliveries_per_s']:.0f}/s, in "
          f"{r['messages']} messages, "
          f"{r['deliveries_per_class']:.0f} per class, {r['duplicates_per_class']:.1f} duplicates "
          f"per class {r['duplicates'] or ''}); server CPU {r['cpu_s']:.1f} s "
          f"({r['cpu_per_delivery_us']:.1f} µs/delivery, {cost_us(r):.1f} with Redis)"
          + (f"; also {extra}" if extra else "")
          + f"; setup {r['setup_s']:.0f} s ({r['setup_cpu_s']:.1f} CPU s)")
    print(f"load generator CPU {r['loadgen_cpu_s']:.1f} s; machine busy "
          f"{r['machine_busy'] * 100:.0f}% of {os.cpu_count()} cores during the journeys, "
          f"{r['other_cpu_s']:.0f} CPU s of it by other processes; load average "
          f"{load0[0]:.2f} at the start, {load1[0]:.2f} at the end")
    print(f"RSS: {r['rss0_mb']:.0f} MB at 0 clients, {r['rss_idle_mb']:.0f} MB idle "
          f"({r['idle_kb_per_client']:.1f} KB per idle client, target <= {IDLE_TARGET_KB:.0f}), "
          f"peak {r['peak_rss_mb']:.0f} MB ({r['kb_per_client_peak']:.0f} KB per client)")
    if "logs" in r:
        print(f"logs: {r['logs']}")
    if r.get("profile"):
        print(f"profile ({r['profile_file']}, {r['profile']['samples'][0][0]:.0f} samples "
              "holding the GIL): total, then self")
        for kind in ("total", "self"):
            for share, frame in r["profile"][kind]:
                print(f"  {share:5.1f}% {kind:5} {frame}")
    print(f"errors {r['errors']} {r['error_codes'] or ''}, busy (retried) {r['busy']}, "
          f"late deliveries waited for up to {r['drain_s']:.1f} s, "
          f"lost {lost} {r['lost'] if lost else ''}"
          + (f" e.g. {r['error_samples']}" if r["error_samples"] else ""))


def holds(r: dict[str, Any], target_ms: float) -> bool:
    return (r["errors"] == 0 and sum(r["lost"].values()) == 0
            and all(r["latency"][k]["p99"] <= target_ms
                    for k in ("card", "spotlight", "reaction-net")))


def summary(runs: list[dict[str, Any]], target_ms: float) -> None:
    print("\n## Summary\n")
    print("| server | procs | classes | clients | card p99 | spotlight p99 | reaction p99 "
          "| reaction-net p99 | deliveries/s | CPU s | Redis CPU s | µs/delivery "
          "| µs/delivery +Redis | dup/class | peak RSS MB | idle KB/client | errors | busy "
          "| lost |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:"
          "|---:|---:|---:|")
    for r in runs:
        lat = r["latency"]
        print(f"| {r['server']} | {r['processes']} | {r['classes']} | {r['clients']} "
              f"| {fmt(lat['card']['p99'])} | {fmt(lat['spotlight']['p99'])} "
              f"| {fmt(lat['reaction']['p99'])} | {fmt(lat['reaction-net']['p99'])} "
              f"| {r['deliveries_per_s']:.0f} | {r['cpu_s']:.1f} | {redis_cpu(r):.1f} "
              f"| {r['cpu_per_delivery_us']:.1f} | {cost_us(r):.1f} "
              f"| {r['duplicates_per_class']:.1f} | {r['peak_rss_mb']:.0f} "
              f"| {r['idle_kb_per_client']:.1f} | {r['errors']} | {r['busy']} "
              f"| {sum(r['lost'].values())} |")
    ratios(runs)
    by_procs: dict[tuple[int, int], dict[str, Any]] = {}
    for r in runs:
        if r["server"] == "rapport":
            by_procs.setdefault((r["processes"], r["classes"]), r)
    pairs = [(one, by_procs[(2, c)]) for (p, c), one in by_procs.items()
             if p == 1 and (2, c) in by_procs]
    if pairs:
        print("\nrapport, two processes behind nginx vs one, same classes:")
        for one, two in pairs:
            print(f"  {one['classes']} classes: deliveries per class "
                  f"{two['deliveries_per_class'] / one['deliveries_per_class']:.2f}x; duplicates "
                  f"per class {one['duplicates_per_class']:.1f} -> "
                  f"{two['duplicates_per_class']:.1f}; spotlight p99 "
                  f"{fmt(one['latency']['spotlight']['p99'])} -> "
                  f"{fmt(two['latency']['spotlight']['p99'])} ms; nginx CPU "
                  f"{two['extra_cpu_s'].get('nginx', 0.0):.1f} s")
    best: dict[tuple[str, int], int] = {}
    tried: dict[tuple[str, int], list[int]] = defaultdict(list)
    for r in runs:
        key = (r["server"], r["processes"])
        tried[key].append(r["classes"])
        if holds(r, target_ms):
            best[key] = max(best.get(key, 0), r["classes"])
    print(f"\nlargest number of classes holding p99 <= {target_ms:.0f} ms (card, spotlight, "
          "reaction fan-out), nothing lost, no errors (of the counts tried):")
    for key in sorted(tried):
        print(f"  {key[0]} x{key[1]}: {best.get(key, 0) or 'none'} "
              f"(tried {', '.join(map(str, sorted(tried[key])))})")
    one, two = best.get(("rapport", 1)), best.get(("rapport", 2))
    if one and two:
        print(f"  two processes / one process: {two / one:.2f}x")


def ratios(runs: list[dict[str, Any]]) -> None:
    """Rapport (one process) over each baseline at the same number of classes."""
    first: dict[tuple[str, int], dict[str, Any]] = {}
    for r in runs:
        if r["server"] != "rapport" or r["processes"] == 1:
            first.setdefault((r["server"], r["classes"]), r)
    rows = []
    for (kind, classes), b in first.items():
        if kind == "rapport":
            continue
        r = first.get(("rapport", classes))
        if r is None:
            continue

        def ratio(a: float, b: float) -> str:
            return f"{a / b:.2f}x" if b > 0 and a == a and b == b else "-"

        lat_r, lat_b = r["latency"], b["latency"]
        rows.append(
            f"| {classes} | {kind} | {ratio(r['cpu_per_delivery_us'], b['cpu_per_delivery_us'])} "
            f"| {ratio(cost_us(r), b['cpu_per_delivery_us'])} "
            + " ".join(f"| {fmt(lat_r[k]['p99'])} / {fmt(lat_b[k]['p99'])}"
                       for k in ("card", "spotlight", "reaction", "reaction-net"))
            + f" | {r['errors']} / {b['errors']} "
            f"| {sum(r['lost'].values())} / {sum(b['lost'].values())} |")
    if rows:
        print("\nSide by side, rapport x1 / baseline (same command, one after the other):\n")
        print("| classes | baseline | µs/delivery ratio | +Redis ratio | card p99 ms | "
              "spotlight p99 | reaction p99 | reaction-net p99 | errors | lost |")
        print("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        print("\n".join(rows))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="about two minutes: 4 classes at --time-scale 0.25, rapport with one "
                             "process and two behind nginx, and bare python-socketio")
    parser.add_argument("--classes", default=None,
                        help="number of concurrent classes; a comma list runs each in turn "
                             "(default 16)")
    parser.add_argument("--servers", default=None,
                        help="comma list of rapport, bare, node (run one after another; "
                             "default rapport,bare)")
    parser.add_argument("--processes", default=None,
                        help="Rapport server processes behind nginx; a comma list runs each "
                             "(default 1)")
    parser.add_argument("--workers", type=int, default=2, help="load generator processes")
    parser.add_argument("--time-scale", type=float, default=None,
                        help="multiply every journey duration (default 1; --quick: 0.25)")
    parser.add_argument("--stagger", type=float, default=0.3,
                        help="seconds between class starts (scaled by --time-scale)")
    parser.add_argument("--target-ms", type=float, default=150.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--py-spy", type=Path,
                        help="record a py-spy profile (raw, collapsed stacks) of the Rapport "
                             "server during the journeys into this file")
    parser.add_argument("--json", type=Path, help="also write every run's numbers here")
    parser.add_argument("--keep-logs", action="store_true",
                        help="keep each run's folder (server, Redis and nginx logs)")
    args = parser.parse_args(argv)
    quick = {"classes": "4", "servers": "rapport,bare", "processes": "1,2", "time_scale": 0.25}
    normal = {"classes": "16", "servers": "rapport,bare", "processes": "1", "time_scale": 1.0}
    for name, value in (quick if args.quick else normal).items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    class_counts = [int(x) for x in args.classes.split(",")]
    kinds = [x.strip() for x in args.servers.split(",")]
    procs = [int(x) for x in args.processes.split(",")]
    load = os.getloadavg()
    print(f"# Rapport live-class bench: {os.cpu_count()} cores, python "
          f"{sys.version.split()[0]}, time scale {args.time_scale}, workers {args.workers}, "
          f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} at the start")
    runs = []
    for classes in class_counts:
        for kind in kinds:
            for p in (procs if kind == "rapport" else [1]):
                try:
                    r = run_once(kind, classes, p, args)
                except Exception as exc:  # report it and go on with the other runs
                    print(f"\n### {kind} x{p}: {classes} classes: FAILED: {exc!r}"[:600])
                    continue
                print_run(r)
                sys.stdout.flush()
                runs.append(r)
    summary(runs, args.target_ms)
    if args.json:
        args.json.write_text(json.dumps(runs, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
