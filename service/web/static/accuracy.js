// An experiment's candidates side by side: a bar of accuracy each, with its 95% interval as a whisker.
// Inline SVG (no library); the figures are also written out as a table beside it, for screen readers and copying.
import { el } from "./chart.js";
import { h, ltr } from "./dom.js";
import { formatNumber, lang, t } from "./i18n.js";

const SIZE = { width: 480, height: 260, left: 44, right: 12, top: 20, bottom: 48 };
const BAR = 0.5; // a bar's share of its slot
const dollars = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD", minimumFractionDigits: 2, maximumFractionDigits: 4 });

/** Dollars to four places: an experiment often costs fractions of a cent. */
export function usd(value) {
  return dollars.format(value);
}

/** 0.7 -> "0.70": the advice's reasons write accuracy the same way. */
export function fraction(value) {
  return value == null ? "—" : value.toFixed(2);
}

export function intervalText(candidate) {
  return candidate.ci_low == null ? "—" : `[${fraction(candidate.ci_low)}, ${fraction(candidate.ci_high)}]`;
}

export function candidateName(name) {
  const key = { zero_shot: "candZeroShot", few_shot: "candFewShot", grounded: "candGrounded" }[name];
  return key ? t(key) : name.replace(/^tuned:/, "");
}

/** The chart as an <svg>: one bar per scored candidate, whiskers from ci_low to ci_high, the value above. */
export function accuracyChart(candidates) {
  const scored = candidates.filter((candidate) => candidate.accuracy != null);
  if (!scored.length) return null;
  const { width, height, left, right, top, bottom } = SIZE;
  const slot = (width - left - right) / scored.length;
  const y = (value) => top + (1 - value) * (height - top - bottom);
  const svg = el("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-labelledby": "acc-title acc-desc", class: "chart accuracy", direction: "ltr" });
  svg.append(el("title", { id: "acc-title" }, t("accTitle")), el("desc", { id: "acc-desc" }, t("accDesc")));
  for (let step = 0; step <= 4; step += 1) {
    const value = step / 4;
    svg.append(el("line", { x1: left, x2: width - right, y1: y(value), y2: y(value), class: "grid" }));
    svg.append(el("text", { x: left - 6, y: y(value) + 4, "text-anchor": "end", class: "tick" }, fraction(value)));
  }
  scored.forEach((candidate, index) => {
    const middle = left + slot * (index + 0.5);
    const half = (slot * BAR) / 2;
    const group = el("g", { class: "candidate", "data-candidate": candidate.name });
    const barTop = y(candidate.accuracy);
    group.append(el("rect", { x: middle - half, y: barTop, width: 2 * half, height: y(0) - barTop, class: "bar" }));
    const low = y(candidate.ci_low);
    const high = y(candidate.ci_high);
    const cap = Math.min(half / 2, 10);
    group.append(el("line", { x1: middle, x2: middle, y1: low, y2: high, class: "whisker", "data-low": candidate.ci_low, "data-high": candidate.ci_high }));
    group.append(el("line", { x1: middle - cap, x2: middle + cap, y1: low, y2: low, class: "whisker cap" }));
    group.append(el("line", { x1: middle - cap, x2: middle + cap, y1: high, y2: high, class: "whisker cap" }));
    const label = Math.max(high, top + 12) - 6;
    group.append(el("text", { x: middle + cap + 4, y: label + 2, "text-anchor": "start", class: "value" }, fraction(candidate.accuracy)));
    // A Hebrew name keeps its own order inside the left-to-right chart ("ללא דוגמאות (zero-shot)").
    const direction = lang() === "he" ? "rtl" : "ltr";
    group.append(el("text", { x: middle, y: height - bottom + 18, "text-anchor": "middle", direction, class: "tick name" }, candidateName(candidate.name)));
    svg.append(group);
  });
  svg.append(el("text", { x: (left + width - right) / 2, y: height - 6, "text-anchor": "middle", class: "axis" }, t("accAxis")));
  return svg;
}

/** Every figure of the chart, and more, as a table: one row per candidate. */
export function accuracyTable(candidates) {
  const head = [t("accColCandidate"), t("accColAccuracy"), t("accColInterval"), t("accColCorrect"), t("accColErrors"), t("accColCost"), t("accColLatency")];
  const rows = candidates.map((candidate) =>
    h(
      "tr",
      { "data-candidate": candidate.name },
      h("th", { scope: "row" }, candidateName(candidate.name), h("br"), h("small", {}, ltr(candidate.model))),
      h("td", { class: "accuracy" }, ltr(fraction(candidate.accuracy))),
      h("td", { class: "interval" }, ltr(intervalText(candidate))),
      h("td", { class: "correct" }, ltr(`${formatNumber(candidate.correct)} / ${formatNumber(candidate.n)}`)),
      h("td", { class: "errors" }, ltr(formatNumber(candidate.errors))),
      h("td", { class: "cost" }, ltr(candidate.cost_usd == null ? "—" : usd(candidate.cost_usd))),
      h("td", { class: "latency" }, ltr(candidate.latency_ms_p50 == null ? "—" : `${formatNumber(candidate.latency_ms_p50)} ms`)),
    ),
  );
  const header = h("tr", {}, head.map((title) => h("th", { scope: "col" }, title)));
  return h("div", { class: "table-wrap" }, h("table", { id: "try-table", class: "costs" }, h("caption", {}, t("accCaption")), h("thead", {}, header), h("tbody", {}, rows)));
}

/** One sentence, the best first: "few-shot 1.00 [0.72, 1.00] vs zero-shot 0.70 [0.40, 0.89]", as nodes with the
 * figures isolated left to right, so it reads in the page's direction in Hebrew too. */
export function accuracySummary(candidates) {
  const scored = candidates.filter((candidate) => candidate.accuracy != null);
  scored.sort((a, b) => b.accuracy - a.accuracy || b.ci_low - a.ci_low);
  return scored.flatMap((candidate, index) => [
    index ? t("accVersus") : null,
    h("span", { "data-candidate": candidate.name }, candidateName(candidate.name), " ", ltr(`${fraction(candidate.accuracy)} ${intervalText(candidate)}`)),
  ]);
}
