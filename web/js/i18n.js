// The interface in the reader's language. The server sends one language's catalog as JSON
// (GET /api/i18n, built from the gettext files in server/i18n/, docs/TRANSLATING.md); this
// module looks messages up, fills in {placeholders}, picks plural forms and formats numbers
// with the browser's Intl APIs, and sets lang and dir on <html>.
//
// In HTML: data-i18n="key" sets an element's text; data-i18n-aria-label, -placeholder, -alt
// and -title set those attributes. In JS: t("key", {name: "Ana", count: 3}).

const STORE_KEY = "rapport.lang";
const ATTRIBUTES = ["aria-label", "placeholder", "alt", "title"];

/** @typedef {{tag: string, name: string, dir: string}} Language */

const state = {
  lang: "en",
  dir: "ltr",
  /** @type {Record<string, string>} */ messages: {},
  /** @type {Language[]} */ languages: [],
  /** @type {Intl.PluralRules | null} */ plurals: null,
  /** @type {Intl.NumberFormat | null} */ numbers: null,
};
/** @type {Set<() => void>} */
const listeners = new Set();

/** The language chosen on this device, if any. */
export function storedLanguage() {
  try {
    return window.localStorage.getItem(STORE_KEY) || "";
  } catch {
    return "";
  }
}

/** @param {string} tag */
function storeLanguage(tag) {
  try {
    window.localStorage.setItem(STORE_KEY, tag);
  } catch {
    /* storage unavailable: the choice lasts for this page */
  }
}

/** @param {string[]} wanted BCP 47 tags, best first */
async function fetchCatalog(wanted) {
  const query = encodeURIComponent(wanted.filter(Boolean).join(",").slice(0, 200));
  const response = await fetch(`/api/i18n?lang=${query}`, { credentials: "same-origin" });
  if (!response.ok) throw new Error(`catalog: HTTP ${response.status}`);
  return response.json();
}

/** @param {any} catalog */
function adopt(catalog) {
  state.lang = catalog.lang;
  state.dir = catalog.dir === "rtl" ? "rtl" : "ltr";
  state.messages = catalog.messages || {};
  state.languages = catalog.languages || [];
  state.plurals = new Intl.PluralRules(state.lang);
  // "1000" stays "1000" (counters, limits); "10,000" is grouped, in the language's own way.
  state.numbers = new Intl.NumberFormat(state.lang, { useGrouping: "min2" });
  document.documentElement.lang = state.lang;
  document.documentElement.dir = state.dir;
  translatePage();
  for (const listener of listeners) {
    try {
      listener();
    } catch (err) {
      console.error(err); // one page part failing to relabel must not stop the others
    }
  }
}

/**
 * Load the interface language: `prefer` (e.g. the stage's class language), else this device's
 * choice, else the browser's languages. English when the server cannot be reached.
 * @param {{prefer?: string}} [options]
 */
export async function initI18n(options = {}) {
  const wanted = [options.prefer || "", storedLanguage(), ...(navigator.languages || [navigator.language])];
  try {
    adopt(await fetchCatalog(wanted));
  } catch {
    /* the page's own English stays */
  }
}

/**
 * Switch language now (re-renders everything that listens).
 * @param {string} tag
 * @param {{remember?: boolean}} [options] remember on this device (default true)
 * @returns {Promise<boolean>} whether the language changed
 */
export async function setLanguage(tag, options = {}) {
  if (options.remember !== false) storeLanguage(tag);
  if (tag === state.lang) return false;
  adopt(await fetchCatalog([tag]));
  return true;
}

/** @returns {string} the interface language now, e.g. "es" */
export function currentLanguage() {
  return state.lang;
}

/** @returns {Language[]} */
export function languages() {
  return state.languages;
}

/** Call `fn` after every language change (to re-render text built in JS). */
export function onLanguageChange(/** @type {() => void} */ fn) {
  listeners.add(fn);
}

/** @param {number} n */
export function formatNumber(n) {
  return state.numbers ? state.numbers.format(n) : String(n);
}

/** A language's name in the interface language ("es" -> "Spanish"). @param {string} tag */
export function languageName(tag) {
  try {
    return new Intl.DisplayNames([state.lang], { type: "language" }).of(tag) || tag;
  } catch {
    return tag;
  }
}

/** "Ana, Ben and Chi" in the interface language. @param {string[]} names */
export function formatList(names) {
  try {
    return new Intl.ListFormat(state.lang, { style: "long", type: "conjunction" }).format(names);
  } catch {
    return names.join(", ");
  }
}

/**
 * The message for `key`, its plural form chosen by `params.count`, with {placeholders} filled
 * in (numbers formatted for the language). Unknown keys come back as the key itself.
 * @param {string} key
 * @param {Record<string, string | number>} [params]
 */
export function t(key, params = {}) {
  return tParts(key, params).join("");
}

/**
 * A server refusal (`{"code","message","reason"?,"params"?}`) in the page's language: the
 * catalog's wording of its `reason` when there is one, else the server's English `message`,
 * else `fallback`.
 * @param {any} error
 * @param {string} fallback
 * @returns {string}
 */
export function errorText(error, fallback) {
  if (!error || typeof error !== "object") return fallback;
  const params = error.params && typeof error.params === "object" ? error.params : {};
  /** @type {Record<string, () => string>} */
  const worded = {
    photo_too_big: () => t("error.photo_too_big"),
    photo_empty: () => t("error.photo_empty"),
    photo_too_many_pixels: () => t("error.photo_too_many_pixels"),
    photo_not_image: () => t("error.photo_not_image"),
    photo_damaged: () => t("error.photo_damaged"),
    audio_too_big: () => t("error.audio_too_big"),
    audio_empty: () => t("error.audio_empty"),
    audio_not_audio: () => t("error.audio_not_audio"),
    audio_too_long: () => t("error.audio_too_long", { seconds: Number(params.seconds) || 60 }),
    audio_damaged: () => t("error.audio_damaged"),
    plan_size_or_rooms: () => t("error.plan_size_or_rooms"),
    plan_checkin_teacher_only: () => t("error.plan_checkin_teacher_only"),
    plan_checkin_needs_room: () => t("error.plan_checkin_needs_room"),
    plan_cap_needs_rooms: () => t("error.plan_cap_needs_rooms"),
    plan_checkin_and_cap: () => t("error.plan_checkin_and_cap"),
    plan_rotation_running: () => t("error.plan_rotation_running"),
    plan_rotation_started: () => t("error.plan_rotation_started"),
    plan_already_run: () => t("error.plan_already_run"),
    // The planner's own detail (which constraints clash) is still English.
    plan_constraints: () => t("error.plan_constraints", { detail: String(params.detail || "") }),
  };
  const reason = typeof error.reason === "string" ? error.reason : "";
  if (reason && Object.prototype.hasOwnProperty.call(worded, reason)) return worded[reason]();
  return typeof error.message === "string" ? error.message : fallback;
}

/**
 * Like t(), but placeholders may be DOM nodes (e.g. a <bdi> around a name), kept as nodes.
 * @param {string} key
 * @param {Record<string, any>} [params]
 * @returns {(string | Node)[]}
 */
export function tParts(key, params = {}) {
  let template = state.messages[key];
  if (typeof params.count === "number") {
    const category = state.plurals ? state.plurals.select(params.count) : (params.count === 1 ? "one" : "other");
    template = state.messages[`${key}#${category}`] ?? state.messages[`${key}#other`] ?? template;
  }
  if (template === undefined) template = key;
  /** @type {(string | Node)[]} */
  const parts = [];
  let last = 0;
  for (const match of template.matchAll(/\{([a-z_]+)\}/g)) {
    parts.push(template.slice(last, match.index));
    const value = params[match[1]];
    parts.push(value instanceof Node ? value : typeof value === "number" ? formatNumber(value) : String(value ?? match[0]));
    last = (match.index || 0) + match[0].length;
  }
  parts.push(template.slice(last));
  return parts.filter((p) => p !== "");
}

/** Translate every data-i18n element under `root`. @param {ParentNode} [root] */
export function translatePage(root = document) {
  for (const el of /** @type {NodeListOf<HTMLElement>} */ (root.querySelectorAll("[data-i18n]"))) {
    const key = el.dataset.i18n || "";
    if (key in state.messages) el.textContent = t(key);
  }
  for (const attr of ATTRIBUTES) {
    for (const el of root.querySelectorAll(`[data-i18n-${attr}]`)) {
      const key = el.getAttribute(`data-i18n-${attr}`) || "";
      if (key in state.messages) el.setAttribute(attr, t(key));
    }
  }
}

/**
 * Fill a <select> with the shipped languages (each in its own name and script) and switch
 * when the reader picks one; `onChosen` runs after the switch.
 * @param {HTMLSelectElement} select
 * @param {(tag: string) => void} [onChosen]
 */
export function languageMenu(select, onChosen) {
  const fill = () => {
    select.replaceChildren(...state.languages.map((l) => {
      const option = document.createElement("option");
      option.value = l.tag;
      option.lang = l.tag;
      option.dir = l.dir;
      option.textContent = l.name;
      return option;
    }));
    select.value = state.lang;
  };
  fill();
  onLanguageChange(fill);
  select.addEventListener("change", async () => {
    const tag = select.value;
    try {
      await setLanguage(tag);
    } catch {
      select.value = state.lang;
      return;
    }
    if (onChosen) onChosen(tag);
  });
}
