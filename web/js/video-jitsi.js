// Jitsi Meet on the teacher's / co-host's page: load Jitsi's own IFrame API (external_api.js)
// from the one origin the server names (the Content Security Policy allows only that one),
// embed the class's meeting, keep track of who is in the call, match participants to students
// (by the name Rapport gave them, or by hand), and move them between breakout rooms when a
// rotation starts, moves on, is re-planned or ends.
//
// The IFrame API calls used (Jitsi handbook, "IFrame API"): listBreakoutRooms(),
// getParticipantsInfo(), executeCommand("addBreakoutRoom", name),
// executeCommand("sendParticipantToRoom", participantId, roomId),
// executeCommand("closeBreakoutRoom", roomId); events videoConferenceJoined,
// participantJoined, participantLeft, displayNameChange, participantRoleChanged,
// breakoutRoomsUpdated.

import { t } from "./i18n.js";

/**
 * @typedef {{id: string, name: string}} Member
 * @typedef {{id: string, status: string, current: number, rotations: Member[][][]}} StaffRotation
 * @typedef {{jid?: string, id?: string, displayName?: string, role?: string}} JitsiParticipant
 * @typedef {{id: string, jid?: string, name?: string, isMainRoom?: boolean,
 *   participants?: Record<string, JitsiParticipant>}} JitsiRoom
 * @typedef {{ref: string, id: string, name: string, roomId: string, role: string,
 *   studentId: string | null, why?: () => string}} Person
 * @typedef {{ref: string, name: string, student: string, roomId: string, roomName: string}} Move
 * @typedef {{people: Person[], moves: Move[], missingRooms: string[], close: string[],
 *   notInCall: {name: string, room: string}[], unmatched: Person[], mainId: string | null}} MovePlan
 */

/** "Room 1", "Room 2"… as students see them in Rapport. @param {number} index 0-based */
export const roomName = (index) => `Room ${index + 1}`;

/** Names compare as people read them: trimmed, single spaces, case-insensitive. @param {string} name */
export function normaliseName(name) {
  return String(name || "").normalize("NFC").trim().replace(/\s+/g, " ").toLocaleLowerCase();
}

/**
 * Everyone in the call, in any room, except this page's own participant.
 * @param {Record<string, JitsiRoom>} rooms
 * @param {string | null} myId
 * @returns {{ref: string, id: string, name: string, roomId: string, role: string}[]}
 */
function peopleIn(rooms, myId) {
  const people = [];
  for (const room of Object.values(rooms || {})) {
    for (const [jid, p] of Object.entries(room.participants || {})) {
      const ref = p.jid || jid;
      const id = p.id || ref.split("/").pop() || ref;
      if (myId && (id === myId || ref === myId)) continue;
      people.push({ ref, id, name: p.displayName || "", roomId: room.id, role: p.role || "" });
    }
  }
  return people;
}

/**
 * What has to happen in the call for the rotation as it is now: pure, so the same inputs
 * always give the same moves (and the browser test can check them call by call).
 * @param {{rooms: Record<string, JitsiRoom>, rotation: StaffRotation | null,
 *   students: Member[], manual: Record<string, string>, myId: string | null}} input
 * @returns {MovePlan}
 */
export function planMoves({ rooms, rotation, students, manual, myId }) {
  const list = Object.values(rooms || {});
  const main = list.find((r) => r.isMainRoom) || null;
  /** @type {Map<string, string>} name -> room id (first one wins) */
  const byName = new Map();
  for (const r of list) if (!r.isMainRoom && r.name && !byName.has(r.name)) byName.set(r.name, r.id);
  const studentById = new Map(students.map((s) => [s.id, s]));
  const studentByName = new Map(students.map((s) => [normaliseName(s.name), s.id]));

  /** @type {Set<string>} */
  const taken = new Set();
  /** @type {Person[]} */
  const people = peopleIn(rooms, myId).map((p) => {
    const key = normaliseName(p.name);
    const wanted = (manual[key] && studentById.has(manual[key])) ? manual[key] : studentByName.get(key) || null;
    if (wanted && taken.has(wanted)) return { ...p, studentId: null, why: () => t("vhost.why_name_taken") };
    if (wanted) taken.add(wanted);
    return { ...p, studentId: wanted };
  });
  /** @type {MovePlan} */
  const plan = { people, moves: [], missingRooms: [], close: [], notInCall: [], unmatched: people.filter((p) => !p.studentId && (p.role !== "moderator" || p.why)), mainId: main ? main.id : null };
  if (!rotation || rotation.status !== "running") {
    if (rotation && rotation.status === "ended") {
      plan.close = list.filter((r) => !r.isMainRoom && Object.keys(r.participants || {}).length).map((r) => r.id);
    }
    return plan;
  }
  const current = rotation.rotations[rotation.current] || [];
  /** @type {Map<string, number>} student id -> room index */
  const target = new Map();
  current.forEach((members, i) => members.forEach((m) => target.set(m.id, i)));
  current.forEach((_members, i) => {
    if (!byName.has(roomName(i))) plan.missingRooms.push(roomName(i));
  });
  const inCall = new Set(people.filter((p) => p.studentId).map((p) => p.studentId));
  current.forEach((members, i) => members.forEach((m) => {
    if (!inCall.has(m.id)) plan.notInCall.push({ name: m.name, room: roomName(i) });
  }));
  for (const p of people) {
    if (!p.studentId) continue;
    const student = studentById.get(p.studentId)?.name || p.name;
    const index = target.get(p.studentId);
    // No room this rotation (left Rapport, marked absent): the main room, as their screen says.
    const wantedId = index === undefined ? (main ? main.id : null) : byName.get(roomName(index)) || null;
    const wantedName = index === undefined ? "the main room" : roomName(index);
    if (!wantedId || wantedId === p.roomId) continue;
    plan.moves.push({ ref: p.ref, name: p.name, student, roomId: wantedId, roomName: wantedName });
  }
  return plan;
}

/**
 * Load Jitsi's IFrame API from `origin` (and nowhere else).
 * @param {string} origin
 * @returns {Promise<any>} the JitsiMeetExternalAPI constructor
 */
export function loadExternalApi(origin) {
  const existing = /** @type {any} */ (window).JitsiMeetExternalAPI;
  if (existing) return Promise.resolve(existing);
  return new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = `${origin}/external_api.js`;
    script.async = true;
    script.onload = () => {
      const api = /** @type {any} */ (window).JitsiMeetExternalAPI;
      if (api) resolve(api);
      else reject(new Error(t("vhost.no_iframe_api", { origin })));
    };
    script.onerror = () => {
      script.remove();
      reject(new Error(t("vhost.load_failed", { origin })));
    };
    document.head.appendChild(script);
  });
}

/**
 * One embedded meeting and the moves it is asked for.
 * @param {{
 *   video: {origin: string, domain: string, room: string, no_ssl: boolean, jwt: string | null,
 *     display_name: string},
 *   parent: HTMLElement,
 *   rotation: () => StaffRotation | null,
 *   students: () => Member[],
 *   manual: () => Record<string, string>,
 *   onChange: (report: Report) => void,
 * }} opts
 *
 * @typedef {{joined: boolean, moderator: boolean | null, plan: MovePlan | null,
 *   problems: {who: string, why: () => string}[], sent: number, error: (() => string) | null}} Report
 * (`why` and `error` word themselves in the page's language when called, so a report made
 * before the teacher switched language reads in the new one.)
 */
export async function openJitsi(opts) {
  const Api = await loadExternalApi(opts.video.origin);
  const api = new Api(opts.video.domain, {
    roomName: opts.video.room,
    parentNode: opts.parent,
    width: "100%",
    height: "100%",
    noSSL: opts.video.no_ssl,
    jwt: opts.video.jwt || undefined,
    userInfo: { displayName: opts.video.display_name },
    configOverwrite: { prejoinConfig: { enabled: false } },
  });
  /** @type {Report} */
  const report = { joined: false, moderator: null, plan: null, problems: [], sent: 0, error: null };
  /** @type {string | null} */
  let myId = null;
  /** @type {Record<string, JitsiRoom>} */
  let rooms = {};
  /** @type {Set<string>} moves already asked for in this rotation: "ref>roomId" */
  let asked = new Set();
  let askedFor = "";
  let lateTimer = 0;
  let running = Promise.resolve();

  const changed = () => opts.onChange({ ...report });

  /** @param {StaffRotation | null} rot */
  const rotationKey = (rot) => rot ? `${rot.id}:${rot.status}:${rot.current}:${JSON.stringify((rot.rotations[rot.current] || []).map((r) => r.map((m) => m.id)))}` : "";

  let noBreakouts = false;

  async function listRooms() {
    try {
      rooms = (await api.listBreakoutRooms()) || {};
    } catch {
      rooms = {};
    }
    noBreakouts = Object.keys(rooms).length === 0;
    if (noBreakouts) {
      // No breakout rooms on this server: still show who is in the call, from its main list.
      /** @type {{participantId: string, displayName?: string}[]} */
      let info = [];
      try {
        info = (await api.getParticipantsInfo()) || [];
      } catch {
        info = [];
      }
      rooms = { "": { id: "", isMainRoom: true, participants: Object.fromEntries(info.map((p) => [p.participantId, { id: p.participantId, displayName: p.displayName }])) } };
    }
    return rooms;
  }

  /**
   * Wait until `test()` holds after a breakoutRoomsUpdated event, or give up after `ms`.
   * @param {() => boolean} test @param {number} ms
   */
  function roomsSettle(test, ms) {
    return new Promise((resolve) => {
      const done = (/** @type {boolean} */ ok) => {
        window.clearTimeout(timer);
        api.removeListener?.("breakoutRoomsUpdated", check);
        resolve(ok);
      };
      const check = async () => {
        await listRooms();
        if (test()) done(true);
      };
      const timer = window.setTimeout(() => done(false), ms);
      api.on("breakoutRoomsUpdated", check);
      check();
    });
  }

  function plan() {
    return planMoves({ rooms, rotation: opts.rotation(), students: opts.students(), manual: opts.manual(), myId });
  }

  /** Bring the call in line with the rotation. @param {boolean} again ask again for moves already asked for */
  async function sync(again) {
    report.problems = [];
    report.error = null;
    if (!report.joined) {
      report.error = () => t("vhost.not_open_yet");
      changed();
      return;
    }
    if (report.moderator === false) {
      report.error = () => t("vhost.not_moderator");
      changed();
      return;
    }
    const rot = opts.rotation();
    const key = rotationKey(rot);
    if (key !== askedFor || again) {
      asked = new Set();
      askedFor = key;
    }
    await listRooms();
    let current = plan();
    if (noBreakouts && rot && rot.status === "running") {
      report.plan = current;
      report.error = () => t("vhost.no_breakouts");
      changed();
      return;
    }
    if (current.missingRooms.length) {
      for (const name of current.missingRooms) api.executeCommand("addBreakoutRoom", name);
      const wanted = current.missingRooms;
      await roomsSettle(() => wanted.every((n) => Object.values(rooms).some((r) => r.name === n)), 10_000);
      current = plan();
      for (const name of current.missingRooms) {
        report.problems.push({ who: name, why: () => t("vhost.why_room_not_created") });
      }
    }
    for (const move of current.moves) {
      const id = `${move.ref}>${move.roomId}`;
      if (asked.has(id)) continue;
      asked.add(id);
      api.executeCommand("sendParticipantToRoom", move.ref, move.roomId);
      report.sent += 1;
    }
    for (const roomId of current.close) {
      if (asked.has(`close>${roomId}`)) continue;
      asked.add(`close>${roomId}`);
      api.executeCommand("closeBreakoutRoom", roomId);
    }
    for (const missing of current.notInCall) {
      report.problems.push({ who: missing.name, why: () => t("vhost.why_not_in_call", { room: missing.room }) });
    }
    for (const p of current.unmatched) {
      if (p.why) report.problems.push({ who: p.name || t("vhost.no_name"), why: p.why });
    }
    report.plan = current;
    changed();
  }

  /** Run syncs one after another (events can arrive while one is waiting for rooms). @param {boolean} again */
  function queue(again) {
    running = running.then(() => sync(again)).catch((err) => {
      const message = /** @type {Error} */ (err).message;
      report.error = message ? () => message : () => t("vhost.move_failed");
      changed();
    });
    return running;
  }

  async function refreshView() {
    await listRooms();
    report.plan = plan();
    changed();
  }

  api.on("videoConferenceJoined", (/** @type {{id: string}} */ e) => {
    myId = e && e.id ? e.id : null;
    report.joined = true;
    queue(false);
  });
  api.on("participantRoleChanged", (/** @type {{id: string, role: string}} */ e) => {
    if (e && e.id === myId) {
      report.moderator = e.role === "moderator";
      if (report.moderator) queue(false);
      else changed();
    }
  });
  const late = () => {
    // A late joiner goes to their room; wait a moment for their name to arrive.
    window.clearTimeout(lateTimer);
    lateTimer = window.setTimeout(() => queue(false), 800);
  };
  api.on("participantJoined", late);
  api.on("displayNameChange", late);
  api.on("participantLeft", () => refreshView());
  api.on("breakoutRoomsUpdated", (/** @type {{rooms?: Record<string, JitsiRoom>}} */ e) => {
    if (e && e.rooms) {
      rooms = e.rooms;
      report.plan = plan();
      changed();
    }
  });

  return {
    /** The rotation changed on the server: move people if it matters. */
    rotationChanged() {
      if (rotationKey(opts.rotation()) !== askedFor) queue(false);
      else refreshView();
    },
    /** "Move everyone now" or a new manual match. */
    syncNow: () => queue(true),
    close() {
      api.dispose?.();
    },
  };
}
