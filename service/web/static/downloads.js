// The advice's artifact as files to download (Blob URLs built in the page), or what to send to get one.
import { askForKey, describe, run } from "./actions.js";
import { ApiError, api } from "./api.js";
import { filesOf, parseExamples } from "./artifacts.js";
import { $, fieldError, h } from "./dom.js";
import { t } from "./i18n.js";

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

function examplesForm(advice, part) {
  const area = h("textarea", { id: "examples-input", rows: "5", dir: "ltr", "aria-describedby": "examples-help examples-error" });
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
        const made = await api("POST", "/v1/advice", { profile: advice.profile, artifact: true, examples });
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
    h("p", {}, t("sendThis")),
    h("pre", { dir: "ltr" }, JSON.stringify(part.send, null, 2)),
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
  for (const part of parts.filter((item) => item.kind === "few_shot_needs_examples")) {
    extra.push(h("p", {}, t("needsExamples")), h("p", { class: "help", dir: "auto" }, part.detail), examplesForm(advice, part));
  }
  const rag = parts.some((part) => part.kind === "rag_setup" || part.kind === "combined");
  if (rag) extra.push(h("p", {}, t("ragNext")));
  else if (advice.strategy === "rag" || advice.strategy === "rag_and_fine_tuning") extra.push(h("p", {}, t("ragNothing")));
  for (const note of [...notes, ...parts.flatMap((part) => part.notes ?? [])]) extra.push(h("p", { class: "help", dir: "auto" }, note));
  $("#downloads-extra").replaceChildren(...extra);
  $("#downloads-status").textContent = files.length ? "" : t("nothingToDownload");
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
