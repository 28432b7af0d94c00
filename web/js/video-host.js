// The video call on the teacher's / co-host's "Breakout rooms" tab, only when the server has
// a platform configured (snapshot.video): Jitsi Meet embedded and driven by Rapport,
// BigBlueButton's meeting created with the rotation's rooms, or Zoom's room names and steps.
// With nothing configured this module adds nothing to the page.
import { api } from "./api.js";
import { byId, h, replace, setText, show } from "./dom.js";
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
      h("h2", { id: "video-title" }, "Video call"),
      h("div", { id: "video-body" }));
    byId("panel-rooms").appendChild(el);
    return el;
  }

  // ---- Jitsi Meet ----------------------------------------------------------------------------

  function renderJitsi() {
    const body = byId("video-body");
    if (!document.getElementById("video-open")) {
      replace(body,
        h("p", { class: "muted" }, "Rapport moves each student into their breakout room in the call when a rotation starts or moves on, and brings everyone back to the main room at the end. Students join with the name Rapport gave them."),
        h("div", { class: "row" },
          h("button", { type: "button", id: "video-open", on: { click: onOpenJitsi } }, "Open the video call here"),
          h("button", { type: "button", id: "video-sync", class: "secondary", hidden: true, on: { click: () => jitsi?.syncNow() } }, "Move everyone now")),
        h("p", { id: "video-status", class: "status", role: "status", "aria-live": "polite" }),
        // Who could not be moved comes first: the host needs it without scrolling past the call.
        h("div", { id: "video-report", class: "video-report", hidden: true },
          h("h3", { id: "video-problems-title" }, "Could not be moved"),
          h("ul", { id: "video-problems", class: "video-list", "aria-labelledby": "video-problems-title" }),
          h("h3", { id: "video-unmatched-title" }, "In the call, not matched to a student"),
          h("ul", { id: "video-unmatched", class: "video-list", "aria-labelledby": "video-unmatched-title" })),
        h("div", { id: "video-frame", class: "video-frame", hidden: true }));
    }
    renderReport();
  }

  async function onOpenJitsi() {
    if (!video || jitsi) return;
    const button = /** @type {HTMLButtonElement} */ (byId("video-open"));
    button.disabled = true;
    setText("video-status", `Opening the call on ${video.domain}…`);
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
      setText("video-status", "Joining the call…");
    } catch (err) {
      button.disabled = false;
      show(frame, false);
      replace(frame);
      setText("video-status", /** @type {Error} */ (err).message);
      deps.say(/** @type {Error} */ (err).message, "error");
    }
  }

  function renderReport() {
    if (!report || !document.getElementById("video-problems")) return;
    const plan = report.plan;
    const running = rotation && rotation.status === "running";
    let status = report.error || "";
    if (!status) {
      const inCall = plan ? plan.people.length : 0;
      status = `In the call: ${inCall} ${inCall === 1 ? "person" : "people"} besides you.`;
      if (running && rotation) status += ` Rotation ${rotation.current + 1}: ${report.sent} ${report.sent === 1 ? "move" : "moves"} asked for so far.`;
    }
    setText("video-status", status);
    replace(byId("video-problems"), report.problems.length
      ? report.problems.map((p) => h("li", null, h("strong", null, p.who), " — ", p.why))
      : h("li", { class: "muted" }, running ? "Nobody: everyone matched is on their way." : "Nothing to do until a rotation runs."));
    const unmatched = plan ? plan.unmatched : [];
    const students = deps.students();
    const matched = new Set(plan ? plan.people.map((p) => p.studentId).filter(Boolean) : []);
    replace(byId("video-unmatched"), unmatched.length
      ? unmatched.map((p) => {
        const label = `Who is “${p.name || "(no name)"}”?`;
        const select = /** @type {HTMLSelectElement} */ (h("select", { "aria-label": label },
          h("option", { value: "" }, "Not a student / don't know"),
          students.filter((s) => !matched.has(s.id)).map((s) => h("option", { value: s.id }, s.name))));
        select.addEventListener("change", () => {
          setManual(p.name, select.value);
          deps.say(select.value ? `“${p.name}” is now matched to ${select.selectedOptions[0].text}.` : "", "ok");
          jitsi?.syncNow();
        });
        return h("li", { class: "video-match" }, h("span", null, p.name || "(no name)"), select);
      })
      : h("li", { class: "muted" }, "Everyone in the call is matched."));
  }

  // ---- BigBlueButton -------------------------------------------------------------------------

  function renderBbb() {
    const body = byId("video-body");
    const n = roomsNeeded();
    const first = rotation && rotation.status === "running" ? rotation.current + 1 : 1;
    if (!document.getElementById("video-bbb-create")) {
      replace(body,
        h("p", { class: "muted" }, "BigBlueButton takes the breakout groups only when it creates the meeting. Plan the rotations first, then create the meeting here before the lesson: when you open “Breakout rooms” in BigBlueButton, the rooms are already filled."),
        h("div", { class: "row" },
          h("button", { type: "button", id: "video-bbb-create", on: { click: onCreateBbb } }, "Create the meeting")),
        h("p", { id: "video-status", class: "status", role: "status", "aria-live": "polite" }),
        h("p", { id: "video-bbb-link", hidden: true }),
        h("p", { id: "video-rooms", class: "hint" }));
    }
    setText("video-bbb-create", rotation && rotation.status !== "ended" ? `Create the meeting with rotation ${first}'s rooms` : "Create the meeting");
    setText("video-rooms", n
      ? `Later rotations: in BigBlueButton's breakout dialog make ${n} rooms (${roomName(0)}${n > 1 ? ` … ${roomName(n - 1)}` : ""}) and tick “Allow participants to choose a breakout room”; each student's screen names their room.`
      : "");
  }

  async function onCreateBbb() {
    const cls = deps.cls();
    if (!cls) return;
    const button = /** @type {HTMLButtonElement} */ (byId("video-bbb-create"));
    button.disabled = true;
    setText("video-status", "Creating the meeting…");
    try {
      const made = await api("POST", `/api/classes/${encodeURIComponent(cls.id)}/video/bbb`, { token: deps.key() });
      const link = byId("video-bbb-link");
      replace(link, h("a", { class: "button", href: made.moderator_url, target: "_blank", rel: "noopener noreferrer" }, "Open BigBlueButton as moderator"));
      show(link, true);
      setText("video-status", made.duplicate
        ? "The meeting was already running, so BigBlueButton kept the rooms it was created with. Assign the rooms by hand, or let students choose theirs."
        : made.rooms ? `Meeting ready with ${made.rooms} rooms of rotation ${made.rotation}. Students can now join from their screens.` : "Meeting ready. Students can now join from their screens.");
    } catch (err) {
      setText("video-status", /** @type {Error} */ (err).message);
      deps.say(/** @type {Error} */ (err).message, "error");
    } finally {
      button.disabled = false;
    }
  }

  // ---- Zoom ----------------------------------------------------------------------------------

  function renderZoom() {
    const n = roomsNeeded();
    replace(byId("video-body"),
      h("p", { class: "muted" }, "Zoom cannot be moved by another program, so the steps are as few as Rapport can make them:"),
      h("ol", { class: "video-steps" },
        h("li", null, "Rotation 1: when you schedule the meeting, upload rotation 1's Zoom CSV (button on rotation 1). Students without an e-mail are listed to assign by hand."),
        h("li", null, n
          ? [`In the meeting: Breakout Rooms › create `, h("strong", { id: "video-zoom-count" }, `${n} ${n === 1 ? "room" : "rooms"}`), ` and choose “Let participants choose room”. Zoom names them `, h("strong", null, n > 1 ? `${roomName(0)} … ${roomName(n - 1)}` : roomName(0)), "."]
          : "In the meeting: Breakout Rooms › create the rooms your plan needs and choose “Let participants choose room”."),
        h("li", null, "Open all rooms. Each rotation, every student's screen names their room exactly as Zoom does and says how to join it.")),
      n ? h("p", { class: "hint" }, "Rooms to create: ", h("span", { id: "video-zoom-rooms" }, Array.from({ length: n }, (_, i) => roomName(i)).join(", "))) : null);
  }

  function render() {
    if (!video) {
      document.getElementById("video-card")?.remove();
      return;
    }
    card();
    setText("video-title", `Video call · ${PLATFORM_NAMES[video.platform] || ""}`);
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
      socket.on("rotation.updated", (/** @type {{rotation: StaffRotation | null}} */ msg) => {
        rotation = msg ? msg.rotation : null;
        if (!video) return;
        if (video.platform === "jitsi") jitsi?.rotationChanged();
        else render();
      });
    },
  };
}
