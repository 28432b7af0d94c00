// The "Check-ins" tab (teacher only): plan fair one-on-one check-ins, see whether everyone can
// be seen in time, mark meetings done or missed (missed ones are carried forward), export.
import { byId, h, replace, setText, show } from "./dom.js";
import { downloadFile, localZone } from "./download.js";
import { onLanguageChange, t } from "./i18n.js";
import { emitAck } from "./socket.js";

/**
 * @typedef {{kind: string, last_week: number | null, weighted: string[], weight: string | null}} Because
 * @typedef {{slot: number, student_id: string, name: string, why: string, reasons: string[], because?: Because | null}} Slot
 * @typedef {{week: number, student_id: string, slot: number, status: "done" | "missed", at: number}} LogEntry
 * @typedef {{capacity: any, weeks: {week: number, slots: Slot[]}[], meetings: Record<string, number>,
 *   unseen: string[], settings: any, log: LogEntry[], start_week?: number}} Checkins
 */

const WEIGHT_TAGS = ["ELL", "new", "priority"];

/**
 * @param {{
 *   socket: () => any,
 *   key: () => string,
 *   cls: () => ({id: string} | null),
 *   students: () => {id: string, name: string, tags?: string[]}[],
 *   say: (text: string, kind?: "info" | "error" | "ok") => void,
 * }} deps
 */
export function createCheckins(deps) {
  /** @type {Checkins | null} */
  let plan = null;
  let loaded = false;

  /** @param {string} text */
  function formError(text) {
    setText("ci-error", text);
    show("ci-error", Boolean(text));
  }

  /** @param {string} id @param {number} min @param {number} max @param {string} what */
  function readInt(id, min, max, what) {
    const input = /** @type {HTMLInputElement} */ (byId(id));
    const value = Number(input.value);
    if (input.value.trim() === "" || !Number.isInteger(value) || value < min || value > max) {
      input.setAttribute("aria-invalid", "true");
      input.focus();
      throw new Error(t("ci.whole_number", { what, min, max }));
    }
    input.removeAttribute("aria-invalid");
    return value;
  }

  function fillForm() {
    const s = plan?.settings;
    if (!s) return;
    /** @type {HTMLInputElement} */ (byId("ci-slots")).value = String(s.slots_per_week);
    /** @type {HTMLInputElement} */ (byId("ci-minutes")).value = String(s.minutes);
    /** @type {HTMLInputElement} */ (byId("ci-weeks")).value = String(s.weeks);
    for (const tag of WEIGHT_TAGS) {
      const w = s.weights && typeof s.weights[tag] === "number" ? s.weights[tag] : 2;
      /** @type {HTMLInputElement} */ (byId(`ci-w-${tag}`)).value = String(w);
    }
  }

  /** @param {number} week @param {number} slot @param {string} studentId */
  function logFor(week, slot, studentId) {
    if (!plan) return null;
    let found = null;
    for (const entry of plan.log || []) {
      if (entry.week === week && entry.slot === slot && entry.student_id === studentId) found = entry;
    }
    return found;
  }

  /**
   * The capacity's note in the page's language, from the numbers the server sends (its `message`
   * is the same in English, kept for API clients and for a plan stored before these numbers).
   * @param {any} cap
   */
  function capacityNote(cap) {
    if (typeof cap.slots_per_week !== "number" || typeof cap.meeting_minutes !== "number") return cap.message;
    if (!cap.students) return "";
    if (!cap.slots_per_week) return t("ci.cap_add_slots");
    const parts = [t("ci.cap_horizon", { count: cap.horizon_weeks })];
    if (!cap.everyone_seen) parts.push(t("ci.cap_need", { count: cap.slots_needed_per_week }));
    parts.push(t("ci.cap_time", { count: cap.slots_per_week * cap.meeting_minutes }));
    return parts.join(" ");
  }

  function renderCapacity() {
    const cap = plan?.capacity;
    if (!cap) return;
    const yes = Boolean(cap.everyone_seen);
    const headline = cap.students === 0
      ? t("ci.no_students")
      : yes
        ? t("ci.everyone_seen")
        : t("ci.not_everyone_seen");
    const weeks = cap.weeks_to_see_everyone;
    const detail = weeks === null || weeks === undefined
      ? t("ci.weeks_never")
      : t("ci.weeks_detail", { weeks, slots: cap.total_slots, count: cap.students });
    const box = byId("ci-capacity");
    box.dataset.ok = String(yes);
    const unseen = (plan?.unseen || []).map((id) => deps.students().find((s) => s.id === id)?.name || "?");
    replace(box,
      h("p", { class: "capacity-headline" }, headline),
      h("p", null, detail),
      h("p", { class: "muted" }, capacityNote(cap)),
      unseen.length ? h("p", null, h("strong", null, t("ci.not_reached"), " "), unseen.join(", ")) : null);
  }

  function renderFair() {
    const shares = plan?.capacity?.fair_share || [];
    replace(byId("ci-fair"),
      h("caption", { class: "visually-hidden" }, t("ci.fair_caption")),
      h("thead", null, h("tr", null,
        h("th", { scope: "col" }, t("ci.group")),
        h("th", { scope: "col" }, t("ci.weight")),
        h("th", { scope: "col" }, t("ci.students")),
        h("th", { scope: "col" }, t("ci.meetings_each")))),
      h("tbody", null, shares.map((/** @type {any} */ share) => h("tr", null,
        h("th", { scope: "row" }, share.tags && share.tags.length ? share.tags.join(", ") : t("ci.everyone_else")),
        h("td", null, t("ci.times", { weight: share.weight })),
        h("td", null, String(share.students)),
        h("td", null, String(share.meetings_per_student))))));
  }

  /** @param {number} week @param {Slot} slot @param {"done" | "missed"} status */
  async function mark(week, slot, status) {
    try {
      const ack = await emitAck(deps.socket(), "checkins.mark", { week, slot: slot.slot, student_id: slot.student_id, status });
      if (ack.checkins) plan = ack.checkins;
      render();
      deps.say(t(status === "done" ? "ci.marked_done" : "ci.marked_missed", { name: slot.name }), "ok");
      const again = /** @type {HTMLElement | null} */ (document.querySelector(`[data-fkey="ci-${week}-${slot.slot}"]`));
      again?.focus();
    } catch (err) {
      deps.say(/** @type {Error} */ (err).message, "error");
    }
  }

  /**
   * Why this student gets this slot, in the page's language and with the weeks numbered as the
   * page shows them ("Week 1" is the plan's first week); the English `why` for an older plan.
   * @param {Slot} slot @param {number} start
   */
  function why(slot, start) {
    const b = slot.because;
    if (!b) return slot.why;
    const parts = [];
    if (b.kind === "carried") parts.push(t("ci.why_carried"));
    else if (b.kind === "not_seen") parts.push(t("ci.why_not_seen"));
    if (b.weight) parts.push(t("ci.why_weighted", { tags: b.weighted.join("/"), weight: b.weight }));
    if (b.kind === "in_turn") {
      parts.push(b.last_week !== null && b.last_week >= start
        ? t("ci.why_in_turn_week", { week: b.last_week - start + 1 })
        : t("ci.why_in_turn_earlier"));
    }
    return parts.join("; ");
  }

  function renderWeeks() {
    const weeks = plan?.weeks || [];
    const start = weeks.length ? weeks[0].week : 0;
    const blocks = weeks.map((week) => {
      const title = t(week.week === start ? "ci.this_week" : "ci.week", { week: week.week - start + 1 });
      return h("section", { class: "ci-week", "aria-label": title },
        h("h4", null, title),
        week.slots.length
          ? h("ol", { class: "ci-slots" }, week.slots.map((slot) => {
            const done = logFor(week.week, slot.slot, slot.student_id);
            const tags = deps.students().find((s) => s.id === slot.student_id)?.tags || [];
            return h("li", { class: "ci-slot", dataset: { status: done ? done.status : "planned" } },
              h("div", { class: "ci-who" },
                h("span", { class: "ci-name" }, slot.name),
                tags.map((tag) => h("span", { class: "tag" }, tag)),
                h("span", { class: "ci-why muted small" }, why(slot, start))),
              done
                ? h("span", { class: `pill ${done.status}`, tabindex: "-1", dataset: { fkey: `ci-${week.week}-${slot.slot}` } },
                  done.status === "done" ? t("ci.done") : t("ci.missed"))
                : h("span", { class: "row ci-actions" },
                  h("button", { type: "button", class: "small", "aria-label": t("ci.done_label", { name: slot.name, week: title }), on: { click: () => mark(week.week, slot, "done") } }, t("ci.done")),
                  h("button", { type: "button", class: "secondary small", "aria-label": t("ci.missed_label", { name: slot.name, week: title }), on: { click: () => mark(week.week, slot, "missed") } }, t("ci.missed"))));
          }))
          : h("p", { class: "empty" }, t("ci.no_slots")));
    });
    replace(byId("ci-weeks-list"), blocks);
  }

  function render() {
    show("ci-result", Boolean(plan));
    if (!plan) return;
    renderCapacity();
    renderFair();
    renderWeeks();
  }

  /** @param {Event} event */
  async function onPlan(event) {
    event.preventDefault();
    formError("");
    /** @type {Record<string, any>} */
    const payload = {};
    try {
      payload.slots_per_week = readInt("ci-slots", 0, 200, t("ci.field_slots"));
      payload.minutes = readInt("ci-minutes", 5, 60, t("ci.field_minutes"));
      payload.weeks = readInt("ci-weeks", 1, 52, t("ci.field_weeks"));
      /** @type {Record<string, number>} */
      const weights = {};
      for (const tag of WEIGHT_TAGS) weights[tag] = readInt(`ci-w-${tag}`, 1, 5, t("ci.field_weight", { tag }));
      payload.weights = weights;
    } catch (err) {
      formError(/** @type {Error} */ (err).message);
      return;
    }
    try {
      const ack = await emitAck(deps.socket(), "checkins.plan", payload);
      plan = ack.checkins || null;
      render();
      deps.say(t("ci.planned"), "ok");
      byId("ci-capacity").setAttribute("tabindex", "-1");
      byId("ci-capacity").focus();
    } catch (err) {
      formError(/** @type {Error} */ (err).message);
    }
  }

  /** The calendar choices (days, time of day, time zone) as a query string. @param {"csv" | "ics"} fmt */
  function calendarQuery(fmt) {
    const tzInput = /** @type {HTMLInputElement} */ (byId("ci-tz"));
    const params = new URLSearchParams({ tz: tzInput.value.trim() || localZone() });
    if (fmt === "ics") {
      const days = [...document.querySelectorAll("input[name=ci-day]:checked")]
        .map((el) => /** @type {HTMLInputElement} */ (el).value);
      if (!days.length) throw new Error(t("ci.choose_day"));
      params.set("days", days.join(","));
      params.set("time", /** @type {HTMLInputElement} */ (byId("ci-time")).value || "10:00");
    }
    return params.toString();
  }

  /** @param {"csv" | "ics"} fmt */
  async function onExport(fmt) {
    const cls = deps.cls();
    if (!cls) return;
    try {
      const name = await downloadFile(`/api/classes/${encodeURIComponent(cls.id)}/checkins.${fmt}?${calendarQuery(fmt)}`, deps.key(), `checkins.${fmt}`);
      deps.say(t("ci.downloaded", { name }), "ok");
    } catch (err) {
      deps.say(/** @type {Error} */ (err).message, "error");
    }
  }

  return {
    /** Load the current plan (when the tab opens). */
    async load() {
      try {
        const ack = await emitAck(deps.socket(), "checkins.get", {});
        plan = ack.checkins || null;
        if (!loaded) fillForm();
        loaded = true;
        render();
      } catch (err) {
        deps.say(/** @type {Error} */ (err).message, "error");
      }
    },
    studentsChanged() {
      if (plan) render();
    },
    wireControls() {
      /** @type {HTMLInputElement} */ (byId("ci-tz")).value = localZone();
      byId("ci-form").addEventListener("submit", onPlan);
      // The plan is re-rendered in the new language.
      onLanguageChange(() => { if (plan) render(); });
      byId("ci-export-csv").addEventListener("click", () => onExport("csv"));
      byId("ci-export-ics").addEventListener("click", () => onExport("ics"));
    },
  };
}
