// The video call on a student's page, only when the server has a platform configured
// (snapshot.video): a "Join the video call" link with their name filled in (Jitsi Meet,
// BigBlueButton), and in the rotation card one line that says how to get into their room,
// named exactly as the video platform names it. With nothing configured it adds nothing.
import { byId, h, setText, show } from "./dom.js";
import { onLanguageChange, t } from "./i18n.js";

/**
 * @typedef {{platform: "jitsi" | "bbb" | "zoom", join_url?: string}} StudentVideo
 * @typedef {{status: string, room?: number | null}} StudentRotation
 */

/** @param {StudentVideo} video @param {number} room */
export function roomInstructions(video, room) {
  // The room's name exactly as the video platform shows it (in English there), not translated.
  const name = `Room ${room}`;
  if (video.platform === "zoom") return t("rotation.video_zoom", { room: name });
  if (video.platform === "bbb") return t("rotation.video_bbb", { room: name });
  return t("rotation.video_jitsi", { room: name });
}

export function createVideoStudent() {
  /** @type {StudentVideo | null} */
  let video = null;
  /** @type {StudentRotation | null} */
  let rotation = null;

  function render() {
    const join = document.getElementById("video-join");
    if (!video || !video.join_url) {
      join?.remove();
    } else {
      const link = join?.querySelector("a");
      if (link) {
        link.setAttribute("href", video.join_url);
      } else {
        const section = h("section", { id: "video-join", class: "card video-join", "aria-label": t("video.region"), "data-i18n-aria-label": "video.region" },
          h("a", { class: "button", href: video.join_url, target: "_blank", rel: "noopener noreferrer", "data-i18n": "video.join" }, t("video.join")),
          h("p", { class: "hint", "data-i18n": video.platform === "jitsi" ? "video.jitsi_hint" : "video.bbb_hint" },
            t(video.platform === "jitsi" ? "video.jitsi_hint" : "video.bbb_hint")));
        byId("rotation").after(section);
      }
    }
    let line = document.getElementById("rotation-video");
    const text = video && rotation && rotation.status === "running" && rotation.room ? roomInstructions(video, rotation.room) : "";
    if (!line && text) {
      line = h("p", { id: "rotation-video", class: "rotation-video" });
      byId("rotation-with").after(line);
    }
    if (line) {
      setText(line, text);
      show(line, Boolean(text));
    }
  }

  onLanguageChange(render);

  return {
    /** @param {any} snap */
    snapshot(snap) {
      video = snap.video || null;
      rotation = snap.rotation || null;
      render();
    },
    /** @param {any} socket */
    wireSocket(socket) {
      socket.on("rotation.updated", (/** @type {{rotation: StudentRotation | null}} */ msg) => {
        rotation = msg ? msg.rotation : null;
        render();
      });
    },
  };
}
