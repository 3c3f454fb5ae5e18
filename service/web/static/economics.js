// The costs section: the chart, a table of the monthly cost per side, the figures it rests on, and how it is
// counted. A figure that comes from an unanswered question says so, with a button to that question.
import { costChart, legendItems, paybackNote } from "./chart.js";
import { h, ltr } from "./dom.js";
import { formatMoney, formatNumber, t } from "./i18n.js";

const money = (value) => ltr(value == null ? "—" : formatMoney(value));
const count = (value) => ltr(value == null ? "—" : formatNumber(value));

/** The sides of the table: today, today's prompt on the model that would be tuned (when another), tuned. */
function sides(economics) {
  const list = [{ key: "today", title: t("econColToday"), side: economics.today }];
  if (economics.baseline) list.push({ key: "baseline", title: t("econColBaseline"), side: economics.baseline });
  list.push({ key: "tuned", title: t("econColTuned"), side: economics.tuned });
  return list;
}

function costTable(economics) {
  const columns = sides(economics);
  const head = h(
    "tr",
    {},
    h("td", {}),
    columns.map((column) => h("th", { scope: "col", "data-side": column.key }, column.title, h("br"), h("small", {}, ltr(column.side.model ?? column.side.provider)))),
  );
  const rows = [
    [t("econRowBlockTokens"), (side) => count(side.block_tokens)],
    [t("econRowBlock"), (side) => money(side.block_usd)],
    [t("econRowInput"), (side) => money(side.input_usd)],
    [t("econRowOutput"), (side) => money(side.output_usd)],
    [t("econRowTotal"), (side) => money(side.total_usd)],
  ].map(([label, cell], index) =>
    h("tr", { class: index === 4 ? "total" : null }, h("th", { scope: "row" }, label), columns.map((column) => h("td", { "data-side": column.key }, cell(column.side)))),
  );
  return h("div", { class: "table-wrap" }, h("table", { class: "costs" }, h("thead", {}, head), h("tbody", {}, rows)));
}

/** Each figure with the question it comes from, so an assumed one can be marked. */
function facts(economics) {
  const payback = economics.payback_days == null ? ltr("—") : t("econDays", { n: formatNumber(economics.payback_days, 1) });
  return [
    [t("econRequests"), count(economics.requests_per_month), "requests_per_day"],
    [t("econInputTokens"), count(economics.input_tokens), "input_tokens"],
    [t("econOutputTokens"), count(economics.output_tokens), "output_tokens"],
    [t("econSaving"), money(economics.monthly_saving_usd), null],
    [t("econTraining"), money(economics.training_cost_estimate_usd), "examples"],
    [t("econPayback"), payback, null],
    [t("econPrices"), ltr(economics.prices_as_of ?? "—"), null],
  ];
}

/** "assumed — change" next to a figure whose question was not answered; null when it was. */
export function assumedMark(field, assumed, questionText, onChange) {
  if (!field || !assumed.has(field)) return null;
  const label = t("assumedChangeLabel", { question: questionText(field) });
  return h("button", { type: "button", class: "link assumed", "data-field": field, "aria-label": label, onclick: () => onChange(field) }, t("assumedChange"));
}

export function renderEconomics(container, economics, { assumed, questionText, onChange }) {
  const nodes = [];
  for (const warning of economics.sanity ?? []) nodes.push(h("p", { class: "warn" }, warning));
  const chart = costChart(economics);
  if (chart) {
    nodes.push(h("figure", { class: "chart-box" }, chart, h("figcaption", {}, h("ul", { class: "legend" }, legendItems(economics).map((item) => h("li", { class: item.key }, h("span", { class: "swatch", "aria-hidden": "true" }), item.label))))));
    const note = paybackNote(economics);
    if (note) nodes.push(h("p", { class: "help", id: "payback-note" }, note));
  }
  nodes.push(costTable(economics));
  const marks = { prompt_tokens: assumedMark("prompt_tokens", assumed, questionText, onChange) };
  if (marks.prompt_tokens) nodes.push(h("p", { class: "help" }, t("econRowBlockTokens"), ": ", count(economics.prompt_tokens_today), " ", marks.prompt_tokens));
  const list = facts(economics).flatMap(([label, value, field]) => [
    h("dt", {}, label),
    h("dd", { "data-field": field }, value, " ", assumedMark(field, assumed, questionText, onChange)),
  ]);
  nodes.push(h("dl", { class: "economics" }, list));
  nodes.push(h("h4", {}, t("econHow")), h("ul", { class: "how" }, [...new Set(economics.assumptions ?? [])].map((line) => h("li", {}, line))));
  container.replaceChildren(...nodes);
}
