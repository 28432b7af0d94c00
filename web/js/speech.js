// Read aloud with the browser's own speech synthesis (speechSynthesis): the words are spoken
// by the device, nothing is sent anywhere. A "Listen" button shows only when the device has a
// voice for the text's language.
import { t } from "./i18n.js";

/** @typedef {{text: string, lang: string}} Spoken */

const synth = typeof window !== "undefined" && "speechSynthesis" in window ? window.speechSynthesis : null;
/** @type {Set<() => void>} */
const refreshers = new Set();
if (synth) synth.addEventListener("voiceschanged", () => refreshers.forEach((fn) => fn()));

/**
 * The device's best local voice for a BCP 47 tag: same language and region first, then the same
 * language ("zh-Hans" prefers zh-CN), else none.
 * @param {string} lang
 * @returns {SpeechSynthesisVoice | null}
 */
export function voiceFor(lang) {
  if (!synth || !lang) return null;
  // Only voices the device itself speaks with: some browsers also list network voices (e.g.
  // Chrome's "Google …" voices), which would send the text to a server.
  const voices = synth.getVoices().filter((v) => v.localService);
  const want = lang.toLowerCase() === "zh-hans" ? "zh-cn" : lang.toLowerCase();
  const primary = want.split("-")[0];
  const norm = (/** @type {SpeechSynthesisVoice} */ v) => v.lang.replace("_", "-").toLowerCase();
  return voices.find((v) => norm(v) === want)
    || voices.find((v) => norm(v).split("-")[0] === primary && !(primary === "zh" && /-(tw|hk|hant)/.test(norm(v))))
    || null;
}

/**
 * Make `button` read `what()` aloud; it hides itself when there is nothing to read or no
 * voice for its language. Returns a function to call when the text may have changed.
 * @param {HTMLButtonElement} button
 * @param {() => Spoken | null} what
 */
export function listenButton(button, what) {
  let speaking = false;
  const label = () => { button.textContent = t(speaking ? "common.listen_stop" : "common.listen"); };
  const refresh = () => {
    const spoken = what();
    button.hidden = !(spoken && spoken.text && voiceFor(spoken.lang));
    label();
  };
  button.addEventListener("click", () => {
    if (!synth) return;
    if (speaking) {
      synth.cancel();
      return;
    }
    const spoken = what();
    const voice = spoken && voiceFor(spoken.lang);
    if (!spoken || !voice) return;
    synth.cancel();
    const utterance = new SpeechSynthesisUtterance(spoken.text);
    utterance.lang = voice.lang;
    utterance.voice = voice;
    utterance.rate = 0.9; // a little slower: many listeners are learning the language
    utterance.addEventListener("end", () => { speaking = false; label(); });
    utterance.addEventListener("error", () => { speaking = false; label(); });
    speaking = true;
    label();
    synth.speak(utterance);
  });
  refreshers.add(refresh);
  refresh();
  return refresh;
}
