// An evaluation set as the user pastes or uploads it: JSONL ({"input", "expected"} a line; "output" is read
// as "expected", so an advice's held_out.jsonl works as it is) or CSV whose header names input and expected.
// A bad row throws {line, reason} with the line number the user sees in the file; reason is a strings.js key.
export const MAX_ITEMS = 1000; // service/experiments/schemas.py MAX_ITEMS
const MAX_TEXT = 20000;

function fail(line, reason, vars = {}) {
  return { line, reason, vars };
}

function item(input, expected, line) {
  if (typeof input !== "string" || !input.trim()) throw fail(line, "evalNoInput");
  if (typeof expected !== "string") throw fail(line, "evalNoExpected");
  if (input.length > MAX_TEXT || expected.length > MAX_TEXT) throw fail(line, "evalTooLong", { max: MAX_TEXT });
  return { input, expected };
}

function parseJsonl(text) {
  const items = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (!line) return;
    let value;
    try {
      value = JSON.parse(line);
    } catch {
      throw fail(index + 1, "evalNotJson");
    }
    if (!value || typeof value !== "object" || Array.isArray(value)) throw fail(index + 1, "evalNotObject");
    const expected = "expected" in value ? value.expected : value.output;
    items.push(item(value.input, typeof expected === "number" ? String(expected) : expected, index + 1));
  });
  return items;
}

/** CSV records (RFC 4180: quoted fields may hold commas, quotes as "" and newlines), each with its first line. */
export function csvRecords(text) {
  const records = [];
  let fields = [];
  let field = "";
  let quoted = false;
  let line = 1;
  let start = 1;
  let quoteLine = 0;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i += 1;
      } else if (c === '"') quoted = false;
      else {
        if (c === "\n") line += 1;
        field += c;
      }
    } else if (c === '"' && field === "") {
      quoted = true;
      quoteLine = line;
    } else if (c === ",") {
      fields.push(field);
      field = "";
    } else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i += 1;
      fields.push(field);
      if (fields.some((value) => value !== "")) records.push({ line: start, fields });
      fields = [];
      field = "";
      line += 1;
      start = line;
    } else field += c;
  }
  if (quoted) throw fail(quoteLine, "evalCsvQuote");
  fields.push(field);
  if (fields.some((value) => value !== "")) records.push({ line: start, fields });
  return records;
}

function parseCsv(text) {
  const [header, ...rows] = csvRecords(text);
  const names = header.fields.map((name) => name.trim().toLowerCase());
  const input = names.indexOf("input");
  const expected = names.indexOf("expected") === -1 ? names.indexOf("output") : names.indexOf("expected");
  if (input === -1 || expected === -1) throw fail(header.line, "evalCsvHeader");
  return rows.map((row) => {
    if (row.fields.length !== names.length) throw fail(row.line, "evalCsvColumns", { n: row.fields.length, m: names.length });
    return item(row.fields[input], row.fields[expected], row.line);
  });
}

/** The items of a pasted or uploaded set; throws {line, reason, vars} at the first bad row. */
export function parseEvalSet(text) {
  const body = text.replace(/^\uFEFF/, "");
  const first = body.trimStart();
  if (!first) throw fail(1, "evalEmpty");
  const items = first.startsWith("{") ? parseJsonl(body) : parseCsv(body);
  if (!items.length) throw fail(1, "evalEmpty");
  if (items.length > MAX_ITEMS) throw fail(1, "evalTooMany", { n: items.length, max: MAX_ITEMS });
  return items;
}
