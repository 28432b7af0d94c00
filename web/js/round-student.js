// The student's side of a show-and-tell round: read the prompt and the teacher's card, post a
// card (with an optional photo), see classmates' cards and the spotlight, react, and answer
// the teacher's private replies.
import { byId, h, replace, setText, show, statusLine } from "./dom.js";
import { countdown, serverClock } from "./clock.js";
import { attention } from "./attention.js";
import { photoLoader, shrinkPhoto } from "./photos.js";
import { reactionButtons } from "./reactions.js";
import { emitAck, newClientId, retryIds } from "./socket.js";
import { currentLanguage, errorText, onLanguageChange, t, tParts } from "./i18n.js";
import { listenButton } from "./speech.js";
import { AudioRefused, audioLoader, uploadAudio, voiceRecorder } from "./voice.js";

/**
 * @typedef {import("./round-host.js").Round} Round
 * @typedef {import("./round-host.js").Card} Card
 * @typedef {import("./round-host.js").Reply} Reply
 * @typedef {{client_id: string, round_id: string, photo_id?: string | null,
 *   audio_id?: string | null, text?: string, visibility?: string, spotlight_ok?: boolean}} Draft
 */

const MAX_PHOTO_BYTES = 5 * 1024 * 1024; // the server's limit; a shrunk photo is far below it
const DRAFT_PREFIX = "rapport.draft.";

/** The server refused the photo: the card is not posted without it unless the student says so. */
class PhotoRefused extends Error {}

/**
 * @param {{
 *   socket: () => any,
 *   token: () => string,
 *   classId: () => string,
 *   me: () => string,
 *   teacherLang: () => string,
 * }} deps
 */
export function createRoundStudent(deps) {
  const clock = serverClock();
  const photos = photoLoader(deps.classId, deps.token);
  const voices = audioLoader(deps.classId, deps.token);
  const aboutVoices = audioLoader(deps.classId, deps.token); // the same recording may show twice
  /** @type {ReturnType<typeof voiceRecorder> | null} */
  let voiceField = null;
  /** The voice answer recorder in the form (built on first use). */
  function voice() {
    if (!voiceField) {
      voiceField = voiceRecorder(byId("voice-field"), {
        say: (text, kind) => sayForm(text, kind),
        changed: () => {
          if (memoryDraft && memoryDraft.audio_id) {
            memoryDraft.audio_id = null; // a new recording: upload it again
            saveDraft(memoryDraft);
          }
        },
      });
    }
    return voiceField;
  }
  const announce = statusLine("round-announce");
  const sayForm = statusLine("card-status");

  const state = {
    /** @type {Round | null} */ round: null,
    /** @type {Map<string, Card>} */ cards: new Map(),
    /** @type {Card | null} */ mine: null,
    /** @type {Card | null} */ spotlight: null,
    /** @type {Reply[]} */ thread: [],
    /** @type {Map<string, Set<string>>} */ myReactions: new Map(),
    editing: false,
    takenDown: false,
    busy: false,
    /** @type {File | null} */ file: null,
    /** @type {string | null} */ previewUrl: null,
    /** @type {string | null} keep the existing photo while editing */ keptPhotoId: null,
    /** @type {Promise<void> | null} the chosen photo, being shrunk */ preparing: null,
    /** @type {string} why the chosen photo cannot be used ("" when it can) */ photoProblem: "",
    /** the student confirmed posting without the photo they chose */ photoWaived: false,
    /** @type {string | null} the round the form's contents belong to */ formRound: null,
  };

  // ---------- the draft: text, choices and client id, kept on this device until posted ----------
  // Keyed by class, seat and round, in localStorage: a reload, a reconnect or a closed tab
  // loses nothing typed, and one round's draft (or visibility choice) never leaks into the next.

  /** @param {string} roundId */
  const draftKey = (roundId) => `${DRAFT_PREFIX}${deps.classId()}.${deps.me()}.${roundId}`;

  /** @param {string} roundId @returns {Draft | null} */
  function loadDraft(roundId) {
    try {
      const raw = window.localStorage.getItem(draftKey(roundId));
      const draft = raw ? JSON.parse(raw) : null;
      return draft && typeof draft.client_id === "string" && draft.round_id === roundId ? draft : null;
    } catch {
      return null;
    }
  }

  /** @param {string} roundId @param {Draft | null} draft */
  function storeDraft(roundId, draft) {
    try {
      if (draft) window.localStorage.setItem(draftKey(roundId), JSON.stringify(draft));
      else window.localStorage.removeItem(draftKey(roundId));
    } catch {
      /* storage unavailable: the draft lives as long as the page */
    }
  }

  /** Drop this seat's drafts of other rounds (they can no longer be posted). */
  function dropOtherDrafts(/** @type {string} */ roundId) {
    const mine = `${DRAFT_PREFIX}${deps.classId()}.${deps.me()}.`;
    try {
      for (let i = window.localStorage.length - 1; i >= 0; i -= 1) {
        const key = window.localStorage.key(i);
        if (key && key.startsWith(mine) && key !== draftKey(roundId)) window.localStorage.removeItem(key);
      }
    } catch {
      /* ignore */
    }
  }

  /** @type {Draft | null} */
  let memoryDraft = null;

  /** @param {Draft | null} draft */
  function saveDraft(draft) {
    const roundId = draft ? draft.round_id : memoryDraft?.round_id;
    if (roundId) storeDraft(roundId, draft);
  }

  /** @param {string} roundId @returns {Draft} */
  function currentDraft(roundId) {
    let draft = memoryDraft && memoryDraft.round_id === roundId ? memoryDraft : loadDraft(roundId);
    if (!draft) {
      draft = { client_id: newClientId(), round_id: roundId, photo_id: null };
    }
    memoryDraft = draft;
    saveDraft(draft);
    return draft;
  }

  /** Keep what the student typed and chose, as they type (not while editing a posted card). */
  function rememberForm() {
    const round = state.round;
    if (!round || round.status !== "open" || state.editing || state.mine) return;
    const text = /** @type {HTMLTextAreaElement} */ (byId("card-text")).value;
    const draft = currentDraft(round.id);
    draft.text = text;
    draft.visibility = visibility();
    draft.spotlight_ok = /** @type {HTMLInputElement} */ (byId("spotlight-ok")).checked;
    saveDraft(draft);
  }

  /** Fill the form for a round: its saved draft, or empty with "Just my teacher" chosen. */
  function loadForm(/** @type {string} */ roundId) {
    state.formRound = roundId;
    const draft = loadDraft(roundId);
    memoryDraft = draft;
    dropOtherDrafts(roundId);
    /** @type {HTMLTextAreaElement} */ (byId("card-text")).value = draft?.text || "";
    for (const radio of /** @type {NodeListOf<HTMLInputElement>} */ (document.querySelectorAll('input[name="visibility"]'))) {
      radio.checked = radio.value === (draft?.visibility === "class" ? "class" : "teacher");
    }
    syncSpotlightBox();
    /** @type {HTMLInputElement} */ (byId("spotlight-ok")).checked = draft?.visibility === "class" && Boolean(draft?.spotlight_ok);
    clearPhoto();
    voice().clear();
    updateCount();
    sayForm("");
  }

  // ---------- rendering ----------

  /** @param {Card} card @param {boolean} big */
  function cardView(card, big) {
    return h("article", { class: big ? "shown-card big" : "shown-card", "aria-label": t("round.card_from", { name: card.author }) },
      h("p", { class: "card-author", dir: "auto" }, card.author),
      card.text ? h("p", { class: "card-text", dir: "auto" }, card.text) : null,
      card.audio_id ? voices.player(card.audio_id, t("voice.from", { name: card.author })) : null,
      card.photo_id ? photos.img(card.photo_id, t("common.photo_from", { name: card.author })) : null);
  }

  /** @param {string} cardId @param {string} reaction */
  async function react(cardId, reaction) {
    try {
      await emitAck(deps.socket(), "react", { card_id: cardId, reaction });
      const mine = state.myReactions.get(cardId) || new Set();
      mine.add(reaction);
      state.myReactions.set(cardId, mine);
      renderClassmates();
      renderSpotlight();
    } catch (err) {
      announce(/** @type {Error} */ (err).message, "error");
    }
  }

  /** @param {Card} card */
  function buttonsFor(card) {
    return reactionButtons(card, state.myReactions.get(card.id) || new Set(), (r) => react(card.id, r));
  }

  function renderSpotlight() {
    const box = byId("spotlight-view");
    const card = state.spotlight;
    if (!card) {
      replace(box);
      show(box, false);
      return;
    }
    const known = state.cards.get(card.id);
    const shown = known ? { ...card, reactions: known.reactions || card.reactions } : card;
    const mineToo = card.student_id === deps.me();
    replace(box,
      h("div", { class: "row spread" },
        h("p", { class: "spot-label" }, t(mineToo ? "round.your_spotlight" : "round.in_spotlight")),
        spotListen),
      cardView(shown, true),
      buttonsFor(shown));
    refreshSpotListen();
    show(box, true);
  }

  function renderClassmates() {
    const others = [...state.cards.values()]
      .filter((c) => c.student_id !== deps.me() && c.visibility === "class" && c.status === "visible")
      .sort((a, b) => (a.created_at - b.created_at) || a.id.localeCompare(b.id));
    const list = byId("classmate-cards");
    const active = /** @type {HTMLElement | null} */ (document.activeElement);
    const focus = active && list.contains(active)
      ? { card: active.closest("li")?.getAttribute("data-id"), reaction: active.dataset.reaction }
      : null;
    replace(list, others.map((c) => h("li", { class: "classmate-card", dataset: { id: c.id } }, cardView(c, false), buttonsFor(c))));
    if (focus && focus.card) {
      const again = list.querySelector(`li[data-id="${CSS.escape(focus.card)}"] button[data-reaction="${CSS.escape(focus.reaction || "")}"]`);
      if (again) /** @type {HTMLElement} */ (again).focus();
    }
    show("classmates", others.length > 0);
    photos.prune([...state.cards.values(), state.spotlight].map((c) => c && c.photo_id).filter(Boolean).concat(state.mine?.photo_id ? [state.mine.photo_id] : []));
    voices.prune([...state.cards.values(), state.spotlight, state.mine, state.round?.host_card].map((c) => c && c.audio_id).filter(Boolean));
  }

  /** @type {any[]} */
  let about = [];

  /** @param {any[]} list */
  function renderAbout(list) {
    about = (list || []).filter((c) => c && (c.text || c.audio_id));
    const items = about;
    replace(byId("about-list"), items.map((c) => h("li", null,
      c.prompt && c.prompt.text ? h("p", { class: "muted small", dir: "auto" }, c.prompt.text) : null,
      c.text ? h("p", { dir: "auto" }, c.text) : null,
      c.audio_id ? aboutVoices.player(c.audio_id, t("voice.from_teacher")) : null)));
    if (!items.length) {
      replace(byId("about-list"), h("li", { class: "muted" }, t("round.about_empty")));
    }
    show("about-teacher", true);
  }

  function renderMine() {
    const card = state.mine;
    const round = state.round;
    const open = round?.status === "open";
    const showForm = open && (card ? state.editing : !state.takenDown);
    show("card-form", Boolean(showForm));
    show("my-card", Boolean(card) && !state.editing);
    if (!card) return;
    const status = card.status === "pending" ? h("p", { class: "badge pending" }, t("round.pending")) : null;
    const who = t(card.visibility === "teacher" ? "round.only_teacher" : (card.spotlight_ok
      ? "round.class_sees_spotlight" : "round.class_sees"));
    replace(byId("my-card-body"),
      cardView(card, false),
      status,
      h("p", { class: "muted small" }, who));
    show("my-card-actions", Boolean(open));
    show("card-withdraw-yes", false);
    show("card-withdraw", true);
    renderThread();
  }

  function renderThread() {
    const card = state.mine;
    const items = state.thread.filter((r) => card && r.card_id === card.id);
    replace(byId("my-thread-list"), items.map((r) => h("li", { class: `reply from-${r.from}` },
      h("span", { class: "reply-from" }, t(r.from === "teacher" ? "round.from_teacher" : "round.from_you")), ": ", h("bdi", null, r.text))));
    show("my-thread", items.length > 0);
    show("my-reply-form", items.some((r) => r.from === "teacher"));
    restoreReply();
  }

  // ---------- the answer to the teacher's reply: kept on this device until sent ----------

  const REPLY_PREFIX = "rapport.reply.";
  /** @type {string | null} the card whose answer the reply box holds */
  let replyFor = null;

  /** @param {string} cardId */
  const replyKey = (cardId) => `${REPLY_PREFIX}${deps.classId()}.${deps.me()}.${cardId}`;

  /** Put the saved answer for the student's current card in the box; forget older ones. */
  function restoreReply() {
    const cardId = state.mine ? state.mine.id : null;
    if (cardId === replyFor) return;
    replyFor = cardId;
    const area = /** @type {HTMLTextAreaElement} */ (byId("my-reply-text"));
    try {
      area.value = (cardId && window.localStorage.getItem(replyKey(cardId))) || "";
      const mine = `${REPLY_PREFIX}${deps.classId()}.${deps.me()}.`;
      for (let i = window.localStorage.length - 1; i >= 0; i -= 1) {
        const key = window.localStorage.key(i);
        if (key && key.startsWith(mine) && (!cardId || key !== replyKey(cardId))) window.localStorage.removeItem(key);
      }
    } catch {
      /* storage unavailable */
    }
    updateReplyCount();
  }

  function rememberReply() {
    if (!replyFor) return;
    const text = /** @type {HTMLTextAreaElement} */ (byId("my-reply-text")).value;
    try {
      if (text) window.localStorage.setItem(replyKey(replyFor), text);
      else window.localStorage.removeItem(replyKey(replyFor));
    } catch {
      /* storage unavailable: the text lives as long as the page */
    }
  }

  function renderRound() {
    const round = state.round;
    const active = round && (round.status === "open" || round.status === "closed");
    show("round-waiting", !active);
    show("round-open", Boolean(active));
    if (!round || !active) {
      setText("round-title", t("round.waiting_title"));
      setText("round-waiting-text", t(round && round.status === "draft" ? "round.draft_text" : "round.waiting_text"));
      tick();
      return;
    }
    renderPrompt(round);
    const host = round.host_card;
    const shared = Boolean(host && !host.skipped && (host.text || host.audio_id));
    setText("teacher-card-text", shared && host ? host.text : "");
    byId("teacher-card-text").setAttribute("lang", deps.teacherLang());
    replace(byId("teacher-card-voice"), shared && host && host.audio_id ? voices.player(host.audio_id, t("voice.from_teacher")) : null);
    show("teacher-card", shared);
    refreshTeacherListen();
    const closedText = round.status === "closed" ? t("round.closed") : "";
    if (byId("closed-text").textContent !== closedText) setText("closed-text", closedText);
    show("closed-text", round.status === "closed");
    renderMine();
    tick();
  }

  const tick = countdown(byId("countdown"), clock,
    () => (state.round && state.round.status === "open" ? state.round.deadline : null),
    (left) => t("common.time_left", { time: left }));

  // ---------- the prompt in the student's language, the English one tap away ----------

  /** @type {{key: string, data: any} | null} the localized prompt last fetched */
  let localized = null;
  let showOriginal = false;

  /** @param {Round} round */
  function renderPrompt(round) {
    const prompt = round.prompt;
    const lang = currentLanguage();
    const key = `${prompt.id}|${lang}`;
    const data = localized && localized.key === key ? localized.data : null;
    const custom = Boolean(prompt.custom) || !prompt.id;
    if (!data && !custom && lang !== "en") {
      fetch(`/api/prompts/${encodeURIComponent(prompt.id)}?lang=${encodeURIComponent(lang)}`)
        .then((r) => (r.ok ? r.json() : null))
        .then((got) => {
          if (!got) return;
          localized = { key, data: got };
          if (state.round && state.round.prompt.id === prompt.id) renderPrompt(state.round);
        })
        .catch(() => {});
    }
    // A teacher's own prompt shows as written (its language is unknown: dir=auto).
    const text = data ? data.text : { text: prompt.text, lang: custom ? null : "en", dir: custom ? "auto" : "ltr" };
    const starter = data ? data.starter : (prompt.starter ? { text: prompt.starter, lang: "en", dir: "ltr" } : null);
    const el = byId("prompt");
    if (el.textContent !== text.text) el.textContent = text.text;
    setLang(el, text.lang, text.dir);
    const starterEl = byId("starter");
    if (starter) {
      replace(starterEl, tParts("round.starter", { starter: h("span", { lang: starter.lang || null, dir: starter.dir || "auto" }, starter.text) }));
    } else {
      replace(starterEl);
    }
    show(starterEl, Boolean(starter));
    const translated = Boolean(data && data.text.lang !== "en");
    setText("prompt-original-text", prompt.text);
    setText("prompt-original-starter", translated && prompt.starter ? prompt.starter : "");
    show("prompt-original-toggle", translated);
    show("prompt-original", translated && showOriginal);
    byId("prompt-original-toggle").setAttribute("aria-expanded", String(translated && showOriginal));
    setText("prompt-original-toggle", t(showOriginal ? "round.hide_original" : "round.show_original"));
    refreshPromptListen();
  }

  /** @param {HTMLElement} el @param {string | null} lang @param {string} dir */
  function setLang(el, lang, dir) {
    if (lang) el.setAttribute("lang", lang);
    else el.removeAttribute("lang");
    el.setAttribute("dir", dir || "auto");
  }

  const refreshPromptListen = listenButton(/** @type {HTMLButtonElement} */ (byId("prompt-listen")), () => {
    const el = byId("prompt");
    if (!state.round || !el.textContent) return null;
    const starter = byId("starter").hidden ? "" : (byId("starter").querySelector("span")?.textContent || "");
    return { text: starter ? `${el.textContent}\n${starter}` : el.textContent, lang: el.getAttribute("lang") || deps.teacherLang() };
  });
  const refreshTeacherListen = listenButton(/** @type {HTMLButtonElement} */ (byId("teacher-card-listen")), () => {
    const text = byId("teacher-card-text").textContent || "";
    return text ? { text, lang: deps.teacherLang() } : null;
  });
  const spotListen = /** @type {HTMLButtonElement} */ (h("button", { type: "button", class: "secondary small listen", hidden: true }, t("common.listen")));
  // A spotlighted card is a classmate's words: read in the class's language, the best guess.
  const refreshSpotListen = listenButton(spotListen, () => {
    const card = state.spotlight;
    return card && card.text ? { text: card.text, lang: deps.teacherLang() } : null;
  });

  // ---------- the form ----------

  function visibility() {
    const checked = /** @type {HTMLInputElement | null} */ (document.querySelector('input[name="visibility"]:checked'));
    return checked && checked.value === "class" ? "class" : "teacher";
  }

  function syncSpotlightBox() {
    const box = /** @type {HTMLInputElement} */ (byId("spotlight-ok"));
    const cls = visibility() === "class";
    box.disabled = !cls;
    if (!cls) box.checked = false;
  }

  function updateCount() {
    const text = /** @type {HTMLTextAreaElement} */ (byId("card-text")).value;
    setText("card-count", t("common.char_count", { count: [...text].length, max: 500 }));
  }

  function updateReplyCount() {
    const text = /** @type {HTMLTextAreaElement} */ (byId("my-reply-text")).value;
    setText("my-reply-count", t("common.char_count", { count: [...text].length, max: 1000 }));
  }

  /** @param {string} problem why the chosen photo cannot be used, or "" */
  function setPhotoProblem(problem) {
    state.photoProblem = problem;
    state.photoWaived = false;
    setText("photo-problem-text", problem);
    show("photo-problem", Boolean(problem));
  }

  function clearPhoto() {
    state.file = null;
    state.keptPhotoId = null;
    state.preparing = null;
    setPhotoProblem("");
    if (state.previewUrl) URL.revokeObjectURL(state.previewUrl);
    state.previewUrl = null;
    /** @type {HTMLInputElement} */ (byId("card-photo")).value = "";
    /** @type {HTMLImageElement} */ (byId("photo-preview-img")).removeAttribute("src");
    show("photo-preview", false);
    const draft = memoryDraft;
    if (draft) {
      draft.photo_id = null;
      saveDraft(draft);
    }
  }

  function onPhotoChosen() {
    const input = /** @type {HTMLInputElement} */ (byId("card-photo"));
    const file = input.files && input.files[0];
    if (!file) return;
    if (state.previewUrl) URL.revokeObjectURL(state.previewUrl);
    state.previewUrl = null;
    state.file = null;
    state.keptPhotoId = null;
    setPhotoProblem("");
    show("photo-preview", false);
    if (memoryDraft) {
      memoryDraft.photo_id = null; // a new file: upload it again
      saveDraft(memoryDraft);
    }
    sayForm(t("round.photo_preparing"));
    // Phone photos are large: shrink here (longest side 1600 px, JPEG, upright) so they post.
    const job = shrinkPhoto(file).then((blob) => {
      if (state.preparing !== job) return; // another photo was chosen meanwhile
      if (blob.size > MAX_PHOTO_BYTES) throw new Error(t("round.photo_too_big"));
      state.file = new File([blob], "photo.jpg", { type: "image/jpeg" });
      state.previewUrl = URL.createObjectURL(blob);
      /** @type {HTMLImageElement} */ (byId("photo-preview-img")).src = state.previewUrl;
      show("photo-preview", true);
      sayForm("");
    }).catch((/** @type {Error} */ err) => {
      if (state.preparing !== job) return;
      setPhotoProblem(err.message);
      sayForm("");
    }).finally(() => {
      if (state.preparing === job) state.preparing = null;
    });
    state.preparing = job;
  }

  /** Upload the chosen photo once; returns its id (or null when there is none). */
  async function uploadPhoto() {
    if (!state.file || state.photoWaived) return state.keptPhotoId;
    if (memoryDraft && memoryDraft.photo_id) return memoryDraft.photo_id;
    const form = new FormData();
    form.append("photo", state.file, state.file.name || "photo");
    let response;
    try {
      response = await fetch(`/api/classes/${encodeURIComponent(deps.classId())}/photos`, {
        method: "POST",
        headers: { Authorization: `Bearer ${deps.token()}` },
        body: form,
        credentials: "same-origin",
        cache: "no-store",
      });
    } catch {
      throw new Error(t("round.photo_send_failed"));
    }
    let data = null;
    try {
      data = await response.json();
    } catch {
      data = null;
    }
    if (!response.ok || !data || typeof data.photo_id !== "string") {
      const message = errorText(data && data.error, t("round.photo_upload_failed"));
      throw new PhotoRefused(message);
    }
    if (memoryDraft) {
      memoryDraft.photo_id = data.photo_id;
      saveDraft(memoryDraft);
    }
    return data.photo_id;
  }

  /** Upload the new recording once; returns its id (the kept one, or null, without one). */
  async function uploadVoice() {
    const blob = voice().recording();
    if (!blob) return voice().keptId();
    if (memoryDraft && memoryDraft.audio_id) return memoryDraft.audio_id;
    sayForm(t("voice.uploading"));
    const audioId = await uploadAudio(deps.classId(), deps.token(), blob);
    if (memoryDraft) {
      memoryDraft.audio_id = audioId;
      saveDraft(memoryDraft);
    }
    return audioId;
  }

  /** @param {Event} event */
  async function onSubmit(event) {
    event.preventDefault();
    if (state.busy || !state.round) return;
    if (voice().isRecording()) await voice().finish();
    const area = /** @type {HTMLTextAreaElement} */ (byId("card-text"));
    const text = area.value.trim();
    if ((!text && !voice().has()) || [...text].length > 500) {
      area.setAttribute("aria-invalid", "true");
      sayForm(text ? t("round.too_long", { max: 500 })
        : voice().canRecord() ? t("voice.empty_card") : t("round.write_first"), "error");
      area.focus();
      return;
    }
    area.removeAttribute("aria-invalid");
    if (state.preparing) {
      sayForm(t("round.photo_preparing"));
      await state.preparing;
    }
    if (state.photoProblem && !state.photoWaived) {
      // Never post without the photo the student chose unless they say so.
      sayForm(t("round.photo_blocked"), "error");
      byId("photo-skip").focus();
      return;
    }
    const vis = visibility();
    const spotlightOk = vis === "class" && /** @type {HTMLInputElement} */ (byId("spotlight-ok")).checked;
    const button = /** @type {HTMLButtonElement} */ (byId("card-submit"));
    state.busy = true;
    button.setAttribute("aria-busy", "true");
    try {
      if (state.editing && state.mine) {
        if (state.file || voice().recording()) currentDraft(state.round.id);
        const photoId = await uploadPhoto();
        const audioId = await uploadVoice();
        /** @type {Record<string, any>} */
        const changes = { card_id: state.mine.id, text, visibility: vis, spotlight_ok: spotlightOk };
        if (photoId !== state.mine.photo_id) changes.photo_id = photoId;
        if (audioId !== (state.mine.audio_id || null)) changes.audio_id = audioId;
        sayForm(t("round.saving"));
        const result = await emitAck(deps.socket(), "card.edit", changes);
        state.mine = result.card;
        state.editing = false;
        saveDraft(null);
        memoryDraft = null;
        sayForm("");
        announce(t("round.updated"), "ok");
      } else {
        const draft = currentDraft(state.round.id);
        sayForm(t(state.file ? "round.uploading" : "round.posting"));
        const photoId = await uploadPhoto();
        const audioId = await uploadVoice();
        sayForm(t("round.posting"));
        const result = await emitAck(deps.socket(), "card.submit", {
          client_id: draft.client_id, text, visibility: vis, spotlight_ok: spotlightOk, photo_id: photoId, audio_id: audioId,
        });
        state.mine = result.card;
        saveDraft(null);
        memoryDraft = null;
        sayForm("");
        announce(t(result.card.status === "pending" ? "round.posted_pending" : "round.posted"), "ok");
      }
      area.value = "";
      updateCount();
      clearPhoto();
      voice().clear();
      renderMine();
      byId("my-card").setAttribute("tabindex", "-1");
      byId("my-card").focus();
    } catch (err) {
      // A retry whose first try had in fact been stored (ack lost) can be refused (the photo
      // is already attached, or "already posted"): look for our card before showing an error.
      if (!state.editing && await adoptStoredCard()) return;
      if (err instanceof PhotoRefused) setPhotoProblem(err.message);
      sayForm(/** @type {Error} */ (err).message, "error");
      if (err instanceof AudioRefused) byId("voice-record").focus();
    } finally {
      state.busy = false;
      button.removeAttribute("aria-busy");
    }
  }

  /** Fetch a fresh snapshot; if it holds our card for this round, show it. */
  async function adoptStoredCard() {
    try {
      const result = await emitAck(deps.socket(), "snapshot.get", {});
      const snap = result && result.snapshot;
      const round = state.round;
      const card = snap && round ? (snap.cards || []).find((/** @type {Card} */ c) => c.student_id === deps.me() && c.round_id === round.id) : null;
      if (!card) return false;
      state.mine = card;
      state.cards.set(card.id, card);
      saveDraft(null);
      memoryDraft = null;
      sayForm("");
      /** @type {HTMLTextAreaElement} */ (byId("card-text")).value = "";
      updateCount();
      clearPhoto();
      voice().clear();
      renderMine();
      announce(t("round.posted"), "ok");
      return true;
    } catch {
      return false;
    }
  }

  function startEdit() {
    const card = state.mine;
    if (!card) return;
    state.editing = true;
    /** @type {HTMLTextAreaElement} */ (byId("card-text")).value = card.text;
    updateCount();
    for (const radio of /** @type {NodeListOf<HTMLInputElement>} */ (document.querySelectorAll('input[name="visibility"]'))) {
      radio.checked = radio.value === card.visibility;
    }
    syncSpotlightBox();
    /** @type {HTMLInputElement} */ (byId("spotlight-ok")).checked = card.visibility === "class" && card.spotlight_ok;
    clearPhoto();
    state.keptPhotoId = card.photo_id;
    voice().keep(card.audio_id || null, voices.load);
    setText("card-submit", t("round.save"));
    show("edit-cancel", true);
    renderMine();
    byId("card-text").focus();
  }

  function stopEdit() {
    state.editing = false;
    clearPhoto();
    voice().clear();
    /** @type {HTMLTextAreaElement} */ (byId("card-text")).value = "";
    updateCount();
    setText("card-submit", t("round.post"));
    show("edit-cancel", false);
    renderMine();
    byId("card-edit").focus();
  }

  async function withdraw() {
    const card = state.mine;
    if (!card) return;
    try {
      await emitAck(deps.socket(), "card.withdraw", { card_id: card.id });
      state.cards.delete(card.id);
      state.mine = null;
      state.thread = [];
      renderMine();
      renderClassmates();
      announce(t("round.withdrawn"), "ok");
      byId("card-text").focus();
    } catch (err) {
      announce(/** @type {Error} */ (err).message, "error");
    }
  }

  const replyIds = retryIds(); // a reply sent again after a failure keeps its id

  /** @param {Event} event */
  async function onReply(event) {
    event.preventDefault();
    const area = /** @type {HTMLTextAreaElement} */ (byId("my-reply-text"));
    const text = area.value.trim();
    if (!text || !state.mine) {
      area.focus();
      return;
    }
    try {
      const clientId = replyIds.idFor(state.mine.id, text);
      const result = await emitAck(deps.socket(), "reply.send", { card_id: state.mine.id, text, client_id: clientId });
      replyIds.done(state.mine.id);
      addReply(result.reply);
      area.value = "";
      updateReplyCount();
      rememberReply();
    } catch (err) {
      announce(/** @type {Error} */ (err).message, "error");
    }
  }

  /** @param {Reply} reply */
  function addReply(reply) {
    if (!reply || state.thread.some((r) => r.id === reply.id)) return;
    state.thread.push(reply);
    state.thread.sort((a, b) => a.at - b.at);
    renderThread();
  }

  // ---------- incoming ----------

  /**
   * @param {Round | null} round
   * @param {boolean} [live] a change happening now (not a snapshot after connecting)
   */
  function applyRound(round, live = true) {
    const changed = (state.round?.id || null) !== (round?.id || null);
    const wasOpen = state.round?.status === "open";
    if (round) clock.sync(round.server_time);
    if (changed) {
      state.cards = new Map();
      state.mine = null;
      state.thread = [];
      state.myReactions = new Map();
      state.editing = false;
      state.takenDown = false;
    }
    state.round = round;
    if (round && round.id !== state.formRound) loadForm(round.id);
    const host = round && round.host_card;
    if (host && !host.skipped && (host.text || host.audio_id) && !about.some((c) => c.posted_at === host.posted_at && c.text === host.text)) {
      renderAbout([{ text: host.text, prompt: round.prompt, author_role: host.author_role, posted_at: host.posted_at, audio_id: host.audio_id }, ...about]);
    }
    if (round && round.status === "closed" && state.editing) {
      state.editing = false;
      setText("card-submit", t("round.post"));
      show("edit-cancel", false);
    }
    renderRound();
    renderClassmates();
    if (round && round.status === "open" && (!wasOpen || changed)) {
      const say = t("round.opened_say");
      if (live) attention(byId("round-open"), { say, title: t("round.opened_title") });
      else announce(say);
    }
    if (live && round && round.status === "closed" && wasOpen && !changed) {
      attention(byId("round-open"), { say: t("round.closed_say"), title: t("round.closed_title") });
    }
  }

  /** @param {Card} card */
  function upsert(card) {
    if (!state.round || card.round_id !== state.round.id) return;
    const old = state.cards.get(card.id);
    const merged = { ...old, ...card };
    state.cards.set(card.id, merged);
    if (card.student_id === deps.me()) {
      // Posted (here or on another device): no draft left to keep.
      storeDraft(card.round_id, null);
      if (memoryDraft && memoryDraft.round_id === card.round_id) memoryDraft = null;
      state.takenDown = false;
      const wasPending = state.mine?.status === "pending";
      state.mine = merged;
      if (!state.editing) renderMine();
      if (wasPending && merged.status === "visible") announce(t("round.approved"), "ok");
    }
    renderClassmates();
  }

  /** @param {string} cardId */
  function remove(cardId) {
    state.cards.delete(cardId);
    if (state.mine && state.mine.id === cardId) {
      state.mine = null;
      state.thread = [];
      state.editing = false;
      state.takenDown = true;
      renderMine();
      announce(t("round.taken_down"));
    }
    renderClassmates();
  }

  return {
    /** @param {any} snap */
    snapshot(snap) {
      state.round = null;
      applyRound(snap.round || null, false);
      for (const card of snap.cards || []) upsert(card);
      state.thread = [];
      for (const reply of snap.replies || []) addReply(reply);
      state.spotlight = snap.spotlight || null;
      renderMine();
      renderClassmates();
      renderSpotlight();
      renderAbout(snap.about_teacher);
    },
    /** @param {any} s */
    wireSocket(s) {
      s.on("round.updated", (/** @type {{round: Round}} */ msg) => msg && msg.round && applyRound(msg.round));
      s.on("card.added", (/** @type {{card: Card}} */ msg) => msg && msg.card && upsert(msg.card));
      s.on("card.updated", (/** @type {{card: Card}} */ msg) => msg && msg.card && upsert(msg.card));
      s.on("card.removed", (/** @type {{card_id: string}} */ msg) => msg && remove(msg.card_id));
      s.on("spotlight", (/** @type {{card: Card | null}} */ msg) => {
        const before = state.spotlight?.id;
        state.spotlight = msg ? msg.card : null;
        renderSpotlight();
        if (state.spotlight && state.spotlight.id !== before) {
          attention(byId("spotlight-view"), {
            say: state.spotlight.student_id === deps.me() ? t("round.your_spotlight") : t("round.in_spotlight_say", { name: state.spotlight.author }),
            title: t("round.spotlight_title"),
          });
        }
      });
      s.on("reactions", (/** @type {{card_id: string, counts: Record<string, number>}} */ msg) => {
        const card = state.cards.get(msg.card_id);
        if (card) card.reactions = msg.counts || {};
        if (state.spotlight && state.spotlight.id === msg.card_id) state.spotlight.reactions = msg.counts || {};
        renderClassmates();
        renderSpotlight();
      });
      s.on("reply", (/** @type {{reply: Reply}} */ msg) => {
        if (!msg || !msg.reply || !state.mine || msg.reply.card_id !== state.mine.id) return;
        addReply(msg.reply);
        if (msg.reply.from === "teacher") announce(t("round.replied"));
      });
    },
    wireControls() {
      byId("prompt-original-toggle").addEventListener("click", () => {
        showOriginal = !showOriginal;
        if (state.round) renderPrompt(state.round);
      });
      // Everything built here in JS, again in the language just chosen; what the student
      // typed stays in the fields.
      onLanguageChange(() => {
        announce("");
        updateCount();
        updateReplyCount();
        setText("card-submit", t(state.editing ? "round.save" : "round.post"));
        renderRound();
        renderMine();
        renderClassmates();
        renderSpotlight();
        renderAbout(about);
      });
      byId("card-form").addEventListener("submit", onSubmit);
      byId("card-text").addEventListener("input", () => {
        updateCount();
        rememberForm();
      });
      for (const radio of document.querySelectorAll('input[name="visibility"]')) {
        radio.addEventListener("change", () => {
          syncSpotlightBox();
          rememberForm();
        });
      }
      byId("spotlight-ok").addEventListener("change", rememberForm);
      byId("card-photo").addEventListener("change", onPhotoChosen);
      byId("photo-skip").addEventListener("click", () => {
        state.photoWaived = true;
        show("photo-problem", false);
        /** @type {HTMLFormElement} */ (byId("card-form")).requestSubmit();
      });
      byId("photo-again").addEventListener("click", () => {
        clearPhoto();
        byId("card-photo").focus();
        byId("card-photo").click();
      });
      byId("my-reply-text").addEventListener("input", () => {
        updateReplyCount();
        rememberReply();
      });
      byId("photo-remove").addEventListener("click", () => {
        clearPhoto();
        byId("card-photo").focus();
      });
      byId("card-edit").addEventListener("click", startEdit);
      byId("edit-cancel").addEventListener("click", stopEdit);
      byId("card-withdraw").addEventListener("click", () => {
        show("card-withdraw", false);
        show("card-withdraw-yes", true);
        byId("card-withdraw-yes").focus();
      });
      byId("card-withdraw-yes").addEventListener("click", withdraw);
      byId("my-reply-form").addEventListener("submit", onReply);
      syncSpotlightBox();
    },
  };
}
