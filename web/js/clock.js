// Server clock offset and countdowns for round deadlines.
import { t } from "./i18n.js";

/**
 * A clock that follows the server's: offset = server_time - Date.now() at receipt.
 */
export function serverClock() {
  let offset = 0;
  return {
    /** @param {number | null | undefined} serverTime epoch ms from the server */
    sync(serverTime) {
      if (typeof serverTime === "number" && serverTime > 0) offset = serverTime - Date.now();
    },
    /** @returns {number} the server's "now" in epoch ms */
    now() {
      return Date.now() + offset;
    },
  };
}

/**
 * "4:05" for a number of milliseconds left (never negative).
 * @param {number} ms
 */
export function formatLeft(ms) {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const m = Math.floor(total / 60);
  const s = total % 60;
  return `${m}:${String(s).padStart(2, "0")}`;
}

/**
 * Keep `el` showing the time left until `getDeadline()` (epoch ms on the server clock).
 * Shows "" when there is no deadline. Returns a function that refreshes at once.
 * @param {HTMLElement} el
 * @param {{now: () => number}} clock
 * @param {() => number | null | undefined} getDeadline
 * @param {(text: string) => string} [label]
 */
export function countdown(el, clock, getDeadline, label = (time) => t("common.time_left", { time })) {
  let last = "";
  const tick = () => {
    const deadline = getDeadline();
    const text = typeof deadline === "number" && deadline > 0
      ? label(formatLeft(deadline - clock.now()))
      : "";
    if (text !== last) {
      el.textContent = text;
      last = text;
    }
    el.hidden = !text;
  };
  window.setInterval(tick, 250);
  tick();
  return tick;
}
