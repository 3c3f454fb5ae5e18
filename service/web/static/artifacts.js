// What an advice's artifact offers to download, part by part (see service/artifacts/): a few-shot
// prompt gives its text, its request JSON and its files (code, held-out JSONL, evaluation); a tuning spec
// gives the job spec as JSON and YAML, code and its files; a RAG setup gives its settings as JSON, rag_index.py
// and eval.jsonl; a combined artifact gives both plus RAG training examples; any other part its files and itself as JSON.
import { t } from "./i18n.js";

const JSON_TYPE = "application/json";
const TEXT_TYPE = "text/plain";
const PROMPT_FIELDS = ["system", "messages", "systemInstruction", "contents", "output_schema"];

function json(value) {
  return JSON.stringify(value, null, 2) + "\n";
}

function typeOf(name) {
  if (name.endsWith(".json")) return JSON_TYPE;
  if (name.endsWith(".jsonl")) return "application/jsonl";
  if (name.endsWith(".yaml") || name.endsWith(".yml")) return "application/yaml";
  return TEXT_TYPE;
}

function contentText(content) {
  if (typeof content === "string") return content;
  if (Array.isArray(content)) return content.map((block) => block.text ?? "").join("\n");
  return content == null ? "" : JSON.stringify(content);
}

/** The prompt as plain text, one "# role" block per message, whatever the provider's request shape. */
export function promptText(part) {
  const blocks = [];
  if (typeof part.system === "string") blocks.push(`# system\n${part.system}`);
  if (part.systemInstruction) blocks.push(`# system\n${contentText(part.systemInstruction.parts)}`);
  for (const message of part.messages ?? []) blocks.push(`# ${message.role}\n${contentText(message.content)}`);
  for (const turn of part.contents ?? []) blocks.push(`# ${turn.role}\n${contentText(turn.parts)}`);
  return blocks.join("\n\n") + "\n";
}

function requestShape(part) {
  const shape = { model: part.model };
  for (const field of PROMPT_FIELDS) if (part[field] != null) shape[field] = part[field];
  return shape;
}

// --- YAML: block style for the job spec; strings stay JSON-quoted (valid YAML) unless they span lines.
const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

function isCollection(value) {
  return value !== null && typeof value === "object" && Object.keys(value).length > 0;
}

function yamlScalar(value, indent) {
  if (value === null || value === undefined) return "null";
  if (Array.isArray(value)) return "[]";
  if (typeof value === "object") return "{}";
  if (typeof value !== "string") return String(value);
  const body = value.endsWith("\n") ? value.slice(0, -1) : value;
  const literal = body.includes("\n") && !/^\s/.test(body) && !body.endsWith("\n") && !/[\r\t]/.test(body);
  if (!literal) return JSON.stringify(value);
  const lines = body.split("\n").map((line) => (line ? `${indent}  ${line}` : ""));
  return `${value.endsWith("\n") ? "|" : "|-"}\n${lines.join("\n")}`;
}

function yamlBlock(value, indent) {
  if (Array.isArray(value)) {
    return value
      .map((item) => (isCollection(item) ? `${indent}-\n${yamlBlock(item, `${indent}  `)}` : `${indent}- ${yamlScalar(item, `${indent}  `)}`))
      .join("\n");
  }
  return Object.entries(value)
    .map(([key, item]) => {
      const name = PLAIN_KEY.test(key) ? key : JSON.stringify(key);
      return isCollection(item) ? `${indent}${name}:\n${yamlBlock(item, `${indent}  `)}` : `${indent}${name}: ${yamlScalar(item, indent)}`;
    })
    .join("\n");
}

export function toYaml(value) {
  return (isCollection(value) ? yamlBlock(value, "") : yamlScalar(value, "")) + "\n";
}

// --- files per part -------------------------------------------------------------------------------
// Every part offers its `files` (each name with its text) and, unless it is a known kind with its own
// files, itself as JSON: a new kind of part (a RAG setup, say) is downloadable without a change here.
const FILE_LABELS = {
  "held_out.jsonl": "dlHeldOut",
  "evaluate.py": "dlEvaluate",
  "train.py": "dlTrain",
  "start_tuning.py": "dlTuneSnippet",
  "run_prompt.py": "dlRunSnippet",
};

function fileLabel(name, text) {
  if (name === "held_out.jsonl" && !text) return t("dlHeldOutEmpty");
  return FILE_LABELS[name] ? t(FILE_LABELS[name]) : t("dlFile", { name });
}

function partFiles(part, seen) {
  // An empty file is still offered when it is one the others read (evaluate.py reads held_out.jsonl).
  return Object.entries(part.files ?? {})
    .filter(([name, text]) => typeof text === "string" && !seen.has(name) && (text || name.endsWith(".jsonl")))
    .map(([name, text]) => ({ name, label: name === "eval.jsonl" ? t("dlEvalSet") : fileLabel(name, text), type: typeOf(name), text }));
}

function promptFiles(part) {
  const files = [
    { name: "prompt.txt", label: t("dlPromptText"), type: TEXT_TYPE, text: promptText(part) },
    { name: "prompt.json", label: t("dlPromptJson"), type: JSON_TYPE, text: json(requestShape(part)) },
  ];
  if (part.snippet) files.push({ name: "run_prompt.py", label: t("dlRunSnippet"), type: TEXT_TYPE, text: part.snippet });
  return [...files, ...partFiles(part, new Set(files.map((file) => file.name)))];
}

function tuningFiles(part) {
  const spec = { ...part };
  delete spec.snippet;
  delete spec.files;
  const files = [
    { name: "tuning-job-spec.json", label: t("dlSpecJson"), type: JSON_TYPE, text: json(spec) },
    { name: "tuning-job-spec.yaml", label: t("dlSpecYaml"), type: "application/yaml", text: toYaml(spec) },
  ];
  if (part.snippet && !Object.values(part.files ?? {}).includes(part.snippet)) {
    files.push({ name: "start_tuning.py", label: t("dlTuneSnippet"), type: TEXT_TYPE, text: part.snippet });
  }
  return [...files, ...partFiles(part, new Set(files.map((file) => file.name)))];
}

function ragFiles(part) {
  const setup = { ...part };
  delete setup.snippet;
  delete setup.files;
  return [{ name: "rag-setup.json", label: t("dlRagSetup"), type: JSON_TYPE, text: json(setup) }, ...partFiles(part, new Set(["rag-setup.json"]))];
}

function combinedFiles(part) {
  const shape = part.training_data;
  const examples = [shape.example, shape.refusal_example].map((record) => JSON.stringify(record)).join("\n") + "\n";
  return [
    ...ragFiles(part.rag_setup),
    ...tuningFiles(part.tuning_spec),
    { name: "rag-training-examples.jsonl", label: t("dlRagTraining"), type: "application/jsonl", text: examples },
  ];
}

/** Files to offer for one artifact part; an empty list means the part asks for something first (examples). */
export function filesOf(part) {
  if (part.kind === "few_shot_prompt") return promptFiles(part);
  if (part.kind === "tuning_spec") return tuningFiles(part);
  if (part.kind === "rag_setup") return ragFiles(part);
  if (part.kind === "combined") return combinedFiles(part);
  if (part.kind === "few_shot_needs_examples") return [];
  const whole = { name: `${part.kind || "artifact"}.json`, label: t("dlAll"), type: JSON_TYPE, text: json(part) };
  return [...partFiles(part, new Set([whole.name])), whole];
}

/** Parse pasted JSONL into [{input, output}]; throws {line} on the first line that is not one. */
export function parseExamples(text) {
  const examples = [];
  text.split("\n").forEach((raw, index) => {
    const line = raw.trim();
    if (!line) return;
    let value;
    try {
      value = JSON.parse(line);
    } catch {
      throw { line: index + 1 };
    }
    const ok = value && typeof value.input === "string" && typeof value.output === "string" && value.input && value.output;
    if (!ok) throw { line: index + 1 };
    examples.push({ input: value.input, output: value.output });
  });
  return examples;
}
