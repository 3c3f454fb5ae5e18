// The page's language: one place that knows it, so every module words things the same way.
import { STRINGS } from "./strings.js";

let current = "en";

export function setLang(lang) {
  current = lang === "he" ? "he" : "en";
  const root = document.documentElement;
  root.lang = current;
  root.dir = current === "he" ? "rtl" : "ltr";
  for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
  document.title = t("title");
}

export function lang() {
  return current;
}

/** The string `key` in the page's language, with {name} placeholders filled from `vars`. */
export function t(key, vars = {}) {
  const text = STRINGS[current][key] ?? STRINGS.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in vars ? String(vars[name]) : whole));
}

export function strategyName(strategy) {
  return STRINGS[current].strategy[strategy] ?? strategy;
}

export function formatNumber(value, digits = 0) {
  return new Intl.NumberFormat(current, { maximumFractionDigits: digits }).format(value);
}

/** Dollars as "$1,234.56" in both languages; show it inside ltr() so a right-to-left line keeps the sign in front. */
export function formatMoney(value) {
  return new Intl.NumberFormat("en-US", { style: "currency", currency: "USD", maximumFractionDigits: 2 }).format(value);
}
