// The enumerator's form: built from the survey definition, checked live with the server's rules,
// working offline. Finished interviews wait in IndexedDB and a queue sends them when the network is
// back, with backoff and the same id on every retry, so the server stores each exactly once.
"use strict";

const UI = {
  vi: { title: "Phiếu phỏng vấn", unsent: "Chưa gửi", token: "Mã truy cập của điều tra viên", save: "Lưu",
        survey: "Khảo sát", finish: "Hoàn thành phiếu", new: "Phiếu mới", outbox: "Phiếu trên máy", send: "Gửi ngay",
        resend: "Gửi lại tất cả", online: "Có mạng", offline: "Mất mạng", required: "Câu này là bắt buộc.",
        constraint: "Câu trả lời không hợp lệ.", number: "Cần nhập một số.", whole: "Cần nhập số nguyên.",
        fix: "Vui lòng sửa các câu được đánh dấu.", saved: "Đã lưu phiếu; phiếu sẽ được gửi khi có mạng.",
        queued: "chờ gửi", sent: "đã gửi", draft: "đang điền", drafts: "Đang điền", discard: "Bỏ phiếu đang điền?", rejected: "bị từ chối", conflict: "trùng mã", location: "Địa bàn",
        badtoken: "Mã truy cập không hợp lệ.", nosurvey: "Chưa tải được bộ câu hỏi; cần có mạng lần đầu.",
        "col:province": "Tỉnh", "col:district": "Huyện", "col:commune": "Xã", "col:village": "Thôn" },
  en: { title: "Interview form", unsent: "Unsent", token: "Enumerator access token", save: "Save",
        survey: "Survey", finish: "Finish interview", new: "New interview", outbox: "Interviews on this device", send: "Send now",
        resend: "Resend all", online: "Online", offline: "Offline", required: "This question is required.",
        constraint: "This answer is not valid.", number: "Enter a number.", whole: "Enter a whole number.",
        fix: "Please fix the marked questions.", saved: "Saved; it will be sent when there is signal.",
        queued: "waiting", sent: "sent", draft: "in progress", drafts: "In progress", discard: "Discard the interview being filled?", rejected: "refused", conflict: "id conflict", location: "Location",
        badtoken: "The access token is not valid.", nosurvey: "The questionnaire is not loaded yet; the first time needs signal.",
        "col:province": "Province", "col:district": "District", "col:commune": "Commune", "col:village": "Village" },
};

let lang = localStorage.getItem("papi-lang") || "vi";
let db;
let survey = null;        // the definition in use
let current = null;       // the interview being filled: { id, started_at }
const $ = (id) => document.getElementById(id);
const tr = (k) => (UI[lang] || UI.vi)[k] || k;
const label = (l) => (l && (l[lang] || l.vi || Object.values(l)[0])) || "";

// ---- IndexedDB -------------------------------------------------------------------------------
function openDb() {
  return new Promise((ok, fail) => {
    const r = indexedDB.open("papi", 1);
    r.onupgradeneeded = () => {
      r.result.createObjectStore("config", { keyPath: "key" });
      r.result.createObjectStore("interviews", { keyPath: "id" });
    };
    r.onsuccess = () => ok(r.result);
    r.onerror = () => fail(r.error);
  });
}
function store(name, mode, fn) {
  return new Promise((ok, fail) => {
    const tx = db.transaction(name, mode);
    const result = fn(tx.objectStore(name));
    tx.oncomplete = () => ok(result && "result" in result ? result.result : undefined);
    tx.onerror = () => fail(tx.error);
  });
}
const getConfig = (key) => store("config", "readonly", (s) => s.get(key)).then((r) => r && r.value);
const setConfig = (key, value) => store("config", "readwrite", (s) => s.put({ key, value }));
const allInterviews = () => store("interviews", "readonly", (s) => s.getAll());
const putInterview = (x) => store("interviews", "readwrite", (s) => s.put(x));

function uuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

// ---- The form ---------------------------------------------------------------------------------
function answersFromForm() {
  const out = {};
  for (const q of survey.questions) {
    const el = $("q-" + q.id);
    if (!el || el.classList.contains("hidden")) continue;
    if (q.type === "select_one") {
      const c = el.querySelector("input:checked");
      if (c) out[q.id] = c.value;
    } else if (q.type === "select_multiple") {
      const cs = [...el.querySelectorAll("input:checked")].map((c) => c.value);
      if (cs.length) out[q.id] = cs;
    } else {
      const v = $("in-" + q.id).value.trim();
      if (v !== "") out[q.id] = q.type === "integer" || q.type === "decimal" ? Number(v) : v;
    }
  }
  return out;
}
const asValue = (a) => (a === undefined ? "" : Array.isArray(a) ? a.join(" ") : a);

// Relevance in question order (hidden answers are cleared, as on the server), then each rule.
function check(showAll) {
  const answers = {};
  const visible = {};
  let errors = 0;
  for (const q of survey.questions) {
    const el = $("q-" + q.id);
    const shown = !q.relevant || PapiExpr.test(q.relevant, (r) => asValue(visible[r]));
    el.classList.toggle("hidden", !shown);
    const err = el.querySelector(".error");
    err.textContent = "";
    if (!shown) continue;
    const a = answersFromForm()[q.id];
    let message = "";
    if (q.type === "integer" || q.type === "decimal") {
      const raw = $("in-" + q.id).value.trim();
      if (raw !== "" && Number.isNaN(Number(raw))) message = tr("number");
      else if (raw !== "" && q.type === "integer" && !Number.isInteger(Number(raw))) message = tr("whole");
    }
    if (!message && a === undefined && q.required) message = tr("required");
    if (!message && a !== undefined && q.constraint && !PapiExpr.test(q.constraint, (r) => asValue(visible[r]), asValue(a))) {
      message = label(q.constraint_message) || tr("constraint");
    }
    if (message) {
      errors++;
      if (showAll || a !== undefined) err.textContent = message;
    } else if (a !== undefined) {
      visible[q.id] = a;
      answers[q.id] = a;
    }
  }
  return { answers, errors };
}

function render() {
  const loc = $("location");
  loc.innerHTML = `<h3>${tr("location")}</h3>`;
  for (const col of survey.location) {
    // Known geography names are translated; any other location column shows its own name.
    const name = tr("col:" + col) === "col:" + col ? col : tr("col:" + col);
    loc.insertAdjacentHTML("beforeend", `<div class="question"><label class="q" for="loc-${col}">${name}</label><input type="text" id="loc-${col}" name="loc-${col}"></div>`);
  }
  const form = $("questions");
  form.innerHTML = "";
  for (const q of survey.questions) {
    const div = document.createElement("div");
    div.className = "question";
    div.id = "q-" + q.id;
    let html = `<label class="q">${label(q.label)}${q.required ? " *" : ""}</label>`;
    if (q.hint) html += `<div class="hint">${label(q.hint)}</div>`;
    if (q.type === "select_one" || q.type === "select_multiple") {
      const type = q.type === "select_one" ? "radio" : "checkbox";
      for (const c of q.choices) {
        html += `<label class="choice"><input type="${type}" name="${q.id}" id="q-${q.id}-${c.value}" value="${c.value}"> ${label(c.label)}</label>`;
      }
    } else {
      const type = q.type === "integer" || q.type === "decimal" ? "number" : q.type === "date" ? "date" : "text";
      html += `<input type="${type}" id="in-${q.id}" name="${q.id}"${q.type === "decimal" ? ' step="any"' : ""}>`;
    }
    html += `<div class="error"></div>`;
    div.innerHTML = html;
    form.appendChild(div);
  }
  form.oninput = () => { check(false); saveDraft(); };
  form.onchange = () => { check(false); saveDraft(); };
  loc.oninput = saveDraft;
  check(false);
}

// The interview being filled is kept in IndexedDB at every change: a reload, a crash of the browser
// or a flat battery loses nothing.
function formState() {
  const location = {};
  for (const col of survey.location) location[col] = $("loc-" + col).value;
  return { location, answers: answersFromForm() };
}
const finished = new Set(); // ids handed to the queue: never written back as drafts
async function saveDraft() {
  if (!current || !survey || finished.has(current.id)) return;
  const { location, answers } = formState();
  await putInterview({
    id: current.id, status: "draft", attempts: 0, next_try: 0,
    submission: { id: current.id, survey: { id: survey.id, version: survey.version }, location, started_at: current.started_at, finished_at: new Date().toISOString(), answers },
  });
  refreshOutbox();
}
function restore(sub) {
  for (const col of survey.location) if ($("loc-" + col)) $("loc-" + col).value = sub.location[col] || "";
  for (const q of survey.questions) {
    const a = sub.answers[q.id];
    if (a === undefined) continue;
    if (q.type === "select_one") { const el = $(`q-${q.id}-${a}`); if (el) el.checked = true; }
    else if (q.type === "select_multiple") { for (const v of a) { const el = $(`q-${q.id}-${v}`); if (el) el.checked = true; } }
    else $("in-" + q.id).value = String(a);
    check(false); // later questions appear as their conditions are met
  }
}

async function startInterview() {
  // Resume the draft of this survey if there is one.
  const draft = (await allInterviews()).find((x) => x.status === "draft" && x.submission.survey.id === survey.id && x.submission.survey.version === survey.version);
  current = draft ? { id: draft.id, started_at: draft.submission.started_at } : { id: uuid(), started_at: new Date().toISOString() };
  render();
  if (draft) restore(draft.submission);
  $("form-error").textContent = "";
}

async function finish() {
  const { answers, errors } = check(true);
  const location = {};
  let missing = 0;
  for (const col of survey.location) {
    const v = $("loc-" + col).value.trim();
    if (v) location[col] = v; else missing++;
  }
  if (errors || missing) {
    $("form-error").textContent = tr("fix");
    return;
  }
  finished.add(current.id);
  const submission = {
    id: current.id,
    survey: { id: survey.id, version: survey.version },
    location,
    started_at: current.started_at,
    finished_at: new Date().toISOString(),
    answers,
  };
  await putInterview({ id: current.id, status: "queued", submission, attempts: 0, next_try: 0 });
  await setConfig("location", location);
  await startInterview();
  const saved = await getConfig("location");
  for (const col of survey.location) if (!$("loc-" + col).value) $("loc-" + col).value = (saved && saved[col]) || "";
  $("form-error").textContent = tr("saved");
  refreshOutbox();
  sendQueue();
}

// ---- The queue ----------------------------------------------------------------------------------
let sending = false;
async function sendQueue(force) {
  if (sending) return;
  sending = true;
  try {
    const token = await getConfig("token");
    const now = Date.now();
    for (const item of await allInterviews()) {
      if (item.status !== "queued" || (!force && item.next_try > now)) continue;
      let r;
      try {
        r = await fetch("/api/v1/interviews", {
          method: "POST",
          headers: { "Content-Type": "application/json", Authorization: "Bearer " + token },
          body: JSON.stringify(item.submission),
        });
      } catch (_) {
        r = null; // no network: try again later
      }
      if (r && (r.status === 201 || r.status === 200)) {
        item.status = "sent";
        item.sent_at = new Date().toISOString();
      } else if (r && r.status === 409) {
        item.status = "conflict";
      } else if (r && [400, 401, 403, 413, 422].includes(r.status)) {
        item.status = r.status === 401 || r.status === 403 ? "queued" : "rejected";
        try { item.error = await r.json(); } catch (_) { item.error = null; }
        if (item.status === "queued") backoff(item);
      } else {
        backoff(item); // offline, 503 or a server error: the same interview, the same id, later
      }
      await putInterview(item);
    }
  } finally {
    sending = false;
    refreshOutbox();
  }
}
function backoff(item) {
  item.attempts = (item.attempts || 0) + 1;
  item.next_try = Date.now() + Math.min(60, 2 ** item.attempts) * 1000;
}

async function refreshOutbox() {
  const items = await allInterviews();
  $("unsent").textContent = String(items.filter((x) => x.status === "queued").length);
  $("drafts").textContent = String(items.filter((x) => x.status === "draft").length);
  const rows = $("outbox-rows");
  rows.innerHTML = "";
  for (const x of items.sort((a, b) => (a.submission.finished_at < b.submission.finished_at ? 1 : -1))) {
    rows.insertAdjacentHTML("beforeend", `<tr data-id="${x.id}" data-status="${x.status}"><td>${x.submission.finished_at.slice(0, 16).replace("T", " ")}</td><td>${x.id.slice(0, 8)}</td><td>${tr(x.status)}</td></tr>`);
  }
}

async function resendAll() {
  for (const item of await allInterviews()) {
    if (item.status === "sent" || item.status === "queued") {
      item.status = "queued";
      item.next_try = 0;
      await putInterview(item);
    }
  }
  await sendQueue(true);
}

function translate() {
  document.documentElement.lang = lang;
  for (const el of document.querySelectorAll("[data-t]")) el.textContent = tr(el.dataset.t);
  $("lang").textContent = lang === "vi" ? "English" : "Tiếng Việt";
  $("network").textContent = navigator.onLine ? tr("online") : tr("offline");
  if (survey && current) {
    // Re-draw in the other language, keeping every answer given so far.
    const state = formState();
    render();
    restore(state);
  }
  refreshOutbox();
}

// ---- Start ------------------------------------------------------------------------------------
async function loadSurveys(token) {
  const headers = { Authorization: "Bearer " + token };
  const list = await fetch("/api/v1/surveys", { headers });
  if (list.status === 401) throw new Error(tr("badtoken"));
  const { items } = await list.json();
  const defs = [];
  for (const s of items) {
    const r = await fetch(`/api/v1/surveys/${encodeURIComponent(s.id)}/${encodeURIComponent(s.version)}`, { headers });
    if (r.ok) defs.push(await r.json());
  }
  await setConfig("surveys", defs);
  return defs;
}

async function showSurveys(defs) {
  const sel = $("survey");
  sel.innerHTML = defs.map((d, i) => `<option value="${i}">${label(d.title)} (${d.version})</option>`).join("");
  const chosen = (await getConfig("survey-choice")) || 0;
  sel.value = String(Math.min(chosen, defs.length - 1));
  sel.onchange = async () => { await setConfig("survey-choice", Number(sel.value)); survey = defs[Number(sel.value)]; await startInterview(); };
  survey = defs[Number(sel.value)];
  $("setup").classList.add("hidden");
  $("interview").classList.remove("hidden");
  await startInterview();
  const saved = await getConfig("location");
  if (saved) for (const col of survey.location) if ($("loc-" + col) && !$("loc-" + col).value) $("loc-" + col).value = saved[col] || "";
}

async function boot() {
  db = await openDb();
  if ("serviceWorker" in navigator) navigator.serviceWorker.register("/form/sw.js", { scope: "/form/" }).catch(() => {});
  $("lang").onclick = () => { lang = lang === "vi" ? "en" : "vi"; localStorage.setItem("papi-lang", lang); translate(); };
  $("finish").onclick = finish;
  $("new").onclick = async () => {
    // Starting over discards the interview being filled, after asking if anything was answered.
    if (Object.keys(formState().answers).length && !confirm(tr("discard"))) return;
    await store("interviews", "readwrite", (st) => st.delete(current.id));
    current = null;
    await startInterview();
    refreshOutbox();
  };
  $("send-now").onclick = () => sendQueue(true);
  $("resend-all").onclick = resendAll;
  $("save-token").onclick = async () => {
    const token = $("token").value.trim();
    try {
      const defs = await loadSurveys(token);
      await setConfig("token", token);
      await showSurveys(defs);
    } catch (e) {
      $("setup-error").textContent = e.message;
    }
  };
  window.addEventListener("online", () => { translate(); sendQueue(true); });
  window.addEventListener("offline", translate);
  setInterval(() => sendQueue(false), 2000);
  translate();
  const token = await getConfig("token");
  if (token) {
    let defs = await getConfig("surveys");
    try { defs = await loadSurveys(token); } catch (_) { /* offline: the cached definitions */ }
    if (defs && defs.length) await showSurveys(defs);
    else $("setup-error").textContent = tr("nosurvey");
  }
  refreshOutbox();
  sendQueue(true);
}
boot();
