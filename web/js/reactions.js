// The fixed set of kind reactions, and their rendering.
import { h } from "./dom.js";
import { t } from "./i18n.js";

export const REACTIONS = [
  { id: "heart", emoji: "\u2764\uFE0F", label: () => t("reaction.heart") },
  { id: "clap", emoji: "\u{1F44F}", label: () => t("reaction.clap") },
  { id: "smile", emoji: "\u{1F60A}", label: () => t("reaction.smile") },
  { id: "star", emoji: "\u2B50", label: () => t("reaction.star") },
  { id: "wow", emoji: "\u{1F62E}", label: () => t("reaction.wow") },
];

/**
 * Counts as a small list: "❤️ 2  👏 1" (screen readers hear "Heart: 2").
 * @param {Record<string, number> | undefined} counts
 * @returns {HTMLElement}
 */
export function reactionSummary(counts) {
  const items = REACTIONS.filter((r) => (counts?.[r.id] || 0) > 0).map((r) => {
    const n = counts?.[r.id] || 0;
    return h("li", { class: "reaction-count", dataset: { reaction: r.id }, "aria-label": t("reaction.count", { reaction: r.label(), count: n }) },
      h("span", { "aria-hidden": "true" }, r.emoji), " ", h("span", { class: "n", "aria-hidden": "true" }, String(n)));
  });
  const list = h("ul", { class: "reaction-summary", "aria-label": t("reaction.list") }, items);
  if (!items.length) list.hidden = true;
  return list;
}

/**
 * A row of reaction buttons with counts.
 * @param {{id: string, author: string, reactions?: Record<string, number>}} card
 * @param {Set<string>} mine reactions this student already gave to this card
 * @param {(reaction: string) => void} onReact
 * @returns {HTMLElement}
 */
export function reactionButtons(card, mine, onReact) {
  return h("div", { class: "reaction-buttons", role: "group", "aria-label": t("reaction.group", { name: card.author }) },
    REACTIONS.map((r) => {
      const n = card.reactions?.[r.id] || 0;
      return h("button", {
        type: "button",
        class: "reaction",
        dataset: { reaction: r.id },
        "aria-pressed": mine.has(r.id) ? "true" : "false",
        "aria-label": t("reaction.button", { reaction: r.label(), count: n }),
        on: { click: () => onReact(r.id) },
      }, h("span", { "aria-hidden": "true" }, r.emoji), h("span", { class: "n", "aria-hidden": "true" }, n ? String(n) : ""));
    }));
}
