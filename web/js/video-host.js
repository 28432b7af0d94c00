// The video call on the teacher's / co-host's "Breakout rooms" tab, only when the server has
// a platform configured (snapshot.video): Jitsi Meet embedded and driven by Rapport,
// BigBlueButton's meeting created with the rotation's rooms, or Zoom's room names and steps.
// With nothing configured this module adds nothing to the page.
import { api } from "./api.js";
import { byId, h, replace, setText, show } from "./dom.js";
import { onLanguageChange, t, tParts } from "./i18n.js";
import { normaliseName, openJitsi, roomName } from "./video-jitsi.js";

/**
 * @typedef {import("./video-jitsi.js").StaffRotation} StaffRotation
 * @typedef {import("./video-jitsi.js").Report} Report
 * @typedef {{platform: "jitsi" | "bbb" | "zoom", origin?: string, domain?: string,
 *   room?: string, no_ssl?: boolean, jwt?: string | null, display_name?: string}} StaffVideo
 */

const PLATFORM_NAMES = { jitsi: "Jitsi Meet", bbb: "BigBlueButton", zoom: "Zoom" };

/**
 * @param {{
 *   key: () => string,
 *   cls: () => ({id: string} | null),
 *   students: () => {id: string, name: string}[],
 *   say: (text: string, kind?: "info" | "error" | "ok") => void,
 * }} deps
 */
export function createVideoHost(deps) {
  /** @type {StaffVideo | null} */
  let video = null;
  /** @type {StaffRotation | null} */
  let rotation = null;
  /** @type {Awaited<ReturnType<typeof openJitsi>> | null} */
  let jitsi = null;
  /** @type {Report | null} */
  let report = null;
  /** The status line's message, kept so that a language switch can say it again. @type {(() => string) | null} */
  let statusText = null;

  /** @param {(() => string) | null} message */
  function setStatus(message) {
    statusText = message;
    setText("video-status", message ? message() : "");
  }

  const storageKey = () => `rapport.video-matches.${deps.cls()?.id || ""}`;

  /** Manual matches on this device: participant name (normalised) -> student id. */
  function manual() {
    try {
      return /** @type {Record<string, string>} */ (JSON.parse(localStorage.getItem(storageKey()) || "{}"));
    } catch {
      return {};
    }
  }

  /** @param {string} participantName @param {string} studentId */
  function setManual(participantName, studentId) {
    const next = manual();
    if (studentId) next[normaliseName(participantName)] = studentId;
    else delete next[normaliseName(participantName)];
    localStorage.setItem(storageKey(), JSON.stringify(next));
  }

  /** How many rooms the plan ever uses: the rooms to create once in Zoom / BigBlueButton. */
  function roomsNeeded() {
    if (!rotation) return 0;
    return Math.max(0, ...rotation.rotations.map((r) => r.length));
  }

  function card() {
    let el = document.getElementById("video-card");
    if (el) return el;
    el = h("section", { id: "video-card", class: "card video-card", "aria-labelledby": "video-title" },
      h("h2", { id: "video-title" }, t("vhost.title")),
      h("div", { id: "video-body" }));
    byId("panel-rooms").appendChild(el);
    return el;
  }

  // ---- Jitsi Meet ----------------------------------------------------------------------------

  function renderJitsi() {
    const body = byId("video-body");
    if (!document.getElementById("video-open")) {
      replace(body,
        h("p", { class: "muted", "data-i18n": "vhost.jitsi_intro" }, t("vhost.jitsi_intro")),
        h("div", { class: "row" },
          h("button", { type: "button", id: "video-open", on: { click: onOpenJitsi }, "data-i18n": "vhost.open_here" }, t("vhost.open_here")),
          h("button", { type: "button", id: "video-sync", class: "secondary", hidden: true, on: { click: () => jitsi?.syncNow() }, "data-i18n": "vhost.move_now" }, t("vhost.move_now"))),
        h("p", { id: "video-status", class: "status", role: "status", "aria-live": "polite" }),
        // Who could not be moved comes first: the host needs it without scrolling past the call.
        h("div", { id: "video-report", class: "video-report", hidden: true },
          h("h3", { id: "video-problems-title", "data-i18n": "vhost.problems_title" }, t("vhost.problems_title")),
          h("ul", { id: "video-problems", class: "video-list", "aria-labelledby": "video-problems-title" }),
          h("h3", { id: "video-unmatched-title", "data-i18n": "vhost.unmatched_title" }, t("vhost.unmatched_title")),
          h("ul", { id: "video-unmatched", class: "video-list", "aria-labelledby": "video-unmatched-title" })),
        h("div", { id: "video-frame", class: "video-frame", hidden: true }));
    }
    renderReport();
  }

  async function onOpenJitsi() {
    if (!video || jitsi) return;
    const button = /** @type {HTMLButtonElement} */ (byId("video-open"));
    button.disabled = true;
    const domain = video.domain || "";
    setStatus(() => t("vhost.opening", { domain }));
    const frame = byId("video-frame");
    show(frame, true);
    try {
      jitsi = await openJitsi({
        video: /** @type {any} */ (video),
        parent: frame,
        rotation: () => rotation,
        students: () => deps.students(),
        manual,
        onChange: (next) => {
          report = next;
          renderReport();
        },
      });
      show(button, false);
      show("video-sync", true);
      show("video-report", true);
      setStatus(() => t("vhost.joining"));
    } catch (err) {
      button.disabled = false;
      show(frame, false);
      replace(frame);
      const message = /** @type {Error} */ (err).message;
      setStatus(() => message);
      deps.say(/** @type {Error} */ (err).message, "error");
    }
  }

  function renderReport() {
    if (!report || !document.getElementById("video-problems")) return;
    const plan = report.plan;
    const running = rotation && rotation.status === "running";
    let status = report.error ? report.error() : "";
    if (!status) {
      status = t("vhost.in_call", { count: plan ? plan.people.length : 0 });
      if (running && rotation) status += ` ${t("vhost.moves_sent", { rotation: rotation.current + 1, count: report.sent })}`;
    }
    setStatus(null);
    setText("video-status", status);
    replace(byId("video-problems"), report.problems.length
      ? report.problems.map((p) => h("li", null, h("strong", null, p.who), " — ", p.why()))
      : h("li", { class: "muted" }, running ? t("vhost.nobody_stuck") : t("vhost.nothing_yet")));
    const unmatched = plan ? plan.unmatched : [];
    const students = deps.students();
    const matched = new Set(plan ? plan.people.map((p) => p.studentId).filter(Boolean) : []);
    replace(byId("video-unmatched"), unmatched.length
      ? unmatched.map((p) => {
        const label = t("vhost.who_is", { name: p.name || t("vhost.no_name") });
        const select = /** @type {HTMLSelectElement} */ (h("select", { "aria-label": label },
          h("option", { value: "" }, t("vhost.not_student")),
          students.filter((s) => !matched.has(s.id)).map((s) => h("option", { value: s.id }, s.name))));
        select.addEventListener("change", () => {
          setManual(p.name, select.value);
          deps.say(select.value ? t("vhost.matched", { name: p.name, student: select.selectedOptions[0].text }) : "", "ok");
          jitsi?.syncNow();
        });
        return h("li", { class: "video-match" }, h("span", null, p.name || t("vhost.no_name")), select);
      })
      : h("li", { class: "muted" }, t("vhost.all_matched")));
  }

  // ---- BigBlueButton -------------------------------------------------------------------------

  function renderBbb() {
    const body = byId("video-body");
    const n = roomsNeeded();
    const first = rotation && rotation.status === "running" ? rotation.current + 1 : 1;
    if (!document.getElementById("video-bbb-create")) {
      replace(body,
        h("p", { class: "muted", "data-i18n": "vhost.bbb_intro" }, t("vhost.bbb_intro")),
        h("div", { class: "row" },
          h("button", { type: "button", id: "video-bbb-create", on: { click: onCreateBbb } }, t("vhost.bbb_create"))),
        h("p", { id: "video-status", class: "status", role: "status", "aria-live": "polite" }),
        h("p", { id: "video-bbb-link", hidden: true }),
        h("p", { id: "video-rooms", class: "hint" }));
    }
    setText("video-bbb-create", rotation && rotation.status !== "ended" ? t("vhost.bbb_create_rotation", { rotation: first }) : t("vhost.bbb_create"));
    setText("video-rooms", n
      ? t("vhost.bbb_later", { count: n, rooms: n > 1 ? `${roomName(0)} … ${roomName(n - 1)}` : roomName(0) })
      : "");
  }

  async function onCreateBbb() {
    const cls = deps.cls();
    if (!cls) return;
    const button = /** @type {HTMLButtonElement} */ (byId("video-bbb-create"));
    button.disabled = true;
    setStatus(() => t("vhost.bbb_creating"));
    try {
      const made = await api("POST", `/api/classes/${encodeURIComponent(cls.id)}/video/bbb`, { token: deps.key() });
      const link = byId("video-bbb-link");
      replace(link, h("a", { class: "button", href: made.moderator_url, target: "_blank", rel: "noopener noreferrer", "data-i18n": "vhost.bbb_open" }, t("vhost.bbb_open")));
      show(link, true);
      setStatus(made.duplicate
        ? () => t("vhost.bbb_duplicate")
        : made.rooms ? () => t("vhost.bbb_ready_rooms", { count: made.rooms, rotation: made.rotation }) : () => t("vhost.bbb_ready"));
    } catch (err) {
      const message = /** @type {Error} */ (err).message;
      setStatus(() => message);
      deps.say(/** @type {Error} */ (err).message, "error");
    } finally {
      button.disabled = false;
    }
  }

  // ---- Zoom ----------------------------------------------------------------------------------

  function renderZoom() {
    const n = roomsNeeded();
    replace(byId("video-body"),
      h("p", { class: "muted" }, t("vhost.zoom_intro")),
      h("ol", { class: "video-steps" },
        h("li", null, t("vhost.zoom_step_csv")),
        h("li", null, n
          ? tParts("vhost.zoom_step_rooms", {
            rooms: h("strong", { id: "video-zoom-count" }, t("vhost.zoom_room_count", { count: n })),
            names: h("strong", null, n > 1 ? `${roomName(0)} … ${roomName(n - 1)}` : roomName(0)),
          })
          : t("vhost.zoom_step_rooms_any")),
        h("li", null, t("vhost.zoom_step_open"))),
      n ? h("p", { class: "hint" }, t("vhost.zoom_rooms_to_create"), " ", h("span", { id: "video-zoom-rooms" }, Array.from({ length: n }, (_, i) => roomName(i)).join(", "))) : null);
  }

  function render() {
    if (!video) {
      document.getElementById("video-card")?.remove();
      return;
    }
    card();
    setText("video-title", t("vhost.title_platform", { platform: PLATFORM_NAMES[video.platform] || "" }));
    if (video.platform === "jitsi") renderJitsi();
    else if (video.platform === "bbb") renderBbb();
    else renderZoom();
  }

  return {
    /** @param {any} snap */
    snapshot(snap) {
      const next = snap.video || null;
      if (jitsi && (!next || next.platform !== "jitsi")) {
        jitsi.close();
        jitsi = null;
      }
      video = next;
      rotation = snap.rotation || null;
      render();
      jitsi?.rotationChanged();
    },
    /** @param {any} socket */
    wireSocket(socket) {
      // Static lines carry data-i18n (the page relabels them); what is built here is re-rendered.
      onLanguageChange(() => {
        render();
        if (statusText && video) setText("video-status", statusText());
      });
    },
    /**
     * The plan changed (the breakout-room panel applied a whole plan or a change to it).
     * @param {StaffRotation | null} next
     */
    rotationChanged(next) {
      rotation = next;
      if (!video) return;
      if (video.platform === "jitsi") jitsi?.rotationChanged();
      else render();
    },
  };
}
