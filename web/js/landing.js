// Landing page: create a class, or go to the student join page.
import { api } from "./api.js";
import { byId, charCounter, h, replace, show, statusLine } from "./dom.js";
import * as remembered from "./remembered.js";
import { initI18n, languageMenu, onLanguageChange, t } from "./i18n.js";

await initI18n();
languageMenu(/** @type {HTMLSelectElement} */ (byId("lang-menu")));

/** @param {string} raw */
function normaliseCode(raw) {
  return raw.replace(/\s+/g, "").toUpperCase();
}

/**
 * Keep navigation on this origin: use only the path, query and fragment of a server URL.
 * @param {string} url
 */
function sameOriginPath(url) {
  const u = new URL(url, window.location.href);
  return u.pathname + u.search + u.hash;
}

function setUpCreate() {
  const form = /** @type {HTMLFormElement} */ (byId("create-form"));
  const nameInput = /** @type {HTMLInputElement} */ (byId("class-name"));
  const gradeSelect = /** @type {HTMLSelectElement} */ (byId("grade-band"));
  const say = statusLine("create-status");
  const button = /** @type {HTMLButtonElement} */ (form.querySelector("button[type=submit]"));
  charCounter(nameInput, byId("class-name-count"));

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const name = nameInput.value.trim();
    if (!name) {
      nameInput.setAttribute("aria-invalid", "true");
      say(t("landing.need_name"), "error");
      nameInput.focus();
      return;
    }
    nameInput.removeAttribute("aria-invalid");
    button.disabled = true;
    say(t("landing.creating"));
    try {
      const created = await api("POST", "/api/classes", {
        json: { name, grade_band: gradeSelect.value },
      });
      say(t("landing.created"), "ok");
      remembered.remember({ class_id: created.class_id, name: created.name, role: "teacher", key: created.teacher_secret });
      try {
        // The dashboard opens with the "save your teacher link" step for this new class.
        window.sessionStorage.setItem("rapport.save-link", created.class_id);
        // The dashboard shows the co-host link, which only the create answer contains.
        window.sessionStorage.setItem(
          "rapport.cohost",
          JSON.stringify({ class_id: created.class_id, url: created.cohost_url }),
        );
      } catch {
        /* storage unavailable: the teacher can make a new co-host link later */
      }
      window.location.assign(sameOriginPath(created.teacher_url));
    } catch (err) {
      say(/** @type {Error} */ (err).message, "error");
      button.disabled = false;
    }
  });
}

function setUpJoin() {
  const form = /** @type {HTMLFormElement} */ (byId("join-form"));
  const codeInput = /** @type {HTMLInputElement} */ (byId("join-code"));
  const say = statusLine("join-status");

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const code = normaliseCode(codeInput.value);
    if (!code || code.length > 16) {
      codeInput.setAttribute("aria-invalid", "true");
      say(t("landing.need_code"), "error");
      codeInput.focus();
      return;
    }
    codeInput.removeAttribute("aria-invalid");
    window.location.assign(`/j/${encodeURIComponent(code)}`);
  });
}

/** The classes this browser remembers for their teacher or co-host: open or forget each. */
function renderRemembered() {
  const saved = remembered.list();
  replace(byId("my-classes-list"), saved.map((c) => h("li", null,
    h("span", { class: "class-list-name" }, c.name),
    h("span", { class: "pill" }, t(c.role === "teacher" ? "landing.teacher_pill" : "landing.cohost_pill")),
    h("button", { type: "button", class: "small", on: { click: () => remembered.open(c.key) } }, t("landing.open_class", { name: c.name })),
    h("button", {
      type: "button",
      class: "secondary small",
      "aria-label": t("landing.forget_label", { name: c.name }), // the visible words first (WCAG 2.5.3)
      on: {
        click: () => {
          remembered.forget(c.key);
          renderRemembered();
          byId("my-classes-title").focus();
        },
      },
    }, t("landing.forget")))));
  show("my-classes", saved.length > 0);
}

setUpCreate();
setUpJoin();
renderRemembered();
onLanguageChange(renderRemembered);
