// The enumerator's form: built from the survey definition, checked live with the server's rules,
// working offline. Finished interviews wait in IndexedDB and a queue sends them when the network is
// back, with backoff and the same id on every retry, so the server stores each exactly once. The
// place is picked, never typed, from the villages the enumerator may interview in.
"use strict";

const UI = {
  vi: { title: "Phiếu phỏng vấn", unsent: "Chưa gửi", token: "Mã truy cập của điều tra viên", save: "Lưu",
        survey: "Khảo sát", finish: "Hoàn thành phiếu", new: "Phiếu mới", outbox: "Phiếu trên máy", send: "Gửi ngay",
        resend: "Gửi lại tất cả", online: "Có mạng", offline: "Mất mạng", required: "Câu này là bắt buộc.",
        constraint: "Câu trả lời không hợp lệ.", number: "Cần nhập một số.", whole: "Cần nhập số nguyên.",
        fix: "Vui lòng sửa các câu được đánh dấu.", saved: "Đã lưu phiếu; phiếu sẽ được gửi khi có mạng.",
        queued: "chờ gửi", sent: "đã gửi", draft: "đang điền", drafts: "Đang điền", discard: "Bỏ phiếu đang điền?", rejected: "bị từ chối", conflict: "trùng mã", location: "Địa bàn",
        badtoken: "Mã truy cập không hợp lệ.", nosurvey: "Chưa tải được bộ câu hỏi; cần có mạng lần đầu.",
        choose: "Chọn", pickplace: "Vui lòng chọn đủ địa bàn của phiếu.",
        noplaces: "Bạn chưa được phân công thôn nào của khảo sát này nên chưa thể điền phiếu. Hãy báo giám sát viên; danh sách địa bàn sẽ tự cập nhật khi có mạng.",
        noplacelist: "Chưa tải được danh sách địa bàn được phân công; cần có mạng một lần.",
        elsewhere: "Câu này (tệp đính kèm hoặc nhóm lặp) cần trả lời bằng ODK Collect hoặc Enketo; biểu mẫu web chưa nhận được.",
        locate: "Lấy vị trí", locating: "Đang lấy vị trí…", nolocation: "Không lấy được vị trí; hãy nhập 'vĩ_độ kinh_độ'.", ok: "Đồng ý (OK)",
        "col:province": "Tỉnh", "col:district": "Huyện", "col:commune": "Xã", "col:village": "Thôn" },
  en: { title: "Interview form", unsent: "Unsent", token: "Enumerator access token", save: "Save",
        survey: "Survey", finish: "Finish interview", new: "New interview", outbox: "Interviews on this device", send: "Send now",
        resend: "Resend all", online: "Online", offline: "Offline", required: "This question is required.",
        constraint: "This answer is not valid.", number: "Enter a number.", whole: "Enter a whole number.",
        fix: "Please fix the marked questions.", saved: "Saved; it will be sent when there is signal.",
        queued: "waiting", sent: "sent", draft: "in progress", drafts: "In progress", discard: "Discard the interview being filled?", rejected: "refused", conflict: "id conflict", location: "Location",
        badtoken: "The access token is not valid.", nosurvey: "The questionnaire is not loaded yet; the first time needs signal.",
        choose: "Choose", pickplace: "Please choose every level of the interview's place.",
        noplaces: "No village of this survey is assigned to you yet, so no interview can be filled. Tell your supervisor; the list of places updates by itself when there is signal.",
        noplacelist: "The list of your assigned places is not loaded yet; it needs signal once.",
        elsewhere: "This question (a file or a repeat) is answered in ODK Collect or Enketo; the web form does not take it yet.",
        locate: "Get location", locating: "Getting the location…", nolocation: "No location; type 'latitude longitude'.", ok: "OK",
        "col:province": "Province", "col:district": "District", "col:commune": "Commune", "col:village": "Village" },
};

let lang = localStorage.getItem("papi-lang") || "vi";
let db;
let survey = null;        // the definition in use
let placeList = null;     // the places it may be filled in: [{ column: name }], null until loaded
let current = null;       // the interview being filled: { id, started_at }
const $ = (id) => document.getElementById(id);
const tr = (k) => (UI[lang] || UI.vi)[k] || k;
const label = (l) => (l && (l[lang] || l.vi || Object.values(l)[0])) || "";

// An element with attributes (set with setAttribute; an undefined one is left out) and children
// (strings become text nodes). What a definition, the server or the enumerator says is never parsed
// as HTML: a label of an imported XLSForm stays text, beside the token this page keeps.
function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value !== undefined) e.setAttribute(name, String(value));
  }
  e.append(...children);
  return e;
}

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

// ---- The place ----------------------------------------------------------------------------------
// One select per location column, each listing what lies under the choices above it, over the places
// the server lets this device use: an enumerator's assigned villages, or the whole sample for an
// administrator. The list is kept in IndexedDB so that the form works with no signal.
const placesKey = (s) => `places:${s.id}/${s.version}`;
const colName = (col) => (tr("col:" + col) === "col:" + col ? col : tr("col:" + col));
const byName = (a, b) => a.localeCompare(b, "vi", { numeric: true });

async function loadPlaces(token, defs) {
  const headers = { Authorization: "Bearer " + token };
  try {
    for (const d of defs) {
      // The server says where this caller may interview: the same rule it checks on arrival.
      const base = `/api/v1/surveys/${encodeURIComponent(d.id)}/${encodeURIComponent(d.version)}`;
      const r = await fetch(base + "/places", { headers });
      if (r.ok) await setConfig(placesKey(d), (await r.json()).places.map((p) => p.location));
    }
  } catch (_) {
    // No signal: the lists cached last time stay.
  }
}

// The first column is shown as text when every place shares it (a province survey's province).
function fixedFirst() {
  const values = new Set(placeList.map((p) => p[survey.location[0]]));
  return values.size === 1 ? [...values][0] : null;
}
function locationValue(col) {
  const el = $("loc-" + col);
  if (!el) return "";
  return el.tagName === "SELECT" ? el.value : el.dataset.value || "";
}

function renderLocation() {
  const loc = $("location");
  loc.replaceChildren(el("h3", {}, tr("location")));
  loc.onchange = null;
  // With nowhere to interview, the questions would only be filled in vain: they stay hidden.
  $("interview").classList.toggle("no-places", !placeList || !placeList.length);
  if (!placeList || !placeList.length) {
    const p = document.createElement("p");
    p.id = "no-places";
    p.className = "notice";
    p.setAttribute("role", "status");
    p.textContent = tr(placeList ? "noplaces" : "noplacelist");
    loc.appendChild(p);
    return;
  }
  const fixed = fixedFirst();
  survey.location.forEach((col, i) => {
    if (i === 0 && fixed !== null) {
      loc.append(el("p", { class: "place-fixed" },
        el("span", {}, `${colName(col)}:`), " ", el("strong", { id: `loc-${col}`, "data-value": fixed }, fixed)));
    } else {
      loc.append(el("div", { class: "question place" },
        el("label", { class: "q", for: `loc-${col}` }, colName(col)),
        el("select", { id: `loc-${col}`, name: `loc-${col}` })));
    }
  });
  fillPlaces(0);
  loc.onchange = (e) => {
    fillPlaces(survey.location.indexOf(e.target.id.slice(4)) + 1);
    saveDraft();
  };
}

// Re-fills the selects from column `from` down: each offers the names under the choices above it,
// keeps its choice while it is still offered, and takes the only one when there is one.
function fillPlaces(from) {
  const cols = survey.location;
  for (let i = Math.max(from, 0); i < cols.length; i++) {
    const el = $("loc-" + cols[i]);
    if (!el || el.tagName !== "SELECT") continue;
    const above = cols.slice(0, i).map(locationValue);
    const names = above.includes("")
      ? []
      : [...new Set(placeList.filter((p) => cols.slice(0, i).every((c, j) => p[c] === above[j])).map((p) => p[cols[i]]))].sort(byName);
    const keep = names.includes(el.value) ? el.value : names.length === 1 ? names[0] : "";
    el.replaceChildren(new Option(`— ${tr("choose")} ${colName(cols[i]).toLowerCase()} —`, ""), ...names.map((n) => new Option(n, n)));
    el.value = keep;
    el.disabled = names.length === 0;
  }
}

// Puts a saved place back, column by column, where it is still one of the places offered.
function setLocation(saved) {
  if (!saved || !placeList) return;
  survey.location.forEach((col, i) => {
    const el = $("loc-" + col);
    if (el && el.tagName === "SELECT" && saved[col] && [...el.options].some((o) => o.value === saved[col])) {
      el.value = saved[col];
      fillPlaces(i + 1);
    }
  });
}
function locationPicked() {
  return survey.location.every((col) => locationValue(col) !== "");
}

// ---- The form ---------------------------------------------------------------------------------
// Types the form shows no control for: the server computes calculations, the device records the rest.
const UNSHOWN = ["calculate", "today", "deviceid", "phonenumber", "username", "email", "subscriberid", "simserial", "audit"];
// Types answered in ODK Collect or Enketo only: files, and repeats with their questions.
const elsewhere = (q) => ["image", "audio", "video", "file", "repeat"].includes(q.type) || !!q.repeat;
const NUMERIC = ["integer", "decimal", "range"];
const calculated = {}; // calculation values, as the form computes them for skip logic and labels
function answerOf(q) {
  const el = $("q-" + q.id);
  if (q.type === "calculate") return calculated[q.id];
  if (!el || el.classList.contains("hidden") || elsewhere(q) || q.type === "note") return undefined;
  if (q.type === "select_one") {
    const c = el.querySelector("input:checked");
    return c ? c.value : undefined;
  }
  if (q.type === "select_multiple") {
    const cs = [...el.querySelectorAll("input:checked")].map((c) => c.value);
    return cs.length ? cs : undefined;
  }
  if (q.type === "acknowledge") return $("in-" + q.id).checked ? "OK" : undefined;
  const input = $("in-" + q.id);
  if (!input) return undefined;
  const v = input.value.trim();
  if (v === "") return undefined;
  if (NUMERIC.includes(q.type)) return Number(v);
  // A local date and time, sent with its moment in UTC.
  if (q.type === "datetime") { const d = new Date(v); return Number.isNaN(d.getTime()) ? v : d.toISOString(); }
  return v;
}
function answersFromForm() {
  const out = {};
  for (const q of survey.questions) {
    const a = answerOf(q);
    if (a !== undefined && a !== "") out[q.id] = a;
  }
  return out;
}
const asValue = (a) => (a === undefined ? "" : Array.isArray(a) ? a.join(" ") : a);

// Relevance in question order (hidden answers are cleared, as on the server), then each rule.
function check(showAll) {
  const answers = {};
  const visible = {};
  let errors = 0;
  const seen = (r) => asValue(visible[r]);
  for (const q of survey.questions) {
    if (q.repeat) continue;
    const shown = !q.relevant || PapiExpr.test(q.relevant, seen);
    if (q.type === "calculate") {
      delete calculated[q.id];
      if (shown && q.calculation) {
        const v = PapiExpr.value(q.calculation, seen);
        const t = typeof v === "number" && !Number.isFinite(v) ? "" : PapiExpr.text(v);
        if (t !== "") calculated[q.id] = typeof v === "number" ? v : t;
      }
      if (calculated[q.id] !== undefined) visible[q.id] = calculated[q.id];
      continue;
    }
    const el = $("q-" + q.id);
    if (!el) continue;
    el.classList.toggle("hidden", !shown);
    const err = el.querySelector(".error");
    err.textContent = "";
    if (!shown) continue;
    // Labels that show answers (`${name}`) follow them.
    for (const node of el.querySelectorAll("[data-template]")) {
      node.textContent = node.dataset.template.replace(/\$\{([^}]+)\}/g, (_, n) => PapiExpr.text(seen(n.trim())));
    }
    if (q.choice_filter) {
      for (const c of q.choices) {
        const box = $(`q-${q.id}-${c.value}`);
        if (!box) continue;
        const column = (name) => (name === "name" ? c.value : name === "label" ? label(c.label) : (c.columns || {})[name] || "");
        const offered = PapiExpr.test(q.choice_filter, { answer: seen, column });
        box.parentElement.classList.toggle("hidden", !offered);
        if (!offered) box.checked = false;
      }
    }
    const a = answerOf(q);
    let message = "";
    const required = q.required || (q.required_if && PapiExpr.test(q.required_if, seen));
    if (elsewhere(q)) {
      if (required) { errors++; err.textContent = tr("elsewhere"); }
      continue;
    }
    if (NUMERIC.includes(q.type)) {
      const raw = $("in-" + q.id).value.trim();
      if (raw !== "" && Number.isNaN(Number(raw))) message = tr("number");
      else if (raw !== "" && q.type === "integer" && !Number.isInteger(Number(raw))) message = tr("whole");
    }
    if (!message && a === undefined && required) message = (q.required_message && label(q.required_message)) || tr("required");
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

// A label or hint whose text shows answers (`${name}`) is re-written as they change.
function textNode(tag, attrs, text) {
  const node = el(tag, attrs, text);
  if (text.includes("${")) node.dataset.template = text;
  return node;
}
function control(q, div) {
  if (q.type === "select_one" || q.type === "select_multiple") {
    const type = q.type === "select_one" ? "radio" : "checkbox";
    for (const c of q.choices) {
      div.append(el("label", { class: "choice" },
        el("input", { type, name: q.id, id: `q-${q.id}-${c.value}`, value: c.value }), " " + label(c.label)));
    }
    return;
  }
  if (q.type === "note") return;
  if (elsewhere(q)) { div.append(el("div", { class: "hint" }, tr("elsewhere"))); return; }
  if (q.type === "acknowledge") {
    div.append(el("label", { class: "choice" }, el("input", { type: "checkbox", id: "in-" + q.id, name: q.id }), " " + tr("ok")));
    return;
  }
  const types = { integer: "number", decimal: "number", range: "number", date: "date", time: "time", datetime: "datetime-local" };
  const attrs = { type: types[q.type] || "text", id: "in-" + q.id, name: q.id };
  if (q.type === "integer") attrs.inputmode = "numeric";
  if (q.type === "decimal") { attrs.step = "any"; attrs.inputmode = "decimal"; }
  if (q.type === "range") {
    const p = Object.fromEntries((q.parameters || "").split(/\s+/).filter((x) => x.includes("=")).map((x) => x.split("=")));
    Object.assign(attrs, { min: p.start || 1, max: p.end || 10, step: p.step || 1, inputmode: "decimal" });
  }
  if (q.read_only) attrs.readonly = "readonly";
  const input = q.type === "geotrace" || q.type === "geoshape" || (q.appearance || "").includes("multiline")
    ? el("textarea", attrs) : el("input", attrs);
  if (q.default !== undefined && q.default !== null) input.value = q.default;
  div.append(input);
  if (q.type === "geopoint") {
    const button = el("button", { type: "button" }, tr("locate"));
    button.onclick = () => {
      const err = div.querySelector(".error");
      if (!navigator.geolocation) { err.textContent = tr("nolocation"); return; }
      err.textContent = tr("locating");
      navigator.geolocation.getCurrentPosition((pos) => {
        const c = pos.coords;
        input.value = `${c.latitude} ${c.longitude} ${c.altitude || 0} ${c.accuracy || 0}`;
        err.textContent = "";
        check(false); saveDraft();
      }, () => { err.textContent = tr("nolocation"); }, { enableHighAccuracy: true, timeout: 30000 });
    };
    div.append(button);
  }
}

function render() {
  renderLocation();
  const form = $("questions");
  form.replaceChildren();
  for (const q of survey.questions) {
    if (UNSHOWN.includes(q.type) || q.repeat) continue;
    const div = el("div", { class: "question", id: "q-" + q.id },
      textNode("label", { class: "q", for: "in-" + q.id }, label(q.label) + (q.required ? " *" : "")));
    if (q.hint) div.append(textNode("div", { class: "hint" }, label(q.hint)));
    if (q.guidance_hint) div.append(el("details", { class: "hint" }, el("summary", {}, "?"), label(q.guidance_hint)));
    control(q, div);
    div.append(el("div", { class: "error" }));
    form.append(div);
  }
  form.oninput = () => { check(false); saveDraft(); };
  form.onchange = () => { check(false); saveDraft(); };
  check(false);
}

// The interview being filled is kept in IndexedDB at every change: a reload, a crash of the browser
// or a flat battery loses nothing.
function formState() {
  const location = {};
  for (const col of survey.location) location[col] = locationValue(col);
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
  setLocation(sub.location);
  for (const q of survey.questions) {
    const a = sub.answers[q.id];
    if (a === undefined) continue;
    if (q.type === "select_one") { const el = $(`q-${q.id}-${a}`); if (el) el.checked = true; }
    else if (q.type === "select_multiple") { for (const v of a) { const el = $(`q-${q.id}-${v}`); if (el) el.checked = true; } }
    else if (q.type === "acknowledge") { const el = $("in-" + q.id); if (el) el.checked = a === "OK"; }
    else if (q.type === "datetime") { const el = $("in-" + q.id); if (el) { const d = new Date(a); el.value = new Date(d - d.getTimezoneOffset() * 60000).toISOString().slice(0, 16); } }
    else { const el = $("in-" + q.id); if (el) el.value = String(a); }
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
  if (!placeList || !placeList.length) {
    $("form-error").textContent = tr(placeList ? "noplaces" : "noplacelist");
    return;
  }
  if (errors || !locationPicked()) {
    $("form-error").textContent = errors ? tr("fix") : tr("pickplace");
    return;
  }
  const { location } = formState();
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
  setLocation(await getConfig("location"));
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
          body: JSON.stringify(wire(item.submission)),
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
// What goes to the server: the interview's own fields only. A design weight never leaves the device
// (the server computes weights from its sample and refuses one sent), whatever an older copy held.
function wire(sub) {
  const { id, survey: ref, location, started_at, finished_at, answers } = sub;
  return { id, survey: ref, location, started_at, finished_at, answers };
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
  rows.replaceChildren(...items.sort((a, b) => (a.submission.finished_at < b.submission.finished_at ? 1 : -1)).map((x) => {
    // Why the server refused it (a place no longer assigned, say), in the server's own words.
    const e = x.status === "rejected" && x.error;
    const why = e ? label((e.errors && e.errors[0] && e.errors[0].message) || e.message) : "";
    return el("tr", { "data-id": x.id, "data-status": x.status },
      el("td", {}, x.submission.finished_at.slice(0, 16).replace("T", " ")),
      el("td", {}, x.id.slice(0, 8)),
      el("td", {}, tr(x.status)),
      el("td", { class: "why" }, why));
  }));
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
  await loadPlaces(token, defs);
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
    // A new interview starts where the last one was done.
    if (!locationPicked()) setLocation(await getConfig("location"));
  };
  sel.onchange = async () => { await setConfig("survey-choice", Number(sel.value)); await use(); };
  $("setup").classList.add("hidden");
  $("interview").classList.remove("hidden");
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
  const { location } = formState();
  placeList = fresh;
  renderLocation();
  setLocation(location);
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
  window.addEventListener("online", () => { translate(); sendQueue(true); refreshPlaces(); });
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
