// The "Breakout rooms" tab of the teacher / co-host dashboard: plan rotations (with absent
// students, keep-apart pairs and keep-together groups), adjust the draft by hand, run it live
// (countdown, +1 min, skip, end, message all rooms) and export each rotation.
import { byId, h, replace, setText, show } from "./dom.js";
import { countdown, serverClock } from "./clock.js";
import { authFetch, downloadFile, localZone, openPage } from "./download.js";
import { currentLanguage, formatList, onLanguageChange, t } from "./i18n.js";
import { emitAck } from "./socket.js";

/**
 * @typedef {{id: string, name: string}} Member
 * @typedef {{repeats: number, lower_bound: number | null, max_meetings: number,
 *   first_repeat_rotation: number | null, distinct_partners_min: number,
 *   distinct_partners_mean: number, violations: number, violation_details: string[],
 *   new_pair_share: number, sit_outs_min?: number, sit_outs_max?: number, seconds: number}} Stats
 * @typedef {{id: string, status: "draft" | "running" | "ended", current: number, total: number,
 *   deadline: number | null, server_time: number, settings: any, stats: Stats,
 *   message: {text: string, at: number, from: string} | null, left: string[],
 *   rotations: Member[][][], sitting_out?: Member[][], starters: {kind: string, text: string}[][],
 *   rev: number}} Rotation
 * @typedef {{id: string, base: number, rev: number, server_time: number,
 *   set: Partial<Rotation>, rotations: Record<string, Member[][]>,
 *   starters: Record<string, {kind: string, text: string}[]>}} RotationChange
 */

const STATE_LABELS = /** @type {Record<string, () => string>} */ ({
  draft: () => t("rot.state_draft"),
  running: () => t("rot.state_running"),
  ended: () => t("rot.state_ended"),
});

/**
 * @param {{
 *   socket: () => any,
 *   key: () => string,
 *   cls: () => ({id: string} | null),
 *   students: () => {id: string, name: string, online: boolean}[],
 *   say: (text: string, kind?: "info" | "error" | "ok") => void,
 *   onLive?: (running: boolean) => void,
 *   onChange?: (rotation: Rotation | null) => void,
 *   resync: () => Promise<void>,
 *   isTeacher: () => boolean,
 * }} deps
 */
export function createRotationHost(deps) {
  const clock = serverClock();
  const state = {
    /** @type {Rotation | null} */ rotation: null,
    /** @type {string[][]} */ apart: [],
    /** @type {string[][]} */ together: [],
    /** @type {Set<string>} */ absent: new Set(),
    formOpen: false,
    busy: false,
  };

  const nameOf = (/** @type {string} */ id) => deps.students().find((s) => s.id === id)?.name || t("rot.student_left");

  /**
   * Send an event; report failures in the status line. Resolves to the ack or null.
   * @param {string} event
   * @param {object} payload
   */
  async function send(event, payload) {
    try {
      return await emitAck(deps.socket(), event, payload);
    } catch (err) {
      deps.say(/** @type {Error} */ (err).message, "error");
      return null;
    }
  }

  // ---------- the plan form ----------

  /** @param {{id: string, name: string, online: boolean}[]} list */
  function sorted(list) {
    return [...list].sort((a, b) => a.name.localeCompare(b.name, undefined, { sensitivity: "base" }));
  }

  function renderAbsent() {
    const students = sorted(deps.students());
    for (const id of [...state.absent]) if (!students.some((s) => s.id === id)) state.absent.delete(id);
    const items = students.map((s) => {
      const id = `rot-absent-${s.id}`;
      const input = /** @type {HTMLInputElement} */ (h("input", {
        type: "checkbox", id, disabled: !s.online,
        on: { change: () => (input.checked ? state.absent.add(s.id) : state.absent.delete(s.id)) },
      }));
      input.checked = state.absent.has(s.id) && s.online;
      return h("li", { class: s.online ? "" : "offline" },
        h("label", { class: "check", for: id }, input, " ", s.name,
          s.online ? null : h("span", { class: "tag muted-tag" }, t("rot.offline"))));
    });
    replace(byId("rot-absent"), items.length ? items : h("li", { class: "empty" }, t("rot.no_students")));
  }

  function renderPickers() {
    const students = sorted(deps.students());
    for (const selectId of ["rot-apart-a", "rot-apart-b"]) {
      const select = /** @type {HTMLSelectElement} */ (byId(selectId));
      const keep = select.value;
      replace(select, h("option", { value: "" }, t("rot.choose")), students.map((s) => h("option", { value: s.id }, s.name)));
      select.value = students.some((s) => s.id === keep) ? keep : "";
    }
    const pick = byId("rot-together-pick");
    const checked = new Set([...pick.querySelectorAll("input:checked")].map((i) => /** @type {HTMLInputElement} */ (i).value));
    replace(pick, students.length
      ? students.map((s) => {
        const id = `rot-together-${s.id}`;
        const input = /** @type {HTMLInputElement} */ (h("input", { type: "checkbox", id, value: s.id }));
        input.checked = checked.has(s.id);
        return h("li", null, h("label", { class: "check", for: id }, input, " ", s.name));
      })
      : h("li", { class: "empty" }, t("rot.no_students")));
    renderConstraints();
  }

  function renderConstraints() {
    /** @param {string[][]} groups @param {string} what @param {"apart" | "together"} kind */
    const list = (groups, what, kind) => groups.map((group, index) => {
      const names = group.map(nameOf);
      const text = kind === "apart" ? t("rot.kept_apart", { a: names[0], b: names[1] }) : t("rot.kept_together", { names: names.join(", ") });
      return h("li", null, h("span", null, text), " ",
        h("button", {
          type: "button", class: "secondary small", "aria-label": t("rot.remove_label", { text }),
          on: {
            click: () => {
              groups.splice(index, 1);
              renderConstraints();
              byId(kind === "apart" ? "rot-apart-a" : "rot-together-add").focus();
            },
          },
        }, t("rot.remove")));
    });
    replace(byId("rot-apart-list"), list(state.apart, "pair", "apart"));
    replace(byId("rot-together-list"), list(state.together, "group", "together"));
    setText("rot-apart-count", String(state.apart.length));
    setText("rot-together-count", String(state.together.length));
  }

  function addApart() {
    const a = /** @type {HTMLSelectElement} */ (byId("rot-apart-a")).value;
    const b = /** @type {HTMLSelectElement} */ (byId("rot-apart-b")).value;
    if (!a || !b || a === b) {
      deps.say(t("rot.choose_two"), "error");
      return;
    }
    if (state.apart.some((p) => p.includes(a) && p.includes(b))) {
      deps.say(t("rot.pair_exists"), "error");
      return;
    }
    state.apart.push([a, b]);
    renderConstraints();
    deps.say(t("rot.will_be_apart", { a: nameOf(a), b: nameOf(b) }), "ok");
  }

  function addTogether() {
    const pick = byId("rot-together-pick");
    const ids = [...pick.querySelectorAll("input:checked")].map((i) => /** @type {HTMLInputElement} */ (i).value);
    if (ids.length < 2 || ids.length > 10) {
      deps.say(t("rot.choose_group", { min: 2, max: 10 }), "error");
      return;
    }
    state.together.push(ids);
    for (const input of pick.querySelectorAll("input")) /** @type {HTMLInputElement} */ (input).checked = false;
    renderConstraints();
    deps.say(t("rot.will_be_together", { names: ids.map(nameOf).join(", ") }), "ok");
  }

  /** @param {string} id @param {number} min @param {number} max @param {string} what */
  function readInt(id, min, max, what) {
    const input = /** @type {HTMLInputElement} */ (byId(id));
    const value = Number(input.value);
    const ok = input.value.trim() !== "" && Number.isInteger(value) && value >= min && value <= max;
    if (!ok) {
      input.setAttribute("aria-invalid", "true");
      input.focus();
      throw new Error(t("rot.whole_number", { what, min, max }));
    }
    input.removeAttribute("aria-invalid");
    return value;
  }

  /**
   * The server names students by id in some messages (constraint conflicts): show names.
   * @param {string} text
   */
  function withNames(text) {
    let out = text;
    for (const s of deps.students()) if (s.id) out = out.split(s.id).join(s.name);
    return out;
  }

  /** @param {string} text */
  function formError(text) {
    setText("rot-error", text);
    show("rot-error", Boolean(text));
  }

  /** @param {Event} event */
  async function onPlan(event) {
    event.preventDefault();
    if (state.busy) return;
    formError("");
    /** @type {Record<string, any>} */
    const payload = {};
    try {
      const rooms = /** @type {HTMLInputElement} */ (byId("rot-rooms")).value.trim();
      if (rooms) {
        payload.rooms = readInt("rot-rooms", 1, 100, t("rot.field_rooms"));
        if (/** @type {HTMLInputElement} */ (byId("rot-max")).value.trim()) {
          payload.max_size = readInt("rot-max", 2, 20, t("teacher.at_most_per_room"));
        }
      } else {
        payload.size = readInt("rot-size", 2, 20, t("rot.field_size"));
        payload.leftover = /** @type {HTMLSelectElement} */ (byId("rot-leftover")).value;
      }
      payload.rotations = readInt("rot-count", 1, 12, t("rot.field_count"));
      payload.minutes = readInt("rot-minutes", 1, 60, t("rot.field_minutes"));
      payload.checkin_room = readInt("rot-checkin", 0, 6, t("rot.field_checkin"));
    } catch (err) {
      formError(/** @type {Error} */ (err).message);
      return;
    }
    const known = new Set(deps.students().map((s) => s.id));
    payload.absent = [...state.absent].filter((id) => known.has(id));
    payload.apart = state.apart.filter((p) => p.every((id) => known.has(id)));
    payload.together = state.together.filter((g) => g.every((id) => known.has(id)));
    payload.seed = Math.floor(Math.random() * 2 ** 31);
    const online = deps.students().filter((s) => s.online && !state.absent.has(s.id)).length;
    if (online === 0) {
      formError(t("rot.nobody_online"));
      return;
    }
    state.busy = true;
    const button = byId("rot-plan-submit");
    button.setAttribute("aria-busy", "true");
    button.textContent = t("rot.planning");
    try {
      await emitAck(deps.socket(), "rotation.plan", payload);
      state.formOpen = false;
      deps.say(t("rot.planned"), "ok");
      render();
      byId("rooms-title").focus();
    } catch (err) {
      formError(withNames(/** @type {Error} */ (err).message));
    } finally {
      state.busy = false;
      button.removeAttribute("aria-busy");
      button.textContent = t("teacher.plan_rotations");
    }
  }

  // ---------- the plan view ----------

  /** @param {Stats} stats */
  function renderStats(stats) {
    const box = byId("rot-stats");
    if (!stats) {
      replace(box);
      return;
    }
    const pct = Math.round((Number(stats.new_pair_share) || 0) * 100);
    const items = [
      h("li", null, h("span", { class: "stat-label" }, t("rot.repeated_pairs"), " "),
        h("strong", null, String(stats.repeats)),
        stats.lower_bound === null ? ""
          : stats.repeats === stats.lower_bound ? ` ${t("rot.fewest_proved")}`
            : ` ${t("rot.lower_bound", { bound: stats.lower_bound })}`),
      h("li", null, h("span", { class: "stat-label" }, t("rot.new_pairings"), " "), h("strong", null, t("rot.percent", { pct }))),
      h("li", null, h("span", { class: "stat-label" }, t("rot.fewest_met"), " "),
        h("strong", null, String(stats.distinct_partners_min))),
    ];
    if (stats.sit_outs_max) {
      items.push(h("li", null, h("span", { class: "stat-label" }, t("rot.sit_outs_per_student"), " "),
        h("strong", null, t("rot.sit_outs_range", { min: stats.sit_outs_min || 0, max: stats.sit_outs_max }))));
    }
    const details = Array.isArray(stats.violation_details) ? stats.violation_details : [];
    const warning = stats.violations > 0
      ? h("div", { class: "banner warn" },
        h("p", null, h("strong", null, t("rot.broken", { count: stats.violations })), " ", t("rot.by_this_plan")),
        details.length ? h("ul", null, details.map((d) => h("li", null, d))) : null)
      : null;
    replace(box, h("ul", { class: "stat-list" }, items), warning);
  }

  /**
   * Keep keyboard focus on the same control across a re-render.
   * @param {() => void} fn
   */
  function keepFocus(fn) {
    const active = /** @type {HTMLElement | null} */ (document.activeElement);
    const key = active && active.dataset ? active.dataset.fkey : undefined;
    fn();
    if (key) {
      const again = /** @type {HTMLElement | null} */ (document.querySelector(`[data-fkey="${CSS.escape(key)}"]`));
      if (again) again.focus();
      else byId("rooms-title").focus();
    }
  }

  /** @param {number} r 0-based rotation @param {Member} member @param {number} roomIndex @param {number} roomCount */
  function moveSelect(r, member, roomIndex, roomCount) {
    const options = [h("option", { value: "" }, t("rot.move_to"))];
    for (let i = 0; i < roomCount; i += 1) {
      if (i !== roomIndex) options.push(h("option", { value: String(i) }, t("rot.room", { room: i + 1 })));
    }
    const select = /** @type {HTMLSelectElement} */ (h("select", {
      class: "move-select",
      "aria-label": t("rot.move_label", { name: member.name, rotation: r + 1, room: roomIndex + 1 }),
      dataset: { fkey: `move-${r}-${member.id}` },
    }, options));
    select.addEventListener("change", async () => {
      const room = select.value;
      if (room === "") return;
      const ack = await send("rotation.move", { rotation: r, student_id: member.id, room: Number(room) });
      if (ack) {
        if (ack.stats && state.rotation) {
          state.rotation.stats = ack.stats;
          renderStats(ack.stats);
        }
        setText("rot-announce", t("rot.moved", { name: member.name, room: Number(room) + 1, rotation: r + 1 }));
      } else {
        select.value = "";
      }
    });
    return select;
  }

  /** @param {number} n 1-based rotation @param {"zoom" | "csv" | "html"} format */
  async function exportRotation(n, format) {
    const cls = deps.cls();
    if (!cls) return;
    show("rot-export-error", false);
    show("rot-export-note", false);
    const path = `/api/classes/${encodeURIComponent(cls.id)}/rotations/${n}/export?format=${format}&tz=${encodeURIComponent(localZone())}`;
    try {
      if (format === "html") {
        await openPage(path, deps.key());
      } else {
        const name = await downloadFile(path, deps.key(), format === "zoom" ? `rotation-${n}-zoom.csv` : `rotation-${n}.csv`);
        deps.say(t("rot.downloaded", { name }), "ok");
        if (format === "zoom") await showByHand(n, path.replace("format=zoom", "format=zoom-by-hand"));
      }
    } catch (err) {
      const message = /** @type {Error} */ (err).message;
      setText("rot-export-error", t("rot.export_error", { rotation: n, message }));
      show("rot-export-error", true);
      deps.say(message, "error");
    }
  }

  /** Name the students Zoom cannot pre-assign (no e-mail): the host moves them by hand. */
  async function showByHand(/** @type {number} */ n, /** @type {string} */ path) {
    const answer = await (await authFetch(path, deps.key())).json();
    const byHand = /** @type {{student: string, room: string}[]} */ (answer.by_hand || []);
    if (!byHand.length) return;
    replace(byId("rot-export-note"),
      h("p", null, t("rot.by_hand", { rotation: n, count: byHand.length })),
      h("ul", { class: "name-list" }, byHand.map((e) => h("li", null, `${e.student} → ${e.room}`))));
    show("rot-export-note", true);
  }

  /**
   * The room sizes of the rotations still to come, shown before the teacher starts.
   * @param {Rotation} rot
   */
  function renderSizes(rot) {
    const next = rot.rotations[Math.max(rot.current + (rot.status === "draft" ? 0 : 1), 0)];
    if (!next || rot.status === "ended") {
      setText("rot-sizes", "");
      return;
    }
    const sizes = next.map((room) => room.length).sort((a, b) => b - a);
    /** @type {Map<number, number>} */
    const counts = new Map();
    for (const size of sizes) counts.set(size, (counts.get(size) || 0) + 1);
    const parts = [...counts].map(([size, count]) => t("rot.rooms_of", { count, size }));
    const asked = rot.settings && rot.settings.rooms;
    const index = rot.rotations.indexOf(next);
    const out = (rot.sitting_out && rot.sitting_out[index]) || [];
    setText("rot-sizes", out.length
      ? t("rot.room_sizes_sit_out", { sizes: parts.join(", "), count: out.length })
      : asked && asked > sizes.length
        ? t("rot.room_sizes_fewer", { sizes: parts.join(", "), asked })
        : t("rot.room_sizes", { sizes: parts.join(", ") }));
  }

  /** @type {Map<string, {text: string, lang: string} | null>} prompt id|language -> its text there (null: asked) */
  const promptTexts = new Map();

  /**
   * A room's starter in the page's language, as students get it: a shared topic in words, a
   * library prompt in its translation (fetched once per prompt and language); else the English.
   * @param {{kind: string, text: string, prompt_id?: string | null, topic?: string, names?: string[]}} starter
   * @returns {string | HTMLElement}
   */
  function starterText(starter) {
    if (starter.kind === "shared" && Array.isArray(starter.names) && starter.topic) {
      return t("rotation.shared_starter", { names: formatList(starter.names), topic: starter.topic });
    }
    const lang = currentLanguage();
    if (starter.kind !== "prompt" || !starter.prompt_id || lang === "en") return starter.text;
    const key = `${starter.prompt_id}|${lang}`;
    const known = promptTexts.get(key);
    if (known === undefined) {
      promptTexts.set(key, null);
      fetch(`/api/prompts/${encodeURIComponent(starter.prompt_id)}?lang=${encodeURIComponent(lang)}`)
        .then((r) => (r.ok ? r.json() : null))
        .then((got) => {
          if (!got || !got.text) return;
          promptTexts.set(key, { text: String(got.text.text), lang: String(got.text.lang) });
          if (state.rotation) renderGrid();
        })
        .catch(() => {});
    }
    return known ? h("span", { lang: known.lang, dir: "auto" }, known.text) : starter.text;
  }

  function renderGrid() {
    const rot = /** @type {Rotation} */ (state.rotation);
    const blocks = rot.rotations.map((rooms, r) => {
      const isNow = rot.status === "running" && r === rot.current;
      const begun = rot.status !== "draft" && r <= rot.current;
      const movable = rot.status !== "ended" && r > rot.current;
      const badge = isNow ? h("span", { class: "pill now" }, t("rot.now"))
        : rot.status === "ended" || r < rot.current ? h("span", { class: "pill" }, t("rot.done")) : null;
      const starters = rot.starters[r] || [];
      const checkin = Boolean(rot.settings && rot.settings.checkin_room);
      const roomEls = rooms.map((members, i) => h("li", { class: "room" },
        h("h4", null, checkin && i === 0 ? t("rot.room_checkin") : t("rot.room", { room: i + 1 })),
        h("ul", { class: "member-list" }, members.map((m) => h("li", { class: "member" },
          h("span", { class: "member-name" }, m.name),
          movable && rooms.length > 1 ? moveSelect(r, m, i, rooms.length) : null))),
        starters[i] && starters[i].text
          ? h("p", { class: "starter-text" }, h("span", { class: "muted small" }, t("rot.starter"), " "), starterText(starters[i]))
          : null));
      const out = (rot.sitting_out && rot.sitting_out[r]) || [];
      const titleId = `rot-title-${r}`;
      return h("section", { class: `rot-block${isNow ? " current" : ""}${begun && !isNow ? " past" : ""}`, "aria-labelledby": titleId },
        h("div", { class: "row spread" },
          h("h3", { id: titleId }, t("rot.rotation", { rotation: r + 1 }), " ", badge),
          h("span", { class: "row exports" },
            // Made of roster e-mails: the teacher's only (the server refuses a co-host too).
            deps.isTeacher() ? h("button", { type: "button", class: "secondary small", dataset: { fkey: `zoom-${r}` }, "aria-label": t("rot.zoom_csv_label", { rotation: r + 1 }), on: { click: () => exportRotation(r + 1, "zoom") } }, "Zoom CSV") : null,
            h("button", { type: "button", class: "secondary small", dataset: { fkey: `csv-${r}` }, "aria-label": t("rot.csv_label", { rotation: r + 1 }), on: { click: () => exportRotation(r + 1, "csv") } }, "CSV"),
            h("button", { type: "button", class: "secondary small", dataset: { fkey: `print-${r}` }, "aria-label": t("rot.print_label", { rotation: r + 1 }), on: { click: () => exportRotation(r + 1, "html") } }, t("rot.print")))),
        h("ol", { class: "room-grid" }, roomEls),
        out.length ? h("p", { class: "sitting-out muted small" }, t("rot.sitting_out", { names: out.map((m) => m.name).join(", ") })) : null);
    });
    keepFocus(() => replace(byId("rot-grid"), blocks));
  }

  function render() {
    const rot = state.rotation;
    const status = rot ? rot.status : "";
    const pill = byId("rot-state");
    pill.textContent = STATE_LABELS[status] ? STATE_LABELS[status]() : t("rot.state_none");
    pill.dataset.status = status || "none";
    const formVisible = !rot || state.formOpen || (status === "ended" && state.formOpen);
    show("rot-form", formVisible);
    show("rot-form-cancel", Boolean(rot) && state.formOpen);
    show("rot-plan", Boolean(rot) && !state.formOpen);
    show("rot-live", Boolean(rot) && !state.formOpen);
    deps.onLive?.(status === "running");
    if (formVisible) {
      renderAbsent();
      renderPickers();
    }
    if (!rot || state.formOpen) return;

    let heading = "";
    if (status === "draft") heading = t("rot.plan_heading", { count: rot.total, minutes: rot.settings?.minutes ?? "?" });
    else if (status === "running") heading = t("rot.running_heading", { rotation: rot.current + 1, total: rot.total });
    else heading = t("rot.ended");
    setText("rot-heading", heading);
    byId("rot-heading").classList.toggle("big", status === "running");
    show("rot-start", status === "draft");
    show("rot-extend", status === "running");
    show("rot-skip", status === "running");
    show("rot-end", status === "running");
    setText("rot-replan", status === "ended" ? t("rot.plan_new") : t("rot.change_plan"));
    show("rot-replan", status !== "running");
    show("rot-message-form", status === "running");
    const msg = rot.message;
    setText("rot-last-message", msg ? t("rot.last_message", { text: msg.text }) : "");
    show("rot-last-message", Boolean(msg) && status === "running");
    const left = rot.left || [];
    setText("rot-left", left.length ? t("rot.replanned_without", { names: left.map(nameOf).join(", ") }) : "");
    show("rot-left", left.length > 0);
    renderSizes(rot);
    renderStats(rot.stats);
    renderGrid();
    tick();
  }

  const tick = countdown(byId("rot-countdown"), clock,
    () => (state.rotation && state.rotation.status === "running" && !state.formOpen ? state.rotation.deadline : null));

  /** @param {Rotation | null} rotation */
  function apply(rotation) {
    const before = state.rotation;
    state.rotation = rotation;
    if (rotation) clock.sync(rotation.server_time);
    if (rotation && before && before.id !== rotation.id) state.formOpen = false;
    if (rotation && rotation.status === "running") state.formOpen = false;
    if (before && rotation && before.status === "running" && rotation.current !== before.current && rotation.status === "running") {
      setText("rot-announce", t("rot.begun", { rotation: rotation.current + 1, total: rotation.total }));
    } else if (before && rotation && before.status === "running" && rotation.status === "ended") {
      setText("rot-announce", t("rot.ended"));
    }
    render();
  }

  let resyncing = false;
  // The newest change heard of: one that comes while the whole plan is being fetched may be
  // newer than the plan that arrives.
  let newest = { id: "", rev: -1 };

  /**
   * Staff get a plan's changes, not the plan: apply one to the plan and revision it was made
   * from; any other plan or revision here means a change was missed, so fetch the whole plan
   * (again, at most a few times, while changes newer than the fetched plan keep coming).
   * @param {RotationChange} change
   */
  async function applyChange(change) {
    if (!change) return;
    if (change.id !== newest.id || change.rev > newest.rev) newest = { id: change.id, rev: change.rev };
    const rot = state.rotation;
    if (resyncing) return;
    if (!rot || rot.id !== change.id || rot.rev !== change.base) {
      resyncing = true;
      try {
        for (let tries = 0; tries < 3; tries += 1) {
          await deps.resync();
          const now = state.rotation;
          if (!now || now.id !== newest.id || now.rev >= newest.rev) break;
        }
      } finally {
        resyncing = false;
      }
      return;
    }
    /** @type {Rotation} */
    const next = {
      ...rot, ...change.set, rev: change.rev, server_time: change.server_time,
      rotations: [...rot.rotations], starters: [...rot.starters],
    };
    for (const [index, rooms] of Object.entries(change.rotations || {})) next.rotations[Number(index)] = rooms;
    for (const [index, row] of Object.entries(change.starters || {})) next.starters[Number(index)] = row;
    apply(next);
    deps.onChange?.(next);
  }

  /** @param {string} event */
  async function control(event, payload = {}) {
    const ack = await send(event, payload);
    if (ack && ack.stats && state.rotation) state.rotation.stats = ack.stats;
    return ack;
  }

  /** @param {Event} event */
  async function onMessage(event) {
    event.preventDefault();
    const input = /** @type {HTMLInputElement} */ (byId("rot-message"));
    const text = input.value.trim();
    if (!text || [...text].length > 280) {
      input.setAttribute("aria-invalid", "true");
      deps.say(t("rot.message_length", { min: 1, max: 280 }), "error");
      input.focus();
      return;
    }
    input.removeAttribute("aria-invalid");
    const ack = await send("rotation.message", { text });
    if (ack) {
      input.value = "";
      deps.say(t("rot.message_sent"), "ok");
    }
  }

  return {
    /** @param {any} snap */
    snapshot(snap) {
      apply(snap.rotation || null);
    },
    studentsChanged() {
      if (!byId("rot-form").hidden) {
        // Re-render the pickers, keeping keyboard focus where it was (ids are stable).
        const focused = document.activeElement && document.activeElement.id;
        renderAbsent();
        renderPickers();
        if (focused && document.activeElement !== document.getElementById(focused)) {
          document.getElementById(focused)?.focus();
        }
      } else if (state.rotation && state.rotation.left.length) {
        render();
      }
    },
    /** @param {any} socket */
    wireSocket(socket) {
      socket.on("rotation.updated", (/** @type {{rotation: Rotation | null}} */ msg) => {
        apply(msg ? msg.rotation : null);
        deps.onChange?.(state.rotation);
      });
      socket.on("rotation.changed", (/** @type {RotationChange} */ msg) => applyChange(msg));
      socket.on("rotation.message", (/** @type {{message: {text: string, at: number, from: string}}} */ msg) => {
        if (state.rotation && msg && msg.message) {
          state.rotation.message = msg.message;
          render();
        }
      });
    },
    wireControls() {
      // Everything this panel builds is re-rendered in the new language.
      onLanguageChange(() => {
        if (!state.busy) byId("rot-plan-submit").textContent = t("teacher.plan_rotations");
        render();
      });
      byId("rot-form").addEventListener("submit", onPlan);
      byId("rot-apart-add").addEventListener("click", addApart);
      byId("rot-together-add").addEventListener("click", addTogether);
      byId("rot-form-cancel").addEventListener("click", () => {
        state.formOpen = false;
        formError("");
        render();
        byId("rot-replan").focus();
      });
      byId("rot-replan").addEventListener("click", () => {
        state.formOpen = true;
        render();
        byId("rot-size").focus();
      });
      byId("rot-start").addEventListener("click", async () => {
        if (await control("rotation.start")) deps.say(t("rot.started"), "ok");
        byId("rot-skip").focus();
      });
      byId("rot-extend").addEventListener("click", async () => {
        if (await control("rotation.extend", { seconds: 60 })) deps.say(t("rot.one_more_minute"), "ok");
      });
      byId("rot-skip").addEventListener("click", () => control("rotation.skip"));
      byId("rot-end").addEventListener("click", async () => {
        if (await control("rotation.end")) {
          deps.say(t("rot.ended_ok"), "ok");
          byId("rot-replan").focus();
        }
      });
      byId("rot-message-form").addEventListener("submit", onMessage);
    },
  };
}
