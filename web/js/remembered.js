// The classes this browser remembers for their teacher or co-host, so that closing the tab,
// reloading or restarting the browser never locks them out. Kept in localStorage on this device
// only (never sent anywhere but in the socket's auth packet), until "Forget on this device" or
// until the server says the link no longer works (`forget(key)`).

const STORAGE_KEY = "rapport.classes";
const SESSION_KEY = "rapport.key"; // the link of the dashboard open in this tab (socket.js)
const MAX_CLASSES = 30;

/**
 * @typedef {{class_id: string, name: string, role: "teacher" | "cohost", key: string,
 *   saved_at: number}} RememberedClass
 */

/** @returns {RememberedClass[]} */
function read() {
  try {
    const raw = window.localStorage.getItem(STORAGE_KEY);
    const parsed = raw ? JSON.parse(raw) : [];
    return Array.isArray(parsed)
      ? parsed.filter((c) => c && typeof c.key === "string" && typeof c.class_id === "string")
      : [];
  } catch {
    return [];
  }
}

/** @param {RememberedClass[]} classes */
function write(classes) {
  try {
    if (classes.length) window.localStorage.setItem(STORAGE_KEY, JSON.stringify(classes));
    else window.localStorage.removeItem(STORAGE_KEY);
  } catch {
    /* storage full or blocked: the teacher still has the link they saved */
  }
}

/**
 * The remembered classes, most recently opened first.
 * @returns {RememberedClass[]}
 */
export function list() {
  return read().sort((a, b) => b.saved_at - a.saved_at);
}

/**
 * Remember (or refresh) a class opened with `key`. One entry per class and role: a newer link
 * for the same class replaces the older one.
 * @param {{class_id: string, name: string, role: string, key: string}} entry
 */
export function remember({ class_id, name, role, key }) {
  if (!key || !class_id || (role !== "teacher" && role !== "cohost")) return;
  const others = read().filter((c) => c.key !== key && !(c.class_id === class_id && c.role === role));
  /** @type {RememberedClass} */
  const entry = { class_id, name: String(name).slice(0, 120),
    role: /** @type {"teacher" | "cohost"} */ (role), key, saved_at: Date.now() };
  write([entry, ...others]
    .slice(0, MAX_CLASSES));
}

/**
 * Forget the class opened with `key` on this device (also in this tab's session).
 * @param {string} key
 */
export function forget(key) {
  write(read().filter((c) => c.key !== key));
  try {
    if (window.sessionStorage.getItem(SESSION_KEY) === key) window.sessionStorage.removeItem(SESSION_KEY);
  } catch {
    /* ignore */
  }
}

/**
 * Open a remembered class's dashboard without putting its key in the address bar.
 * @param {string} key
 */
export function open(key) {
  try {
    window.sessionStorage.setItem(SESSION_KEY, key);
  } catch {
    /* ignore: the dashboard then finds the single remembered class by itself */
  }
  window.location.assign("/teacher");
}
