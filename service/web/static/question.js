// One question as form controls, and its answer read back: pure functions of the API's Question.
import { $, h } from "./dom.js";
import { formatNumber, t } from "./i18n.js";
import { guideUrl } from "./verdict.js";

export function answerLabel(question, value) {
  if (value === null || value === undefined || value === "") return "—";
  const choice = (question?.choices ?? []).find((item) => item.value === value);
  if (choice) return choice.label;
  if (typeof value === "boolean") return value ? t("yes") : t("no");
  if (typeof value === "number") return formatNumber(value);
  return String(value);
}

function choiceControls(question, current) {
  const choices = question.choices ?? [
    { value: true, label: t("yes") },
    { value: false, label: t("no") },
  ];
  return choices.map((choice, index) => {
    const id = `choice-${index}`;
    const value = JSON.stringify(choice.value);
    const input = h("input", { type: "radio", name: "answer", id, value, "aria-describedby": "q-help answer-error" });
    input.checked = current !== undefined && JSON.stringify(current) === value;
    return h("div", { class: "choice" }, input, h("label", { for: id }, choice.label));
  });
}

function valueControl(question, current) {
  const shown = current === null || current === undefined ? "" : String(current);
  const describedBy = question.type === "text" ? "q-help q-hint answer-error" : "q-help answer-error";
  if (question.type === "number") {
    const label = question.minimum == null ? t("numberLabelAny") : t("numberLabel", { min: formatNumber(question.minimum) });
    const input = h("input", {
      type: "number",
      id: "answer-input",
      name: "answer",
      step: "1",
      min: question.minimum,
      inputmode: "numeric",
      "aria-describedby": describedBy,
    });
    input.value = shown;
    return [h("label", { for: "answer-input" }, label), input];
  }
  const hint = [t("textHint"), question.optional ? t("optionalHint") : ""].filter(Boolean).join(" ");
  const area = h("textarea", { id: "answer-input", name: "answer", rows: "4", dir: "auto", "aria-describedby": describedBy });
  area.value = shown;
  return [h("label", { for: "answer-input" }, t("textLabel")), area, h("p", { id: "q-hint", class: "help" }, hint)];
}

export function renderField(question, current) {
  const heading = h("h2", { id: "q-title", tabindex: "-1" }, question.text);
  const field = $("#answer-field");
  if (question.type === "choice" || question.type === "yes_no") {
    const legend = h("legend", {}, heading);
    field.replaceChildren(h("fieldset", { class: "choices" }, legend, choiceControls(question, current)));
  } else {
    field.replaceChildren(heading, ...valueControl(question, current));
  }
  return heading;
}

/** The help text with its guide section as a link: the section the text names becomes the link, named once. */
export function renderHelp(question) {
  const help = $("#q-help");
  const text = question.help ?? "";
  const guide = question.guide;
  if (!guide) return help.replaceChildren(text);
  const link = (label) => h("a", { href: guideUrl(guide.anchor), class: "guide-link", "data-anchor": guide.anchor }, label);
  const at = guide.title ? text.lastIndexOf(guide.title) : -1;
  if (at === -1) return help.replaceChildren(text ? `${text} ` : "", link(t("guideLink", { title: guide.title })));
  return help.replaceChildren(text.slice(0, at), link(guide.title), text.slice(at + guide.title.length));
}

export function readAnswer(question) {
  if (question.type === "choice" || question.type === "yes_no") {
    const checked = document.querySelector('input[name="answer"]:checked');
    return checked ? { value: JSON.parse(checked.value) } : { error: t("chooseOne") };
  }
  const raw = $("#answer-input").value;
  if (question.type === "number") return { value: raw.trim() === "" ? null : Number(raw) };
  const text = raw.trim();
  return { value: text === "" && question.optional ? null : text };
}
