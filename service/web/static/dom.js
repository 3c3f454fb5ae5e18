// Building DOM nodes from data: text always goes in as text, never as HTML.

/** h("a", {href: "/x", class: "y"}, "text", child) -> an element; null/false children are skipped. */
export function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export const $ = (selector) => document.querySelector(selector);

/** A number, amount or code isolated left-to-right: "2,500", "$2.25" and model names read the same inside Hebrew. */
export function ltr(text) {
  return h("bdi", { dir: "ltr", class: "num" }, text);
}

export function showOnly(id) {
  for (const section of ["start", "question", "verdict", "try"]) $(`#${section}`).hidden = section !== id;
}

/** Show `message` as the error of the control `input` (or hide it when message is empty). */
export function fieldError(errorNode, inputs, message) {
  errorNode.textContent = message || "";
  errorNode.hidden = !message;
  for (const input of inputs) {
    if (message) input.setAttribute("aria-invalid", "true");
    else input.removeAttribute("aria-invalid");
  }
}
