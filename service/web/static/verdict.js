// The verdict: the summary card first, then sections a reader opens (reasons, where to tune, steps, what-ifs,
// costs, what was assumed, notes). Every text is the engine's, in the advice's language; links open pages.
import { api } from "./api.js";
import { $, h, ltr } from "./dom.js";
import { renderEconomics } from "./economics.js";
import { lang, strategyName, t } from "./i18n.js";
import { reachable, renderSummary } from "./summary.js";

export function guideUrl(anchor) {
  return `/guide/${encodeURIComponent(anchor)}?lang=${lang()}`;
}

export function guideLink(anchor, label) {
  return h("a", { href: guideUrl(anchor), class: "guide-link", "data-anchor": anchor }, label);
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

function reasonItem(reason, titles) {
  const link = guideLink(reason.guide, t("guideLink", { title: titles[reason.guide] ?? reason.guide }));
  return h("li", { "data-rule": reason.rule }, h("strong", {}, h("span", {}, reason.title)), " — ", h("span", {}, reason.because), " ", link);
}

function renderReasons(advice, titles) {
  $("#reasons").replaceChildren(...advice.reasons.map((reason) => reasonItem(reason, titles)));
  $("#reasons-count").replaceChildren(ltr(`(${advice.reasons.length})`));
  const outweighed = advice.outweighed ?? [];
  $("#outweighed-block").hidden = !outweighed.length;
  $("#outweighed").replaceChildren(...outweighed.map((reason) => reasonItem(reason, titles)));
}

function renderPlan(advice) {
  const plan = advice.tuning;
  $("#tuning-block").hidden = !plan;
  $("#tuning-summary").replaceChildren(plan ? h("span", {}, plan.summary) : "");
  $("#tuning-steps").replaceChildren(...(plan?.steps ?? []).map((step) => h("li", {}, step)));
  $("#steps-block").hidden = !advice.next_steps.length;
  $("#next-steps").replaceChildren(...advice.next_steps.map((step) => h("li", {}, step)));
}

function renderCounterfactuals(advice) {
  const near = reachable(advice);
  const far = advice.counterfactuals.filter((item) => !item.reachable);
  const items = near.map((item) => h("li", { "data-strategy": item.strategy }, h("strong", {}, strategyName(item.strategy)), ": ", h("span", {}, item.summary)));
  if (!near.length) items.push(h("li", {}, t("noCounterfactuals")));
  for (const item of far) items.push(h("li", { class: "far", "data-strategy": item.strategy }, h("span", { class: "badge" }, t("outOfReach")), " ", h("span", {}, item.summary)));
  $("#counterfactuals").replaceChildren(...items);
}

function renderAssumptions(advice, context) {
  const list = advice.assumptions ?? [];
  $("#assumed-block").hidden = !list.length;
  $("#assumed-count").replaceChildren(ltr(`(${list.length})`));
  $("#assumptions").replaceChildren(
    ...list.map((item) => {
      const change = h(
        "button",
        { type: "button", class: "link", "data-field": item.field, "aria-label": t("changeLabel", { question: context.questionText(item.field) }), onclick: () => context.onChange(item.field) },
        t("change"),
      );
      return h("li", { "data-field": item.field }, h("span", {}, item.text), " ", change);
    }),
  );
}

function renderNotes(notes) {
  $("#notes-block").hidden = !notes.length;
  $("#notes").replaceChildren(...notes.map((note) => h("li", {}, note)));
}

/** Notes meant for API callers name a route: the page has its own controls for those, so it leaves them out. */
export function pageNotes(notes) {
  return notes.filter((note) => !/(^|\s)(GET|POST|PUT|DELETE) \/|\/v1\//.test(note));
}

/**
 * Fill the verdict section. `context`: questionText(field) -> the question as people read it;
 * onChange(field) -> go to that question (the answers list and the downloads are the caller's).
 */
export function renderVerdict(advice, titles, context) {
  $("#verdict").dataset.strategy = advice.strategy;
  $("#verdict").dataset.adviceId = advice.id;
  renderSummary(advice, {
    onReviewAssumed: () => {
      $("#assumed-block").open = true;
      $("#assumed-block summary").focus();
    },
  });
  renderReasons(advice, titles);
  renderPlan(advice);
  renderCounterfactuals(advice);
  $("#economics-block").hidden = !advice.economics;
  if (advice.economics) {
    const assumed = new Set((advice.assumptions ?? []).map((item) => item.field));
    renderEconomics($("#economics"), advice.economics, { assumed, ...context });
  }
  renderAssumptions(advice, context);
  renderNotes(pageNotes(advice.notes ?? []));
  for (const block of document.querySelectorAll("#verdict details.more")) block.open = false;
}
