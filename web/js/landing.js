// Landing page: create a class, or go to the student join page.
import { api } from "./api.js";
import { byId, statusLine } from "./dom.js";

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

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const name = nameInput.value.trim();
    if (!name) {
      nameInput.setAttribute("aria-invalid", "true");
      say("Please give your class a name.", "error");
      nameInput.focus();
      return;
    }
    nameInput.removeAttribute("aria-invalid");
    button.disabled = true;
    say("Creating your class…");
    try {
      const created = await api("POST", "/api/classes", {
        json: { name, grade_band: gradeSelect.value },
      });
      say("Class created. Opening your dashboard…", "ok");
      try {
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
      say("Please type the class code your teacher gave you.", "error");
      codeInput.focus();
      return;
    }
    codeInput.removeAttribute("aria-invalid");
    window.location.assign(`/j/${encodeURIComponent(code)}`);
  });
}

setUpCreate();
setUpJoin();
