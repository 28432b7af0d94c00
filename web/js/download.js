// Authenticated downloads: fetch with the bearer token, then save or open a blob: URL.

import { t } from "./i18n.js";

/**
 * Fetch an API file with the bearer token. Throws Error(server message) when refused.
 * @param {string} path
 * @param {string} token
 * @returns {Promise<Response>}
 */
export async function authFetch(path, token) {
  let response;
  try {
    response = await fetch(path, {
      headers: { Authorization: `Bearer ${token}` },
      credentials: "same-origin",
      cache: "no-store",
    });
  } catch {
    throw new Error(t("common.offline_error"));
  }
  if (!response.ok) {
    let message = t("download.failed");
    try {
      const data = await response.json();
      if (data && data.error && typeof data.error.message === "string") message = data.error.message;
    } catch {
      /* not JSON */
    }
    throw new Error(message);
  }
  return response;
}

/** The browser's IANA time zone (for times in exported files), or "" to let the server use UTC. */
export function localZone() {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "";
  } catch {
    return "";
  }
}

/** @param {Response} response @param {string} fallback */
function fileName(response, fallback) {
  const header = response.headers.get("Content-Disposition") || "";
  const match = header.match(/filename="?([^";]+)"?/i);
  return match ? match[1] : fallback;
}

/**
 * Download an API file (CSV, .ics, …) through a temporary <a download>.
 * @param {string} path
 * @param {string} token
 * @param {string} fallbackName
 */
export async function downloadFile(path, token, fallbackName) {
  const response = await authFetch(path, token);
  const blob = await response.blob();
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = fileName(response, fallbackName);
  a.hidden = true;
  document.body.appendChild(a);
  a.click();
  a.remove();
  window.setTimeout(() => URL.revokeObjectURL(url), 60_000);
  return a.download;
}

/**
 * Open an API HTML page (a printable list) in a new tab from a blob: URL.
 * The page's root-relative links (its stylesheet) are resolved against this origin.
 * @param {string} path
 * @param {string} token
 */
export async function openPage(path, token) {
  // Open the tab first, inside the click: popup blockers allow that.
  const win = window.open("", "_blank");
  try {
    const response = await authFetch(path, token);
    const text = await response.text();
    const base = `<base href="${window.location.origin}/">`;
    const page = text.includes("<head>") ? text.replace("<head>", `<head>${base}`) : base + text;
    const url = URL.createObjectURL(new Blob([page], { type: "text/html" }));
    if (win) win.location.href = url;
    else window.open(url, "_blank");
    window.setTimeout(() => URL.revokeObjectURL(url), 60_000);
  } catch (err) {
    win?.close();
    throw err;
  }
}
