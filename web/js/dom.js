// Tiny DOM helpers. Strings always become text nodes: never HTML.

/**
 * @typedef {string | number | Node | null | undefined | false} Leaf
 * @typedef {Leaf | Leaf[] | Leaf[][]} Child (arrays are flattened)
 */

/**
 * Create an element.
 * attrs: `class`, `hidden`, boolean attributes, `on` (object of event listeners),
 * `dataset` (object), `text`; anything else is set with setAttribute (value converted to string).
 * Children: strings/numbers become text nodes; null/undefined/false are skipped; arrays are flattened.
 * @param {string} tag
 * @param {Record<string, any> | null} [attrs]
 * @param {...(Child | Child[])} children
 * @returns {HTMLElement}
 */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "on") {
      for (const [type, fn] of Object.entries(value)) el.addEventListener(type, fn);
    } else if (key === "dataset") {
      for (const [k, v] of Object.entries(value)) el.dataset[k] = String(v);
    } else if (key === "text") {
      el.textContent = String(value);
    } else if (key === "class") {
      el.className = String(value);
    } else if (value === true) {
      el.setAttribute(key, "");
    } else {
      if (/^on/i.test(key) || key === "style") throw new Error(`h(): attribute ${key} is not allowed`);
      el.setAttribute(key, String(value));
    }
  }
  append(el, children);
  return el;
}

/**
 * Append children (text-only for strings).
 * @param {Node} parent
 * @param {(Child | Child[])[]} children
 */
export function append(parent, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/**
 * Replace all children of `parent`.
 * @param {Element} parent
 * @param {...(Child | Child[])} children
 */
export function replace(parent, ...children) {
  parent.replaceChildren();
  append(parent, children);
}

/**
 * Set the text of an element (by id or element).
 * @param {string | HTMLElement} target
 * @param {string} text
 */
export function setText(target, text) {
  const el = typeof target === "string" ? byId(target) : target;
  el.textContent = text;
}

/**
 * getElementById that throws when the element is missing.
 * @param {string} id
 * @returns {HTMLElement}
 */
export function byId(id) {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} missing`);
  return el;
}

/**
 * Show or hide an element with the `hidden` attribute.
 * @param {string | HTMLElement} target
 * @param {boolean} visible
 */
export function show(target, visible) {
  const el = typeof target === "string" ? byId(target) : target;
  el.hidden = !visible;
}

/**
 * A status line (aria-live region) helper.
 * @param {string | HTMLElement} target
 * @returns {(text: string, kind?: "info" | "error" | "ok") => void}
 */
export function statusLine(target) {
  const el = typeof target === "string" ? byId(target) : target;
  let timer = 0;
  return (text, kind = "info") => {
    el.textContent = text;
    el.dataset.kind = kind;
    window.clearTimeout(timer);
    if (text) {
      timer = window.setTimeout(() => { el.textContent = ""; }, kind === "error" ? 15000 : 6000);
    }
  };
}

let counterIds = 0;

/**
 * Show "n / max" beside a text field with a maxlength, so the limit is visible before anything
 * is refused or cut. Uses `counter` when given, else adds a small hint after the field.
 * @param {HTMLInputElement | HTMLTextAreaElement} field
 * @param {HTMLElement} [counter]
 * @returns {HTMLElement} the counter
 */
export function charCounter(field, counter) {
  const max = Number(field.getAttribute("maxlength")) || 0;
  const el = counter || h("span", { class: "hint count char-count", id: `char-count-${++counterIds}` });
  if (!counter) field.after(el);
  const described = (field.getAttribute("aria-describedby") || "").split(/\s+/).filter(Boolean);
  if (!described.includes(el.id)) field.setAttribute("aria-describedby", [...described, el.id].join(" "));
  const update = () => {
    el.textContent = `${field.value.length} / ${max}`;
    el.classList.toggle("at-limit", field.value.length >= max);
  };
  field.addEventListener("input", update);
  update();
  return el;
}
