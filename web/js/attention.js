// Making sure a student notices what matters (a rotation, a spotlight, a round that closes):
// the card scrolls into view and takes the focus, a live region says it, the tab title is
// marked until the page is seen, the phone vibrates and a short tone plays (made here with the
// Web Audio API: no audio files), unless the student muted it on this device.
import { byId } from "./dom.js";
import { onLanguageChange, t } from "./i18n.js";

const MUTE_KEY = "rapport.sound";
const TITLE_SUFFIX = " — Rapport";

let baseTitle = document.title;
let marked = false;
/** @type {AudioContext | null} */
let audio = null;

function isMuted() {
  try {
    return window.localStorage.getItem(MUTE_KEY) === "off";
  } catch {
    return false;
  }
}

/** @param {boolean} muted */
function setMuted(muted) {
  try {
    if (muted) window.localStorage.setItem(MUTE_KEY, "off");
    else window.localStorage.removeItem(MUTE_KEY);
  } catch {
    /* storage unavailable: the choice lasts for this page */
  }
}

function pageIsSeen() {
  return document.visibilityState === "visible" && document.hasFocus();
}

function unmark() {
  if (!marked) return;
  marked = false;
  document.title = baseTitle;
}

/** The title the page has when nothing needs attention (e.g. "Room 3 — Rapport"). */
export function setBaseTitle(/** @type {string} */ title) {
  baseTitle = title;
  if (!marked) document.title = title;
}

/** Browsers allow sound only after the person has used the page: make the context then. */
function unlockAudio() {
  if (audio || isMuted()) return;
  const Ctx = window.AudioContext || /** @type {any} */ (window).webkitAudioContext;
  if (!Ctx) return;
  try {
    audio = new Ctx();
  } catch {
    audio = null;
  }
}

function tone() {
  if (isMuted() || !audio) return;
  try {
    if (audio.state === "suspended") audio.resume();
    const now = audio.currentTime;
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.type = "sine";
    osc.frequency.setValueAtTime(660, now);
    osc.frequency.setValueAtTime(880, now + 0.12);
    gain.gain.setValueAtTime(0.0001, now);
    gain.gain.exponentialRampToValueAtTime(0.2, now + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, now + 0.3);
    osc.connect(gain).connect(audio.destination);
    osc.start(now);
    osc.stop(now + 0.32);
  } catch {
    /* no sound on this device: the other signals still work */
  }
}

/** Is the person typing into a field right now? Then their focus is not taken away. */
function typing() {
  const el = document.activeElement;
  return Boolean(el && (el.tagName === "TEXTAREA"
    || (el.tagName === "INPUT" && /** @type {HTMLInputElement} */ (el).type === "text")));
}

/**
 * Draw the student's attention to `target`.
 * @param {HTMLElement} target the card to show (gets tabindex=-1 and the focus)
 * @param {{say: string, title: string, always?: boolean}} what `say` for screen readers,
 *   `title` for the tab title; `always` scrolls even while the student types (a rotation
 *   means going to a breakout room now)
 */
export function attention(target, what) {
  const busy = typing();
  if (!busy || what.always) {
    const smooth = !window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    target.scrollIntoView({ block: "start", behavior: smooth ? "smooth" : "auto" });
  }
  if (!busy) {
    if (!target.hasAttribute("tabindex")) target.setAttribute("tabindex", "-1");
    target.focus({ preventScroll: true });
  }
  const live = byId("attention-live");
  live.textContent = "";
  // A fresh text node after clearing makes screen readers announce a repeated message too.
  window.setTimeout(() => { live.textContent = what.say; }, 50);
  if (!pageIsSeen()) {
    marked = true;
    document.title = `• ${what.title}${TITLE_SUFFIX}`;
  }
  // Browsers refuse (and log an error) before the person has used the page.
  const used = !navigator.userActivation || navigator.userActivation.hasBeenActive;
  if (used && typeof navigator.vibrate === "function") {
    try {
      navigator.vibrate([120, 60, 120]);
    } catch {
      /* not allowed yet */
    }
  }
  tone();
}

/** Wire the sound switch and the "page seen" signals; call once. */
export function wireAttention() {
  const button = /** @type {HTMLButtonElement} */ (byId("sound-toggle"));
  const render = () => {
    // The label says the state ("Sound off"): no aria-pressed, which would say it twice.
    button.textContent = t(isMuted() ? "common.sound_off" : "common.sound_on");
  };
  onLanguageChange(render);
  button.addEventListener("click", () => {
    setMuted(!isMuted());
    render();
    if (!isMuted()) {
      unlockAudio();
      tone();
    }
  });
  render();
  for (const type of ["pointerdown", "keydown"]) {
    window.addEventListener(type, unlockAudio, { passive: true });
  }
  document.addEventListener("visibilitychange", () => {
    if (pageIsSeen()) unmark();
  });
  window.addEventListener("focus", unmark);
  window.addEventListener("pointerdown", unmark, { passive: true });
}
