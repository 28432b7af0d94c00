// The "Round" panel of the teacher / co-host dashboard: pick a prompt, share first, open,
// watch cards arrive, spotlight, moderate, reply privately, export.
import { onLanguageChange, t } from "./i18n.js";
import { byId, charCounter, h, replace, setText, show } from "./dom.js";
import { countdown, serverClock } from "./clock.js";
import { downloadFile, localZone } from "./download.js";
import { photoLoader } from "./photos.js";
import { audioLoader, uploadAudio, voiceRecorder } from "./voice.js";
import { reactionSummary } from "./reactions.js";
import { emitAck, retryIds } from "./socket.js";

/**
 * @typedef {{id: string, text: string, category: string, depth: string, side?: string,
 *   starter?: string | null, custom?: boolean, helps?: string}} Prompt
 * @typedef {{text: string, author_role: string, skipped: boolean, posted_at: number,
 *   audio_id?: string | null} | null} HostCard
 * @typedef {{id: string, status: "draft" | "open" | "closed", prompt: Prompt, host_card: HostCard,
 *   opened_at: number | null, deadline: number | null, closed_at: number | null,
 *   server_time?: number, answered?: string[], answered_count?: number,
 *   student_count?: number}} Round
 * @typedef {{id: string, round_id: string, student_id: string, author: string, text: string,
 *   visibility: "teacher" | "class", spotlight_ok: boolean, photo_id: string | null,
 *   audio_id?: string | null, status: "visible" | "pending" | "hidden", created_at: number, updated_at: number,
 *   reactions?: Record<string, number>, flagged?: boolean, starred?: boolean,
 *   moderated_at?: number}} Card
 * @typedef {{id: string, card_id: string, round_id: string, student_id: string, from: "teacher" | "student", text: string, at: number}} Reply
 */

/** @type {Record<string, () => string>} */
const DEPTH_LABELS = { light: () => t("teacher.light"), medium: () => t("teacher.medium"), deep: () => t("teacher.deep") };

/**
 * @param {{
 *   socket: () => any,
 *   key: () => string,
 *   role: () => string,
 *   cls: () => ({id: string, grade_band: string, approval_required?: boolean} | null),
 *   students: () => {id: string, name: string}[],
 *   say: (text: string, kind?: "info" | "error" | "ok") => void,
 * }} deps
 */
export function createRoundHost(deps) {
  const clock = serverClock();
  const replyIds = retryIds(); // a reply sent again after a failure keeps its id
  const photos = photoLoader(() => deps.cls()?.id || "", deps.key);
  const voices = audioLoader(() => deps.cls()?.id || "", deps.key);
  const hostVoices = audioLoader(() => deps.cls()?.id || "", deps.key);

  const state = {
    /** @type {Round | null} */ round: null,
    /** @type {Map<string, Card>} */ cards: new Map(),
    /** @type {Map<string, HTMLLIElement>} */ cardEls: new Map(),
    /** @type {Map<string, Reply[]>} */ replies: new Map(),
    /** @type {Card | null} */ spotlight: null,
    /** @type {string[]} */ answered: [],
    /** @type {number | null} */ studentCount: null,
    picking: false,
    /** @type {Record<string, {label: string, side: string, description?: string}>} */ categories: {},
    /** @type {Prompt[]} */ prompts: [],
    /** @type {Prompt | null} */ suggestion: null,
    /** @type {Set<string>} */ used: new Set(),
    promptsLoaded: false,
    gradeTouched: false,
  };

  const isTeacher = () => deps.role() === "teacher";
  const socket = () => deps.socket();

  /**
   * Send an event; report failures in the status line. Resolves to the ack or null.
   * @param {string} event
   * @param {object} payload
   */
  async function send(event, payload) {
    try {
      return await emitAck(socket(), event, payload);
    } catch (err) {
      deps.say(/** @type {Error} */ (err).message, "error");
      return null;
    }
  }

  // ---------- prompt picker ----------

  function fillCategorySelects() {
    const groups = { teacher: [], student: [] };
    for (const [id, cat] of Object.entries(state.categories)) {
      (cat.side === "teacher" ? groups.teacher : groups.student).push([id, cat]);
    }
    /** @param {HTMLSelectElement} select @param {string} first */
    const fill = (select, first) => {
      const keep = select.value;
      replace(select,
        h("option", { value: "" }, first),
        h("optgroup", { label: t("host.you_share") },
          groups.teacher.map(([id, cat]) => h("option", { value: id }, cat.label))),
        h("optgroup", { label: t("host.students_share") },
          groups.student.map(([id, cat]) => h("option", { value: id }, cat.label))));
      select.value = keep;
    };
    fill(/** @type {HTMLSelectElement} */ (byId("f-category")), t("teacher.any_category"));
    fill(/** @type {HTMLSelectElement} */ (byId("custom-category")), t("teacher.not_sure_light_and_fun"));
  }

  /** @param {Prompt} prompt */
  function promptMeta(prompt) {
    const cat = state.categories[prompt.category];
    const bits = [cat ? cat.label : prompt.category, DEPTH_LABELS[prompt.depth] ? DEPTH_LABELS[prompt.depth]() : prompt.depth];
    return bits.filter(Boolean).join(" · ");
  }

  /** @param {Prompt} prompt @param {string} idPrefix */
  function promptItem(prompt, idPrefix) {
    const textId = `${idPrefix}-${prompt.id}`;
    const used = state.used.has(prompt.id);
    return h("li", { class: "prompt-item" },
      h("p", { class: "prompt-text", id: textId }, prompt.text),
      h("p", { class: "muted small" }, promptMeta(prompt), used ? h("span", { class: "tag" }, t("host.used")) : null),
      h("button", {
        type: "button",
        class: "small",
        "aria-describedby": textId,
        on: { click: () => startWith({ prompt_id: prompt.id }) },
      }, t("host.start_with_this")));
  }

  function renderPrompts() {
    const list = byId("prompt-list");
    replace(list, state.prompts.map((p) => promptItem(p, "p")));
    setText("prompt-count", state.promptsLoaded
      ? (state.prompts.length ? t("host.prompt_count", { count: state.prompts.length }) : t("host.no_prompts"))
      : t("host.loading_prompts"));
  }

  function renderSuggestion() {
    const box = byId("suggestion");
    if (!state.suggestion) {
      replace(box, h("p", { class: "muted" }, t("host.no_suggestion")));
    } else {
      replace(box, h("p", { class: "muted small" }, t("host.suggestion")), h("ul", { class: "prompt-list" }, promptItem(state.suggestion, "s")));
    }
  }

  function filterPayload() {
    /** @type {Record<string, any>} */
    const payload = {};
    const category = /** @type {HTMLSelectElement} */ (byId("f-category")).value;
    const depth = /** @type {HTMLSelectElement} */ (byId("f-depth")).value;
    const grade = /** @type {HTMLSelectElement} */ (byId("f-grade")).value;
    if (category) payload.category = category;
    if (depth) payload.depth = depth;
    if (grade) payload.grade_band = grade;
    if (/** @type {HTMLInputElement} */ (byId("f-used")).checked) payload.include_used = true;
    return payload;
  }

  let listSeq = 0;

  async function loadPrompts() {
    if (!socket()?.connected) return null;
    const seq = ++listSeq;
    const result = await send("prompt.list", filterPayload());
    if (!result || seq !== listSeq) return null;
    const hadCategories = Object.keys(state.categories).length > 0;
    state.categories = result.categories || {};
    if (!hadCategories) fillCategorySelects();
    state.prompts = Array.isArray(result.prompts) ? result.prompts : [];
    state.suggestion = result.suggestion || null;
    state.used = new Set(result.used || []);
    state.promptsLoaded = true;
    renderPrompts();
    return result;
  }

  async function onSuggest() {
    const result = await loadPrompts();
    if (!result) return;
    renderSuggestion();
    show("suggestion", true);
  }

  /** @param {object} payload */
  async function startWith(payload) {
    const result = await send("round.start", payload);
    if (result && result.round) {
      state.picking = false;
      applyRound(result.round);
      deps.say(t("host.round_started"), "ok");
      byId("host-card-text").focus();
    }
  }

  /** @param {Event} event */
  async function onCustomSubmit(event) {
    event.preventDefault();
    const input = /** @type {HTMLTextAreaElement} */ (byId("custom-text"));
    const text = input.value.trim();
    if ([...text].length < 3 || [...text].length > 200) {
      input.setAttribute("aria-invalid", "true");
      deps.say(t("host.say_prompt_length"), "error");
      input.focus();
      return;
    }
    input.removeAttribute("aria-invalid");
    /** @type {Record<string, string>} */
    const payload = { custom_text: text };
    const category = /** @type {HTMLSelectElement} */ (byId("custom-category")).value;
    if (category) payload.category = category;
    await startWith(payload);
    if (state.round && state.round.status === "draft") input.value = "";
  }

  // ---------- round state ----------

  function showPicker() {
    const cls = deps.cls();
    const grade = /** @type {HTMLSelectElement} */ (byId("f-grade"));
    if (cls && !state.gradeTouched) grade.value = cls.grade_band;
    show("round-picker", true);
    show("round-draft", false);
    show("round-live", false);
    setText("round-state", t("host.no_round"));
    if (!state.promptsLoaded) renderPrompts();
    loadPrompts();
  }

  /** @param {HostCard} card */
  function hostCardText(card) {
    if (!card) return "";
    if (card.skipped) return t(card.author_role === deps.role() ? "host.you_skipped" : "host.skipped");
    if (card.author_role === deps.role()) {
      return card.text ? t("host.you_shared", { text: card.text }) : t("host.you_shared_voice");
    }
    if (card.author_role === "cohost") {
      return card.text ? t("host.cohost_shared", { text: card.text }) : t("host.cohost_shared_voice");
    }
    return card.text ? t("host.teacher_shared", { text: card.text }) : t("host.teacher_shared_voice");
  }

  /** The host's own spoken answer, if any, under its text. @param {string} where @param {any} card */
  function hostVoice(where, card) {
    const audioId = card && !card.skipped ? card.audio_id : null;
    replace(byId(where), audioId ? hostVoices.player(audioId, t("voice.from_teacher")) : null);
  }

  /** @type {ReturnType<typeof voiceRecorder> | null} */
  let recorderField = null;
  /** The recorder in the "share your answer first" form (built on first use). */
  function recorder() {
    if (!recorderField) recorderField = voiceRecorder(byId("voice-field"), { say: deps.say, changed: () => {} });
    return recorderField;
  }

  function renderRound() {
    const round = state.round;
    if (!round || state.picking) {
      showPicker();
      return;
    }
    show("round-picker", false);
    const draft = round.status === "draft";
    show("round-draft", draft);
    show("round-live", !draft);
    setText("round-state", round.status === "draft" ? t("host.state_draft") : round.status === "open" ? t("host.state_open")
      : round.status === "closed" ? t("host.state_closed") : round.status);
    if (draft) {
      setText("draft-prompt", round.prompt.text);
      const shared = Boolean(round.host_card);
      show("host-card-form", !shared);
      show("host-card-done", shared);
      setText("host-card-shown", hostCardText(round.host_card));
      hostVoice("host-card-voice", round.host_card);
      return;
    }
    setText("live-prompt", round.prompt.text);
    setText("live-host-card", hostCardText(round.host_card));
    show("live-host-card", Boolean(round.host_card));
    hostVoice("live-host-voice", round.host_card);
    const open = round.status === "open";
    show("round-extend", open && Boolean(round.deadline));
    show("round-close", open);
    show("round-closed-text", !open);
    show("round-again", !open);
    tickCountdown();
    renderAnswered();
    renderSpotlight();
    renderAllCards();
  }

  /**
   * @param {Round} round
   */
  function applyRound(round) {
    const changed = !state.round || state.round.id !== round.id;
    clock.sync(round.server_time);
    if (changed) {
      state.cards = new Map();
      state.replies = new Map();
      state.cardEls = new Map();
      state.spotlight = null;
      replace(byId("card-grid"));
      photos.prune([]);
      voices.prune([]);
    }
    state.round = round;
    // Acks of round.* events carry `answered: []` and `student_count: null` (server quirk):
    // only a round with a real student_count has a meaningful `answered` list.
    if (typeof round.student_count === "number") {
      state.studentCount = round.student_count;
      if (Array.isArray(round.answered)) state.answered = round.answered;
    } else if (changed) {
      state.answered = [];
    }
    renderRound();
  }

  const tickCountdown = countdown(byId("countdown"), clock,
    () => (state.round && state.round.status === "open" ? state.round.deadline : null));

  // ---------- answered ----------

  function renderAnswered() {
    const students = deps.students();
    const done = new Set(state.answered);
    const total = students.length || state.studentCount || 0;
    const count = students.length ? students.filter((s) => done.has(s.id)).length : done.size;
    setText("answered-count", t("stage.answered", { count, total }));
    const missing = students.filter((s) => !done.has(s.id))
      .sort((a, b) => a.name.localeCompare(b.name, undefined, { sensitivity: "base" }));
    replace(byId("not-answered"), missing.map((s) => h("li", null, s.name)));
    show("not-answered-box", missing.length > 0);
    const summary = byId("not-answered-box").querySelector("summary");
    if (summary) summary.textContent = t("host.not_answered", { count: missing.length });
  }

  // ---------- cards ----------

  /** @param {Card} card */
  function spotlightable(card) {
    return card.visibility === "class" && card.spotlight_ok && card.status === "visible";
  }

  function orderedCards() {
    return [...state.cards.values()].sort((a, b) => (a.created_at - b.created_at) || a.id.localeCompare(b.id));
  }

  /** @param {Card} card */
  function cardBody(card) {
    const badges = [];
    if (card.visibility === "teacher") badges.push(h("span", { class: "badge private" }, t("host.just_for_you")));
    if (card.status === "pending") badges.push(h("span", { class: "badge pending" }, t("host.pending")));
    if (card.flagged) badges.push(h("span", { class: "badge flagged" }, t("host.flagged")));
    if (card.status === "hidden") badges.push(h("span", { class: "badge hidden-badge" }, t("host.hidden")));
    if (card.starred) badges.push(h("span", { class: "badge starred" }, t("host.starred")));
    if (state.spotlight && state.spotlight.id === card.id) badges.push(h("span", { class: "badge spot" }, t("round.in_spotlight")));

    const canSeePhoto = card.photo_id && (isTeacher() || card.status !== "hidden");
    const photo = canSeePhoto ? photos.img(/** @type {string} */ (card.photo_id), t("common.photo_from", { name: card.author })) : null;
    const canHear = card.audio_id && (isTeacher() || card.status !== "hidden");
    const voice = canHear ? voices.player(/** @type {string} */ (card.audio_id), t("voice.from", { name: card.author })) : null;

    const actions = [];
    const name = card.author;
    if (spotlightable(card)) {
      const on = state.spotlight?.id === card.id;
      actions.push(h("button", {
        type: "button", class: on ? "small" : "secondary small", dataset: { action: "spotlight" },
        "aria-pressed": on ? "true" : "false", "aria-label": t("host.spotlight_label", { name }),
        on: { click: () => setSpotlight(on ? null : card.id) },
        // One name in both states (aria-pressed says which); the visible word stays in it.
      }, t("teacher.spotlight")));
    }
    if (card.status === "pending") {
      actions.push(h("button", {
        type: "button", class: "small", dataset: { action: "approve" }, "aria-label": t("host.approve_label", { name }),
        on: { click: () => send("card.approve", { card_id: card.id }).then(upsertFromAck) },
      }, t("host.approve")));
    }
    if (isTeacher() || card.visibility === "class") {
      const hidden = card.status === "hidden";
      actions.push(h("button", {
        type: "button", class: hidden ? "secondary small" : "danger small", dataset: { action: "hide" },
        "aria-label": t(hidden ? "host.unhide_label" : "host.hide_label", { name }),
        on: { click: () => send("card.hide", { card_id: card.id, hidden: !hidden }).then(upsertFromAck) },
      }, t(hidden ? "host.unhide" : "host.hide")));
    }
    if (isTeacher()) {
      actions.push(h("button", {
        type: "button", class: "secondary small", dataset: { action: "star" },
        "aria-pressed": card.starred ? "true" : "false", "aria-label": t("host.star_label", { name }),
        on: { click: () => send("card.star", { card_id: card.id, starred: !card.starred }).then(upsertFromAck) },
      }, t(card.starred ? "host.starred_button" : "host.star")));
    }

    return h("div", { class: "card-body" },
      h("p", { class: "card-author" }, card.author),
      badges.length ? h("p", { class: "badges" }, badges) : null,
      card.text ? h("p", { class: "card-text" }, card.text) : null,
      voice,
      photo,
      reactionSummary(card.reactions),
      actions.length ? h("div", { class: "row card-actions" }, actions) : null);
  }

  /** @param {string} cardId */
  function threadEl(cardId) {
    const li = state.cardEls.get(cardId);
    return li ? /** @type {HTMLElement | null} */ (li.querySelector(".thread")) : null;
  }

  /** @param {Card} card */
  function buildThread(card) {
    const inputId = `reply-${card.id}`;
    const input = /** @type {HTMLTextAreaElement} */ (h("textarea", { id: inputId, maxlength: 1000, rows: 2 }));
    const form = h("form", { class: "reply-form", novalidate: true },
      h("label", { for: inputId }, t("host.reply_to", { name: card.author })),
      input,
      h("button", { type: "submit", class: "small" }, t("host.send_privately")));
    charCounter(input);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const text = input.value.trim();
      if (!text) {
        input.focus();
        return;
      }
      const result = await send("reply.send", { card_id: card.id, text, client_id: replyIds.idFor(card.id, text) });
      if (result && result.reply) {
        replyIds.done(card.id);
        addReply(result.reply);
        input.value = "";
        deps.say(t("host.reply_sent"), "ok");
      }
    });
    const details = h("details", { class: "thread" },
      h("summary", null, t("host.reply_privately")),
      h("ul", { class: "thread-list", "aria-live": "polite" }),
      form);
    return details;
  }

  /** @param {string} cardId */
  function renderThread(cardId) {
    const el = threadEl(cardId);
    if (!el) return;
    const list = /** @type {HTMLElement} */ (el.querySelector(".thread-list"));
    const card = state.cards.get(cardId);
    const items = (state.replies.get(cardId) || []).map((r) => h("li", { class: `reply from-${r.from}` },
      h("span", { class: "reply-from" }, r.from === "teacher" ? t("round.from_you") : (card ? card.author : t("teacher.student"))), ": ", r.text));
    replace(list, items);
    const summary = el.querySelector("summary");
    if (summary) summary.textContent = items.length ? t("host.thread", { count: items.length }) : t("host.reply_privately");
  }

  /** @param {Card} card */
  function renderCard(card) {
    let li = state.cardEls.get(card.id);
    const fresh = !li;
    if (!li) {
      li = /** @type {HTMLLIElement} */ (h("li", { class: "round-card", dataset: { id: card.id } },
        h("div", { class: "card-body" })));
      if (isTeacher()) li.appendChild(buildThread(card));
      state.cardEls.set(card.id, li);
    }
    li.dataset.status = card.status;
    li.dataset.visibility = card.visibility;
    const old = /** @type {HTMLElement} */ (li.querySelector(".card-body"));
    const active = /** @type {HTMLElement | null} */ (document.activeElement);
    const focusAction = active && old.contains(active) ? active.dataset.action : null;
    const body = cardBody(card);
    old.replaceWith(body);
    if (focusAction) {
      const again = /** @type {HTMLElement | null} */ (body.querySelector(`[data-action="${focusAction}"]`));
      (again || /** @type {HTMLElement} */ (li.querySelector("button")) || byId("cards-title")).focus();
    }
    if (fresh) {
      const grid = byId("card-grid");
      const ordered = orderedCards();
      const next = ordered.slice(ordered.findIndex((c) => c.id === card.id) + 1)
        .map((c) => state.cardEls.get(c.id)).find((el) => el && el.parentNode === grid);
      grid.insertBefore(li, next || null);
      renderThread(card.id);
    }
  }

  function renderAllCards() {
    for (const card of orderedCards()) renderCard(card);
    show("no-cards", state.cards.size === 0);
    renderSpotlight();
  }

  /** @param {Card} card */
  function upsertCard(card) {
    if (!state.round || card.round_id !== state.round.id) return;
    const old = state.cards.get(card.id);
    state.cards.set(card.id, { ...old, ...card });
    renderCard(/** @type {Card} */ (state.cards.get(card.id)));
    show("no-cards", false);
    // While presenting, a "just for you" card is not on the screen: neither is who sent one.
    const hidden = card.visibility === "teacher" && document.body.classList.contains("presenting");
    if (!old && !hidden) deps.say(t("host.new_card", { name: card.author }));
    renderSpotlight();
  }

  /** @param {any} result */
  function upsertFromAck(result) {
    if (result && result.card) upsertCard(result.card);
  }

  /** @param {string} cardId */
  function removeCard(cardId) {
    const li = state.cardEls.get(cardId);
    if (li) {
      if (li.contains(document.activeElement)) byId("cards-title").focus();
      li.remove();
    }
    state.cardEls.delete(cardId);
    state.cards.delete(cardId);
    photos.prune([...state.cards.values()].map((c) => c.photo_id).filter(Boolean));
    voices.prune([...state.cards.values()].map((c) => c.audio_id).filter(Boolean));
    show("no-cards", state.cards.size === 0);
    renderSpotlight();
  }

  /** @param {Reply} reply */
  function addReply(reply) {
    const list = state.replies.get(reply.card_id) || [];
    if (list.some((r) => r.id === reply.id)) return;
    list.push(reply);
    list.sort((a, b) => a.at - b.at);
    state.replies.set(reply.card_id, list);
    renderThread(reply.card_id);
  }

  // ---------- spotlight ----------

  /** @param {string | null} cardId */
  async function setSpotlight(cardId) {
    const result = await send("spotlight.set", { card_id: cardId });
    if (result) applySpotlight(result.card || null);
  }

  /** @param {Card | null} card */
  function applySpotlight(card) {
    const before = state.spotlight?.id;
    state.spotlight = card;
    if (card && state.cards.has(card.id)) {
      const known = /** @type {Card} */ (state.cards.get(card.id));
      known.reactions = card.reactions || known.reactions;
    }
    for (const id of [before, card?.id]) {
      const known = id ? state.cards.get(id) : null;
      if (known) renderCard(known);
    }
    renderSpotlight();
  }

  function renderSpotlight() {
    const eligible = orderedCards().filter(spotlightable);
    const current = state.spotlight;
    setText("spot-current", current ? `${current.author}: ${current.text}` : t(eligible.length ? "host.nothing_spotlit" : "host.none_spotlightable"));
    const many = eligible.length > 0;
    /** @type {HTMLButtonElement} */ (byId("spot-next")).disabled = !many;
    /** @type {HTMLButtonElement} */ (byId("spot-prev")).disabled = !many;
    /** @type {HTMLButtonElement} */ (byId("spot-clear")).disabled = !current;
  }

  /** @param {1 | -1} step */
  function cycle(step) {
    const eligible = orderedCards().filter(spotlightable);
    if (!eligible.length) return;
    const at = state.spotlight ? eligible.findIndex((c) => c.id === state.spotlight?.id) : -1;
    let next;
    if (at < 0) next = step > 0 ? 0 : eligible.length - 1;
    else next = (at + step + eligible.length) % eligible.length;
    setSpotlight(eligible[next].id);
  }

  // ---------- export ----------

  /** @param {"json" | "csv"} format */
  async function exportRound(format) {
    const cls = deps.cls();
    const round = state.round;
    if (!cls || !round) return;
    try {
      const path = `/api/classes/${encodeURIComponent(cls.id)}/rounds/${encodeURIComponent(round.id)}/export?format=${format}&tz=${encodeURIComponent(localZone())}`;
      await downloadFile(path, deps.key(), `round-${round.id}.${format}`);
      deps.say(t("host.exported", { format: format.toUpperCase() }), "ok");
    } catch (err) {
      deps.say(/** @type {Error} */ (err).message, "error");
    }
  }

  // ---------- wiring ----------

  function wireControls() {
    for (const id of ["f-category", "f-depth", "f-grade", "f-used"]) {
      byId(id).addEventListener("change", () => {
        if (id === "f-grade") state.gradeTouched = true;
        show("suggestion", false);
        loadPrompts();
      });
    }
    byId("prompt-filters").addEventListener("submit", (e) => e.preventDefault());
    byId("suggest").addEventListener("click", onSuggest);
    byId("custom-form").addEventListener("submit", onCustomSubmit);

    const hostText = /** @type {HTMLTextAreaElement} */ (byId("host-card-text"));
    hostText.addEventListener("input", () => setText("host-card-count", `${[...hostText.value].length} / 500`));
    recorder(); // the "Record my answer" button beside the written answer
    byId("host-card-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      if (recorder().isRecording()) await recorder().finish();
      const text = hostText.value.trim();
      if (!text && !recorder().has()) {
        hostText.setAttribute("aria-invalid", "true");
        deps.say(t("host.write_or_skip"), "error");
        hostText.focus();
        return;
      }
      hostText.removeAttribute("aria-invalid");
      /** @type {Record<string, any>} */
      const body = { text };
      const blob = recorder().recording();
      if (blob) {
        try {
          deps.say(t("voice.uploading"));
          body.audio_id = await uploadAudio(deps.cls()?.id || "", deps.key(), blob);
        } catch (err) {
          deps.say(/** @type {Error} */ (err).message, "error");
          return;
        }
      }
      const result = await send("round.host_card", body);
      if (result && result.round) {
        recorder().clear();
        hostText.value = "";
        setText("host-card-count", "0 / 500");
        applyRound(result.round);
        byId("timer").focus();
      }
    });
    byId("host-skip").addEventListener("click", async () => {
      const result = await send("round.host_card", { skip: true });
      if (result && result.round) {
        applyRound(result.round);
        byId("timer").focus();
      }
    });
    byId("open-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      const value = /** @type {HTMLSelectElement} */ (byId("timer")).value;
      const result = await send("round.open", { timer_seconds: value ? Number(value) : null });
      if (result && result.round) {
        applyRound(result.round);
        deps.say(t("host.round_open"), "ok");
        byId("round-title").focus();
      }
    });
    byId("round-extend").addEventListener("click", async () => {
      const result = await send("round.extend", { seconds: 60 });
      if (result && result.round) applyRound(result.round);
    });
    byId("round-close").addEventListener("click", async () => {
      const result = await send("round.close", {});
      if (result && result.round) {
        applyRound(result.round);
        byId("round-again").focus();
      }
    });
    byId("draft-change").addEventListener("click", () => {
      state.picking = true;
      renderRound();
      byId("f-category").focus();
    });
    byId("round-again").addEventListener("click", () => {
      state.picking = true;
      renderRound();
      byId("f-category").focus();
    });
    byId("spot-next").addEventListener("click", () => cycle(1));
    byId("spot-prev").addEventListener("click", () => cycle(-1));
    byId("spot-clear").addEventListener("click", () => setSpotlight(null));
    byId("export-json").addEventListener("click", () => exportRound("json"));
    byId("export-csv").addEventListener("click", () => exportRound("csv"));
    const approval = /** @type {HTMLInputElement} */ (byId("approval-toggle"));
    approval.addEventListener("change", async () => {
      const want = approval.checked;
      const result = await send("class.settings", { approval_required: want });
      if (!result) approval.checked = !want;
      else deps.say(t(want ? "host.approval_on" : "host.approval_off"), "ok");
    });
    const staffNames = /** @type {HTMLInputElement} */ (byId("staff-names"));
    byId("staff-names-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      const names = staffNames.value.split(",").map((n) => n.trim()).filter(Boolean);
      if (await send("class.settings", { staff_names: names })) deps.say(t(names.length ? "host.staff_names_saved" : "host.staff_names_cleared"), "ok");
    });
    const privateReplies = /** @type {HTMLInputElement} */ (byId("private-replies-toggle"));
    privateReplies.addEventListener("change", async () => {
      const want = privateReplies.checked;
      const result = await send("class.settings", { private_replies: want });
      if (!result) privateReplies.checked = !want;
      else deps.say(t(want ? "host.replies_on" : "host.replies_off"), "ok");
    });
  }

  /** @param {any} s */
  function wireSocket(s) {
    s.on("round.updated", (/** @type {{round: Round}} */ msg) => {
      if (msg && msg.round) {
        if (!state.round || state.round.id !== msg.round.id) state.picking = false;
        applyRound(msg.round);
      }
    });
    s.on("card.added", (/** @type {{card: Card}} */ msg) => msg && msg.card && upsertCard(msg.card));
    s.on("card.updated", (/** @type {{card: Card}} */ msg) => msg && msg.card && upsertCard(msg.card));
    s.on("card.removed", (/** @type {{card_id: string}} */ msg) => msg && removeCard(msg.card_id));
    s.on("answered", (/** @type {{answered: string[], student_count: number}} */ msg) => {
      state.answered = msg.answered || [];
      state.studentCount = msg.student_count;
      if (state.round && state.round.status !== "draft") renderAnswered();
    });
    s.on("spotlight", (/** @type {{card: Card | null}} */ msg) => applySpotlight(msg ? msg.card : null));
    s.on("reactions", (/** @type {{card_id: string, counts: Record<string, number>}} */ msg) => {
      const card = state.cards.get(msg.card_id);
      if (card) {
        card.reactions = msg.counts || {};
        renderCard(card);
      }
    });
    s.on("reply", (/** @type {{reply: Reply}} */ msg) => {
      if (!msg || !msg.reply) return;
      addReply(msg.reply);
      if (msg.reply.from === "student") {
        const card = state.cards.get(msg.reply.card_id);
        deps.say(card ? t("host.say_reply_answered", { name: card.author }) : t("host.say_reply_answered_someone"));
      }
    });
  }

  // Text built here, again in the language just chosen.
  onLanguageChange(() => {
    if (!deps.cls()) return; // nothing shown yet (the catalog arrives before the snapshot)
    fillCategorySelects();
    renderPrompts();
    renderSuggestion();
    if (state.round) renderRound();
    renderAnswered();
    renderAllCards();
    renderSpotlight();
  });

  return {
    wireControls,
    wireSocket,
    /** @param {any} snap */
    snapshot(snap) {
      state.round = null;
      state.promptsLoaded = false;
      if (snap.round) {
        applyRound(snap.round);
      } else {
        state.cards = new Map();
        state.cardEls = new Map();
        replace(byId("card-grid"));
        renderRound();
      }
      for (const card of snap.cards || []) {
        if (state.round && card.round_id === state.round.id) state.cards.set(card.id, card);
      }
      state.replies = new Map();
      for (const reply of snap.replies || []) {
        const list = state.replies.get(reply.card_id) || [];
        list.push(reply);
        state.replies.set(reply.card_id, list);
      }
      state.spotlight = snap.spotlight || null;
      if (state.round && state.round.status !== "draft") renderAllCards();
      for (const id of state.replies.keys()) renderThread(id);
      photos.prune([...state.cards.values()].map((c) => c.photo_id).filter(Boolean));
      voices.prune([...state.cards.values()].map((c) => c.audio_id).filter(Boolean));
    },
    /** @param {{approval_required?: boolean, private_replies?: boolean, staff_names?: string[]}} cls */
    classChanged(cls) {
      const staffNames = /** @type {HTMLInputElement} */ (byId("staff-names"));
      if (cls.staff_names && document.activeElement !== staffNames) staffNames.value = cls.staff_names.join(", ");
      /** @type {HTMLInputElement} */ (byId("approval-toggle")).checked = Boolean(cls.approval_required);
      /** @type {HTMLInputElement} */ (byId("private-replies-toggle")).checked = cls.private_replies !== false;
      const grade = /** @type {HTMLSelectElement} */ (byId("f-grade"));
      if (!state.gradeTouched && cls && /** @type {any} */ (cls).grade_band) grade.value = /** @type {any} */ (cls).grade_band;
    },
    studentsChanged() {
      if (state.round && state.round.status !== "draft") renderAnswered();
    },
  };
}
