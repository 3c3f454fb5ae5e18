// The verdict itself: strategy, reasons with links to the guide, flags, steps, counterfactuals, economics.
import { api } from "./api.js";
import { $, h } from "./dom.js";
import { formatMoney, formatNumber, lang, strategyName, t } from "./i18n.js";

function guideLink(anchor, label) {
  return h("a", { href: `/v1/guide/${encodeURIComponent(anchor)}?lang=${lang()}`, class: "guide-link", "data-anchor": anchor }, label);
}

const guideTitles = {}; // lang -> {anchor: section title}, from GET /v1/guide

export async function loadGuideTitles() {
  if (guideTitles[lang()]) return guideTitles[lang()];
  try {
    const index = await api("GET", `/v1/guide?lang=${lang()}`);
    guideTitles[lang()] = Object.fromEntries(index.sections.map((section) => [section.anchor, section.title]));
  } catch {
    return {}; // the links still work, named by their anchors
  }
  return guideTitles[lang()];
}

function renderReasons(advice, titles) {
  $("#reasons").replaceChildren(
    ...advice.reasons.map((reason) => {
      const link = guideLink(reason.guide, t("guideLink", { title: titles[reason.guide] ?? reason.guide }));
      return h("li", { "data-rule": reason.rule }, h("bdi", {}, h("strong", {}, reason.title), " — ", reason.because), " ", link);
    }),
  );
  $("#flags-block").hidden = !advice.flags.length;
  $("#flags").replaceChildren(...advice.flags.map((flag) => h("li", { "data-code": flag.code }, h("bdi", {}, flag.message))));
  $("#steps-block").hidden = !advice.next_steps.length;
  $("#next-steps").replaceChildren(...advice.next_steps.map((step) => h("li", {}, h("bdi", {}, step))));
}

function renderCounterfactuals(advice) {
  const reachable = advice.counterfactuals.filter((item) => item.reachable);
  $("#counterfactuals").replaceChildren(
    ...(reachable.length
      ? reachable.map((item) => h("li", { "data-strategy": item.strategy }, h("strong", {}, strategyName(item.strategy)), ": ", h("bdi", {}, item.summary)))
      : [h("li", {}, t("noCounterfactuals"))]),
  );
}

function renderEconomics(economics) {
  $("#economics-block").hidden = !economics;
  if (!economics) return;
  const money = (value) => (value == null ? "—" : formatMoney(value));
  const rows = [
    [t("econRequests"), formatNumber(economics.requests_per_month)],
    [t("econTokens"), `${formatNumber(economics.prompt_tokens_today)} → ${formatNumber(economics.prompt_tokens_tuned)}`],
    [t("econCost"), `${money(economics.monthly_cost_today_usd)} → ${money(economics.monthly_cost_tuned_usd)}`],
    [t("econSaving"), money(economics.monthly_saving_usd)],
    [t("econTraining"), money(economics.training_cost_estimate_usd)],
    [t("econPayback"), economics.payback_days == null ? "—" : t("econDays", { n: formatNumber(economics.payback_days, 1) })],
    [t("econPrices"), economics.prices_as_of ?? "—"],
  ];
  $("#economics").replaceChildren(...rows.flatMap(([label, value]) => [h("dt", {}, label), h("dd", {}, value)]));
}

function renderNotes(notes) {
  $("#notes-block").hidden = !notes.length;
  $("#notes").replaceChildren(...notes.map((note) => h("li", {}, h("bdi", {}, note))));
}

/** Fill the verdict section from an advice (the answers list and downloads are the caller's). */
export function renderVerdict(advice, titles) {
  $("#strategy-name").textContent = strategyName(advice.strategy);
  $("#strategy-code").textContent = advice.strategy;
  $("#verdict").dataset.strategy = advice.strategy;
  $("#verdict").dataset.adviceId = advice.id;
  renderReasons(advice, titles);
  renderCounterfactuals(advice);
  renderEconomics(advice.economics);
  renderNotes(advice.notes ?? []);
}
