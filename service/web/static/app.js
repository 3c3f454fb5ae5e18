// The questionnaire page: start (language + optional description) -> one question at a time -> verdict.
// At /advice/{id} the same page shows a stored advice, at /try "Try it on your data" (try.js). Data comes only
// from the public HTTP API (/v1/intake, /v1/questionnaire, /v1/advice, /v1/experiments, /v1/guide); guide
// sections are the /guide pages.
import { describe, onKeySubmit, run } from "./actions.js";
import { ApiError, api } from "./api.js";
import { $, fieldError, h, showOnly } from "./dom.js";
import { clearDownloads, loadDownloads } from "./downloads.js";
import { setLang, t } from "./i18n.js";
import { answerLabel, readAnswer, renderField, renderHelp } from "./question.js";
import { follow, initTry, leaveTry, offerMeasurement, openTry } from "./try.js";
import { guideUrl, loadGuideTitles, renderVerdict } from "./verdict.js";

const SESSION_STORAGE = "tuning-advisor.session";
const state = {
  session: null, // the questionnaire session as the API last returned it
  questions: [], // the schema in the session's language, for going back and for labels
  viewing: null, // id of the question on screen
  prefill: {}, // field -> [evidence text] for answers taken from the description
  advice: null, // the advice on screen when it was opened by its link, outside any session
  shown: null, // the advice whose verdict is on screen, in a session or not ("Try it on your data" starts from it)
};
const ADVICE_PATH = /^\/advice\/([^/]+)\/?$/;
const TRY_PATH = /^\/try\/?$/;

// --- start ------------------------------------------------------------------------------------------

function chosenLang() {
  return document.querySelector('input[name="lang"]:checked').value;
}

async function loadQuestions(language) {
  const schema = await api("GET", `/v1/questionnaire/schema?lang=${language}`);
  state.questions = schema.questions;
}

async function readDescription(text, language) {
  const useCase = $("#use-case");
  try {
    const intake = await api("POST", "/v1/intake", { text, lang: language });
    const prefill = {};
    for (const item of intake.evidence ?? []) (prefill[item.field] ??= []).push(item.text);
    for (const field of Object.keys(intake.profile ?? {})) prefill[field] ??= [];
    return { answers: { ...intake.profile }, prefill };
  } catch (error) {
    if (error instanceof ApiError && error.status === 422) {
      fieldError($("#use-case-error"), [useCase], error.message);
      useCase.focus();
      return null;
    }
    if (error instanceof ApiError && error.status === 401) throw error;
    $("#status").textContent = t("intakeUnavailable", { detail: error.message });
    return { answers: {}, prefill: {} };
  }
}

async function createSession(language, answers) {
  // A prefilled value the questionnaire refuses is dropped and asked instead, rather than blocking the start.
  const skipped = [];
  for (;;) {
    const body = Object.keys(answers).length ? { lang: language, answers } : { lang: language };
    try {
      return { session: await api("POST", "/v1/questionnaire/sessions", body), skipped };
    } catch (error) {
      const field = error instanceof ApiError && error.status === 422 ? error.field : null;
      if (!field || !(field in answers)) throw error;
      delete answers[field];
      skipped.push(field);
    }
  }
}

async function start() {
  const language = chosenLang();
  setLang(language);
  fieldError($("#use-case-error"), [$("#use-case")], "");
  $("#status").textContent = t("starting");
  await loadQuestions(language);
  const text = $("#use-case").value.trim();
  const read = text ? await readDescription(text, language) : { answers: {}, prefill: {} };
  if (read === null) return;
  const { session, skipped } = await createSession(language, read.answers);
  for (const field of skipped) delete read.prefill[field];
  state.prefill = read.prefill;
  $("#status").textContent = skipped.length ? t("prefillSkipped", { field: skipped.map(questionText).join(", ") }) : "";
  if (text && !Object.keys(state.prefill).length) $("#status").textContent = t("prefillNone");
  await enter(session);
}

function enter(session) {
  state.session = session;
  sessionStorage.setItem(SESSION_STORAGE, JSON.stringify({ id: session.id, prefill: state.prefill }));
  if (session.status === "done" && session.advice) return showVerdict(session.advice);
  showQuestion(session.question);
  return undefined;
}

// --- questions --------------------------------------------------------------------------------------

function questionById(id) {
  return state.questions.find((question) => question.id === id) ?? null;
}

function questionText(id) {
  return questionById(id)?.text ?? id;
}

function previousOf(id) {
  const asked = state.session.asked ?? [];
  const index = asked.indexOf(id);
  if (index === -1) return asked.length ? asked[asked.length - 1] : null;
  return index > 0 ? asked[index - 1] : null;
}

function renderPrefill() {
  const fields = Object.keys(state.prefill);
  $("#prefill").hidden = !fields.length;
  $("#prefill-list").replaceChildren(
    ...fields.map((field) => {
      const value = answerLabel(questionById(field), state.session.answers[field]);
      const words = state.prefill[field].filter((text) => text && text !== value && text !== String(state.session.answers[field]));
      const quotes = words.map((text) => h("q", {}, text));
      return h("li", { "data-field": field }, `${questionText(field)}: `, h("strong", {}, h("bdi", {}, value)), quotes.length ? " — " : "", quotes);
    }),
  );
}

function renderProgress(question) {
  const asked = state.session.asked ?? [];
  const index = asked.indexOf(question.id);
  const progress = state.session.progress ?? { answered: asked.length, remaining_at_most: 0 };
  $("#progress").textContent =
    index === -1
      ? t("progress", { n: progress.answered + 1, m: Math.max(progress.remaining_at_most - 1, 0) })
      : t("editing", { n: index + 1, total: asked.length });
}

// Which screen is up, and a counter that changes on every render: scripts (and tests) wait on it.
let renders = 0;
function markView(kind, id) {
  renders += 1;
  document.body.dataset.view = `${kind}:${id}:${renders}`;
}

function showQuestion(question) {
  if (!question) return;
  state.viewing = question.id;
  showOnly("question");
  $("#question").dataset.question = question.id;
  $("#question").dataset.type = question.type;
  const heading = renderField(question, state.session.answers?.[question.id] ?? question.default ?? undefined);
  renderHelp(question);
  renderPrefill();
  renderProgress(question);
  fieldError($("#answer-error"), [], "");
  $("#back").disabled = previousOf(question.id) === null;
  heading.focus();
  markView("question", question.id);
}

async function answer() {
  const question = questionById(state.viewing) ?? state.session.question;
  const controls = [...document.querySelectorAll('#answer-field [name="answer"]')];
  const read = readAnswer(question);
  if (read.error) {
    fieldError($("#answer-error"), controls, read.error);
    controls[0]?.focus();
    return;
  }
  try {
    const session = await api("POST", `/v1/questionnaire/sessions/${state.session.id}/answers`, {
      question_id: question.id,
      value: read.value,
    });
    delete state.prefill[question.id];
    await enter(session);
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 422) throw error;
    fieldError($("#answer-error"), controls, error.message);
    controls[0]?.focus();
  }
}

function goBack(fromId) {
  const previous = previousOf(fromId);
  const question = previous && questionById(previous);
  if (question) showQuestion(question);
}

function onAnswerKeydown(event) {
  // Enter answers from any control (radios and the textarea included); Shift+Enter keeps a newline.
  if (event.key !== "Enter" || event.shiftKey || event.isComposing) return;
  if (event.target instanceof HTMLButtonElement || event.target instanceof HTMLAnchorElement) return;
  event.preventDefault();
  $("#answer-form").requestSubmit();
}

// --- the verdict screen ----------------------------------------------------------------------------------------

/** The answers behind the verdict: the session's, or for an advice opened by its link, its profile less what was assumed. */
function givenAnswers(advice) {
  if (state.session) return state.session.answers ?? {};
  const assumed = new Set((advice.assumptions ?? []).map((item) => item.field));
  return Object.fromEntries(Object.entries(advice.profile ?? {}).filter(([field, value]) => value !== null && !assumed.has(field)));
}

function renderAnswers(advice) {
  const answers = givenAnswers(advice);
  const rows = state.questions
    .filter((question) => question.id in answers)
    .flatMap((question) => {
      const change = h(
        "button",
        { type: "button", class: "link", "data-question": question.id, "aria-label": t("changeLabel", { question: question.text }), onclick: () => run(() => changeAnswer(question.id)) },
        t("change"),
      );
      const badge = question.id in state.prefill ? h("span", { class: "badge" }, t("fromText")) : null;
      return [h("dt", {}, question.text), h("dd", { "data-field": question.id }, h("bdi", {}, answerLabel(question, answers[question.id])), badge, change)];
    });
  $("#answers").replaceChildren(...rows);
}

/** Go to a question to change (or give) its answer: in the session, or in a new one made from the advice's answers. */
async function changeAnswer(field) {
  const question = questionById(field);
  if (!question) return;
  if (!state.session && state.advice) {
    const { session } = await createSession(state.advice.lang ?? "en", { ...givenAnswers(state.advice) });
    state.advice = null;
    state.prefill = {};
    history.replaceState(null, "", "/"); // from here on it is a questionnaire session, resumed at /
    state.session = session;
    sessionStorage.setItem(SESSION_STORAGE, JSON.stringify({ id: session.id, prefill: {} }));
  }
  showQuestion(question);
}

async function showVerdict(advice) {
  const titles = await loadGuideTitles();
  state.shown = advice;
  showOnly("verdict");
  const context = { questionText, onChange: (field) => run(() => changeAnswer(field)) };
  renderVerdict(advice, titles, context);
  renderAnswers(advice);
  $("#verdict-back").hidden = !state.session;
  $("#verdict-back").disabled = !(state.session?.asked ?? []).length;
  $("#start-over").textContent = state.session ? t("startOver") : t("newQuestionnaire");
  $("#verdict-title").focus();
  offerMeasurement(advice);
  markView("verdict", advice.id);
  loadDownloads(advice);
}

// --- "Try it on your data" (try.js) ---------------------------------------------------------------------

/** From the verdict on screen: back returns to it, at the address it had. */
async function tryFromVerdict() {
  const advice = state.shown;
  const back = `${location.pathname}${location.search}`;
  history.replaceState(null, "", `/try?advice=${encodeURIComponent(advice.id)}`);
  await openTry(advice, () => {
    history.replaceState(null, "", back);
    return run(() => showVerdict(advice));
  });
  markView("try", advice.id);
}

/** On its own: back (or "use it in an advice") returns to the start, to answer the questionnaire. */
async function tryAlone() {
  setLang(chosenLang());
  history.replaceState(null, "", "/try");
  await openTry(null, ({ carried }) => {
    history.replaceState(null, "", "/");
    showOnly("start");
    $("#status").textContent = carried ? t("tryCarried") : "";
    $("#start-title").focus();
  });
  markView("try", "alone");
}

async function openTryLink(params) {
  const adviceId = params.get("advice");
  if (adviceId) {
    const advice = await api("GET", `/v1/advice/${encodeURIComponent(adviceId)}`);
    setLang(advice.lang ?? "en");
    await loadQuestions(advice.lang ?? "en");
    state.advice = advice;
    state.shown = advice;
    await openTry(advice, () => {
      history.replaceState(null, "", `/advice/${encodeURIComponent(advice.id)}`);
      return run(() => showVerdict(advice));
    });
  } else await tryAlone();
  const experimentId = params.get("experiment");
  if (experimentId) follow(experimentId);
}

// --- the guide, opened in a dialog rather than as raw JSON ---------------------------------------------

async function openGuide(anchor) {
  // The section's page, rendered on the server from the guide's Markdown; its sections go into the dialog.
  const url = guideUrl(anchor);
  let response;
  try {
    response = await fetch(url, { headers: { Accept: "text/html" } });
  } catch {
    throw new ApiError(0, null);
  }
  if (!response.ok) throw new ApiError(response.status, { detail: `${response.status} ${url}` });
  const page = new DOMParser().parseFromString(await response.text(), "text/html");
  const sections = [...page.querySelectorAll("article .guide-section")];
  const heading = sections[0]?.querySelector("h1");
  $("#guide-title").textContent = heading?.textContent ?? anchor;
  heading?.remove();
  $("#guide-body").replaceChildren(...sections.map((section) => document.importNode(section, true)));
  $("#guide-open").href = url;
  $("#guide-dialog").showModal();
}

function onDocumentClick(event) {
  const link = event.target instanceof Element ? event.target.closest("a.guide-link") : null;
  if (!link || event.ctrlKey || event.metaKey || event.shiftKey) return;
  event.preventDefault();
  run(() => openGuide(link.dataset.anchor));
}

// --- wiring -----------------------------------------------------------------------------------------

async function openAdvice(adviceId) {
  $("#status").textContent = t("adviceLoading");
  try {
    const advice = await api("GET", `/v1/advice/${encodeURIComponent(adviceId)}`);
    setLang(advice.lang ?? "en");
    await loadQuestions(advice.lang ?? "en");
    state.session = null;
    state.advice = advice;
    $("#status").textContent = "";
    await showVerdict(advice);
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) throw error;
    $("#status").textContent = t("adviceMissing", { detail: describe(error) });
  }
}

async function resume() {
  if (TRY_PATH.test(location.pathname)) return openTryLink(new URLSearchParams(location.search));
  const link = ADVICE_PATH.exec(location.pathname);
  const adviceId = link ? decodeURIComponent(link[1]) : new URLSearchParams(location.search).get("advice");
  if (adviceId) return openAdvice(adviceId);
  const saved = JSON.parse(sessionStorage.getItem(SESSION_STORAGE) || "null");
  if (!saved?.id) return;
  try {
    const session = await api("GET", `/v1/questionnaire/sessions/${encodeURIComponent(saved.id)}`);
    setLang(session.lang);
    await loadQuestions(session.lang);
    state.prefill = saved.prefill ?? {};
    await enter(session);
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) throw error;
    sessionStorage.removeItem(SESSION_STORAGE);
  }
}

function startOver() {
  leaveTry();
  clearDownloads();
  sessionStorage.removeItem(SESSION_STORAGE);
  if (location.pathname !== "/" || location.search) history.replaceState(null, "", "/");
  state.session = null;
  state.advice = null;
  state.prefill = {};
  $("#status").textContent = "";
  showOnly("start");
  $("#start-title").focus();
}

function init() {
  setLang(chosenLang());
  for (const radio of document.querySelectorAll('input[name="lang"]')) radio.addEventListener("change", () => setLang(chosenLang()));
  $("#start-form").addEventListener("submit", (event) => {
    event.preventDefault();
    run(start);
  });
  $("#answer-form").addEventListener("submit", (event) => {
    event.preventDefault();
    run(answer);
  });
  $("#answer-form").addEventListener("keydown", onAnswerKeydown);
  $("#back").addEventListener("click", () => goBack(state.viewing));
  $("#verdict-back").addEventListener("click", () => goBack(null));
  $("#start-over").addEventListener("click", startOver);
  $("#key-form").addEventListener("submit", onKeySubmit);
  $("#try-start").addEventListener("click", () => run(tryAlone));
  $("#try-from-verdict").addEventListener("click", () => run(tryFromVerdict));
  initTry();
  document.addEventListener("click", onDocumentClick);
  // Tests and scripts wait for this: the handlers are wired and any saved session is back on screen.
  run(resume).finally(() => {
    document.body.dataset.ready = "true";
  });
}

init();
