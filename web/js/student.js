// Student page: join a class with a code and a name, then stay connected with a seat token.
import { api } from "./api.js";
import { setBaseTitle, wireAttention } from "./attention.js";
import { byId, h, replace, setText, show, statusLine } from "./dom.js";
import { currentLanguage, initI18n, languageMenu, onLanguageChange, setLanguage, storedLanguage, t, tParts } from "./i18n.js";
import { connect, emitAck, onRefused, watchConnection } from "./socket.js";
import { createRoundStudent } from "./round-student.js";
import { createRotationStudent } from "./rotation-student.js";
import { createVideoStudent } from "./video-student.js";

/**
 * @typedef {{seat_token: string, class_id: string, name: string, student_id: string}} Seat
 */

const sayJoin = statusLine("join-status");
const sayRejoin = statusLine("rejoin-status");
const say = statusLine("status");

/** @type {{code: string, seat: Seat | null, socket: any}} */
const state = { code: "", seat: null, socket: null };

const round = createRoundStudent({
  socket: () => state.socket,
  token: () => state.seat?.seat_token || "",
  classId: () => state.seat?.class_id || "",
  me: () => state.seat?.student_id || "",
  teacherLang: () => classLang,
});

const rotation = createRotationStudent();
const video = createVideoStudent();

// ---------- seat storage ----------

/** @param {string} raw */
function normaliseCode(raw) {
  return raw.replace(/\s+/g, "").toUpperCase();
}

/** @param {string} code */
function seatKey(code) {
  return `rapport.seat.${code}`;
}

/** @param {string} code @returns {Seat | null} */
function loadSeat(code) {
  if (!code) return null;
  try {
    const raw = window.localStorage.getItem(seatKey(code));
    if (!raw) return null;
    const seat = JSON.parse(raw);
    return seat && typeof seat.seat_token === "string" && seat.seat_token ? seat : null;
  } catch {
    return null;
  }
}

/** @param {string} code @param {Seat} seat */
function saveSeat(code, seat) {
  try {
    window.localStorage.setItem(seatKey(code), JSON.stringify(seat));
  } catch {
    /* private mode etc.: the seat lasts for this page only */
  }
}

/** @param {string} code */
function forgetSeat(code) {
  try {
    window.localStorage.removeItem(seatKey(code));
  } catch {
    /* ignore */
  }
}

/** The code from `/j/CODE`, or "" on `/join`. */
function codeFromPath() {
  const match = window.location.pathname.match(/^\/j\/([^/]+)\/?$/);
  if (!match) return "";
  try {
    return normaliseCode(decodeURIComponent(match[1]));
  } catch {
    return "";
  }
}

// ---------- views ----------

/** @param {string} text */
function notice(text) {
  const el = byId("notice");
  el.textContent = text;
  show(el, Boolean(text));
}

/**
 * Show the join form.
 * @param {string} [message] a kind explanation shown above it
 */
function showJoinForm(message) {
  show("inside", false);
  show("conn", false);
  show("sound-toggle", false);
  show("join", true);
  notice(message || "");
  const codeInput = /** @type {HTMLInputElement} */ (byId("code"));
  const nameInput = /** @type {HTMLInputElement} */ (byId("name"));
  if (state.code) codeInput.value = state.code;
  (state.code ? nameInput : codeInput).focus();
}

/** @param {string} name */
function renderName(name) {
  replace(byId("welcome"), tParts("student.welcome", { name: h("bdi", null, name) }));
}

/** @param {{name?: string, lang?: string}} cls */
function renderClass(cls) {
  if (cls && cls.name) {
    setText("class-name", cls.name);
    setBaseTitle(`${cls.name} — Rapport`);
  }
  if (cls && cls.lang) classLang = cls.lang;
}

/** The class's language (the teacher's choice): the best guess for the teacher's words. */
let classLang = "en";

function showInside() {
  show("join", false);
  show("inside", true);
  show("conn", true);
  show("sound-toggle", true);
  // A rejoin code shown for an earlier seat (used or replaced since) is not shown again.
  show("rejoin-shown", false);
  rejoinShown = false;
  setText("make-rejoin", t("student.show_rejoin"));
  if (state.seat) renderName(state.seat.name);
}

// ---------- connection ----------

/** @type {Record<string, () => string>} */
const CONN_TEXT = {
  connecting: () => t("common.conn_connecting"),
  connected: () => t("common.conn_connected"),
  reconnecting: () => t("common.conn_reconnecting"),
  offline: () => t("common.conn_offline"),
};

function disconnect() {
  if (state.socket) {
    state.socket.removeAllListeners();
    state.socket.io.removeAllListeners();
    state.socket.disconnect();
    state.socket = null;
  }
}

function startSocket() {
  if (!state.seat) return;
  disconnect();
  showInside();
  const socket = connect({ token: state.seat.seat_token });
  state.socket = socket;
  const conn = byId("conn");
  watchConnection(socket, (s) => {
    conn.dataset.state = s;
    conn.textContent = CONN_TEXT[s]();
  });

  onRefused(socket, {
    onNotAuthorised: () => {
      forgetSeat(state.code);
      state.seat = null;
      disconnect();
      showJoinForm(t("join.expired"));
    },
    onRetrying: () => say(t("common.retrying"), "error"),
  });
  // Sent just before the server closes this socket on purpose (the class opened on too many screens).
  socket.on("closed", (/** @type {{reason?: string, message?: string}} */ msg) => say(
    msg && msg.reason === "too_many_connections" ? t("common.closed_elsewhere") : (msg && msg.message) || "", "error"));
  const onSnapshot = (/** @type {any} */ snap) => {
    renderClass(snap.class || {});
    if (snap.you && snap.you.name && state.seat) {
      state.seat = { ...state.seat, name: snap.you.name };
      saveSeat(state.code, state.seat);
      renderName(snap.you.name);
    }
    adoptSeatLanguage(snap.you && snap.you.lang);
    say("");
    round.snapshot(snap);
    rotation.snapshot(snap);
    video.snapshot(snap);
  };
  socket.on("snapshot", onSnapshot);
  // The server asks for a resync after a store outage or a bulk change: fetch a fresh snapshot.
  socket.on("resync", async () => {
    try {
      const result = await emitAck(socket, "snapshot.get", {});
      onSnapshot(result.snapshot);
    } catch (err) {
      say(err instanceof Error ? err.message : String(err), "error");
    }
  });
  round.wireSocket(socket);
  rotation.wireSocket(socket);
  video.wireSocket(socket);

  socket.on("class.updated", (/** @type {any} */ msg) => renderClass(msg.class || {}));

  socket.on("student.updated", (/** @type {any} */ msg) => {
    const student = msg && msg.student;
    if (!student || !state.seat || student.id !== state.seat.student_id) return;
    if (student.name && student.name !== state.seat.name) {
      state.seat = { ...state.seat, name: student.name };
      saveSeat(state.code, state.seat);
      renderName(student.name);
      say(t("student.renamed", { name: student.name }));
    }
  });

  socket.on("seat.moved", () => {
    forgetSeat(state.code);
    state.seat = null;
    disconnect();
    showJoinForm(t("join.moved"));
  });

  socket.on("removed", () => {
    forgetSeat(state.code);
    state.seat = null;
    disconnect();
    showJoinForm(t("join.removed"));
  });
}

// ---------- join form ----------

/** Server refusals a student meets when joining, in their language. @param {any} e */
function joinError(e) {
  if (e.code === "name_taken") return t("join.name_taken");
  if (e.code === "not_found") return t("join.code_not_found");
  if (e.code === "locked") return t("join.locked");
  return e.message;
}

/** @param {Event} event */
async function onJoin(event) {
  event.preventDefault();
  const codeInput = /** @type {HTMLInputElement} */ (byId("code"));
  const nameInput = /** @type {HTMLInputElement} */ (byId("name"));
  const code = normaliseCode(codeInput.value);
  const name = nameInput.value.trim();
  codeInput.removeAttribute("aria-invalid");
  nameInput.removeAttribute("aria-invalid");
  if (!code || code.length > 16) {
    codeInput.setAttribute("aria-invalid", "true");
    sayJoin(t("join.need_code"), "error");
    codeInput.focus();
    return;
  }
  if (!name || [...name].length > 40) {
    nameInput.setAttribute("aria-invalid", "true");
    sayJoin(t("join.need_name", { max: 40 }), "error");
    nameInput.focus();
    return;
  }
  const button = /** @type {HTMLButtonElement} */ (byId("join-form").querySelector("button[type=submit]"));
  button.disabled = true;
  sayJoin(t("join.joining"));
  try {
    const joined = await api("POST", "/api/join", { json: { code, name, lang: currentLanguage() } });
    seated(code, joined);
  } catch (err) {
    const e = /** @type {any} */ (err);
    sayJoin(joinError(e), "error");
    if (e.code === "name_taken") /** @type {HTMLDetailsElement} */ (byId("rejoin")).open = true;
    const bad = e.code === "name_taken" ? nameInput : e.code === "not_found" ? codeInput : null;
    if (bad) {
      bad.setAttribute("aria-invalid", "true");
      bad.focus();
    }
  } finally {
    button.disabled = false;
  }
}

/**
 * Seated (by joining or with a rejoin code): keep the seat on this device and go in.
 * @param {string} code
 * @param {{seat_token: string, class_id: string, name: string, student_id: string}} joined
 */
function seated(code, joined) {
  state.code = code;
  state.seat = {
    seat_token: joined.seat_token,
    class_id: joined.class_id,
    name: joined.name,
    student_id: joined.student_id,
  };
  saveSeat(code, state.seat);
  if (codeFromPath() !== code || window.location.hash) {
    window.history.replaceState(null, "", `/j/${encodeURIComponent(code)}`);
  }
  sayJoin("");
  sayRejoin("");
  notice("");
  startSocket();
  byId("welcome").setAttribute("tabindex", "-1");
  byId("welcome").focus();
}

/**
 * Take one's own seat to this device with a rejoin code.
 * @param {string} code the class code
 * @param {string} rejoinCode
 */
async function rejoin(code, rejoinCode) {
  const input = /** @type {HTMLInputElement} */ (byId("rejoin-code"));
  input.removeAttribute("aria-invalid");
  if (!code) {
    sayRejoin(t("rejoin.need_class_code"), "error");
    byId("code").focus();
    return;
  }
  if (!rejoinCode) {
    input.setAttribute("aria-invalid", "true");
    sayRejoin(t("rejoin.need_code"), "error");
    input.focus();
    return;
  }
  sayRejoin(t("rejoin.working"));
  try {
    seated(code, await api("POST", "/api/rejoin", { json: { code, rejoin_code: rejoinCode } }));
  } catch (err) {
    const e = /** @type {any} */ (err);
    byId("rejoin").setAttribute("open", "");
    input.setAttribute("aria-invalid", "true");
    sayRejoin(e.code === "not_found" ? t("rejoin.not_found") : e.message, "error");
    input.focus();
  }
}

/** @param {Event} event */
function onRejoin(event) {
  event.preventDefault();
  const code = normaliseCode(/** @type {HTMLInputElement} */ (byId("code")).value);
  rejoin(code, normaliseCode(/** @type {HTMLInputElement} */ (byId("rejoin-code")).value));
}

async function onMakeRejoin() {
  if (!state.socket) return;
  try {
    const made = await emitAck(state.socket, "seat.rejoin_code", {});
    setText("my-rejoin-code", made.rejoin_code);
    /** @type {HTMLInputElement} */ (byId("my-rejoin-link")).value = made.rejoin_url;
    show("rejoin-shown", true);
    rejoinShown = true;
    setText("make-rejoin", t("student.new_rejoin"));
  } catch (err) {
    say(err instanceof Error ? err.message : String(err), "error");
  }
}

function updateNameCount() {
  const name = /** @type {HTMLInputElement} */ (byId("name")).value;
  setText("name-count", t("common.char_count", { count: [...name].length, max: 40 }));
}

let rejoinShown = false;

/** Text this page builds in JS, again in the language just chosen. */
function relabel() {
  // A status line said in the previous language goes (it is only ever a passing message).
  say("");
  sayJoin("");
  updateNameCount();
  setText("name-hint", t("join.name_hint", { max: 40 }));
  setText("make-rejoin", t(rejoinShown ? "student.new_rejoin" : "student.show_rejoin"));
  if (!state.seat || byId("class-name").textContent === "") setBaseTitle(t("join.page_title"));
  if (state.seat) renderName(state.seat.name);
  const conn = byId("conn");
  if (CONN_TEXT[conn.dataset.state || ""]) conn.textContent = CONN_TEXT[conn.dataset.state || ""]();
}

/**
 * The seat remembers the student's language (so a new device or a reload gets it, and the
 * teacher sees it): this device's own choice wins; a seat's choice applies on a device that
 * has none.
 * @param {string | undefined} seatLang
 */
function adoptSeatLanguage(seatLang) {
  const mine = storedLanguage();
  if (!mine && seatLang && seatLang !== currentLanguage()) {
    setLanguage(seatLang).catch(() => {});
  } else if (seatLang !== currentLanguage()) {
    tellSeat(currentLanguage());
  }
}

/** @param {string} lang */
function tellSeat(lang) {
  if (state.socket) emitAck(state.socket, "seat.language", { lang }).catch(() => {});
}

/**
 * A rejoin link (/j/CODE#rejoin=XXXX): the code stays in the fragment, never sent to a server.
 * @returns {boolean} whether the page is rejoining with one
 */
function rejoinFromLink() {
  const fromLink = new URLSearchParams(window.location.hash.slice(1)).get("rejoin");
  const code = codeFromPath();
  if (!fromLink || !code) return false;
  window.history.replaceState(null, "", `/j/${encodeURIComponent(code)}`);
  showJoinForm();
  rejoin(code, normaliseCode(fromLink));
  return true;
}

function onNotMe() {
  forgetSeat(state.code);
  state.seat = null;
  disconnect();
  /** @type {HTMLInputElement} */ (byId("name")).value = "";
  showJoinForm("");
}

async function main() {
  await initI18n();
  relabel();
  onLanguageChange(relabel);
  languageMenu(/** @type {HTMLSelectElement} */ (byId("lang-menu")), tellSeat);
  byId("join-form").addEventListener("submit", onJoin);
  byId("not-me").addEventListener("click", onNotMe);
  byId("rejoin-form").addEventListener("submit", onRejoin);
  byId("make-rejoin").addEventListener("click", onMakeRejoin);
  byId("name").addEventListener("input", updateNameCount);
  wireAttention();
  round.wireControls();
  state.code = codeFromPath();
  // A rejoin link opened in a tab already on this page changes only the fragment.
  window.addEventListener("hashchange", () => {
    if (rejoinFromLink()) disconnect();
  });
  if (rejoinFromLink()) return;
  state.seat = loadSeat(state.code);
  if (state.seat) startSocket();
  else showJoinForm();
}

main();
