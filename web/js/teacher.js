// Teacher / co-host dashboard.
import { api } from "./api.js";
import { byId, charCounter, h, replace, setText, show, statusLine } from "./dom.js";
import { connect, emitAck, onRefused, reloadOnNewKey, takeStaffKey, watchConnection } from "./socket.js";
import { createRoundHost } from "./round-host.js";
import { createRotationHost } from "./rotation-host.js";
import { createVideoHost } from "./video-host.js";
import { createCheckins } from "./checkins.js";
import { createConnections } from "./connections.js";
import { wireTabs } from "./tabs.js";
import { downloadFile, localZone } from "./download.js";
import * as remembered from "./remembered.js";
import { currentLanguage, initI18n, languageMenu, languageName, onLanguageChange, t } from "./i18n.js";

/**
 * @typedef {{id: string, name: string, grade_band: string, locked: boolean,
 *   join_code?: string, join_url?: string, store_warning?: string, join_warning?: string, network_url?: string,
 *   retention_days?: number, approval_required?: boolean, private_replies?: boolean,
 *   lang?: string}} ClassInfo
 * @typedef {{id: string, name: string, online: boolean, roster_id: string | null, tags?: string[],
 *   lang?: string}} Student
 * @typedef {{role: string, you: any, class: ClassInfo, students?: Student[], roster?: any[]}} Snapshot
 */

/** @type {Record<string, () => string>} */
const GRADE_LABELS = {
  "K-2": () => t("teacher.grades_k_2"),
  "3-5": () => t("teacher.grades_3_5"),
  "6-8": () => t("teacher.grades_6_8"),
  "9-12": () => t("teacher.grades_9_12"),
  adult: () => t("teacher.adults"),
};

const state = {
  /** @type {string} */ key: "",
  /** @type {string} */ role: "",
  /** @type {ClassInfo | null} */ cls: null,
  /** @type {Map<string, Student>} */ students: new Map(),
  /** @type {Map<string, HTMLLIElement>} */ rows: new Map(),
  /** @type {number | null} */ rosterSize: null,
  /** @type {any} */ socket: null,
};

const say = statusLine("status");

const roundHost = createRoundHost({
  socket: () => state.socket,
  key: () => state.key,
  role: () => state.role,
  cls: () => state.cls,
  students: () => [...state.students.values()],
  say,
});

const rotationHost = createRotationHost({
  socket: () => state.socket,
  key: () => state.key,
  cls: () => state.cls,
  students: () => [...state.students.values()],
  say,
  onLive: (running) => show("tab-rooms-live", running),
  onChange: (rotation) => videoHost.rotationChanged(rotation),
  resync: () => refreshSnapshot(),
  isTeacher,
});

const videoHost = createVideoHost({
  key: () => state.key,
  cls: () => state.cls,
  students: () => [...state.students.values()],
  say,
});

const checkins = createCheckins({
  socket: () => state.socket,
  key: () => state.key,
  cls: () => state.cls,
  students: () => [...state.students.values()],
  say,
});

const connections = createConnections({
  socket: () => state.socket,
  say,
});

const tabs = wireTabs(byId("dashboard").querySelector("[role=tablist]"), {
  storageKey: "rapport.tab",
  onShow: (panel) => {
    if (!isTeacher()) return;
    if (panel === "panel-checkins") checkins.load();
    if (panel === "panel-connections") connections.load();
  },
});

// ---------- rendering ----------

function isTeacher() {
  return state.role === "teacher";
}

/** @param {ClassInfo} cls */
function renderClass(cls) {
  state.cls = cls;
  setText("class-name", cls.name);
  document.title = `${cls.name} — Rapport`;
  setText("grade", GRADE_LABELS[cls.grade_band] ? GRADE_LABELS[cls.grade_band]() : cls.grade_band);

  const lockState = byId("lock-state");
  lockState.textContent = t(cls.locked ? "teacher.locked_state" : "teacher.open_state");
  lockState.classList.toggle("locked", cls.locked);
  setText("lock-toggle", t(cls.locked ? "teacher.unlock" : "teacher.lock"));

  const code = cls.join_code || "";
  setText("join-code", code);
  setText("join-link", cls.join_url || "");
  show("copy-link", Boolean(cls.join_url));
  const qr = /** @type {HTMLImageElement} */ (byId("qr"));
  if (code) {
    const src = `/api/qr.svg?code=${encodeURIComponent(code)}`;
    if (qr.getAttribute("src") !== src) qr.src = src;
  }
  show(qr, Boolean(code));

  const networkUrl = cls.network_url || "";
  replace(byId("join-warning"), h("p", null, cls.join_warning || ""), networkUrl
    ? h("button", {
      type: "button",
      class: "small",
      // The key travels in the fragment only, as with every staff link.
      on: { click: () => window.location.assign(`${networkUrl}/teacher#key=${encodeURIComponent(state.key)}`) },
    }, t("teacher.open_dashboard_at", { url: networkUrl }))
    : null);
  show("join-warning", Boolean(cls.join_warning));
  const retention = /** @type {HTMLInputElement} */ (byId("retention-days"));
  if (cls.retention_days && document.activeElement !== retention) retention.value = String(cls.retention_days);
  renderOwnLink();

  const warning = byId("store-warning");
  if (cls.store_warning) {
    replace(warning, h("strong", null, t("teacher.warning"), " "), cls.store_warning);
  }
  show(warning, Boolean(cls.store_warning));
  roundHost.classChanged(cls);
}

function renderRole() {
  setText("role-label", t(isTeacher() ? "teacher.you_teacher" : "teacher.you_cohost"));
  for (const el of document.querySelectorAll("[data-teacher]")) {
    /** @type {HTMLElement} */ (el).hidden = !isTeacher();
  }
  tabs.refresh();
}

/** @param {Student} a @param {Student} b */
function byName(a, b) {
  return a.name.localeCompare(b.name, undefined, { sensitivity: "base" }) || a.id.localeCompare(b.id);
}

/**
 * Build one student row.
 * @param {Student} student
 * @returns {HTMLLIElement}
 */
function buildRow(student) {
  const li = /** @type {HTMLLIElement} */ (h("li", { class: "student", dataset: { id: student.id } }));
  fillRow(li, student);
  return li;
}

/**
 * (Re)fill a row's contents, unless a rename form is open in it.
 * @param {HTMLLIElement} li
 * @param {Student} student
 */
function fillRow(li, student) {
  if (li.querySelector(".rename-form, .rejoin-box")) {
    // Keep the open form; only update the presence text.
    const dot = li.querySelector(".dot");
    if (dot) updateDot(/** @type {HTMLElement} */ (dot), student.online);
    return;
  }
  const dot = h("span", { class: "dot" });
  updateDot(dot, student.online);
  const tags = (student.tags || []).map((tag) => h("span", { class: "tag" }, tag));
  // The language the student reads Rapport in, named in the teacher's language.
  const lang = student.lang && student.lang !== "en"
    ? h("span", { class: "tag lang-tag", lang: currentLanguage(), title: t("teacher.student_language") }, languageName(student.lang)) : null;
  const name = h("span", { class: "student-name", dir: "auto" }, student.name, tags, lang);
  const actions = isTeacher()
    ? h("span", { class: "student-actions" },
      h("button", {
        type: "button",
        class: "secondary small",
        "aria-label": t("teacher.rename_label", { name: student.name }),
        on: { click: () => openRename(student.id) },
      }, t("teacher.rename")),
      h("button", {
        type: "button",
        class: "secondary small",
        "aria-label": t("teacher.new_device_label", { name: student.name }),
        on: { click: () => showRejoinCode(student.id) },
      }, t("teacher.new_device")),
      h("button", {
        type: "button",
        class: "danger small",
        "aria-label": t("teacher.remove_label", { name: student.name }),
        on: { click: () => confirmRemove(student.id) },
      }, t("teacher.remove")))
    : null;
  replace(li, dot, name, actions);
}

/**
 * @param {HTMLElement} dot
 * @param {boolean} online
 */
function updateDot(dot, online) {
  dot.classList.toggle("online", online);
  dot.textContent = t(online ? "teacher.online" : "teacher.offline");
}

/** Put a row at its sorted place without moving rows that are already right. */
function placeRow(/** @type {Student} */ student) {
  const list = byId("students");
  const li = state.rows.get(student.id);
  if (!li) return;
  const sorted = [...state.students.values()].sort(byName);
  const index = sorted.findIndex((s) => s.id === student.id);
  const next = sorted[index + 1] ? state.rows.get(sorted[index + 1].id) : null;
  const prev = sorted[index - 1] ? state.rows.get(sorted[index - 1].id) : null;
  const inPlace = li.parentNode === list
    && li.nextElementSibling === (next || null)
    && li.previousElementSibling === (prev || null);
  if (!inPlace) list.insertBefore(li, next || null);
}

function renderCount() {
  const all = [...state.students.values()];
  const online = all.filter((s) => s.online).length;
  setText("online-count", all.length ? t("teacher.online_count", { count: online, total: all.length }) : "");
  show("no-students", all.length === 0);
}

/** @param {Student[]} students */
function renderAllStudents(students) {
  state.students = new Map(students.map((s) => [s.id, s]));
  state.rows = new Map();
  const sorted = [...state.students.values()].sort(byName);
  const rows = sorted.map((s) => {
    const li = buildRow(s);
    state.rows.set(s.id, li);
    return li;
  });
  replace(byId("students"), rows);
  renderCount();
  roundHost.studentsChanged();
  rotationHost.studentsChanged();
  checkins.studentsChanged();
}

/** @param {Student} student @param {boolean} fresh */
function upsertStudent(student, fresh) {
  const old = state.students.get(student.id);
  state.students.set(student.id, { ...old, ...student });
  const merged = /** @type {Student} */ (state.students.get(student.id));
  let li = state.rows.get(student.id);
  if (li) {
    fillRow(li, merged);
  } else {
    li = buildRow(merged);
    state.rows.set(student.id, li);
    if (fresh) li.classList.add("fresh");
  }
  placeRow(merged);
  renderCount();
  roundHost.studentsChanged();
  rotationHost.studentsChanged();
  checkins.studentsChanged();
}

/** @param {string} id */
function dropStudent(id) {
  const li = state.rows.get(id);
  if (li) {
    if (li.contains(document.activeElement)) byId("students-title").focus();
    li.remove();
  }
  state.rows.delete(id);
  state.students.delete(id);
  renderCount();
  roundHost.studentsChanged();
  rotationHost.studentsChanged();
  checkins.studentsChanged();
}

function renderRoster() {
  const el = byId("roster-count");
  if (state.rosterSize === null) {
    el.textContent = "";
  } else if (state.rosterSize === 0) {
    el.textContent = t("teacher.no_roster");
  } else {
    el.textContent = t("teacher.roster_size", { count: state.rosterSize });
  }
}

/** Show the co-host link (hidden by default: the dashboard may be screen-shared). */
let cohostVisible = false;

function renderCohost() {
  const link = readCohost();
  const linkEl = byId("cohost-link");
  linkEl.textContent = link || "";
  show(linkEl, Boolean(link) && cohostVisible);
  const toggle = byId("cohost-show");
  toggle.textContent = t(cohostVisible ? "teacher.hide_co_host_link" : "teacher.show_co_host_link");
  toggle.setAttribute("aria-expanded", String(cohostVisible));
  show(toggle, Boolean(link));
  show("cohost-copy", Boolean(link));
  show("cohost-none", !link);
}

/** @param {Snapshot} snap */
function renderSnapshot(snap) {
  const tabBefore = tabs.current();
  state.role = snap.role;
  tellStage(snap.class && snap.class.lang);
  byId("kicked").hidden = true;
  renderRole();
  renderClass(snap.class);
  renderAllStudents(snap.students || []);
  state.rosterSize = Array.isArray(snap.roster) ? snap.roster.length : null;
  renderRoster();
  renderCohost();
  show("choose-class", false);
  show("dashboard", true);
  if (!forgotten) remembered.remember({ class_id: snap.class.id, name: snap.class.name, role: snap.role, key: state.key });
  offerSaveLink(snap.class.id);
  roundHost.snapshot(snap);
  rotationHost.snapshot(snap);
  videoHost.snapshot(snap);
  // A fresh snapshot (reconnect, roster import): reload the open teacher-only tab.
  if (isTeacher() && tabs.current() === tabBefore) {
    if (tabBefore === "tab-checkins") checkins.load();
    if (tabBefore === "tab-connections") connections.load();
  }
}

// ---------- co-host link memory (this tab only) ----------

function readCohost() {
  try {
    const raw = window.sessionStorage.getItem("rapport.cohost");
    if (!raw || !state.cls) return "";
    const saved = JSON.parse(raw);
    return saved && saved.class_id === state.cls.id && typeof saved.url === "string" ? saved.url : "";
  } catch {
    return "";
  }
}

/** @param {string} url */
function saveCohost(url) {
  try {
    if (url && state.cls) {
      window.sessionStorage.setItem("rapport.cohost", JSON.stringify({ class_id: state.cls.id, url }));
    } else {
      window.sessionStorage.removeItem("rapport.cohost");
    }
  } catch {
    /* ignore */
  }
}

// ---------- actions ----------

/**
 * Copy text to the clipboard, with a fallback for origins where the Clipboard API is missing.
 * @param {string} text
 * @returns {Promise<boolean>}
 */
async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const area = /** @type {HTMLTextAreaElement} */ (h("textarea", { class: "visually-hidden", readonly: true, "aria-hidden": "true", tabindex: "-1" }));
    area.value = text;
    document.body.appendChild(area);
    const back = /** @type {HTMLElement | null} */ (document.activeElement);
    area.select();
    let ok = false;
    try {
      ok = document.execCommand("copy");
    } catch {
      ok = false;
    }
    area.remove();
    back?.focus();
    return ok;
  }
}

async function onCopyJoinLink() {
  const url = state.cls?.join_url;
  if (!url) return;
  const ok = await copyText(url);
  say(ok ? t("teacher.say_link_copied") : t("teacher.say_copy_failed"), ok ? "ok" : "error");
}

let lockBusy = false;

async function onToggleLock() {
  if (!state.cls || lockBusy) return;
  // Not `disabled`: that would drop keyboard focus from the button.
  const button = byId("lock-toggle");
  lockBusy = true;
  button.setAttribute("aria-busy", "true");
  try {
    const result = await emitAck(state.socket, "class.lock", { locked: !state.cls.locked });
    if (result.class) renderClass({ ...state.cls, ...result.class });
    say(state.cls.locked ? t("teacher.say_locked") : t("teacher.say_unlocked"), "ok");
  } catch (err) {
    say(/** @type {Error} */ (err).message, "error");
  } finally {
    lockBusy = false;
    button.removeAttribute("aria-busy");
  }
}

/** @param {string} id */
function openRename(id) {
  const student = state.students.get(id);
  const li = state.rows.get(id);
  if (!student || !li) return;
  const inputId = `rename-${id}`;
  const input = /** @type {HTMLInputElement} */ (h("input", {
    id: inputId, type: "text", maxlength: 40, required: true, autocomplete: "off",
  }));
  input.value = student.name;
  const close = () => {
    const current = state.students.get(id);
    if (!current) return;
    form.remove();
    fillRow(li, current);
    const again = li.querySelector("button");
    if (again) /** @type {HTMLElement} */ (again).focus();
  };
  const form = h("form", { class: "rename-form", novalidate: true },
    h("div", { class: "field" },
      h("label", { for: inputId }, t("teacher.new_name_label", { name: student.name })),
      input),
    h("button", { type: "submit", class: "small" }, t("teacher.save")),
    h("button", { type: "button", class: "secondary small", on: { click: close } }, t("teacher.cancel")));
  form.addEventListener("keydown", (event) => {
    if (/** @type {KeyboardEvent} */ (event).key === "Escape") {
      event.preventDefault();
      close();
    }
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const name = input.value.trim();
    if (!name || [...name].length > 40) {
      input.setAttribute("aria-invalid", "true");
      say(t("teacher.say_name_length"), "error");
      input.focus();
      return;
    }
    try {
      const result = await emitAck(state.socket, "student.rename", { student_id: id, name });
      form.remove();
      if (result.student) upsertStudent(result.student, false);
      else fillRow(li, /** @type {Student} */ (state.students.get(id)));
      say(t("teacher.say_renamed", { name }), "ok");
      const again = li.querySelector("button");
      if (again) /** @type {HTMLElement} */ (again).focus();
    } catch (err) {
      say(/** @type {Error} */ (err).message, "error");
      input.focus();
    }
  });
  // Replace the action buttons by the form.
  li.querySelector(".student-actions")?.remove();
  li.appendChild(form);
  charCounter(input);
  input.focus();
  input.select();
}

/**
 * "This is the same student": a one-time code that gives this student's seat to their new
 * device (instead of a second seat under a new name). Shown in the row until closed.
 * @param {string} id
 */
async function showRejoinCode(id) {
  const student = state.students.get(id);
  const li = state.rows.get(id);
  if (!student || !li) return;
  let made;
  try {
    made = await emitAck(state.socket, "seat.rejoin_code", { student_id: id });
  } catch (err) {
    say(/** @type {Error} */ (err).message, "error");
    return;
  }
  const close = () => {
    box.remove();
    const current = state.students.get(id);
    if (current) fillRow(li, current);
    /** @type {HTMLElement | null} */ (li.querySelector("button"))?.focus();
  };
  // data-private: hidden while presenting (a code on a shared screen opens the seat).
  const box = h("div", { class: "rejoin-box", role: "group", "aria-label": t("teacher.rejoin_label", { name: student.name }), "data-private": true },
    h("p", { class: "small" }, t("teacher.rejoin_help", { name: student.name })),
    h("strong", { class: "code" }, made.rejoin_code),
    h("button", { type: "button", class: "secondary small", on: { click: close } }, t("teacher.done")));
  li.querySelector(".student-actions")?.remove();
  li.appendChild(box);
  /** @type {HTMLElement} */ (box.querySelector("button")).focus();
}

/** @type {string | null} */
let pendingRemoval = null;

/** @param {string} id */
function confirmRemove(id) {
  const student = state.students.get(id);
  if (!student) return;
  pendingRemoval = id;
  setText("remove-text", t("teacher.remove_text", { name: student.name }));
  /** @type {HTMLDialogElement} */ (byId("remove-dialog")).showModal();
  byId("remove-cancel").focus();
}

async function onRemoveConfirmed() {
  const dialog = /** @type {HTMLDialogElement} */ (byId("remove-dialog"));
  const id = pendingRemoval;
  dialog.close();
  if (!id) return;
  const name = state.students.get(id)?.name || "The student";
  try {
    await emitAck(state.socket, "student.remove", { student_id: id });
    dropStudent(id);
    say(t("teacher.say_removed", { name }), "ok");
  } catch (err) {
    say(/** @type {Error} */ (err).message, "error");
  }
}

/** @param {Event} event */
async function onRosterSubmit(event) {
  event.preventDefault();
  const input = /** @type {HTMLInputElement} */ (byId("roster-file"));
  const file = input.files && input.files[0];
  if (!file || !state.cls) {
    say(t("teacher.say_choose_csv"), "error");
    input.focus();
    return;
  }
  if (file.size > 256 * 1024) {
    say(t("teacher.say_csv_too_big"), "error");
    return;
  }
  say(t("teacher.say_importing"));
  try {
    const text = await file.text();
    const result = await api("POST", `/api/classes/${encodeURIComponent(state.cls.id)}/roster`, {
      body: text, contentType: "text/csv", token: state.key,
    });
    const n = Number(result?.imported) || 0;
    say(t("teacher.say_imported", { count: n }), "ok");
    input.value = "";
    refreshSnapshot();
  } catch (err) {
    say(/** @type {Error} */ (err).message, "error");
  }
}

/**
 * Get a fresh snapshot (after a roster import or a link change the server also sends `resync`).
 * Uses `snapshot.get`; if the server does not know it, reconnecting makes it send one.
 */
async function refreshSnapshot() {
  const socket = state.socket;
  if (!socket || !socket.connected) return;
  try {
    const result = await emitAck(socket, "snapshot.get", {});
    if (result && result.snapshot) renderSnapshot(result.snapshot);
  } catch (err) {
    if (/** @type {any} */ (err).code === "invalid") {
      socket.disconnect();
      socket.connect();
    }
  }
}

async function onCohostRotate() {
  if (!state.cls) return;
  try {
    const result = await api("POST", `/api/classes/${encodeURIComponent(state.cls.id)}/secrets/cohost`, { token: state.key });
    saveCohost(result.url || "");
    renderCohost();
    say(t("teacher.say_cohost_new"), "ok");
  } catch (err) {
    say(/** @type {Error} */ (err).message, "error");
  }
}

async function onCohostRevokeConfirmed() {
  /** @type {HTMLDialogElement} */ (byId("revoke-dialog")).close();
  if (!state.cls) return;
  try {
    await api("DELETE", `/api/classes/${encodeURIComponent(state.cls.id)}/secrets/cohost`, { token: state.key });
    saveCohost("");
    renderCohost();
    say(t("teacher.say_cohost_off"), "ok");
  } catch (err) {
    say(/** @type {Error} */ (err).message, "error");
  }
  byId("cohost-revoke").focus();
}

async function onCohostCopy() {
  const url = readCohost();
  if (!url) return;
  const ok = await copyText(url);
  say(ok ? t("teacher.say_cohost_copied") : t("teacher.say_copy_failed"), ok ? "ok" : "error");
}

/** Open the stage view in a new tab, passing the key in the fragment only at click time. */
function onOpenStage(/** @type {MouseEvent} */ event) {
  event.preventDefault();
  window.open(`/stage#key=${encodeURIComponent(state.key)}`, "_blank", "noopener,noreferrer");
}

// ---------- the teacher's own link: save it, print it, forget it on this device ----------

let forgotten = false;

/** The link that opens this dashboard (the teacher's or co-host's own), from the join link's base. */
function ownLink() {
  const joinUrl = state.cls?.join_url || "";
  const cut = joinUrl.lastIndexOf("/j/");
  const base = cut >= 0 ? joinUrl.slice(0, cut) : window.location.origin;
  return `${base}/teacher#key=${state.key}`;
}

function renderOwnLink() {
  const teacher = isTeacher();
  setText("save-link-title", t(teacher ? "teacher.save_teacher_link_title" : "teacher.save_cohost_link_title"));
  setText("own-link-show", t(teacher ? "teacher.save_teacher_link" : "teacher.save_cohost_link"));
  setText("own-link", state.cls ? ownLink() : "");
}

/** @param {boolean} open */
function showSaveLink(open) {
  show("save-link", open);
  if (open) byId("save-link-title").focus();
}

/** Right after the class was made, show the "save this link" step once. @param {string} classId */
function offerSaveLink(classId) {
  try {
    if (window.sessionStorage.getItem("rapport.save-link") !== classId) return;
    window.sessionStorage.removeItem("rapport.save-link");
  } catch {
    return;
  }
  showSaveLink(true);
}

/** A file name made of the class name's letters and digits. */
function fileStem() {
  const name = (state.cls?.name || "class").normalize("NFKD").replace(/[^A-Za-z0-9]+/g, "-").replace(/^-|-$/g, "").toLowerCase();
  return `rapport-${name || "class"}-${isTeacher() ? "teacher" : "cohost"}-link`;
}

/** @param {string} text */
function escapeHtml(text) {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function onOwnDownload() {
  const link = ownLink();
  const name = escapeHtml(state.cls?.name || "");
  const role = isTeacher() ? "teacher" : "co-host";
  const page = `<!doctype html><meta charset="utf-8"><meta name="referrer" content="no-referrer"><title>Rapport: ${name}</title>
<h1>${name}</h1><p>Your Rapport ${role} link. Keep it private, like a password.</p>
<p><a href="${escapeHtml(link)}">${escapeHtml(link)}</a></p>\n`;
  const url = URL.createObjectURL(new Blob([page], { type: "text/html" }));
  const a = h("a", { href: url, download: `${fileStem()}.html`, hidden: true });
  document.body.appendChild(a);
  /** @type {HTMLAnchorElement} */ (a).click();
  a.remove();
  window.setTimeout(() => URL.revokeObjectURL(url), 60_000);
  say(t("teacher.say_link_file_saved"), "ok");
}

function onOwnPrint() {
  setText("print-class", state.cls?.name || "");
  setText("print-role", isTeacher() ? "Your teacher link:" : "Your co-host link:");
  setText("print-link", ownLink());
  setText("print-code", state.cls?.join_code ? `Students join with the code ${state.cls.join_code}.` : "");
  document.body.classList.add("printing-card");
  window.addEventListener("afterprint", () => document.body.classList.remove("printing-card"), { once: true });
  window.print();
}

function onForgetDevice() {
  forgotten = true;
  remembered.forget(state.key);
  say(t("teacher.say_forgotten"), "ok");
}

// ---------- presenting: nothing private on a shared screen ----------

const PRESENTING_KEY = "rapport.presenting";

function readPresenting() {
  try {
    return window.localStorage.getItem(PRESENTING_KEY) === "on";
  } catch {
    return false;
  }
}

/** @param {boolean} on */
function setPresenting(on) {
  document.body.classList.toggle("presenting", on);
  const toggle = byId("presenting-toggle");
  toggle.setAttribute("aria-pressed", String(on));
  toggle.textContent = t(on ? "teacher.presenting_on" : "teacher.presenting_off");
  show("presenting-note", on);
  if (on) {
    show("save-link", false);
    if (tabs.current() === "tab-checkins" || tabs.current() === "tab-connections") tabs.select("tab-class");
  }
  try {
    if (on) window.localStorage.setItem(PRESENTING_KEY, "on");
    else window.localStorage.removeItem(PRESENTING_KEY);
  } catch {
    /* the mode still holds in this page */
  }
}

// ---------- the class's data: export, retention, deletion ----------

/** @param {"json" | "csv"} format */
async function onClassExport(format) {
  if (!state.cls) return;
  try {
    const path = `/api/classes/${encodeURIComponent(state.cls.id)}/export?format=${format}&tz=${encodeURIComponent(localZone())}`;
    const name = await downloadFile(path, state.key, `class-${state.cls.id}.${format}`);
    say(t("teacher.say_downloaded", { name }), "ok");
  } catch (err) {
    say(/** @type {Error} */ (err).message, "error");
  }
}

/** @param {Event} event */
async function onRetentionSubmit(event) {
  event.preventDefault();
  const input = /** @type {HTMLInputElement} */ (byId("retention-days"));
  const days = Number(input.value);
  if (!Number.isInteger(days) || days < 1 || days > 400) {
    input.setAttribute("aria-invalid", "true");
    say(t("teacher.say_retention_range"), "error");
    input.focus();
    return;
  }
  input.removeAttribute("aria-invalid");
  try {
    const result = await emitAck(state.socket, "class.retention", { retention_days: days });
    if (state.cls) state.cls.retention_days = result.retention_days;
    say(t("teacher.say_retention_set", { count: days }), "ok");
  } catch (err) {
    say(/** @type {Error} */ (err).message, "error");
  }
}

function onDeleteOpen() {
  const input = /** @type {HTMLInputElement} */ (byId("delete-confirm-name"));
  input.value = "";
  input.removeAttribute("aria-invalid");
  /** @type {HTMLDialogElement} */ (byId("delete-dialog")).showModal();
  input.focus();
}

/** @param {Event} event */
async function onDeleteConfirmed(event) {
  event.preventDefault();
  if (!state.cls) return;
  const input = /** @type {HTMLInputElement} */ (byId("delete-confirm-name"));
  if (input.value.trim() !== state.cls.name.trim()) {
    input.setAttribute("aria-invalid", "true");
    say(t("teacher.say_type_class_name"), "error");
    input.focus();
    return;
  }
  try {
    await api("DELETE", `/api/classes/${encodeURIComponent(state.cls.id)}`, { token: state.key });
    /** @type {HTMLDialogElement} */ (byId("delete-dialog")).close();
    forgotten = true;
    remembered.forget(state.key);
    state.socket?.disconnect();
    show("kicked", false);
    fatal(`The class “${state.cls.name}” was deleted, with everything in it.`);
  } catch (err) {
    say(/** @type {Error} */ (err).message, "error");
  }
}

// ---------- wiring ----------

/** @param {string} text */
function fatal(text) {
  setText("fatal-text", text);
  show("fatal", true);
  show("dashboard", false);
}

/** @type {Record<string, () => string>} */
const CONN_TEXT = {
  connecting: () => t("common.conn_connecting"),
  connected: () => t("common.conn_connected"),
  reconnecting: () => t("common.conn_reconnecting"),
  offline: () => t("common.conn_offline"),
};

function wireSocket() {
  const socket = connect({ token: state.key });
  state.socket = socket;
  const conn = byId("conn");
  watchConnection(socket, (s) => {
    conn.dataset.state = s;
    conn.textContent = CONN_TEXT[s]();
  });

  onRefused(socket, {
    onNotAuthorised: () => {
      remembered.forget(state.key);
      fatal(t("teacher.link_gone"));
    },
    onRetrying: () => {
      setText("kicked-text", t("teacher.retrying"));
      show("kicked", true);
    },
  });
  // Sent just before the server closes a socket on purpose (e.g. opened on too many screens).
  let closedMessage = "";
  socket.on("closed", (/** @type {{message?: string}} */ msg) => {
    closedMessage = (msg && msg.message) || "";
  });
  socket.on("disconnect", (/** @type {string} */ reason) => {
    if (reason === "io server disconnect") {
      setText("kicked-text", closedMessage || t("teacher.server_closed"));
      show("kicked", true);
    }
  });

  socket.on("snapshot", (/** @type {Snapshot} */ snap) => renderSnapshot(snap));
  socket.on("class.deleted", () => {
    forgotten = true;
    remembered.forget(state.key);
    show("kicked", false);
    fatal(`The class${state.cls ? ` “${state.cls.name}”` : ""} was deleted, with everything in it.`);
  });
  socket.on("resync", () => refreshSnapshot());
  roundHost.wireSocket(socket);
  rotationHost.wireSocket(socket);
  videoHost.wireSocket(socket);
  socket.on("class.updated", (/** @type {{class: ClassInfo}} */ msg) => {
    if (state.cls && msg && msg.class) renderClass({ ...state.cls, ...msg.class });
  });
  socket.on("presence", (/** @type {{student_id: string, online: boolean}} */ msg) => {
    const student = state.students.get(msg.student_id);
    if (student) upsertStudent({ ...student, online: Boolean(msg.online) }, false);
  });
  socket.on("student.joined", (/** @type {{student: Student}} */ msg) => {
    const isNew = !state.students.has(msg.student.id);
    upsertStudent(msg.student, isNew);
    if (isNew) say(t("teacher.say_joined", { name: msg.student.name }));
  });
  socket.on("student.updated", (/** @type {{student: Student}} */ msg) => upsertStudent(msg.student, false));
  socket.on("student.removed", (/** @type {{student_id: string}} */ msg) => dropStudent(msg.student_id));
}

function wireControls() {
  byId("copy-link").addEventListener("click", onCopyJoinLink);
  byId("lock-toggle").addEventListener("click", onToggleLock);
  byId("roster-form").addEventListener("submit", onRosterSubmit);
  byId("cohost-rotate").addEventListener("click", onCohostRotate);
  byId("cohost-copy").addEventListener("click", onCohostCopy);
  byId("cohost-show").addEventListener("click", () => {
    cohostVisible = !cohostVisible;
    renderCohost();
  });
  byId("cohost-revoke").addEventListener("click", () => {
    /** @type {HTMLDialogElement} */ (byId("revoke-dialog")).showModal();
    byId("revoke-cancel").focus();
  });
  byId("revoke-cancel").addEventListener("click", () => {
    /** @type {HTMLDialogElement} */ (byId("revoke-dialog")).close();
  });
  byId("revoke-confirm").addEventListener("click", onCohostRevokeConfirmed);
  byId("remove-cancel").addEventListener("click", () => {
    /** @type {HTMLDialogElement} */ (byId("remove-dialog")).close();
  });
  byId("remove-confirm").addEventListener("click", onRemoveConfirmed);
  byId("remove-dialog").addEventListener("close", () => {
    const id = pendingRemoval;
    pendingRemoval = null;
    const row = id ? state.rows.get(id) : null;
    const back = row?.querySelector(".danger");
    if (back) /** @type {HTMLElement} */ (back).focus();
  });
  byId("stage-link").addEventListener("click", onOpenStage);
  for (const id of ["custom-text", "rot-message"]) charCounter(/** @type {HTMLInputElement} */ (byId(id)));
  byId("presenting-toggle").addEventListener("click", () => setPresenting(!document.body.classList.contains("presenting")));
  byId("own-link-show").addEventListener("click", () => showSaveLink(byId("save-link").hidden));
  byId("own-done").addEventListener("click", () => {
    showSaveLink(false);
    byId("own-link-show").focus();
  });
  byId("own-copy").addEventListener("click", async () => {
    const ok = await copyText(ownLink());
    say(ok ? t("teacher.say_own_copied") : t("teacher.say_copy_failed"), ok ? "ok" : "error");
  });
  byId("own-download").addEventListener("click", onOwnDownload);
  byId("own-print").addEventListener("click", onOwnPrint);
  byId("forget-device").addEventListener("click", onForgetDevice);
  byId("class-export-json").addEventListener("click", () => onClassExport("json"));
  byId("class-export-csv").addEventListener("click", () => onClassExport("csv"));
  byId("retention-form").addEventListener("submit", onRetentionSubmit);
  byId("class-delete").addEventListener("click", onDeleteOpen);
  byId("delete-form").addEventListener("submit", onDeleteConfirmed);
  byId("delete-cancel").addEventListener("click", () => {
    /** @type {HTMLDialogElement} */ (byId("delete-dialog")).close();
    byId("class-delete").focus();
  });
  roundHost.wireControls();
  rotationHost.wireControls();
  checkins.wireControls();
  connections.wireControls();
  byId("reconnect").addEventListener("click", () => {
    show("kicked", false);
    state.socket?.connect();
  });
}

/**
 * The stage shows the teacher's language: the teacher's page tells the server when it differs
 * (a co-host's choice stays on their device).
 * @param {string | undefined} classLang
 */
function tellStage(classLang) {
  if (state.role !== "teacher" || !state.socket || classLang === currentLanguage()) return;
  emitAck(state.socket, "class.language", { lang: currentLanguage() }).catch(() => {});
}

function main() {
  languageMenu(/** @type {HTMLSelectElement} */ (byId("lang-menu")), () => tellStage(state.cls?.lang));
  onLanguageChange(() => {
    renderAllStudents([...state.students.values()]);
    if (state.cls) renderClass(state.cls);
    if (state.role) renderRole();
    renderRoster();
    const conn = byId("conn");
    if (CONN_TEXT[conn.dataset.state || ""]) conn.textContent = CONN_TEXT[conn.dataset.state || ""]();
    const presenting = document.body.classList.contains("presenting");
    byId("presenting-toggle").textContent = t(presenting ? "teacher.presenting_on" : "teacher.presenting_off");
    renderCohost();
  });
  reloadOnNewKey();
  setPresenting(readPresenting());
  let key = takeStaffKey();
  wireControls();
  if (!key) {
    // A closed tab or a restarted browser: the classes this device remembers.
    const saved = remembered.list();
    if (saved.length === 1) {
      key = saved[0].key;
    } else if (saved.length > 1) {
      byId("conn").hidden = true;
      replace(byId("choose-list"), saved.map((c) => h("li", null,
        h("span", { class: "class-list-name" }, c.name),
        h("span", { class: "pill" }, c.role === "teacher" ? t("landing.teacher_pill") : t("landing.cohost_pill")),
        h("button", { type: "button", class: "small", on: { click: () => remembered.open(c.key) } }, t("teacher.open_class", { name: c.name })))));
      show("choose-class", true);
      return;
    }
  }
  if (!key) {
    byId("conn").hidden = true;
    fatal(t("teacher.needs_link"));
    return;
  }
  state.key = key;
  wireSocket();
}

await initI18n();
main();
