// The two "get started" forms the downloads area offers beside the files: a knowledge base for RAG (create
// it, add documents) and a training-data check for fine-tuning. Both use the public API like the rest.
import { run } from "./actions.js";
import { ApiError, api } from "./api.js";
import { fieldError, h, ltr } from "./dom.js";
import { formatNumber, t } from "./i18n.js";

const POLL_MS = 1000;
const POLL_LIMIT = 120;

function failure(errorNode, controls) {
  return (error) => {
    if (!(error instanceof ApiError) || ![400, 404, 409, 413, 422, 503].includes(error.status)) throw error;
    fieldError(errorNode, controls, error.message);
    controls[0]?.focus();
  };
}

async function followJob(job, status) {
  for (let polls = 0; polls < POLL_LIMIT; polls += 1) {
    status.textContent = t("kbJob", { state: job.state });
    if (job.state === "succeeded" || job.state === "failed") break;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    job = await api("GET", `/v1/jobs/${encodeURIComponent(job.id)}`);
  }
  if (job.state === "failed") status.textContent = t("kbFailed", { detail: job.error?.detail ?? job.error?.message ?? "" });
  status.dataset.state = job.state;
}

function documentsForm(kb) {
  const input = h("input", { type: "file", id: "kb-files", name: "files", multiple: true, accept: ".txt,.md,.html,.htm,.pdf,.jsonl", "aria-describedby": "kb-files-error" });
  const error = h("p", { id: "kb-files-error", class: "field-error", "aria-live": "polite", hidden: true });
  const status = h("p", { id: "kb-job", class: "help", "aria-live": "polite" });
  const submit = (event) => {
    event.preventDefault();
    if (!input.files.length) return;
    const body = new FormData();
    for (const file of input.files) body.append("files", file);
    run(async () => {
      fieldError(error, [input], "");
      try {
        const job = await api("POST", `/v1/knowledge-bases/${encodeURIComponent(kb.name)}/documents`, body);
        followJob(job, status).catch((problem) => (status.textContent = t("kbFailed", { detail: problem.message })));
      } catch (problem) {
        failure(error, [input])(problem);
      }
    });
  };
  return h(
    "form",
    { id: "kb-docs-form", novalidate: true, onsubmit: submit },
    h("p", { id: "kb-created" }, t("kbCreated", { name: kb.name })),
    h("label", { for: "kb-files" }, t("kbFiles")),
    input,
    error,
    h("div", { class: "actions" }, h("button", { type: "submit" }, t("kbUpload"))),
    status,
  );
}

/** Create a knowledge base, then add documents to it. */
export function knowledgeBaseForm(advice) {
  const name = h("input", { type: "text", id: "kb-name", name: "kb-name", maxlength: "128", dir: "auto", "aria-describedby": "kb-help kb-error" });
  name.value = (advice.profile?.task ?? "").replace(/[/\\\u0000-\u001f]+/g, " ").trim().slice(0, 60);
  const error = h("p", { id: "kb-error", class: "field-error", "aria-live": "polite", hidden: true });
  const box = h("div", { id: "kb-box", class: "task-box" });
  const submit = (event) => {
    event.preventDefault();
    run(async () => {
      fieldError(error, [name], "");
      try {
        const kb = await api("POST", "/v1/knowledge-bases", { name: name.value.trim() });
        box.replaceChildren(h("h4", {}, t("kbTitle")), documentsForm(kb));
        box.querySelector("#kb-files").focus();
      } catch (problem) {
        failure(error, [name])(problem);
      }
    });
  };
  const form = h(
    "form",
    { id: "kb-form", novalidate: true, onsubmit: submit },
    h("label", { for: "kb-name" }, t("kbName")),
    name,
    error,
    h("div", { class: "actions" }, h("button", { type: "submit" }, t("kbCreate"))),
  );
  box.replaceChildren(h("h4", {}, t("kbTitle")), h("p", { id: "kb-help", class: "help" }, t("kbHelp")), form);
  return box;
}

function reportView(report) {
  const findings = Object.values(report.finding_counts ?? {}).reduce((sum, n) => sum + n, 0);
  const summary = t("dataReport", { examples: formatNumber(report.examples), records: formatNumber(report.records || report.lines), findings: formatNumber(findings) });
  const items = (report.findings ?? []).slice(0, 5).map((finding) => h("li", { dir: "auto" }, finding.line ? [ltr(`#${finding.line}`), " "] : "", finding.message));
  return [
    h("p", { id: "dataset-summary" }, summary),
    h("p", { class: report.ok ? "ok" : "warn" }, report.ok ? t("dataOk") : t("dataNotOk")),
    items.length ? h("ul", { id: "dataset-findings" }, items) : null,
  ];
}

/** Upload a training file and show what its validation found. */
export function trainingDataForm(advice) {
  const input = h("input", { type: "file", id: "dataset-file", name: "file", accept: ".jsonl,.csv,.json", "aria-describedby": "dataset-help dataset-error" });
  const error = h("p", { id: "dataset-error", class: "field-error", "aria-live": "polite", hidden: true });
  const result = h("div", { id: "dataset-report", "aria-live": "polite" });
  const submit = (event) => {
    event.preventDefault();
    if (!input.files.length) return;
    const body = new FormData();
    body.append("file", input.files[0]);
    const provider = advice.tuning?.provider ?? advice.profile?.provider;
    body.append("provider", provider && provider !== "undecided" ? provider : "openai");
    run(async () => {
      fieldError(error, [input], "");
      try {
        const dataset = await api("POST", "/v1/datasets", body);
        result.replaceChildren(...reportView(dataset.report));
      } catch (problem) {
        failure(error, [input])(problem);
      }
    });
  };
  const form = h(
    "form",
    { id: "dataset-form", novalidate: true, onsubmit: submit },
    h("label", { for: "dataset-file" }, t("dataFile")),
    input,
    error,
    h("div", { class: "actions" }, h("button", { type: "submit" }, t("dataUpload"))),
  );
  return h("div", { id: "dataset-box", class: "task-box" }, h("h4", {}, t("dataTitle")), h("p", { id: "dataset-help", class: "help" }, t("dataHelp")), form, result);
}
