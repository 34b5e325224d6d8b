// The enumerator's form: signed in once, built from the survey definition, checked live with the
// server's rules, working offline. The interview being filled is kept in IndexedDB at every change
// (a reload, a crash or a flat battery loses nothing); a finished one waits in the outbox until the
// server acknowledges it.
"use strict";

let current = null; // the interview being filled: { id, started_at }
const finished = new Set(); // ids handed to the queue: never written back as drafts

// ---- The interview being filled -------------------------------------------------------------------
function draftAnswers() {
  const out = {};
  for (const [id, r] of Object.entries(raw)) if (given(r) && result.shown[id] !== false) out[id] = r;
  return out;
}
let saving = null;
// Many keystrokes, one write: the draft is written once the current one is done.
function answersChanged() {
  if (saving) { saving.again = true; return; }
  saving = { again: false };
  saveDraft().finally(() => {
    const again = saving.again;
    saving = null;
    if (again) answersChanged();
  });
}
async function saveDraft() {
  if (!current || !survey || finished.has(current.id)) return;
  const before = $("drafts").textContent;
  await putInterview({
    id: current.id, status: "draft", attempts: 0, next_try: 0, screen: at,
    submission: { id: current.id, survey: { id: survey.id, version: survey.version }, location: pickedLocation(), started_at: current.started_at, finished_at: new Date().toISOString(), answers: draftAnswers() },
  });
  if (before === "0") refreshOutbox();
}

// A draft's answers back into what the form holds (numbers and moments as they were typed).
function rawFrom(answers) {
  const out = {};
  for (const [id, a] of Object.entries(answers || {})) {
    const q = viewOf[id] && viewOf[id].q;
    if (q && q.type === "datetime" && /Z$/.test(String(a))) {
      const d = new Date(a);
      out[id] = new Date(d - d.getTimezoneOffset() * 60000).toISOString().slice(0, 16);
    } else out[id] = Array.isArray(a) ? a : String(a);
  }
  return out;
}

async function startInterview() {
  // Resume the draft of this survey if there is one.
  const draft = (await allInterviews()).find((x) => x.status === "draft" && x.submission.survey.id === survey.id && x.submission.survey.version === survey.version);
  current = draft ? { id: draft.id, started_at: draft.submission.started_at } : { id: uuid(), started_at: new Date().toISOString() };
  raw = {};
  marked = new Set();
  renderLocation(answersChanged);
  render();
  if (draft) {
    setLocation(draft.submission.location);
    raw = rawFrom(draft.submission.answers);
    writeInputs();
    update();
  } else {
    // A new interview starts where the last one was done.
    setLocation(await getConfig("location"));
  }
  show(draft ? draft.screen || 0 : 0);
  notify("");
}

async function finish() {
  update();
  if (!hasPlaces()) { notify(tr(placeList ? "noplaces" : "noplacelist")); return; }
  if (result.count || !locationPicked()) { jumpToFirstError(); return; }
  const location = pickedLocation();
  finished.add(current.id);
  lastFinished = current.id; // before it is queued: the queue may send it at once
  const submission = {
    id: current.id, survey: { id: survey.id, version: survey.version }, location,
    started_at: current.started_at, finished_at: new Date().toISOString(), answers: result.answers,
  };
  await putInterview({ id: current.id, status: "queued", submission, attempts: 0, next_try: 0 });
  await setConfig("location", location);
  await startInterview();
  // The queue clears lastFinished once the server has it, which may already be the case.
  notify(tr(lastFinished ? "saved" : "sentnow"), !lastFinished);
  refreshOutbox();
  sendQueue(true);
}

function uuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

// ---- The language ---------------------------------------------------------------------------------
const showNetwork = () => { $("network").textContent = navigator.onLine ? tr("online") : tr("offline"); };
function translate() {
  document.documentElement.lang = lang;
  document.title = `papi — ${tr("title")}`;
  for (const e of document.querySelectorAll("[data-t]")) e.textContent = tr(e.dataset.t);
  $("lang").textContent = lang === "vi" ? "English" : "Tiếng Việt";
  $("lang").setAttribute("lang", lang === "vi" ? "en" : "vi");
  showNetwork();
  if (survey && current) {
    // Re-draw in the other language, keeping every answer and the place given so far.
    const location = pickedLocation();
    renderLocation(answersChanged);
    setLocation(location);
    render();
    show(at, false);
  }
  refreshOutbox();
}

// ---- Surveys ----------------------------------------------------------------------------------------
async function loadSurveys(token) {
  const headers = { Authorization: "Bearer " + token };
  const list = await fetch("/api/v1/surveys", { headers });
  if (list.status === 401) throw Object.assign(new Error(tr("badtoken")), { refused: true });
  const { items } = await list.json();
  const defs = [];
  for (const s of items) {
    const r = await fetch(`/api/v1/surveys/${encodeURIComponent(s.id)}/${encodeURIComponent(s.version)}`, { headers });
    if (r.ok) defs.push(await r.json());
  }
  await setConfig("surveys", defs);
  await loadPlaces(token, defs);
  // The name interviews are recorded under, for a file of unsent ones saved with no signal.
  const me = await fetch("/api/v1/session", { headers });
  if (me.ok) await setConfig("me", (await me.json()).name);
  return defs;
}

async function showSurveys(defs) {
  const sel = $("survey");
  sel.replaceChildren(...defs.map((d, i) => new Option(`${label(d.title)} (${d.version})`, String(i))));
  const chosen = (await getConfig("survey-choice")) || 0;
  sel.value = String(Math.min(chosen, defs.length - 1));
  const use = async () => {
    survey = defs[Number(sel.value)];
    placeList = (await getConfig(placesKey(survey))) || null;
    await startInterview();
  };
  sel.onchange = async () => { await setConfig("survey-choice", Number(sel.value)); await use(); };
  $("setup").classList.add("hidden");
  $("interview").classList.remove("hidden");
  $("sign-out").classList.remove("hidden");
  await use();
}

// Signal again: fetch the places anew (a supervisor may have changed the assignments) and redraw the
// pickers if they changed, keeping what was chosen.
async function refreshPlaces() {
  const token = await getConfig("token");
  const defs = await getConfig("surveys");
  if (!token || !defs || !survey) return;
  await loadPlaces(token, defs);
  const fresh = (await getConfig(placesKey(survey))) || null;
  if (JSON.stringify(fresh) === JSON.stringify(placeList)) return;
  const location = pickedLocation();
  placeList = fresh;
  renderLocation(answersChanged);
  setLocation(location);
}

// A token, from a sign-in or typed: the surveys it may fill, then the form.
async function useToken(token) {
  const defs = await loadSurveys(token);
  await setConfig("token", token);
  await showSurveys(defs);
}
// The server no longer takes this device's token (revoked, or its 60 days are over): the sign-in
// shows again above the form, and what is queued waits for it.
async function tokenRefused() {
  await deleteConfig("token");
  $("setup").classList.remove("hidden");
  $("setup-error").textContent = tr("signedout");
}
async function trying(what) {
  $("setup-error").textContent = "";
  try { await what(); } catch (e) { $("setup-error").textContent = e.message; }
}

// ---- Start ------------------------------------------------------------------------------------------
async function boot() {
  await openDb();
  if ("serviceWorker" in navigator) navigator.serviceWorker.register("/form/sw.js", { scope: "/form/" }).catch(() => {});
  $("lang").onclick = () => {
    lang = lang === "vi" ? "en" : "vi";
    localStorage.setItem("papi-lang", lang);
    history.replaceState(null, "", location.pathname + (lang === "en" ? "?lang=en" : ""));
    translate();
  };
  $("back").onclick = () => step(-1);
  $("next").onclick = () => step(1);
  $("finish").onclick = finish;
  $("new").onclick = async () => {
    // Starting over discards the interview being filled, after asking if anything was answered.
    if (Object.keys(draftAnswers()).length && !confirm(tr("discard"))) return;
    await deleteInterview(current.id);
    current = null;
    await startInterview();
    refreshOutbox();
  };
  $("send-now").onclick = () => sendQueue(true);
  $("save-file").onclick = saveUnsentFile;
  $("signin-form").onsubmit = (e) => {
    e.preventDefault();
    trying(async () => useToken(await signIn($("username").value.trim(), $("password").value)));
  };
  $("save-token").onclick = () => trying(() => useToken($("token").value.trim()));
  $("sign-out").onclick = async () => { if (await signOut()) location.reload(); };
  window.addEventListener("online", () => { showNetwork(); sendQueue(true); refreshPlaces(); });
  window.addEventListener("offline", showNetwork);
  setInterval(() => sendQueue(false), 2000);
  translate();
  const token = await getConfig("token");
  if (token) {
    let defs = await getConfig("surveys");
    let refused = false;
    try {
      defs = await loadSurveys(token);
    } catch (e) {
      refused = !!e.refused; // offline, the cached definitions serve
    }
    if (defs && defs.length) await showSurveys(defs);
    else $("setup-error").textContent = tr("nosurvey");
    // A token revoked or expired: the form stays, with the sign-in above it.
    if (refused) await tokenRefused();
  } else {
    // Signed in on the site already: this device gets its token with no typing.
    await trying(async () => { const t = await tokenFromSession().catch(() => null); if (t) await useToken(t); });
  }
  refreshOutbox();
  sendQueue(true);
}
boot();
