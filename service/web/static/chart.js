// The cost picture: cumulative cost over 12 months, today against the tuned model, with the payback point.
// Inline SVG drawn here (no library, nothing fetched); the table beside it has every figure as text.
import { formatNumber, t } from "./i18n.js";

const dollars = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD", maximumFractionDigits: 0 });

const SVG = "http://www.w3.org/2000/svg";
const MONTHS = 12;
const DAYS_PER_MONTH = 30; // the engine's month (rules/economics.py)
const SIZE = { width: 480, height: 280, left: 70, right: 14, top: 24, bottom: 42 };

/** An SVG element with its attributes and text (the accuracy chart draws with it too). */
export function el(tag, attrs = {}, text = null) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
  if (text !== null) node.textContent = text;
  return node;
}

/** The lines to draw: each {key, label, start, monthly}; sides without a price are left out. */
export function chartSeries(economics) {
  const series = [];
  const today = economics.today?.total_usd;
  if (today != null) series.push({ key: "today", label: t("chartToday", { model: economics.model ?? economics.provider }), start: 0, monthly: today });
  const baseline = economics.baseline?.total_usd;
  if (baseline != null) series.push({ key: "baseline", label: t("chartBaseline", { model: economics.tuned_model }), start: 0, monthly: baseline });
  const tuned = economics.tuned?.total_usd;
  if (tuned != null) {
    const start = economics.training_cost_estimate_usd ?? 0;
    series.push({ key: "tuned", label: t("chartTuned", { model: economics.tuned_model ?? economics.tuned_provider }), start, monthly: tuned });
  }
  return series;
}

/** Where to mark payback: the engine's payback_days on the tuned line, when it falls within the 12 months. */
export function paybackPoint(economics) {
  const days = economics.payback_days;
  const tuned = economics.tuned?.total_usd;
  if (days == null || tuned == null) return null;
  const month = days / DAYS_PER_MONTH;
  if (month > MONTHS) return null;
  return { month, days, cost: (economics.training_cost_estimate_usd ?? 0) + tuned * month };
}

/** Why no point is marked, or null when one is (or nothing is to be said). */
export function paybackNote(economics) {
  if (paybackPoint(economics)) return null;
  if (economics.payback_days != null) return t("chartPaybackLater", { n: formatNumber(economics.payback_days, 1) });
  if (economics.monthly_saving_usd != null && economics.monthly_saving_usd <= 0) return t("chartNoSaving");
  if (economics.training_cost_estimate_usd == null) return t("chartNoTraining");
  return null;
}

function niceMax(value) {
  if (value <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  const step = [1, 2, 2.5, 5, 10].find((factor) => factor * power >= value);
  return step * power;
}

/** The chart as an <svg> element, or null when there is nothing to draw. */
export function costChart(economics) {
  const series = chartSeries(economics);
  if (!series.length) return null;
  const { width, height, left, right, top, bottom } = SIZE;
  const top_ = niceMax(Math.max(...series.map((line) => line.start + line.monthly * MONTHS)));
  const x = (month) => left + (month / MONTHS) * (width - left - right);
  const y = (cost) => top + (1 - cost / top_) * (height - top - bottom);
  const svg = el("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-labelledby": "chart-title chart-desc", class: "chart", direction: "ltr" });
  svg.append(el("title", { id: "chart-title" }, t("chartTitle")), el("desc", { id: "chart-desc" }, t("chartDesc")));
  for (let index = 0; index <= 4; index += 1) {
    const cost = (top_ * index) / 4;
    svg.append(el("line", { x1: left, x2: width - right, y1: y(cost), y2: y(cost), class: "grid" }));
    svg.append(el("text", { x: left - 6, y: y(cost) + 4, "text-anchor": "end", class: "tick" }, dollars.format(cost)));
  }
  for (let month = 0; month <= MONTHS; month += 3) {
    svg.append(el("text", { x: x(month), y: height - bottom + 18, "text-anchor": "middle", class: "tick" }, String(month)));
  }
  svg.append(el("text", { x: (left + width - right) / 2, y: height - 4, "text-anchor": "middle", class: "axis" }, t("chartMonths")));
  for (const line of series) {
    const attrs = { x1: x(0), y1: y(line.start), x2: x(MONTHS), y2: y(line.start + line.monthly * MONTHS), class: `line ${line.key}` };
    svg.append(el("line", { ...attrs, "data-series": line.key }));
  }
  const point = paybackPoint(economics);
  if (point) {
    const mark = el("g", { class: "payback", "data-days": point.days });
    mark.append(el("circle", { cx: x(point.month), cy: y(point.cost), r: 6 }));
    const anchor = point.month > MONTHS / 2 ? "end" : "start";
    const shift = anchor === "end" ? -10 : 10;
    mark.append(el("text", { x: x(point.month) + shift, y: y(point.cost) - 10, "text-anchor": anchor }, t("chartPayback", { n: formatNumber(point.days, 1) })));
    svg.append(mark);
  }
  return svg;
}

/** The legend as an HTML list (it wraps and reads right-to-left in Hebrew, unlike text inside the SVG). */
export function legendItems(economics) {
  return chartSeries(economics).map((line) => ({ key: line.key, label: line.label }));
}
