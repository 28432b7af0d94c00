// A student's breakout room card: "Rotation 2 of 5 — Room 3 with Ana, Ben and Chi — 4:32 left",
// the room's conversation starter and the latest message from the host.
import { attention } from "./attention.js";
import { byId, setText, show } from "./dom.js";
import { countdown, serverClock } from "./clock.js";

/**
 * @typedef {{status: string, current?: number, total?: number, deadline?: number | null,
 *   server_time?: number, message?: {text: string, at: number, from: string} | null,
 *   room?: number | null, roommates?: string[], starter?: string | null,
 *   with_teacher?: boolean}} StudentRotation
 */

/**
 * "Ana", "Ana and Ben", "Ana, Ben and Chi".
 * @param {string[]} names
 */
export function listNames(names) {
  if (names.length <= 1) return names.join("");
  return `${names.slice(0, -1).join(", ")} and ${names[names.length - 1]}`;
}

export function createRotationStudent() {
  const clock = serverClock();
  /** @type {StudentRotation | null} */
  let rotation = null;
  /** @type {string} */
  let lastKey = "";
  let endedTimer = 0;

  const tick = countdown(byId("rotation-countdown"), clock,
    () => (rotation && rotation.status === "running" ? rotation.deadline : null));

  /** @param {{text: string} | null | undefined} message */
  function showMessage(message) {
    const el = byId("rotation-message");
    const text = message && message.text ? `Message from your teacher: ${message.text}` : "";
    if (el.textContent !== text) el.textContent = text;
    show(el, Boolean(text));
  }

  function render() {
    const card = byId("rotation");
    if (!rotation || rotation.status !== "running") {
      const wasRunning = !card.hidden && !card.classList.contains("ended");
      if (rotation && rotation.status === "ended" && wasRunning) {
        // Say so briefly, then hide.
        card.classList.add("ended");
        setText("rotation-title", "Rotations have ended");
        setText("rotation-room", "Thank you! Back to the main room.");
        setText("rotation-with", "");
        show("rotation-starter-box", false);
        showMessage(null);
        setText("rotation-announce", "Rotations have ended.");
        window.clearTimeout(endedTimer);
        endedTimer = window.setTimeout(() => show(card, false), 8000);
      } else if (!(rotation && rotation.status === "ended" && card.classList.contains("ended"))) {
        show(card, false);
      }
      lastKey = "";
      tick();
      return;
    }
    window.clearTimeout(endedTimer);
    card.classList.remove("ended");
    const current = (rotation.current ?? 0) + 1;
    const total = rotation.total ?? current;
    setText("rotation-title", `Rotation ${current} of ${total}`);
    const mates = rotation.roommates || [];
    if (rotation.room) {
      setText("rotation-room", rotation.with_teacher ? `Room ${rotation.room} — a check-in with your teacher` : `Room ${rotation.room}`);
      setText("rotation-with", mates.length ? `with ${listNames(mates)}` : rotation.with_teacher ? "Just you and your teacher." : "Nobody else is in your room yet.");
    } else {
      setText("rotation-room", "You are not in a room this time.");
      setText("rotation-with", "Stay in the main room; your teacher will tell you what to do.");
    }
    setText("rotation-starter", rotation.starter || "");
    show("rotation-starter-box", Boolean(rotation.starter));
    showMessage(rotation.message);
    show(card, true);
    const key = `${current}/${total}/${rotation.room}`;
    if (key !== lastKey) {
      lastKey = key;
      const room = rotation.room ? ` — Room ${rotation.room}${mates.length ? ` with ${listNames(mates)}` : ""}` : "";
      // A new rotation means moving to a breakout room now: make sure it is seen, wherever
      // the student had scrolled to.
      attention(card, {
        say: `Rotation ${current} of ${total}${room}.`,
        title: rotation.room ? `Room ${rotation.room}` : `Rotation ${current}`,
        always: true,
      });
    }
    tick();
  }

  /** @param {StudentRotation | null} next */
  function apply(next) {
    rotation = next;
    if (next && typeof next.server_time === "number") clock.sync(next.server_time);
    render();
  }

  return {
    /** @param {any} snap */
    snapshot(snap) {
      // A reconnect during a running rotation gets it back; an old ended plan shows nothing.
      const next = snap.rotation || null;
      if (next && next.status !== "running") byId("rotation").hidden = true;
      apply(next);
    },
    /** @param {any} socket */
    wireSocket(socket) {
      socket.on("rotation.updated", (/** @type {{rotation: StudentRotation | null}} */ msg) => apply(msg ? msg.rotation : null));
      socket.on("rotation.message", (/** @type {{message: {text: string, at: number, from: string}}} */ msg) => {
        if (!msg || !msg.message) return;
        if (rotation && rotation.status === "running") {
          rotation = { ...rotation, message: msg.message };
          render();
        }
      });
    },
  };
}
