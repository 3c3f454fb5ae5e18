// "Get started": the advice's artifact as files to download (Blob URLs built in the page), and the forms
// that make the rest (examples for a prompt, a knowledge base, a training-data check). The summary card's
// next action points at one of them.
import { askForKey, describe, run } from "./actions.js";
import { ApiError, api } from "./api.js";
import { filesOf, parseExamples } from "./artifacts.js";
import { $, fieldError, h } from "./dom.js";
import { knowledgeBaseForm, trainingDataForm } from "./forms.js";
import { t } from "./i18n.js";
import { chooseAction, showNextAction } from "./summary.js";
import { pageNotes } from "./verdict.js";

const blobUrls = [];

async function artifactOf(advice) {
  // The questionnaire stores its advice with the artifact the profile alone can build.
  // Advice made without "artifact": true stores none: the 404 means there is nothing to fetch.
  if (advice.artifact) return { artifact: advice.artifact, notes: advice.notes ?? [] };
  try {
    return { artifact: await api("GET", `/v1/advice/${advice.id}/artifact`), notes: advice.notes ?? [] };
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 404) throw error;
    return { artifact: null, notes: advice.notes ?? [] };
  }
}

export function clearDownloads() {
  for (const url of blobUrls.splice(0)) URL.revokeObjectURL(url);
  $("#download-list").replaceChildren();
  $("#downloads-extra").replaceChildren();
}

function downloadItem(file) {
  const url = URL.createObjectURL(new Blob([file.text], { type: `${file.type};charset=utf-8` }));
  blobUrls.push(url);
  return h("li", {}, h("a", { href: url, download: file.name, "data-file": file.name }, file.label), " ", h("code", {}, file.name));
}

function examplesForm(advice) {
  const area = h("textarea", { id: "examples-input", rows: "6", dir: "ltr", "aria-describedby": "examples-help examples-error" });
  const error = h("p", { id: "examples-error", class: "field-error", "aria-live": "polite", hidden: true });
  const submit = async (event) => {
    event.preventDefault();
    let examples;
    try {
      examples = parseExamples(area.value);
    } catch (bad) {
      fieldError(error, [area], t("examplesInvalid", { line: bad.line }));
      return;
    }
    if (!examples.length) return fieldError(error, [area], t("examplesInvalid", { line: 1 }));
    run(async () => {
      try {
        const made = await api("POST", "/v1/advice", { profile: advice.profile, artifact: true, examples, lang: advice.lang ?? "en" });
        renderDownloads(advice, made.artifact, made.notes ?? []);
      } catch (failure) {
        if (!(failure instanceof ApiError) || failure.status !== 422) throw failure;
        fieldError(error, [area], failure.message);
      }
    });
  };
  return h(
    "form",
    { id: "examples-form", novalidate: true, onsubmit: submit },
    h("p", {}, t("needsExamples")),
    h("label", { for: "examples-input" }, t("examplesLabel")),
    h("p", { id: "examples-help", class: "help" }, t("examplesHelp")),
    area,
    error,
    h("div", { class: "actions" }, h("button", { type: "submit" }, t("buildPrompt"))),
  );
}

function renderDownloads(advice, artifact, notes) {
  clearDownloads();
  const parts = artifact?.parts ?? [];
  const files = parts.flatMap(filesOf);
  $("#download-list").replaceChildren(...files.map(downloadItem));
  const extra = [];
  const forms = [];
  if (parts.some((item) => item.kind === "few_shot_needs_examples")) {
    extra.push(examplesForm(advice));
    forms.push("examples");
  }
  if (parts.some((part) => part.kind === "rag_setup" || part.kind === "combined")) extra.push(h("p", {}, t("ragNext")));
  if (advice.strategy === "rag" || advice.strategy === "rag_and_fine_tuning") {
    extra.push(knowledgeBaseForm(advice));
    forms.push("kb");
  }
  if (advice.strategy === "fine_tuning" || advice.strategy === "rag_and_fine_tuning") {
    extra.push(trainingDataForm(advice));
    forms.push("data");
  }
  // The advice's own notes are in the Notes section already; a prompt built from examples may bring new ones.
  const fresh = notes.filter((note) => !(advice.notes ?? []).includes(note));
  const shown = pageNotes([...fresh, ...parts.flatMap((part) => part.notes ?? [])]);
  for (const note of new Set(shown)) extra.push(h("p", { class: "help", dir: "auto" }, note));
  $("#downloads-extra").replaceChildren(...extra);
  $("#downloads-status").textContent = files.length || forms.length ? "" : t("nothingToDownload");
  showNextAction(chooseAction(advice, files, forms));
  $("#downloads").dataset.state = "ready";
}

export function loadDownloads(advice) {
  clearDownloads();
  $("#downloads").dataset.state = "loading";
  $("#downloads-status").textContent = t("preparing");
  artifactOf(advice)
    .then(({ artifact, notes }) => renderDownloads(advice, artifact, notes))
    .catch((error) => {
      if (error instanceof ApiError && error.status === 401) {
        $("#downloads-status").textContent = "";
        askForKey(async () => loadDownloads(advice), error);
        return;
      }
      $("#downloads-status").textContent = t("downloadsFailed", { detail: describe(error) });
      $("#downloads").dataset.state = "failed";
    });
}
