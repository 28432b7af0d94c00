// Accessible tabs (WAI-ARIA tabs pattern, manual activation with arrow-key focus moving).

/**
 * Wire a tablist. Tabs are `[role=tab]` buttons with `aria-controls`; hidden tabs are skipped.
 * @param {HTMLElement} list the `[role=tablist]` element
 * @param {{onShow?: (panelId: string) => void, storageKey?: string}} [opts]
 * @returns {{select: (tabId: string, focus?: boolean) => void, current: () => string, refresh: () => void}}
 */
export function wireTabs(list, opts = {}) {
  const tabs = () => /** @type {HTMLElement[]} */ ([...list.querySelectorAll("[role=tab]")]);
  const visible = () => tabs().filter((t) => !t.hidden);
  let current = "";

  /** @param {string} tabId @param {boolean} [focus] */
  function select(tabId, focus = false) {
    const all = tabs();
    const tab = all.find((t) => t.id === tabId && !t.hidden) || visible()[0];
    if (!tab) return;
    for (const t of all) {
      const on = t === tab;
      t.setAttribute("aria-selected", String(on));
      t.tabIndex = on ? 0 : -1;
      const panel = document.getElementById(t.getAttribute("aria-controls") || "");
      if (panel) panel.hidden = !on;
    }
    if (focus) tab.focus();
    const changed = current !== tab.id;
    current = tab.id;
    if (opts.storageKey) {
      try {
        window.sessionStorage.setItem(opts.storageKey, tab.id);
      } catch {
        /* ignore */
      }
    }
    if (changed && opts.onShow) opts.onShow(tab.getAttribute("aria-controls") || "");
  }

  list.addEventListener("click", (event) => {
    const tab = /** @type {HTMLElement} */ (event.target).closest("[role=tab]");
    if (tab) select(tab.id);
  });
  list.addEventListener("keydown", (event) => {
    const key = /** @type {KeyboardEvent} */ (event).key;
    const shown = visible();
    const index = shown.findIndex((t) => t.id === current);
    let next = -1;
    if (key === "ArrowRight" || key === "ArrowDown") next = (index + 1) % shown.length;
    else if (key === "ArrowLeft" || key === "ArrowUp") next = (index - 1 + shown.length) % shown.length;
    else if (key === "Home") next = 0;
    else if (key === "End") next = shown.length - 1;
    if (next < 0) return;
    event.preventDefault();
    select(shown[next].id, true);
  });

  let saved = "";
  if (opts.storageKey) {
    try {
      saved = window.sessionStorage.getItem(opts.storageKey) || "";
    } catch {
      saved = "";
    }
  }
  const initial = tabs().find((t) => t.getAttribute("aria-selected") === "true");
  current = initial ? initial.id : "";

  return {
    select,
    current: () => current,
    /** Re-check after tabs were shown or hidden (e.g. the role became known). */
    refresh() {
      const want = saved || current;
      saved = "";
      const tab = tabs().find((t) => t.id === want);
      if (tab && !tab.hidden) {
        if (want !== current) select(want);
      } else {
        select(visible()[0]?.id || "");
      }
    },
  };
}
