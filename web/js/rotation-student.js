// A student's breakout room card: "Rotation 2 of 5 — Room 3 with Ana, Ben and Chi — 4:32 left",
// the room's conversation starter and the latest message from the host.
import { attention } from "./attention.js";
import { byId, setText, show } from "./dom.js";
import { countdown, serverClock } from "./clock.js";
import { currentLanguage, formatList, onLanguageChange, t } from "./i18n.js";
import { listenButton } from "./speech.js";

/**
 * @typedef {{status: string, current?: number, total?: number, deadline?: number | null,
 *   server_time?: number, message?: {text: string, at: number, from: string} | null,
 *   room?: number | null, roommates?: string[], starter?: string | null,
 *   with_teacher?: boolean, starter_info?: {kind: string, names?: string[], topic?: string,
 *   prompt_id?: string} | null}} StudentRotation
 */

/**
 * "Ana", "Ana and Ben", "Ana, Ben and Chi".
 * @param {string[]} names
 */
export function listNames(names) {
  return formatList(names);
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
    const text = message && message.text ? t("rotation.message", { text: message.text }) : "";
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
        setText("rotation-title", t("rotation.ended"));
        setText("rotation-room", t("rotation.ended_text"));
        setText("rotation-with", "");
        show("rotation-starter-box", false);
        showMessage(null);
        setText("rotation-announce", t("rotation.ended"));
        window.clearTimeout(endedTimer);
        endedTimer = window.setTimeout(() => show(card, false), 8000);
      } else if (!(rotation && rotation.status === "ended" && card.classList.contains("ended"))) {
        show(card, false);
      }
      lastKey = "";
      refreshListen();
      tick();
      return;
    }
    window.clearTimeout(endedTimer);
    card.classList.remove("ended");
    const current = (rotation.current ?? 0) + 1;
    const total = rotation.total ?? current;
    setText("rotation-title", t("rotation.title", { current, total }));
    const mates = rotation.roommates || [];
    if (rotation.room) {
      setText("rotation-room", t(rotation.with_teacher ? "rotation.room_checkin" : "rotation.room", { room: rotation.room }));
      setText("rotation-with", mates.length ? t("rotation.with", { names: listNames(mates) }) : t(rotation.with_teacher ? "rotation.just_teacher" : "rotation.nobody_yet"));
    } else {
      setText("rotation-room", t("rotation.no_room"));
      setText("rotation-with", t("rotation.stay"));
    }
    renderStarter();
    showMessage(rotation.message);
    show(card, true);
    refreshListen();
    const key = `${current}/${total}/${rotation.room}`;
    if (key !== lastKey) {
      lastKey = key;
      const say = !rotation.room ? t("rotation.title", { current, total })
        : mates.length ? t("rotation.say_room_with", { current, total, room: rotation.room, names: listNames(mates) })
          : t("rotation.say_room", { current, total, room: rotation.room });
      // A new rotation means moving to a breakout room now: make sure it is seen, wherever
      // the student had scrolled to.
      attention(card, {
        say,
        title: rotation.room ? t("rotation.room", { room: rotation.room }) : t("rotation.title", { current, total }),
        always: true,
      });
    }
    tick();
  }

  /** @type {{key: string, data: any} | null} a library prompt starter in this language */
  let localized = null;

  /** The room's starter: a library prompt in the student's language, a shared topic in words. */
  function renderStarter() {
    const starter = rotation && rotation.starter;
    const el = byId("rotation-starter");
    let text = starter || "";
    el.removeAttribute("lang");
    const info = rotation && rotation.starter_info;
    if (info && info.kind === "shared" && Array.isArray(info.names) && info.topic) {
      text = t("rotation.shared_starter", { names: listNames(info.names), topic: info.topic });
    } else if (info && info.kind === "prompt" && info.prompt_id && currentLanguage() !== "en") {
      const key = `${info.prompt_id}|${currentLanguage()}`;
      if (localized && localized.key === key) {
        text = localized.data.text.text;
        el.setAttribute("lang", localized.data.text.lang);
      } else {
        fetch(`/api/prompts/${encodeURIComponent(info.prompt_id)}?lang=${encodeURIComponent(currentLanguage())}`)
          .then((r) => (r.ok ? r.json() : null))
          .then((got) => {
            if (!got) return;
            localized = { key, data: got };
            renderStarter();
          })
          .catch(() => {});
      }
    }
    setText(el, text);
    show("rotation-starter-box", Boolean(text));
    refreshListen();
  }

  // Read the rotation's instructions aloud, in the interface language.
  const refreshListen = listenButton(/** @type {HTMLButtonElement} */ (byId("rotation-listen")), () => {
    if (!rotation || byId("rotation").hidden) return null;
    const parts = ["rotation-title", "rotation-room", "rotation-with", "rotation-video"]
      .map((id) => document.getElementById(id)?.textContent || "").filter(Boolean);
    return parts.length ? { text: parts.join(". "), lang: currentLanguage() } : null;
  });

  onLanguageChange(() => {
    if (rotation && rotation.status === "running") {
      const before = lastKey;
      render();
      lastKey = before;
    }
  });

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
