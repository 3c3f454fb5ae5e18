// "Try it on your data": paste or upload an evaluation set, pick a target and candidates, see the estimate
// (and confirm a cost over budget), follow the run, then compare the candidates' accuracy with 95% intervals
// and use the measurement in the advice. Opened from a verdict it starts from the advice's prompt and its
// held-out examples; opened on its own it starts empty. Only the public API: /v1/experiments, /v1/advice.
import { run } from "./actions.js";
import { ApiError, api } from "./api.js";
import { accuracyChart, accuracySummary, accuracyTable, usd } from "./accuracy.js";
import { $, fieldError, h, ltr, showOnly } from "./dom.js";
import { parseEvalSet } from "./evalset.js";
import { formatNumber, t } from "./i18n.js";

const POLL_MS = 500;
const PENDING = "tuning-advisor.experiment"; // a measurement waiting for the questionnaire's verdict
const HOSTED = new Set(["openai", "anthropic", "google"]);
const ERRORS = ["#try-items-error", "#try-provider-error", "#try-model-error", "#try-base-url-error", "#try-rubric-error", "#try-error"];
const state = { advice: null, back: null, poll: 0 };

function setState(value) {
  $("#try").dataset.state = value;
}

function showError(selector, control, message) {
  fieldError($(selector), control ? [control] : [], message);
  control?.focus();
}

/** showError, then null: what request() returns when the form is not ready to send. */
function invalid(selector, control, message) {
  showError(selector, control, message);
  return null;
}

function clearErrors() {
  for (const selector of ERRORS) fieldError($(selector), [], "");
  for (const control of document.querySelectorAll("#try-form [aria-invalid]")) control.removeAttribute("aria-invalid");
  $("#try-cost").hidden = true;
  $("#try-cost").replaceChildren();
}

function localTarget() {
  $("#try-local").hidden = $("#try-provider").value !== "openai_compatible";
  $("#try-rubric-box").hidden = $("#try-grader").value !== "rubric";
}

/** The grader as the API takes it: a name, or the rubric grader with its rubric (the target is its judge). */
function grader() {
  const name = $("#try-grader").value;
  if (name !== "rubric") return name;
  const rubric = $("#try-rubric").value.trim();
  return rubric ? { type: "rubric", rubric } : invalid("#try-rubric-error", $("#try-rubric"), t("tryNeedRubric"));
}

async function artifactOf(advice) {
  if (advice.artifact) return advice.artifact;
  try {
    return await api("GET", `/v1/advice/${encodeURIComponent(advice.id)}/artifact`);
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return null;
    throw error;
  }
}

/** From a verdict: the advice's few-shot prompt as a candidate, its held-out examples as the set, its provider and model. */
async function prefill(advice) {
  const artifact = await artifactOf(advice);
  const prompt = (artifact?.parts ?? []).find((part) => part.kind === "few_shot_prompt") ?? null;
  $("#try-few-shot").disabled = !prompt;
  $("#try-few-shot").checked = Boolean(prompt);
  const provider = advice.profile?.provider;
  if (HOSTED.has(provider)) $("#try-provider").value = provider;
  if (provider === "open_weights") $("#try-provider").value = "openai_compatible";
  const model = prompt?.model ?? advice.economics?.model ?? "";
  if (model && !$("#try-model").value) $("#try-model").value = model;
  const heldOut = prompt?.files?.["held_out.jsonl"] ?? "";
  if (heldOut.trim() && !$("#try-items").value.trim()) $("#try-items").value = heldOut;
  $("#try-context").textContent = prompt ? t("tryFromAdvice") : t("tryFromAdviceNoPrompt");
  localTarget();
}

/** Show the view; `advice` (or null) is what a measurement will be used in; `back` returns to where it was opened. */
export async function openTry(advice, back) {
  state.advice = advice;
  state.back = back;
  state.poll += 1;
  clearErrors();
  $("#try-form").hidden = false;
  $("#try-job").hidden = true;
  $("#try-results").hidden = true;
  $("#try-results").replaceChildren();
  $("#try-few-shot").disabled = true;
  $("#try-few-shot").checked = false;
  $("#try-context").textContent = t("tryIntro");
  showOnly("try");
  if (advice) await prefill(advice);
  localTarget();
  countItems();
  setState("form");
  $("#try-title").focus();
}

function countItems() {
  const text = $("#try-items").value;
  if (!text.trim()) return ($("#try-items-count").textContent = "");
  try {
    $("#try-items-count").textContent = t("evalCount", { n: formatNumber(parseEvalSet(text).length) });
  } catch {
    $("#try-items-count").textContent = "";
  }
  return undefined;
}

function number(selector) {
  const value = $(selector).value.trim();
  return value === "" ? null : Number(value);
}

/** The request from the form, or null after showing what is wrong next to its control. */
function request(confirmCost) {
  let items;
  try {
    items = parseEvalSet($("#try-items").value);
  } catch (bad) {
    if (!bad || typeof bad.line !== "number") throw bad;
    return invalid("#try-items-error", $("#try-items"), t("evalBadLine", { line: bad.line, reason: t(bad.reason, bad.vars) }));
  }
  const provider = $("#try-provider").value;
  const model = $("#try-model").value.trim();
  if (!/^\S+$/.test(model)) return invalid("#try-model-error", $("#try-model"), t("tryNeedModel"));
  const target = { provider, model };
  if (provider === "openai_compatible") {
    const base = $("#try-base-url").value.trim();
    if (!/^https?:\/\/[^\s/]+(\/\S*)?$/.test(base)) return invalid("#try-base-url-error", $("#try-base-url"), t("tryNeedBaseUrl"));
    target.base_url = base;
    const input = number("#try-price-in");
    const output = number("#try-price-out");
    if (input != null) target.input_per_mtok = input;
    if (output != null) target.output_per_mtok = output;
  }
  const candidates = [...document.querySelectorAll("#try-form input[name='candidate']:checked:not(:disabled)")].map((box) => box.value);
  const tuned = $("#try-tuned").value.trim();
  if (tuned) candidates.push({ tuned_model: tuned });
  if (!candidates.length) return invalid("#try-error", $("#try-zero-shot"), t("tryNeedCandidate"));
  const chosen = grader();
  if (chosen === null) return null;
  const body = { items, target, candidates, grader: chosen, confirm_cost: confirmCost };
  const system = $("#try-system").value.trim();
  if (system) body.system = system;
  if (candidates.includes("few_shot")) body.advice_id = state.advice.id;
  const most = number("#try-max-cost");
  if (most != null) body.max_cost_usd = most;
  return body;
}

function costRefused(error) {
  const confirm = h("button", { type: "button", id: "try-confirm", onclick: () => run(() => submit(true)) }, t("tryConfirm"));
  const box = $("#try-cost");
  box.replaceChildren(h("p", { id: "try-cost-detail" }, h("strong", {}, t("tryOverBudget")), " ", h("span", { dir: "ltr" }, error.message)), confirm);
  box.hidden = false;
  setState("confirm");
  confirm.focus();
}

function refused(error) {
  if (!(error instanceof ApiError)) throw error;
  if (error.status === 402) return costRefused(error);
  if (error.status === 409 && error.problem.code === "provider_key_missing") {
    return showError("#try-provider-error", $("#try-provider"), t("tryKeyMissing", { detail: error.message }));
  }
  if (![400, 404, 409, 413, 422, 503].includes(error.status)) throw error;
  const field = error.problem.field ?? "";
  if (field.endsWith("base_url")) return showError("#try-base-url-error", $("#try-base-url"), error.message);
  if (field.startsWith("grader")) return showError("#try-rubric-error", $("#try-rubric"), error.message);
  if (field.endsWith("model")) return showError("#try-model-error", $("#try-model"), error.message);
  return showError("#try-error", null, error.message);
}

async function submit(confirmCost = false) {
  clearErrors();
  const body = request(confirmCost);
  if (!body) return;
  let accepted;
  try {
    accepted = await api("POST", "/v1/experiments", body);
  } catch (error) {
    refused(error);
    return;
  }
  const estimate = accepted.estimate_usd == null ? t("tryEstimateUnknown") : usd(accepted.estimate_usd);
  $("#try-estimate").replaceChildren(t("tryEstimate"), " ", ltr(estimate));
  follow(accepted.id);
}

function address(experimentId) {
  const query = new URLSearchParams();
  if (state.advice) query.set("advice", state.advice.id);
  query.set("experiment", experimentId);
  return `/try?${query}`;
}

/** Poll the experiment until it ends, showing its progress; then its results. Leaving the view stops it. */
export function follow(experimentId) {
  const token = ++state.poll;
  $("#try-form").hidden = true;
  $("#try-job").hidden = false;
  $("#try-progress-text").textContent = "";
  setState("running");
  history.replaceState(null, "", address(experimentId));
  const tick = async () => {
    if (token !== state.poll) return;
    let experiment;
    try {
      experiment = await api("GET", `/v1/experiments/${encodeURIComponent(experimentId)}`);
    } catch (error) {
      $("#try-progress-text").textContent = t("tryPollFailed", { detail: error.message });
      setTimeout(tick, POLL_MS * 4);
      return;
    }
    if (token !== state.poll) return;
    progress(experiment);
    if (experiment.state === "succeeded" || experiment.state === "failed") results(experiment);
    else setTimeout(tick, POLL_MS);
  };
  tick();
}

function progress(experiment) {
  const { done, total } = experiment.progress;
  const text = t(`tryState_${experiment.state}`, { done: formatNumber(done), total: formatNumber(total) });
  $("#try-progress-text").textContent = text;
  $("#try-progress").max = Math.max(total, 1);
  $("#try-progress").value = done;
}

/** The accuracy prompting must reach, from the box beside the results; null (the advice's default) when unusable. */
function targetAccuracy() {
  const value = number("#try-target-accuracy");
  return value != null && value > 0 && value <= 1 ? value : null;
}

function useBox(experiment) {
  const accuracy = h("input", { id: "try-target-accuracy", type: "number", min: "0.01", max: "1", step: "0.01", value: "0.8", "aria-describedby": "try-target-help" });
  const label = h("label", { for: "try-target-accuracy" }, t("tryTargetAccuracy"));
  const help = h("p", { id: "try-target-help", class: "help" }, t("tryTargetHelp"));
  const use = state.advice
    ? h("button", { type: "button", id: "try-use", onclick: () => run(() => applyMeasurement(state.advice, experiment.id, targetAccuracy())) }, t("tryUseAdvice"))
    : h("button", { type: "button", id: "try-use", onclick: () => carryToQuestionnaire(experiment.id, targetAccuracy()) }, t("tryUseStart"));
  const again = h("button", { type: "button", id: "try-again", class: "secondary", onclick: () => openTry(state.advice, state.back) }, t("tryAgain"));
  const id = h("p", { class: "help", id: "try-experiment-id" }, t("tryExperimentId"), " ", ltr(experiment.id));
  return [id, label, accuracy, help, h("div", { class: "actions" }, use, again)];
}

function results(experiment) {
  const box = $("#try-results");
  const nodes = [h("h3", { id: "try-results-title", tabindex: "-1" }, t("tryResultsTitle"))];
  if (experiment.state === "failed") {
    const resume = h("button", { type: "button", id: "try-resume", onclick: () => run(() => resumeRun(experiment.id)) }, t("tryResume"));
    nodes.push(h("p", { class: "field-error", id: "try-failed" }, t("tryFailed", { detail: experiment.error?.message ?? "" })), resume);
  }
  const chart = accuracyChart(experiment.candidates);
  if (chart) {
    nodes.push(h("p", { id: "try-summary" }, accuracySummary(experiment.candidates)));
    nodes.push(h("figure", { class: "chart-box" }, chart, h("figcaption", { class: "help" }, t("accWhiskers"))));
  }
  nodes.push(accuracyTable(experiment.candidates));
  if (experiment.state === "succeeded") nodes.push(...useBox(experiment));
  box.replaceChildren(...nodes);
  box.hidden = false;
  setState(experiment.state);
  $("#try-results-title").focus();
}

async function resumeRun(experimentId) {
  await api("POST", `/v1/experiments/${encodeURIComponent(experimentId)}/resume`);
  $("#try-results").hidden = true;
  follow(experimentId);
}

/** Ask again with the same answers and the measurement: the new advice opens at its own address. */
export async function applyMeasurement(advice, experimentId, target) {
  const body = { profile: advice.profile, lang: advice.lang ?? "en", artifact: true, experiment_id: experimentId };
  if (target != null) body.target_accuracy = target;
  const made = await api("POST", "/v1/advice", body);
  sessionStorage.removeItem(PENDING);
  location.assign(`/advice/${encodeURIComponent(made.id)}`);
}

function carryToQuestionnaire(experimentId, target) {
  sessionStorage.setItem(PENDING, JSON.stringify({ id: experimentId, target }));
  state.poll += 1;
  state.back?.({ carried: true });
}

/** On a verdict: a measurement made on its own waits here to be used ("Use the measurement"). */
export function offerMeasurement(advice) {
  const pending = JSON.parse(sessionStorage.getItem(PENDING) || "null");
  const box = $("#try-apply");
  const measured = advice.reasons.some((reason) => reason.rule === "measured");
  box.hidden = !pending?.id || measured;
  if (box.hidden) return box.replaceChildren();
  const use = h("button", { type: "button", id: "try-apply-button", onclick: () => run(() => applyMeasurement(advice, pending.id, pending.target)) }, t("tryApply"));
  box.replaceChildren(h("span", {}, t("tryPending")), " ", ltr(pending.id), " ", use);
  return undefined;
}

export function leaveTry() {
  state.poll += 1;
}

export function initTry() {
  $("#try-form").addEventListener("submit", (event) => {
    event.preventDefault();
    run(() => submit(false));
  });
  $("#try-grader").addEventListener("change", localTarget);
  $("#try-provider").addEventListener("change", () => {
    localTarget();
    fieldError($("#try-provider-error"), [$("#try-provider")], "");
  });
  $("#try-items").addEventListener("input", countItems);
  $("#try-file").addEventListener("change", () =>
    run(async () => {
      const file = $("#try-file").files[0];
      if (!file) return;
      $("#try-items").value = await file.text();
      fieldError($("#try-items-error"), [$("#try-items")], "");
      countItems();
    }),
  );
  $("#try-back").addEventListener("click", () => {
    leaveTry();
    state.back?.({ carried: false });
  });
}
