// The summary card at the top of the verdict: the strategy, one sentence why, how close the runner-up is,
// the flags that rule something out or warn, and the one next action with its button.
import { $, h } from "./dom.js";
import { strategyName, t } from "./i18n.js";

const DATA_FLAGS = new Set(["insufficient_training_data", "low_quality_training_data"]);

/** The reason that says best why: the first signal (what the use case is), else the first reason. */
function leadReason(advice) {
  return advice.reasons.find((reason) => reason.stage === "signal") ?? advice.reasons[0] ?? null;
}

/** A reason's sentence without the "(This assumes: …)" the engine appends: the card says how many were assumed. */
export function plainBecause(reason) {
  const text = reason.because;
  if (!reason.assumed?.length) return text;
  const cut = text.lastIndexOf(" (");
  return cut > 0 && text.endsWith(")") ? text.slice(0, cut) : text;
}

/** Reachable what-ifs, the least effort first: the first is the runner-up. */
export function reachable(advice) {
  return advice.counterfactuals.filter((item) => item.reachable).sort((a, b) => (a.effort ?? 0) - (b.effort ?? 0));
}

/** {lever: true} for each lever a flag's rule ruled out. */
function blockedBy(advice, flag) {
  return Object.entries(advice.blocked ?? {})
    .filter(([, rules]) => rules.includes(flag.rule))
    .map(([lever]) => lever);
}

function flagItem(advice, flag) {
  const levers = blockedBy(advice, flag);
  const kind = levers.length ? "blocks" : "warns";
  const tag = levers.length ? t("flagBlocks", { name: levers.map(strategyName).join(", ") }) : t("flagWarns");
  return h("li", { "data-code": flag.code, class: kind }, h("strong", { class: "flag-tag" }, tag), " ", h("span", {}, flag.message));
}

export function renderSummary(advice, { onReviewAssumed }) {
  $("#strategy-name").textContent = strategyName(advice.strategy);
  const lead = leadReason(advice);
  $("#summary-why").replaceChildren(...(lead ? [h("strong", {}, t("whyLead")), " ", h("span", {}, plainBecause(lead))] : []));
  const closest = reachable(advice)[0];
  const parts = closest
    ? [t("closest", { name: strategyName(closest.strategy) }), " ", h("span", {}, closest.summary)]
    : [t("firm")];
  const assumed = advice.assumptions?.length ?? 0;
  if (assumed) {
    const review = h("button", { type: "button", class: "link", id: "review-assumed", onclick: onReviewAssumed }, t("review"));
    parts.push(" ", t("assumedCount", { n: assumed }), " ", review);
  }
  $("#summary-closeness").replaceChildren(...parts);
  $("#flags").replaceChildren(...advice.flags.map((flag) => flagItem(advice, flag)));
  $("#flags").hidden = !advice.flags.length;
  showNextAction(null);
}

/**
 * What to do first, given the verdict and what the downloads area holds:
 * {kind, label, target} where target is a download's file name or the id of the control to focus.
 */
export function chooseAction(advice, files, forms) {
  const tuning = advice.strategy === "fine_tuning" || advice.strategy === "rag_and_fine_tuning";
  const byName = (...names) => names.find((name) => files.some((file) => file.name === name));
  if (advice.strategy === "rag" || advice.strategy === "rag_and_fine_tuning") {
    if (forms.includes("kb")) return { kind: "kb", label: t("actionCreateKb"), target: "kb-name" };
  }
  if (tuning && (advice.flags.some((flag) => DATA_FLAGS.has(flag.code)) || !files.length) && forms.includes("data")) {
    return { kind: "data", label: t("actionUploadData"), target: "dataset-file" };
  }
  if (forms.includes("examples")) return { kind: "examples", label: t("actionAddExamples"), target: "examples-input" };
  const prompt = byName("prompt.txt");
  if (prompt) return { kind: "download", label: t("actionDownloadPrompt"), target: prompt };
  const job = byName("start_tuning.py", "train.py", "tuning-job-spec.json");
  if (job) return { kind: "download", label: t("actionDownloadJob"), target: job };
  if (files.length) return { kind: "download", label: t("actionDownloadFiles"), target: files[0].name };
  return null;
}

function act(action) {
  if (action.kind === "download") {
    document.querySelector(`#download-list a[data-file="${CSS.escape(action.target)}"]`)?.click();
    return;
  }
  const control = document.getElementById(action.target);
  control?.scrollIntoView({ block: "center" });
  control?.focus();
}

export function showNextAction(action) {
  const box = $("#next-action");
  box.hidden = !action;
  if (!action) return box.replaceChildren();
  box.dataset.kind = action.kind;
  const button = h("button", { type: "button", id: "next-action-button", onclick: () => act(action) }, action.label);
  box.replaceChildren(h("span", { class: "next-lead" }, t("nextLead")), " ", button);
  return undefined;
}
