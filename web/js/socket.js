// Socket.IO connection helpers around the vendored client.
import { io } from "../vendor/socket.io-client/socket.io.esm.min.js";
import { errorText, t } from "./i18n.js";

const ACK_TIMEOUT_MS = 10000;

/** A random client id, [A-Za-z0-9_-]{32}. */
export function newClientId() {
  if (window.crypto && typeof window.crypto.randomUUID === "function") {
    return window.crypto.randomUUID().replace(/-/g, "");
  }
  const bytes = new Uint8Array(16);
  window.crypto.getRandomValues(bytes);
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Client ids for things sent again by hand (a reply after "unavailable" or no answer): the
 * same text for the same `key` keeps its id until `done(key)`, so the server stores it once.
 */
export function retryIds() {
  /** @type {Map<string, {text: string, id: string}>} */
  const pending = new Map();
  return {
    /** @param {string} key @param {string} text */
    idFor(key, text) {
      const known = pending.get(key);
      if (known && known.text === text) return known.id;
      const id = newClientId();
      pending.set(key, { text, id });
      return id;
    },
    /** @param {string} key */
    done(key) {
      pending.delete(key);
    },
  };
}

/**
 * Connect to the Rapport server (same origin, path /socket.io, namespace /).
 * @param {{token: string, view?: "stage"}} auth
 * @returns {import("../vendor/socket.io-client/socket.io.esm.min.js").Socket}
 */
export function connect({ token, view }) {
  /** @type {{token: string, view?: string}} */
  const auth = { token };
  if (view) auth.view = view;
  const socket = io({
    auth,
    transports: ["websocket", "polling"],
    tryAllTransports: true,
    reconnectionDelayMax: 10000,
  });
  // Several events in one message (docs/PROTOCOL.md, "Batches"): each handled in turn, by the
  // same handlers, as if it had come alone.
  socket.on("batch", (/** @type {{events: [string, any][]}} */ msg) => {
    for (const [name, payload] of (msg && msg.events) || []) {
      for (const handler of socket.listeners(name)) handler(payload);
    }
  });
  return socket;
}

const BUSY_RETRIES = 6;

/**
 * Emit an event with an ack; resolve with the ack result (`{ok: true, ...}`),
 * reject with Error(error.message) on `{ok: false}` or after 10 s without an answer.
 * A `busy` answer (the server refused the event before doing anything, under overload) is
 * sent again after the `retry_after_ms` it carries, a little spread out, up to 6 times.
 * @param {any} socket
 * @param {string} event
 * @param {object} payload
 * @returns {Promise<any>}
 */
export function emitAck(socket, event, payload) {
  return new Promise((resolve, reject) => {
    let busy = 0;
    const send = () => {
      if (!socket.connected) {
        reject(new Error(t("common.not_connected")));
        return;
      }
      socket.timeout(ACK_TIMEOUT_MS).emit(event, payload, (/** @type {any} */ timeoutErr, /** @type {any} */ result) => {
        const error = result && result.error ? result.error : null;
        if (timeoutErr) {
          reject(new Error(t("common.no_answer")));
        } else if (result && result.ok === true) {
          resolve(result);
        } else if (error && error.code === "busy" && busy < BUSY_RETRIES) {
          busy += 1;
          const pause = Number(error.retry_after_ms) > 0 ? Number(error.retry_after_ms) : 1000;
          window.setTimeout(send, pause * (1 + Math.random() / 2));
        } else {
          const message = errorText(error, t("common.failed"));
          const err = new Error(message);
          /** @type {any} */ (err).code = error ? error.code : "unknown";
          reject(err);
        }
      });
    };
    send();
  });
}

/**
 * Wire connection-state reporting to a callback.
 * @param {any} socket
 * @param {(state: "connecting" | "connected" | "reconnecting" | "offline", detail?: string) => void} onState
 */
export function watchConnection(socket, onState) {
  onState("connecting");
  socket.on("connect", () => onState("connected"));
  socket.on("disconnect", (/** @type {string} */ reason) => {
    if (reason === "io server disconnect" || reason === "io client disconnect") onState("offline", reason);
    else onState("reconnecting", reason);
  });
  socket.io.on("reconnect_attempt", () => onState("reconnecting"));
  socket.io.on("reconnect_failed", () => onState("offline"));
  socket.on("connect_error", () => onState(socket.active ? "reconnecting" : "offline"));
}

const RETRY_AFTER_MS = 8000;

/**
 * Handle a connection the server refused (the client does not retry those by itself).
 * `not_authorised` goes to `onNotAuthorised` (the credential is bad: do not retry);
 * any other refusal (the store was briefly unavailable, or the server was `busy`) is retried
 * after a pause, with `onRetrying(message)` called so the page can say so.
 * @param {any} socket
 * @param {{onNotAuthorised: () => void, onRetrying?: (message: string) => void}} handlers
 */
export function onRefused(socket, { onNotAuthorised, onRetrying }) {
  let timer = 0;
  socket.on("connect_error", (/** @type {Error} */ err) => {
    if (socket.active) return; // network trouble: the client keeps retrying by itself
    if (err && err.message === "not_authorised") {
      onNotAuthorised();
      return;
    }
    if (onRetrying) onRetrying(err ? err.message : "");
    window.clearTimeout(timer);
    timer = window.setTimeout(() => {
      if (!socket.connected) socket.connect();
    }, RETRY_AFTER_MS);
  });
}

/**
 * Reload the page when only the fragment changes to a new `#key=…` (pasting a new link into
 * the address bar of an open dashboard does not reload it by itself).
 */
export function reloadOnNewKey() {
  window.addEventListener("hashchange", () => {
    if (new URLSearchParams(window.location.hash.replace(/^#/, "")).get("key")) window.location.reload();
  });
}

/**
 * Read the staff secret: from the URL fragment `#key=…` (then moved into sessionStorage and
 * stripped from the address bar) or from sessionStorage.
 * @returns {string | null}
 */
export function takeStaffKey() {
  const STORAGE_KEY = "rapport.key";
  const hash = window.location.hash.replace(/^#/, "");
  const params = new URLSearchParams(hash);
  const fromHash = params.get("key");
  if (fromHash) {
    try {
      window.sessionStorage.setItem(STORAGE_KEY, fromHash);
    } catch {
      /* storage may be unavailable; keep it in memory */
    }
    window.history.replaceState(null, "", window.location.pathname + window.location.search);
    return fromHash;
  }
  try {
    return window.sessionStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
}
