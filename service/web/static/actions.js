// Running what the user asked for: one place for the busy state, the API-key prompt and unexpected errors.
import { ApiError, apiKey, setApiKey } from "./api.js";
import { $, fieldError } from "./dom.js";
import { t } from "./i18n.js";

let busy = false;
let retry = null; // the action a 401 interrupted, run again once a key is given

function alertBox(message) {
  const box = $("#alert");
  box.textContent = message || "";
  box.hidden = !message;
}

export function describe(error) {
  if (error instanceof ApiError && error.status === 0) return t("errorNetwork");
  return t("errorGeneric", { detail: error.message || String(error) });
}

export async function run(action) {
  if (busy) return;
  busy = true;
  document.body.setAttribute("aria-busy", "true");
  alertBox("");
  try {
    await action();
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) askForKey(action, error);
    else alertBox(describe(error));
  } finally {
    busy = false;
    document.body.removeAttribute("aria-busy");
  }
}

export function askForKey(action, error) {
  retry = action;
  const panel = $("#key-panel");
  const hadKey = !panel.hidden || Boolean(apiKey());
  panel.hidden = false;
  const input = $("#api-key");
  fieldError($("#key-error"), [input], hadKey ? t("keyRejected", { detail: error.message }) : "");
  $("#key-title").focus();
}

export function onKeySubmit(event) {
  event.preventDefault();
  const key = $("#api-key").value.trim();
  if (!key) return;
  setApiKey(key);
  $("#key-panel").hidden = true;
  const action = retry;
  retry = null;
  if (action) run(action);
}
