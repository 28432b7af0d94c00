// The "Connections" tab (teacher only): the connection record per student, who has not been
// reached lately, coverage by tag and connections per week (SVG charts with tables/text for
// screen readers), reflection questions, and a private note per student.
import { byId, charCounter, h, replace, setText, show } from "./dom.js";
import { currentLanguage, languageName, onLanguageChange, t } from "./i18n.js";
import { emitAck } from "./socket.js";

/**
 * @typedef {{student_id: string, name: string, tags: string[], cards_shared: number,
 *   times_spotlighted: number, private_exchanges: number, checkins_done: number,
 *   last_private_exchange_ms: number | null, last_checkin_ms: number | null,
 *   last_connection_ms: number | null, days_since_connection: number | null,
 *   language?: string | null}} Entry
 * @typedef {{tag: string, students: number, reached: number, share_reached: number,
 *   never_reached: number, mean_days_since_connection: number | null}} Coverage
 * @typedef {{week_start: string, exchanges: number, checkins: number, spotlights: number, total: number}} Week
 * @typedef {{days: number, now_ms?: number, students: Entry[], not_reached: string[], coverage: Coverage[],
 *   coverage_overall: Coverage, coverage_by_language?: Coverage[], weekly: Week[], reflection_questions: string[],
 *   notes: Record<string, {text: string, at: number}>}} Record_
 */

const SVG = "http://www.w3.org/2000/svg";

/**
 * An SVG element with attributes (never markup from strings).
 * @param {string} tag
 * @param {Record<string, string | number>} [attrs]
 * @param {...(Node | string)} children
 */
function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  for (const child of children) el.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
  return el;
}

/** @param {number | null} ms */
function when(ms) {
  if (typeof ms !== "number") return t("rec.never");
  return new Date(ms).toLocaleDateString(currentLanguage(), { day: "numeric", month: "short" });
}

/**
 * @param {{
 *   socket: () => any,
 *   say: (text: string, kind?: "info" | "error" | "ok") => void,
 * }} deps
 */
export function createConnections(deps) {
  /** @type {Record_ | null} */
  let record = null;
  let sortDir = "desc"; // by days since last connection: "never" first, then most overdue
  /** @type {Set<string>} */
  const openNotes = new Set();

  /** @param {Entry} a @param {Entry} b */
  function compare(a, b) {
    const da = a.days_since_connection === null ? Infinity : a.days_since_connection;
    const db = b.days_since_connection === null ? Infinity : b.days_since_connection;
    const byDays = sortDir === "desc" ? db - da : da - db;
    return (Number.isNaN(byDays) ? 0 : byDays) || a.name.localeCompare(b.name, undefined, { sensitivity: "base" });
  }

  /** @param {Entry} entry */
  function noteEditor(entry) {
    const note = record?.notes?.[entry.student_id];
    const id = `note-${entry.student_id}`;
    const area = /** @type {HTMLTextAreaElement} */ (h("textarea", { id, maxlength: 2000, rows: 3 }));
    area.value = note ? note.text : "";
    const saved = h("span", { class: "muted small", role: "status", "aria-live": "polite" },
      note ? t("rec.saved_on", { date: when(note.at) }) : "");
    const form = h("form", { class: "note-form", novalidate: true },
      h("label", { for: id }, t("rec.note_label", { name: entry.name })),
      area,
      h("div", { class: "row" }, h("button", { type: "submit", class: "small" }, t("record.save_note")), saved));
    charCounter(area);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      try {
        const ack = await emitAck(deps.socket(), "note.set", { student_id: entry.student_id, text: area.value });
        if (record) {
          record.notes = record.notes || {};
          if (ack.note) record.notes[entry.student_id] = ack.note;
          else delete record.notes[entry.student_id];
        }
        saved.textContent = t(ack.note ? "record.note_saved" : "record.note_deleted");
        const preview = document.querySelector(`[data-note-preview="${CSS.escape(entry.student_id)}"]`);
        if (preview) preview.textContent = ack.note ? ack.note.text : "";
      } catch (err) {
        deps.say(/** @type {Error} */ (err).message, "error");
      }
    });
    return form;
  }

  function renderTable() {
    const rec = /** @type {Record_} */ (record);
    const entries = [...rec.students].sort(compare);
    const sortButton = h("button", {
      type: "button", class: "link-button", id: "conn-sort",
      on: {
        click: () => {
          sortDir = sortDir === "desc" ? "asc" : "desc";
          renderTable();
          byId("conn-sort").focus();
        },
      },
    }, t("rec.days_since"), h("span", { class: "visually-hidden" }, " ", t(sortDir === "desc" ? "rec.sorted_overdue" : "rec.sorted_recent")), sortDir === "desc" ? " ▼" : " ▲");
    const rows = entries.map((e) => {
      const noteId = `note-row-${e.student_id}`;
      const open = openNotes.has(e.student_id);
      const note = rec.notes?.[e.student_id];
      const toggle = h("button", {
        type: "button", class: "secondary small", "aria-expanded": String(open), "aria-controls": noteId,
        on: {
          click: () => {
            if (openNotes.has(e.student_id)) openNotes.delete(e.student_id);
            else openNotes.add(e.student_id);
            renderTable();
            const again = document.querySelector(`[aria-controls="${CSS.escape(noteId)}"]`);
            /** @type {HTMLElement | null} */ (again)?.focus();
          },
        },
      }, t(open ? "record.hide_note" : note ? "record.open_note" : "record.add_note"), h("span", { class: "visually-hidden" }, " ", t("record.about", { name: e.name })));
      const days = e.days_since_connection;
      const main = h("tr", { dataset: { days: days === null ? "never" : String(days) } },
        h("th", { scope: "row" }, h("span", { class: "conn-name" }, e.name),
          h("span", { class: "note-preview muted small", dataset: { notePreview: e.student_id } }, note ? note.text : "")),
        h("td", { dataset: { label: t("record.tags") } }, e.tags.length ? e.tags.map((tag) => h("span", { class: "tag" }, tag)) : h("span", { class: "muted" }, "–")),
        h("td", { dataset: { label: t("teacher.language") } }, e.language ? languageName(e.language) : h("span", { class: "muted" }, "–")),
        h("td", { class: "num", dataset: { label: t("record.cards_shared") } }, String(e.cards_shared)),
        h("td", { class: "num", dataset: { label: t("record.times_spotlighted") } }, String(e.times_spotlighted)),
        h("td", { dataset: { label: t("record.last_exchange") } }, when(e.last_private_exchange_ms)),
        h("td", { dataset: { label: t("record.last_checkin") } }, when(e.last_checkin_ms)),
        h("td", { class: `num days${days === null || days > rec.days ? " overdue" : ""}`, dataset: { label: t("record.days_since") } }, days === null ? t("record.never") : String(days)),
        h("td", { class: "note-cell" }, toggle));
      const noteRow = h("tr", { id: noteId, class: "note-row", hidden: !open },
        h("td", { colspan: 9 }, open ? noteEditor(e) : null));
      return [main, noteRow];
    });
    replace(byId("conn-table"),
      h("caption", { class: "visually-hidden" }, t("record.caption")),
      h("thead", null, h("tr", null,
        h("th", { scope: "col" }, t("teacher.student")),
        h("th", { scope: "col" }, t("record.tags")),
        h("th", { scope: "col" }, t("teacher.language")),
        h("th", { scope: "col" }, t("record.cards_shared")),
        h("th", { scope: "col" }, t("record.times_spotlighted")),
        h("th", { scope: "col" }, t("record.last_exchange")),
        h("th", { scope: "col" }, t("record.last_checkin")),
        h("th", { scope: "col", "aria-sort": sortDir === "desc" ? "descending" : "ascending" }, sortButton),
        h("th", { scope: "col" }, t("record.private_note")))),
      h("tbody", null, rows.length ? rows : h("tr", null, h("td", { colspan: 9, class: "empty" }, t("record.no_students")))));
  }

  function renderNotReached() {
    const rec = /** @type {Record_} */ (record);
    setText("conn-not-title", t("rec.not_reached_title", { count: rec.days, students: rec.not_reached.length }));
    const byIdMap = new Map(rec.students.map((e) => [e.student_id, e]));
    const items = rec.not_reached.map((id) => {
      const e = byIdMap.get(id);
      if (!e) return null;
      const days = e.days_since_connection;
      return h("li", null, e.name, " ", h("span", { class: "muted small" }, days === null ? t("rec.never_paren") : t("rec.days_paren", { count: days })));
    });
    replace(byId("conn-not"), items.length ? items : h("li", { class: "empty" }, t("record.everyone_reached")));
  }

  function renderCoverage() {
    const rec = /** @type {Record_} */ (record);
    const rows = [...rec.coverage, { ...rec.coverage_overall, tag: t("rec.all_students") }];
    const overall = rows.length - 1;
    // Bar chart: share reached per tag.
    const barH = 26;
    const gap = 10;
    const labelW = 110;
    const chartW = 260;
    const height = rows.length * (barH + gap) + gap;
    const chart = svg("svg", { viewBox: `0 0 ${labelW + chartW + 60} ${height}`, width: labelW + chartW + 60, height, role: "img", "aria-labelledby": "cov-title", class: "bar-chart" },
      svg("title", { id: "cov-title" }, t("rec.coverage_chart_title", { count: rec.days })));
    rows.forEach((row, i) => {
      const y = gap + i * (barH + gap);
      const w = Math.round(chartW * (Number(row.share_reached) || 0));
      chart.appendChild(svg("text", { x: labelW - 8, y: y + barH * 0.7, "text-anchor": "end", class: "chart-label" }, row.tag));
      chart.appendChild(svg("rect", { x: labelW, y, width: chartW, height: barH, class: "bar-bg", rx: 4 }));
      chart.appendChild(svg("rect", { x: labelW, y, width: Math.max(w, 0), height: barH, class: i === overall ? "bar all" : "bar", rx: 4 }));
      chart.appendChild(svg("text", { x: labelW + chartW + 6, y: y + barH * 0.7, class: "chart-value" }, `${Math.round((row.share_reached || 0) * 100)}%`));
    });
    replace(byId("conn-coverage-chart"), chart);
    replace(byId("conn-coverage"),
      h("caption", { class: "visually-hidden" }, t("teacher.coverage_by_tag")),
      h("thead", null, h("tr", null,
        h("th", { scope: "col" }, t("record.tag")),
        h("th", { scope: "col" }, t("teacher.students")),
        h("th", { scope: "col" }, t("record.reached")),
        h("th", { scope: "col" }, t("record.share")),
        h("th", { scope: "col" }, t("record.never_reached")))),
      h("tbody", null, rows.map((row) => h("tr", null,
        h("th", { scope: "row" }, row.tag),
        h("td", { class: "num" }, String(row.students)),
        h("td", { class: "num" }, String(row.reached)),
        h("td", { class: "num" }, `${Math.round((row.share_reached || 0) * 100)}%`),
        h("td", { class: "num" }, String(row.never_reached))))));
    // Beside it, the same by the language each student reads Rapport in.
    const byLanguage = rec.coverage_by_language || [];
    replace(byId("conn-coverage-lang"),
      h("caption", { class: "visually-hidden" }, t("teacher.coverage_language")),
      h("thead", null, h("tr", null,
        h("th", { scope: "col" }, t("teacher.language")),
        h("th", { scope: "col" }, t("teacher.students")),
        h("th", { scope: "col" }, t("record.reached")),
        h("th", { scope: "col" }, t("record.share")),
        h("th", { scope: "col" }, t("record.never_reached")))),
      h("tbody", null, byLanguage.map((row) => h("tr", { dataset: { lang: row.tag } },
        h("th", { scope: "row" }, row.tag === "unknown" ? t("teacher.language_unknown") : languageName(row.tag)),
        h("td", { class: "num" }, String(row.students)),
        h("td", { class: "num" }, String(row.reached)),
        h("td", { class: "num" }, `${Math.round((row.share_reached || 0) * 100)}%`),
        h("td", { class: "num" }, String(row.never_reached))))));
  }

  function renderWeekly() {
    const rec = /** @type {Record_} */ (record);
    const weeks = rec.weekly.slice(-12);
    const total = weeks.reduce((n, w) => n + w.total, 0);
    const box = byId("conn-weekly-chart");
    if (!weeks.length) {
      setText("conn-weekly-summary", t("record.no_connections"));
      replace(box);
      return;
    }
    const latest = weeks[weeks.length - 1];
    setText("conn-weekly-summary",
      t("rec.weekly_summary", {
        connections: t("rec.n_connections", { count: total }),
        weeks: t("rec.n_weeks", { count: weeks.length }),
        latest: latest.total,
        exchanges: t("rec.n_exchanges", { count: latest.exchanges }),
        checkins: t("rec.n_checkins", { count: latest.checkins }),
        spotlights: t("rec.n_spotlights", { count: latest.spotlights }),
      }));
    const max = Math.max(1, ...weeks.map((w) => w.total));
    const barW = 36;
    const gap = 14;
    const chartH = 140;
    const width = Math.max(weeks.length * (barW + gap) + gap, 120);
    const chart = svg("svg", { viewBox: `0 0 ${width} ${chartH + 40}`, width, height: chartH + 40, role: "img", "aria-labelledby": "wk-title", class: "bar-chart weekly" },
      svg("title", { id: "wk-title" }, t("rec.weekly_chart_title")));
    weeks.forEach((w, i) => {
      const x = gap + i * (barW + gap);
      const bh = Math.round((chartH - 20) * (w.total / max));
      chart.appendChild(svg("rect", { x, y: chartH - bh, width: barW, height: bh, class: "bar", rx: 3 }));
      chart.appendChild(svg("text", { x: x + barW / 2, y: chartH - bh - 4, "text-anchor": "middle", class: "chart-value" }, String(w.total)));
      const d = new Date(`${w.week_start}T00:00:00`);
      const label = Number.isNaN(d.getTime()) ? w.week_start : d.toLocaleDateString(currentLanguage(), { day: "numeric", month: "short" });
      chart.appendChild(svg("text", { x: x + barW / 2, y: chartH + 18, "text-anchor": "middle", class: "chart-label" }, label));
    });
    replace(box, chart);
  }

  /**
   * The server's reflection questions (server/domain/connections.py REFLECTION_QUESTIONS, in
   * English) in the page's language: the catalog holds the same eight, in the same order
   * (tests/unit/test_ui_translations.py keeps them equal); any other list is shown as sent.
   * @param {string[]} questions
   */
  function reflectionQuestions(questions) {
    const worded = [t("conn.reflect_1"), t("conn.reflect_2"), t("conn.reflect_3"), t("conn.reflect_4"),
      t("conn.reflect_5"), t("conn.reflect_6"), t("conn.reflect_7"), t("conn.reflect_8")];
    return questions.length === worded.length ? worded : questions;
  }

  function render() {
    show("conn-body", Boolean(record));
    if (!record) return;
    renderNotReached();
    renderCoverage();
    renderTable();
    renderWeekly();
    replace(byId("conn-questions"), reflectionQuestions(record.reflection_questions).map((q) => h("li", null, q)));
  }

  onLanguageChange(() => { if (record) render(); });

  async function load() {
    const days = Number(/** @type {HTMLSelectElement} */ (byId("conn-days")).value) || 14;
    setText("conn-status", t("record.loading"));
    try {
      const ack = await emitAck(deps.socket(), "record.get", { days });
      record = ack.record || null;
      setText("conn-status", "");
      render();
    } catch (err) {
      setText("conn-status", /** @type {Error} */ (err).message);
    }
  }

  return {
    load,
    wireControls() {
      byId("conn-days").addEventListener("change", load);
    },
  };
}
