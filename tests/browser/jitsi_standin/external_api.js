// A stand-in for Jitsi Meet's IFrame API (external_api.js), served by the browser test from a
// second local origin. It implements the documented calls and events Rapport uses, keeps a
// model of the main room and breakout rooms, and records every call in window.__jitsiLog.
// Test hooks (window.__jitsi._join / _rename / _leave) play participants.
(function () {
  "use strict";
  const log = { constructed: [], calls: [] };
  const clone = (value) => JSON.parse(JSON.stringify(value));

  class JitsiMeetExternalAPI {
    constructor(domain, options) {
      options = options || {};
      log.constructed.push({
        domain, roomName: options.roomName, jwt: options.jwt || null, noSSL: Boolean(options.noSSL),
        displayName: options.userInfo ? options.userInfo.displayName : null,
      });
      this._listeners = {};
      this._count = 0;
      this._rooms = {
        main: { id: "main", jid: `${options.roomName}@conference.standin`, name: "", isMainRoom: true, participants: {} },
      };
      const frame = document.createElement("iframe");
      frame.src = `${options.noSSL ? "http" : "https"}://${domain}/${encodeURIComponent(options.roomName || "")}`;
      frame.allow = "camera; microphone";
      frame.title = "Stand-in meeting";
      frame.style.width = "100%";
      frame.style.height = "100%";
      frame.style.border = "0";
      (options.parentNode || document.body).appendChild(frame);
      this._frame = frame;
      window.__jitsi = this;
      setTimeout(() => {
        this._emit("videoConferenceJoined", { id: "me", displayName: log.constructed[0].displayName, roomName: options.roomName });
        this._emit("participantRoleChanged", { id: "me", role: "moderator" });
      }, 30);
    }

    on(event, listener) { (this._listeners[event] = this._listeners[event] || []).push(listener); return this; }
    addListener(event, listener) { return this.on(event, listener); }
    removeListener(event, listener) {
      this._listeners[event] = (this._listeners[event] || []).filter((l) => l !== listener);
      return this;
    }
    _emit(event, data) { for (const l of (this._listeners[event] || []).slice()) l(data); }
    _updated() { setTimeout(() => this._emit("breakoutRoomsUpdated", { rooms: clone(this._rooms), roomCounter: this._count }), 5); }

    getIFrame() { return this._frame; }
    dispose() { this._frame.remove(); }

    getParticipantsInfo() {
      log.calls.push(["getParticipantsInfo"]);
      return Promise.resolve(Object.values(this._rooms.main.participants).map((p) => ({ participantId: p.id, displayName: p.displayName })));
    }

    listBreakoutRooms() {
      log.calls.push(["listBreakoutRooms"]);
      return Promise.resolve(clone(this._rooms));
    }

    executeCommand(name, ...args) {
      log.calls.push([name, ...args]);
      if (name === "addBreakoutRoom") {
        this._count += 1;
        const id = `breakout-${this._count}`;
        this._rooms[id] = { id, jid: `${id}@breakout.standin`, name: args[0] || `Breakout room #${this._count}`, participants: {} };
        this._updated();
      } else if (name === "sendParticipantToRoom") {
        const [ref, roomId] = args;
        if (this._rooms[roomId] && this._find(ref)) this._move(this._find(ref), roomId);
        this._updated();
      } else if (name === "closeBreakoutRoom") {
        const room = this._rooms[args[0]];
        if (room && !room.isMainRoom) {
          for (const jid of Object.keys(room.participants)) this._move({ room, jid }, "main");
        }
        this._updated();
      }
    }

    _find(ref) {
      for (const room of Object.values(this._rooms)) {
        for (const [jid, p] of Object.entries(room.participants)) {
          if (jid === ref || p.id === ref) return { room, jid };
        }
      }
      return null;
    }

    _move(found, roomId) {
      const p = found.room.participants[found.jid];
      delete found.room.participants[found.jid];
      if (found.room.isMainRoom) this._emit("participantLeft", { id: p.id });
      const target = this._rooms[roomId];
      const jid = `${target.jid}/${p.id}`;
      target.participants[jid] = { ...p, jid };
      if (target.isMainRoom) this._emit("participantJoined", { id: p.id, displayName: p.displayName });
    }

    // ---- test hooks ----
    _join(displayName, role) {
      const id = `p${Object.values(this._rooms).reduce((n, r) => n + Object.keys(r.participants).length, 0) + 1}x`;
      const jid = `${this._rooms.main.jid}/${id}`;
      this._rooms.main.participants[jid] = { id, jid, displayName, role: role || "participant" };
      this._emit("participantJoined", { id, displayName });
      this._updated();
      return id;
    }

    _where() {
      const out = {};
      for (const room of Object.values(this._rooms)) {
        for (const p of Object.values(room.participants)) out[p.displayName] = room.isMainRoom ? "main" : room.name;
      }
      return out;
    }
  }

  window.JitsiMeetExternalAPI = JitsiMeetExternalAPI;
  window.__jitsiLog = log;
})();
