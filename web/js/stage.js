// Stage (projector) view: read-only, big, for screen-sharing into the video call.
import { byId, h, replace, setText, show } from "./dom.js";
import { countdown, serverClock } from "./clock.js";
import { photoLoader } from "./photos.js";
import { audioLoader } from "./voice.js";
import { reactionSummary } from "./reactions.js";
import { connect, emitAck, onRefused, reloadOnNewKey, takeStaffKey, watchConnection } from "./socket.js";
import { currentLanguage, initI18n, onLanguageChange, setLanguage, t } from "./i18n.js";

/**
 * @typedef {{id: string, name: string, locked: boolean, join_code?: string, join_url?: string,
 *   lang?: string}} ClassInfo
 * @typedef {import("./round-host.js").Round} Round
 * @typedef {import("./round-host.js").Card} Card
 */

const state = {
  /** @type {ClassInfo | null} */ cls: null,
  /** @type {Round | null} */ round: null,
  /** @type {Card | null} */ spotlight: null,
  /** @type {any} */ rotation: null,
  key: "",
};

const clock = serverClock();
const photos = photoLoader(() => state.cls?.id || "", () => state.key);
const voices = audioLoader(() => state.cls?.id || "", () => state.key);
const hostVoice = audioLoader(() => state.cls?.id || "", () => state.key);

/** @param {string} text */
function message(text) {
  setText("message", text);
  show("message", Boolean(text));
}

/** What the stage shows: the spotlit card, the running round, or how to join. */
function mode() {
  if (state.rotation && state.rotation.status === "running") return "rotation";
  if (state.spotlight) return "spotlight";
  if (state.round && (state.round.status === "draft" || state.round.status === "open")) return "round";
  return "join";
}

function render() {
  const m = mode();
  const cls = state.cls;
  show("spotlight", m === "spotlight");
  show("stage-round", m === "round");
  show("stage-rotation", m === "rotation");
  const code = cls?.join_code || "";
  show("join", m === "join" && Boolean(code) && !cls?.locked);
  show("locked", m === "join" && Boolean(cls?.locked));
  // During rounds, spotlights and rotations, late joiners still find the code in a corner.
  show("corner-join", m !== "join" && Boolean(code) && !cls?.locked);
  document.body.dataset.mode = m;
  if (m === "round") renderRound();
  if (m === "spotlight") renderSpotlight();
  if (m === "rotation") renderRotation();
  tick();
  rotTick();
}

function renderRound() {
  const round = /** @type {Round} */ (state.round);
  renderPrompt(round);
  const host = round.host_card;
  const shared = Boolean(host && !host.skipped && (host.text || host.audio_id));
  setText("stage-host-text", shared && host ? host.text : "");
  replace(byId("stage-host-voice"), shared && host && host.audio_id ? hostVoice.player(host.audio_id, t("voice.from_teacher")) : null);
  show("stage-host", shared);
  const note = t(round.status === "draft" ? "stage.get_ready" : "stage.share_now");
  setText("stage-round-note", note);
  renderAnswered();
}

function renderAnswered() {
  const round = state.round;
  const total = round && typeof round.student_count === "number" ? round.student_count : 0;
  const count = round && typeof round.answered_count === "number" ? round.answered_count : 0;
  setText("stage-answered", round && round.status === "open" && total ? t("stage.answered", { count, total }) : "");
}

function renderRotation() {
  const rot = state.rotation;
  setText("stage-rot-title", t("rotation.title", { current: rot.current + 1, total: rot.total }));
  const msg = rot.message && rot.message.text ? rot.message.text : "";
  setText("stage-rot-message", msg);
  show("stage-rot-message", Boolean(msg));
  const rooms = Array.isArray(rot.rooms) ? rot.rooms : [];
  const list = byId("stage-rooms");
  list.dataset.count = String(rooms.length);
  replace(list, rooms.map((/** @type {string[]} */ names, /** @type {number} */ i) => h("li", { class: "stage-room" },
    h("h3", null, rot.checkin_room && i === 0 ? t("stage.room_checkin") : t("rotation.room", { room: i + 1 })),
    h("ul", null, names.map((name) => h("li", { dir: "auto" }, name))))));
}

function renderSpotlight() {
  const card = /** @type {Card} */ (state.spotlight);
  const box = byId("spotlight");
  const existing = box.querySelector(".stage-card");
  if (existing && existing.getAttribute("data-id") === card.id && existing.getAttribute("data-updated") === String(card.updated_at)) {
    // Same card: only the reaction counts change.
    const old = box.querySelector(".reaction-summary");
    if (old) old.replaceWith(reactionSummary(card.reactions));
    return;
  }
  replace(box,
    h("article", { class: "stage-card", dataset: { id: card.id, updated: card.updated_at } },
      h("p", { class: "stage-card-author", dir: "auto" }, card.author),
      card.text ? h("p", { class: "stage-card-text", dir: "auto" }, card.text) : null,
      card.audio_id ? voices.player(card.audio_id, t("voice.from", { name: card.author })) : null,
      card.photo_id ? photos.img(card.photo_id, t("common.photo_from", { name: card.author }), "stage-photo") : null),
    reactionSummary(card.reactions));
  photos.prune(card.photo_id ? [card.photo_id] : []);
  voices.prune(card.audio_id ? [card.audio_id] : []);
}

/** @param {ClassInfo} cls */
function renderClass(cls) {
  state.cls = cls;
  setText("class-name", cls.name);
  document.title = `${cls.name} — ${t("stage.page_title")}`;
  // The stage speaks the teacher's language (class.language), not this browser's.
  if (cls.lang && cls.lang !== currentLanguage()) {
    setLanguage(cls.lang, { remember: false }).catch(() => {});
  }
  const code = cls.join_code || "";
  setText("join-code", code);
  setText("join-link", cls.join_url ? displayUrl(cls.join_url) : "");
  setText("corner-code", code);
  setText("corner-link", cls.join_url ? displayUrl(cls.join_url) : "");
  for (const id of ["qr", "corner-qr"]) {
    const qr = /** @type {HTMLImageElement} */ (byId(id));
    const src = `/api/qr.svg?code=${encodeURIComponent(code)}`;
    if (code && qr.getAttribute("src") !== src) qr.src = src;
  }
  render();
}

/**
 * A shorter URL for reading aloud: no scheme.
 * @param {string} url
 */
function displayUrl(url) {
  return url.replace(/^https?:\/\//, "");
}

/** @param {Round | null} round */
function applyRound(round) {
  if (round) clock.sync(round.server_time);
  state.round = round;
  render();
}

/** @param {any} snap */
function applySnapshot(snap) {
  message("");
  state.rotation = snap.rotation || null;
  if (state.rotation && state.rotation.server_time) clock.sync(state.rotation.server_time);
  state.round = snap.round || null;
  if (state.round) clock.sync(state.round.server_time);
  state.spotlight = snap.spotlight || null;
  if (snap.class) renderClass(snap.class);
  else render();
}

const tick = countdown(byId("stage-countdown"), clock,
  () => (state.round && state.round.status === "open" && mode() === "round" ? state.round.deadline : null));

const rotTick = countdown(byId("stage-rot-countdown"), clock,
  () => (state.rotation && state.rotation.status === "running" ? state.rotation.deadline : null));

/** @type {Record<string, () => string>} */
const CONN_TEXT = {
  connecting: () => t("common.conn_connecting"),
  connected: () => t("stage.live"),
  reconnecting: () => t("common.conn_reconnecting"),
  offline: () => t("common.conn_offline"),
};

/** @type {{key: string, data: any} | null} the round's library prompt in the stage's language */
let localized = null;

/** The prompt in the teacher's language when the library has it; else as written. */
function renderPrompt(/** @type {Round} */ round) {
  const prompt = round.prompt;
  const lang = currentLanguage();
  const key = `${prompt.id}|${lang}`;
  const el = byId("stage-prompt");
  if (localized && localized.key === key) {
    setText(el, localized.data.text.text);
    el.setAttribute("lang", localized.data.text.lang);
    return;
  }
  setText(el, prompt.text);
  if (prompt.custom) el.removeAttribute("lang");
  else el.setAttribute("lang", "en");
  if (prompt.custom || !prompt.id || lang === "en") return;
  fetch(`/api/prompts/${encodeURIComponent(prompt.id)}?lang=${encodeURIComponent(lang)}`)
    .then((r) => (r.ok ? r.json() : null))
    .then((got) => {
      if (!got) return;
      localized = { key, data: got };
      if (state.round && state.round.prompt.id === prompt.id) renderPrompt(state.round);
    })
    .catch(() => {});
}

async function main() {
  await initI18n();
  document.title = t("stage.page_title");
  onLanguageChange(() => {
    const conn = byId("conn");
    if (CONN_TEXT[conn.dataset.state || ""]) conn.textContent = CONN_TEXT[conn.dataset.state || ""]();
    if (state.cls) renderClass(state.cls);
    else render();
  });
  reloadOnNewKey();
  const key = takeStaffKey();
  const conn = byId("conn");
  if (!key) {
    conn.hidden = true;
    message(t("stage.open_from_dashboard"));
    return;
  }
  state.key = key;
  const socket = connect({ token: key, view: "stage" });
  watchConnection(socket, (s) => {
    conn.dataset.state = s;
    conn.textContent = CONN_TEXT[s]();
  });
  onRefused(socket, {
    onNotAuthorised: () => {
      try {
        window.sessionStorage.removeItem("rapport.key");
      } catch {
        /* ignore */
      }
      state.round = null;
      state.spotlight = null;
      state.rotation = null;
      show("stage-rotation", false);
      show("join", false);
      show("locked", false);
      show("stage-round", false);
      show("spotlight", false);
      message(t("stage.link_dead"));
    },
    onRetrying: () => message(t("common.retrying")),
  });
  // Sent just before the server closes this socket on purpose (opened on too many screens).
  socket.on("closed", (/** @type {{reason?: string, message?: string}} */ msg) => message(
    msg && msg.reason === "too_many_connections" ? t("common.closed_elsewhere") : (msg && msg.message) || ""));
  socket.on("snapshot", applySnapshot);
  socket.on("resync", async () => {
    try {
      const result = await emitAck(socket, "snapshot.get", {});
      if (result && result.snapshot) applySnapshot(result.snapshot);
    } catch {
      /* a rotated link is disconnected by the server; nothing else to do */
    }
  });
  socket.on("class.updated", (/** @type {any} */ msg) => {
    if (msg && msg.class) renderClass({ ...(state.cls || {}), ...msg.class });
  });
  socket.on("round.updated", (/** @type {any} */ msg) => msg && msg.round && applyRound(msg.round));
  socket.on("answered", (/** @type {any} */ msg) => {
    if (!state.round || !msg) return;
    state.round = { ...state.round, answered_count: msg.count, student_count: msg.student_count };
    renderAnswered();
  });
  socket.on("rotation.updated", (/** @type {any} */ msg) => {
    state.rotation = msg ? msg.rotation : null;
    if (state.rotation && state.rotation.server_time) clock.sync(state.rotation.server_time);
    render();
  });
  socket.on("rotation.message", (/** @type {any} */ msg) => {
    if (state.rotation && state.rotation.status === "running" && msg && msg.message) {
      state.rotation = { ...state.rotation, message: msg.message };
      render();
    }
  });
  socket.on("spotlight", (/** @type {any} */ msg) => {
    state.spotlight = msg ? msg.card : null;
    render();
  });
  socket.on("reactions", (/** @type {any} */ msg) => {
    if (state.spotlight && msg && msg.card_id === state.spotlight.id) {
      state.spotlight = { ...state.spotlight, reactions: msg.counts || {} };
      render();
    }
  });
}

main();
