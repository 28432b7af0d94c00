// Spoken answers: record in the browser (MediaRecorder, at most a minute, only on the student's
// tap, with a visible "recording" indicator), upload, and play back from an authorised blob: URL.
import { h, replace, show } from "./dom.js";
import { errorText, t } from "./i18n.js";
import { blobLoader } from "./photos.js";

export const MAX_RECORDING_SECONDS = 60;
export const MAX_AUDIO_BYTES = 1536 * 1024; // the server's limit
// Opus at 32 kbit/s is clear speech and ~240 KB a minute; Safari records AAC (MP4) instead.
const TYPES = ["audio/webm;codecs=opus", "audio/ogg;codecs=opus", "audio/mp4"];
const BITS_PER_SECOND = 32000;

/** @param {number} seconds */
function clockText(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

/** The server refused the recording: the card is not posted without it. */
export class AudioRefused extends Error {}

/**
 * Upload a recording; returns its id.
 * @param {string} classId
 * @param {string} token
 * @param {Blob} blob
 * @returns {Promise<string>}
 */
export async function uploadAudio(classId, token, blob) {
  const form = new FormData();
  const ext = blob.type.includes("ogg") ? "ogg" : blob.type.includes("mp4") ? "m4a" : "webm";
  form.append("audio", blob, `answer.${ext}`);
  let response;
  try {
    response = await fetch(`/api/classes/${encodeURIComponent(classId)}/audio`, {
      method: "POST",
      headers: { Authorization: `Bearer ${token}` },
      body: form,
      credentials: "same-origin",
      cache: "no-store",
    });
  } catch {
    throw new Error(t("voice.not_sent"));
  }
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (!response.ok || !data || typeof data.audio_id !== "string") {
    throw new AudioRefused(errorText(data && data.error, t("voice.refused")));
  }
  return data.audio_id;
}

/**
 * Players for cards' recordings, fetched with the page's credential.
 * @param {() => string} classId
 * @param {() => string} token
 */
export function audioLoader(classId, token) {
  const { load, prune } = blobLoader(classId, token, "audio");
  /** @type {Map<string, HTMLElement>} one element per recording: re-rendering a card moves it,
   * so a recording being played keeps playing */
  const players = new Map();
  return {
    load,
    /** @param {Iterable<string>} keep */
    prune(keep) {
      const wanted = new Set(keep);
      for (const id of players.keys()) if (!wanted.has(id)) players.delete(id);
      prune(wanted);
    },
    /**
     * An <audio controls> that gets its source once the recording has loaded (hidden until).
     * @param {string} audioId
     * @param {string} label its accessible name, e.g. t("voice.from", {name})
     * @returns {HTMLElement}
     */
    player(audioId, label) {
      const known = players.get(audioId);
      if (known) {
        known.setAttribute("aria-label", label); // the language may have changed
        return known;
      }
      const audio = /** @type {HTMLAudioElement} */ (h("audio", {
        class: "card-audio", controls: true, preload: "metadata", "aria-label": label, hidden: true,
      }));
      load(audioId).then((url) => {
        if (url) {
          audio.src = url;
          audio.hidden = false;
        } else {
          players.delete(audioId); // may be allowed later (after approval): try again then
        }
      });
      players.set(audioId, audio);
      return audio;
    },
  };
}

/**
 * The recorder in the card form, built inside `mount`.
 * @param {HTMLElement} mount
 * @param {{ say: (text: string, kind?: "error" | "info" | "ok") => void, changed: () => void }} hooks
 */
export function voiceRecorder(mount, hooks) {
  const supported = typeof window.MediaRecorder === "function"
    && Boolean(navigator.mediaDevices && navigator.mediaDevices.getUserMedia);
  const recordButton = h("button", { type: "button", class: "secondary voice-record", id: "voice-record", "data-i18n": "voice.record" }, t("voice.record"));
  const elapsed = h("span", { class: "voice-elapsed", id: "voice-elapsed", role: "timer" });
  const stopButton = h("button", { type: "button", class: "danger solid small", id: "voice-stop", "data-i18n": "voice.stop" }, t("voice.stop"));
  const live = h("div", { class: "voice-live", id: "voice-live", hidden: true },
    h("span", { class: "voice-dot", "aria-hidden": "true" }),
    h("strong", { "data-i18n": "voice.recording" }, t("voice.recording")), " ", elapsed, stopButton);
  const preview = /** @type {HTMLAudioElement} */ (h("audio", { controls: true, id: "voice-preview-audio", "aria-label": t("voice.yours"), "data-i18n-aria-label": "voice.yours" }));
  const removeButton = h("button", { type: "button", class: "secondary small", id: "voice-remove", "data-i18n": "voice.remove" }, t("voice.remove"));
  const previewBox = h("div", { class: "voice-preview", id: "voice-preview", hidden: true }, preview, removeButton);
  replace(mount,
    h("span", { class: "label", "data-i18n": "voice.label" }, t("voice.label")),
    supported
      ? h("span", { class: "hint field-hint", id: "voice-hint", "data-i18n": "voice.hint" }, t("voice.hint"))
      : h("span", { class: "hint field-hint", id: "voice-hint", "data-i18n": "voice.unsupported" }, t("voice.unsupported")),
    supported ? [recordButton, live, previewBox] : null);
  recordButton.setAttribute("aria-describedby", "voice-hint");

  const state = {
    /** @type {MediaRecorder | null} */ recorder: null,
    /** @type {MediaStream | null} */ stream: null,
    /** @type {Blob | null} */ blob: null,
    /** @type {string | null} */ url: null,
    /** @type {string | null} an already posted recording kept while editing */ keptId: null,
    /** @type {Promise<void> | null} */ stopping: null,
    /** the recording in progress is thrown away when it stops (the form was cleared) */ discard: false,
    startedAt: 0,
    /** @type {number | undefined} */ timer: undefined,
  };

  /** @param {boolean} again */
  function setRecordLabel(again) {
    recordButton.dataset.i18n = again ? "voice.record_again" : "voice.record";
    recordButton.textContent = again ? t("voice.record_again") : t("voice.record");
  }

  function releaseMicrophone() {
    for (const track of state.stream ? state.stream.getTracks() : []) track.stop();
    state.stream = null;
    window.clearInterval(state.timer);
  }

  function showPreview() {
    if (state.url) URL.revokeObjectURL(state.url);
    state.url = state.blob ? URL.createObjectURL(state.blob) : null;
    if (state.url) preview.src = state.url;
    else preview.removeAttribute("src");
    show(previewBox, Boolean(state.blob));
    setRecordLabel(Boolean(state.blob));
  }

  function tick() {
    const seconds = (performance.now() - state.startedAt) / 1000;
    elapsed.textContent = t("voice.elapsed", { elapsed: clockText(seconds), limit: clockText(MAX_RECORDING_SECONDS) });
    if (seconds >= MAX_RECORDING_SECONDS) stop(t("voice.limit"));
  }

  async function start() {
    if (state.recorder) return;
    hooks.say(t("voice.starting"));
    try {
      state.stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    } catch (err) {
      const name = /** @type {Error} */ (err).name;
      hooks.say(name === "NotAllowedError" || name === "SecurityError" ? t("voice.denied")
        : name === "NotFoundError" ? t("voice.no_microphone") : t("voice.failed"), "error");
      return;
    }
    const mimeType = TYPES.find((type) => window.MediaRecorder.isTypeSupported(type));
    /** @type {Blob[]} */
    const chunks = [];
    let recorder;
    try {
      recorder = new MediaRecorder(state.stream, mimeType ? { mimeType, audioBitsPerSecond: BITS_PER_SECOND } : {});
    } catch {
      releaseMicrophone();
      hooks.say(t("voice.unsupported"), "error");
      return;
    }
    state.recorder = recorder;
    recorder.addEventListener("dataavailable", (e) => {
      if (e.data && e.data.size) chunks.push(e.data);
    });
    state.stopping = new Promise((resolve) => {
      recorder.addEventListener("stop", () => {
        releaseMicrophone();
        state.recorder = null;
        const blob = new Blob(chunks, { type: (recorder.mimeType || mimeType || "audio/webm").split(";")[0] });
        show(live, false);
        show(recordButton, true);
        if (state.discard) {
          state.discard = false;
        } else if (!blob.size) {
          hooks.say(t("voice.failed"), "error");
        } else if (blob.size > MAX_AUDIO_BYTES) {
          hooks.say(t("voice.too_big"), "error");
        } else {
          state.blob = blob;
          state.keptId = null;
        }
        showPreview();
        hooks.changed();
        resolve();
      }, { once: true });
    });
    recorder.start();
    state.startedAt = performance.now();
    tick();
    state.timer = window.setInterval(tick, 250);
    show(recordButton, false);
    show(previewBox, false);
    show(live, true);
    hooks.say(t("voice.started"));
    stopButton.focus();
  }

  /** @param {string} [message] */
  function stop(message = t("voice.stopped")) {
    if (!state.recorder) return state.stopping || Promise.resolve();
    window.clearInterval(state.timer);
    if (state.recorder.state !== "inactive") state.recorder.stop();
    const done = state.stopping || Promise.resolve();
    if (!state.discard) {
      done.then(() => {
        if (state.blob) hooks.say(message);
        recordButton.focus();
      });
    }
    return done;
  }

  function clear() {
    if (state.recorder) {
      state.discard = true;
      stop();
    }
    state.blob = null;
    state.keptId = null;
    showPreview();
  }

  recordButton.addEventListener("click", () => { start(); });
  stopButton.addEventListener("click", () => { stop(); });
  removeButton.addEventListener("click", () => {
    clear();
    hooks.changed();
    recordButton.focus();
  });

  return {
    /** A new recording to upload, or null. */
    recording: () => state.blob,
    /** The posted recording kept while editing, or null. */
    keptId: () => state.keptId,
    /** Whether the form has a recording (new or kept). */
    has: () => Boolean(state.blob || state.keptId),
    isRecording: () => Boolean(state.recorder),
    /** Whether this browser can record at all. */
    canRecord: () => supported,
    /** Stop a recording in progress and wait for its blob. */
    finish: () => stop(),
    clear,
    /**
     * Editing a posted card: keep its recording (playable) unless the student removes or
     * replaces it.
     * @param {string | null} audioId
     * @param {(id: string) => Promise<string | null>} load
     */
    async keep(audioId, load) {
      clear();
      state.keptId = audioId;
      if (!audioId) return;
      const url = await load(audioId);
      if (url && state.keptId === audioId && !state.blob) {
        preview.src = url;
        show(previewBox, true);
        setRecordLabel(true);
      }
    },
  };
}
