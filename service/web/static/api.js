// Calls to the advisor's own HTTP API. Problems (RFC 9457) become ApiError with the problem attached,
// so each screen can put `detail` next to the field named in `field`.
const KEY_STORAGE = "tuning-advisor.api-key";

export class ApiError extends Error {
  constructor(status, problem) {
    super((problem && problem.detail) || `HTTP ${status}`);
    this.status = status;
    this.problem = problem || {};
  }

  /** The question or field the server blamed, without the body's path prefix ("answers.examples" -> "examples"). */
  get field() {
    const field = this.problem.field;
    return typeof field === "string" ? field.split(".").pop() : null;
  }
}

export function apiKey() {
  return sessionStorage.getItem(KEY_STORAGE);
}

export function setApiKey(key) {
  if (key) sessionStorage.setItem(KEY_STORAGE, key);
  else sessionStorage.removeItem(KEY_STORAGE);
}

export async function api(method, path, body) {
  const headers = { Accept: "application/json, application/problem+json" };
  const form = body instanceof FormData; // a file upload: the browser writes the multipart boundary
  if (body !== undefined && !form) headers["Content-Type"] = "application/json";
  const key = apiKey();
  if (key) headers.Authorization = `Bearer ${key}`;
  let response;
  try {
    response = await fetch(path, { method, headers, body: body === undefined || form ? body : JSON.stringify(body) });
  } catch {
    throw new ApiError(0, null);
  }
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = { detail: text.slice(0, 300) };
  }
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}
