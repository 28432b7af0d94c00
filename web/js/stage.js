// Stage (projector) view: read-only, big, for screen-sharing into the video call.
import { byId, setText, show } from "./dom.js";
import { connect, onRefused, reloadOnNewKey, takeStaffKey, watchConnection } from "./socket.js";

/**
 * @typedef {{id: string, name: string, locked: boolean, join_code?: string, join_url?: string}} ClassInfo
 */

/** @type {ClassInfo | null} */
let current = null;

/** @param {string} text */
function message(text) {
  setText("message", text);
  show("message", Boolean(text));
}

/** Join info is shown while no round is running (rounds arrive in phase 2). */
function roundRunning() {
  return !byId("spotlight").hidden;
}

/** @param {ClassInfo} cls */
function renderClass(cls) {
  current = cls;
  setText("class-name", cls.name);
  document.title = `${cls.name} — Stage — Rapport`;
  const code = cls.join_code || "";
  setText("join-code", code);
  const link = cls.join_url ? displayUrl(cls.join_url) : "";
  setText("join-link", link);
  const qr = /** @type {HTMLImageElement} */ (byId("qr"));
  if (code) {
    const src = `/api/qr.svg?code=${encodeURIComponent(code)}`;
    if (qr.getAttribute("src") !== src) qr.src = src;
  }
  const joinable = Boolean(code) && !cls.locked && !roundRunning();
  show("join", joinable);
  show("locked", Boolean(cls.locked) && !roundRunning());
}

/**
 * A shorter URL for reading aloud: no scheme.
 * @param {string} url
 */
function displayUrl(url) {
  return url.replace(/^https?:\/\//, "");
}

const CONN_TEXT = {
  connecting: "Connecting…",
  connected: "Live",
  reconnecting: "Reconnecting…",
  offline: "Offline",
};

function main() {
  reloadOnNewKey();
  const key = takeStaffKey();
  const conn = byId("conn");
  if (!key) {
    conn.hidden = true;
    message("Open the stage view from your teacher dashboard.");
    return;
  }
  const socket = connect({ token: key, view: "stage" });
  watchConnection(socket, (s) => {
    conn.dataset.state = s;
    conn.textContent = CONN_TEXT[s];
  });
  onRefused(socket, {
    onNotAuthorised: () => {
      try {
        window.sessionStorage.removeItem("rapport.key");
      } catch {
        /* ignore */
      }
      show("join", false);
      show("locked", false);
      message("This stage link does not work any more. Open the stage view again from your dashboard.");
    },
    onRetrying: () => message("Could not connect just now. Trying again in a few seconds…"),
  });
  socket.on("snapshot", (/** @type {any} */ snap) => {
    message("");
    if (snap && snap.class) renderClass(snap.class);
  });
  socket.on("class.updated", (/** @type {any} */ msg) => {
    if (msg && msg.class) renderClass({ ...(current || {}), ...msg.class });
  });
}

main();
