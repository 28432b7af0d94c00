// Baseline: a bare Socket.IO 4 server doing Rapport's icebreaker fan-out, nothing else.
// Same events, payload shapes, rooms and fan-out as bench/baselines/bare_python.py; no
// validation, no store. Usage: node server.js PORT
"use strict";

const http = require("http");
const crypto = require("crypto");
const { Server } = require("socket.io");

const port = Number(process.argv[2] || 5200);
const CLASSES = new Map();
const CODES = new Map();
const TOKENS = new Map();
let DIRTY = new Map();
const PROMPTS = Array.from({ length: 40 }, (_, i) => ({
  id: `p${i}`, text: "Show us something on your shelf and tell its story.",
  category: "personal", depth: 1, grade_bands: ["9-12"],
}));
const hex = (n) => crypto.randomBytes(n).toString("hex");
const token = () => crypto.randomBytes(24).toString("base64url");

function send(res, status, body) {
  const raw = JSON.stringify(body);
  res.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(raw) });
  res.end(raw);
}

const server = http.createServer((req, res) => {
  if (req.url === "/healthz") return send(res, 200, { status: "ok" });
  let raw = "";
  req.on("data", (chunk) => { raw += chunk; });
  req.on("end", () => {
    const body = raw ? JSON.parse(raw) : {};
    if (req.url === "/api/classes" && req.method === "POST") {
      const classId = hex(6), code = hex(3).toUpperCase(), teacher = token();
      CLASSES.set(classId, { name: body.name, code, students: new Map(), round: null,
                             cards: new Map(), counts: new Map() });
      CODES.set(code, classId);
      TOKENS.set(teacher, [classId, "teacher", null]);
      return send(res, 201, { class_id: classId, name: body.name, grade_band: body.grade_band,
        join_code: code, join_url: `/j/${code}`, teacher_secret: teacher,
        teacher_url: `/teacher#key=${teacher}`, cohost_secret: teacher,
        cohost_url: `/teacher#key=${teacher}` });
    }
    if (req.url === "/api/join" && req.method === "POST") {
      const classId = CODES.get(body.code);
      const studentId = hex(6), seat = token();
      CLASSES.get(classId).students.set(studentId, body.name);
      TOKENS.set(seat, [classId, "student", studentId]);
      return send(res, 200, { class_id: classId, student_id: studentId, name: body.name,
        seat_token: seat });
    }
    send(res, 404, { error: "not_found" });
  });
});

const io = new Server(server, { transports: ["websocket", "polling"], maxHttpBufferSize: 64 * 1024,
                                 perMessageDeflate: false, httpCompression: false });

io.use((socket, next) => {
  const who = TOKENS.get((socket.handshake.auth || {}).token);
  if (!who) return next(new Error("not_authorised"));
  socket.data.who = who;
  next();
});

io.on("connection", (socket) => {
  const [classId, role, studentId] = socket.data.who;
  const klass = CLASSES.get(classId);
  socket.join(`c:${classId}`);
  if (role === "teacher") socket.join(`c:${classId}:teacher`);
  else {
    socket.join([`c:${classId}:students`, `c:${classId}:s:${studentId}`]);
    io.to(`c:${classId}:teacher`).emit("presence", { student_id: studentId, online: true });
  }
  const snap = { role, you: { role }, class: { id: classId, name: klass.name, grade_band: "9-12",
    locked: false, approval_required: false }, round: klass.round, cards: [], spotlight: null,
    replies: [], about_teacher: [], my_cards: [] };
  if (role === "teacher") {
    snap.students = [...klass.students].map(([id, name]) =>
      ({ id, name, online: true, roster_id: null, tags: [] }));
  }
  socket.emit("snapshot", snap);

  const roundChanged = (changes) => {
    Object.assign(klass.round, changes, { server_time: Date.now() });
    io.to(`c:${classId}`).emit("round.updated", { round: klass.round });
    return { ok: true, round: klass.round };
  };
  socket.on("prompt.list", (_d, ack) => ack({ ok: true, prompts: PROMPTS, custom: [],
    suggestion: PROMPTS[0], used: [], categories: {} }));
  socket.on("round.start", (d, ack) => {
    const prompt = PROMPTS.find((p) => p.id === d.prompt_id);
    klass.round = { id: hex(6), status: "draft", prompt, host_card: null, opened_at: null,
                    deadline: null, closed_at: null };
    klass.cards = new Map();
    klass.counts = new Map();
    const answer = roundChanged({});
    io.to(`c:${classId}`).emit("spotlight", { card: null });
    ack(answer);
  });
  socket.on("round.host_card", (d, ack) => ack(roundChanged({ host_card: { text: d.text,
    author_role: "teacher", skipped: false, posted_at: Date.now() } })));
  socket.on("round.open", (_d, ack) => ack(roundChanged({ status: "open", opened_at: Date.now() })));
  socket.on("round.close", (_d, ack) => ack(roundChanged({ status: "closed", closed_at: Date.now() })));
  socket.on("card.submit", (d, ack) => {
    const now = Date.now();
    const card = { id: hex(6), round_id: klass.round.id, student_id: studentId,
      author: klass.students.get(studentId), text: d.text, visibility: d.visibility,
      spotlight_ok: d.spotlight_ok, photo_id: null, status: "visible", created_at: now,
      updated_at: now, reactions: {} };
    klass.cards.set(card.id, card);
    if (card.visibility === "class") io.to(`c:${classId}:students`).emit("card.added", { card });
    else io.to(`c:${classId}:s:${studentId}`).emit("card.added", { card });
    io.to(`c:${classId}:teacher`).emit("card.added", { card: { ...card, flagged: false, starred: false } });
    const answered = [...klass.cards.values()].map((c) => c.student_id).sort();
    io.to(`c:${classId}:teacher`).emit("answered", { answered, count: answered.length,
      student_count: klass.students.size });
    ack({ ok: true, card, duplicate: false });
  });
  socket.on("spotlight.set", (d, ack) => {
    const card = klass.cards.get(d.card_id);
    io.to(`c:${classId}`).emit("spotlight", { card });
    ack({ ok: true, card });
  });
  socket.on("react", (d, ack) => {
    let counts = klass.counts.get(d.card_id);
    if (!counts) { counts = {}; klass.counts.set(d.card_id, counts); }
    counts[d.reaction] = (counts[d.reaction] || 0) + 1;
    DIRTY.set(`${classId}|${d.card_id}`, [classId, d.card_id]);
    ack({ ok: true });
  });
});

setInterval(() => {
  const dirty = DIRTY;
  DIRTY = new Map();
  for (const [classId, cardId] of dirty.values()) {
    io.to(`c:${classId}`).emit("reactions",
      { card_id: cardId, counts: { ...CLASSES.get(classId).counts.get(cardId) } });
  }
}, 500);

server.listen(port, "127.0.0.1");
