// The questions on screens: the place first, then one group a screen under its heading with the
// progress ("Nhóm 3/9"), back and next, and a summary before finishing. Every question is drawn once
// per interview and remembered with its elements; after each change the rules run once and each
// question's elements are written only where what they show has changed.
"use strict";

// Types the form shows no control for: the server computes calculations, the device records the rest.
const UNSHOWN = ["calculate", "today", "deviceid", "phonenumber", "username", "email", "subscriberid", "simserial", "audit"];
const INPUT_TYPES = { range: "number", date: "date", time: "time", datetime: "datetime-local" };

let survey = null;      // the definition in use
let raw = {};           // question id → what the form holds: the text typed, the choice or choices ticked
let result = null;      // the rules' last evaluation of `raw`
let views = [];         // each question drawn: { q, div, error, inputs, rows, templates, screen, ... }
let viewOf = {};        // question id → its view
let screens = [];       // [{ element, heading, views }]: the place, each group, the summary
let at = 0;             // the screen shown
let marked = new Set(); // screens whose unanswered questions are marked: left once, or after "finish"
const given = (r) => r !== undefined && r !== "" && !(Array.isArray(r) && !r.length);

// A label or hint whose text shows answers (`${name}`) is re-written as they change.
function textNode(tag, attrs, text, view) {
  const node = el(tag, attrs, text);
  if (text.includes("${")) view.templates.push({ node, template: text, text });
  return node;
}

function control(q, view) {
  const div = view.div;
  if (q.type === "select_one" || q.type === "select_multiple") {
    const type = q.type === "select_one" ? "radio" : "checkbox";
    const box = el("div", { class: "choices" });
    for (const c of q.choices) {
      const input = el("input", { type, name: q.id, id: `q-${q.id}-${c.value}`, value: c.value });
      const row = el("label", { class: "choice" }, input, el("span", {}, label(c.label)));
      view.inputs.push(input);
      view.rows.push({ value: c.value, row, input, on: true });
      box.append(row);
    }
    div.append(box);
    return;
  }
  if (q.type === "note") return;
  if (PapiRules.elsewhere(q)) { div.append(el("div", { class: "hint" }, tr("elsewhere"))); return; }
  if (q.type === "acknowledge") {
    const input = el("input", { type: "checkbox", id: "in-" + q.id, name: q.id });
    view.inputs.push(input);
    div.append(el("label", { class: "choice" }, input, el("span", {}, tr("ok"))));
    return;
  }
  const attrs = { type: INPUT_TYPES[q.type] || "text", id: "in-" + q.id, name: q.id, autocomplete: "off" };
  // The phone's number pad; a text field, so that "12,5" typed the Vietnamese way is read, not dropped.
  if (q.type === "integer") attrs.inputmode = "numeric";
  if (q.type === "decimal") attrs.inputmode = "decimal";
  if (q.type === "range") {
    const p = Object.fromEntries((q.parameters || "").split(/\s+/).filter((x) => x.includes("=")).map((x) => x.split("=")));
    Object.assign(attrs, { min: p.start || 1, max: p.end || 10, step: p.step || 1, inputmode: "decimal" });
  }
  if (q.read_only) attrs.readonly = "readonly";
  const input = q.type === "geotrace" || q.type === "geoshape" || (q.appearance || "").includes("multiline")
    ? el("textarea", attrs) : el("input", attrs);
  if (q.default !== undefined && q.default !== null && !given(raw[q.id])) raw[q.id] = String(q.default);
  // A field is described by its message, which screen readers then read with it.
  input.setAttribute("aria-describedby", "err-" + q.id);
  view.field = input;
  view.inputs.push(input);
  div.append(input);
  if (q.type === "geopoint") {
    const button = el("button", { type: "button", class: "secondary" }, tr("locate"));
    button.onclick = () => {
      if (!navigator.geolocation) { view.error.textContent = tr("nolocation"); return; }
      view.error.textContent = tr("locating");
      navigator.geolocation.getCurrentPosition((pos) => {
        const c = pos.coords;
        input.value = `${c.latitude} ${c.longitude} ${c.altitude || 0} ${c.accuracy || 0}`;
        answerFrom(input);
      }, () => { view.error.textContent = tr("nolocation"); }, { enableHighAccuracy: true, timeout: 30000 });
    };
    div.append(button);
  }
}

// The screens of a definition: consecutive questions of one group share a screen.
function groupScreens() {
  const headings = Object.fromEntries((survey.groups || []).map((g) => [g.id, label(g.label)]));
  const out = [];
  let last;
  for (const q of survey.questions) {
    if (UNSHOWN.includes(q.type) || q.repeat) continue;
    const group = q.group || "";
    if (!out.length || group !== last) out.push({ group, heading: headings[group] || "", questions: [] });
    out[out.length - 1].questions.push(q);
    last = group;
  }
  return out;
}

function render() {
  const form = $("questions");
  const groups = groupScreens();
  views = [];
  viewOf = {};
  screens = [{ element: $("screen-place"), views: [] }];
  const sections = groups.map((g, i) => {
    const n = i + 1;
    const heading = g.heading || tr("questions");
    const section = el("section", { class: "screen", id: `screen-${n}`, "aria-labelledby": `screen-${n}-h`, "data-group": g.group });
    section.append(el("h2", { id: `screen-${n}-h`, tabindex: "-1" }, heading));
    const screen = { element: section, heading: `${tr("group", { i: n, n: groups.length })}: ${heading}`, views: [] };
    for (const q of g.questions) {
      const choice = q.type === "select_one" || q.type === "select_multiple";
      const view = { q, screen: n, inputs: [], rows: [], templates: [], shown: true, errorText: "" };
      view.div = el("div", choice ? { class: "question", id: "q-" + q.id, role: "group", "aria-labelledby": "lbl-" + q.id } : { class: "question", id: "q-" + q.id });
      view.div.append(textNode(choice ? "p" : "label", choice ? { class: "q", id: "lbl-" + q.id } : { class: "q", for: "in-" + q.id },
        label(q.label) + (q.required ? " *" : ""), view));
      if (q.hint) view.div.append(textNode("div", { class: "hint" }, label(q.hint), view));
      if (q.guidance_hint) view.div.append(el("details", { class: "hint" }, el("summary", {}, "?"), label(q.guidance_hint)));
      // The message stands right under the question's label, where a jump to the error lands.
      view.error = el("div", { class: "error", id: "err-" + q.id });
      view.div.append(view.error);
      control(q, view);
      views.push(view);
      viewOf[q.id] = view;
      screen.views.push(view);
      section.append(view.div);
    }
    screens.push(screen);
    return section;
  });
  form.replaceChildren(...sections);
  screens.push({ element: $("screen-summary"), views: [] });
  form.oninput = (e) => { if (e.target.name && viewOf[e.target.name]) answerFrom(e.target); };
  writeInputs();
  update();
}

// What one control now says goes into `raw`: the only DOM read of a keystroke or a tap.
function answerFrom(input) {
  const view = viewOf[input.name];
  const q = view.q;
  if (q.type === "select_multiple") raw[q.id] = view.inputs.filter((i) => i.checked).map((i) => i.value);
  else if (q.type === "acknowledge") raw[q.id] = input.checked ? "OK" : undefined;
  else raw[q.id] = input.value;
  update();
  answersChanged();
}

// `raw` into the controls, once, after drawing or restoring a draft.
function writeInputs() {
  for (const view of views) {
    const r = raw[view.q.id];
    if (view.q.type === "select_one") for (const i of view.inputs) i.checked = i.value === r;
    else if (view.q.type === "select_multiple") for (const i of view.inputs) i.checked = Array.isArray(r) && r.includes(i.value);
    else if (view.q.type === "acknowledge") { if (view.inputs[0]) view.inputs[0].checked = r === "OK"; }
    else if (view.inputs[0]) view.inputs[0].value = r === undefined ? "" : String(r);
  }
}

function update() {
  result = PapiRules.evaluate(survey, raw, tr);
  paint();
}

function paint() {
  for (const view of views) {
    const id = view.q.id;
    const show = result.shown[id] !== false;
    if (view.shown !== show) { view.div.classList.toggle("hidden", !show); view.shown = show; }
    let message = show ? result.errors[id] || "" : "";
    // A question not yet answered is marked once its screen has been left, or after "finish".
    if (message && !given(raw[id]) && !PapiRules.elsewhere(view.q) && !marked.has(view.screen)) message = "";
    if (view.errorText !== message) {
      view.error.textContent = message;
      view.errorText = message;
      view.div.classList.toggle("invalid", !!message);
      if (view.field) {
        if (message) view.field.setAttribute("aria-invalid", "true");
        else view.field.removeAttribute("aria-invalid");
      }
    }
    if (!show) continue;
    for (const t of view.templates) {
      const text = t.template.replace(/\$\{([^}]+)\}/g, (_, n) => PapiExpr.text(result.seen(n.trim())));
      if (t.text !== text) { t.node.textContent = text; t.text = text; }
    }
    const offered = result.offered[id];
    if (offered) {
      for (const r of view.rows) {
        const on = offered.has(r.value);
        if (r.on !== on) { r.row.classList.toggle("hidden", !on); r.on = on; }
        if (!on && r.input.checked) r.input.checked = false;
      }
    }
  }
}

// ---- Moving between screens ---------------------------------------------------------------------
const summaryAt = () => screens.length - 1;
const hasQuestions = (i) => i === 0 || i === summaryAt() || screens[i].views.some((v) => v.shown);

function show(i, focus) {
  at = Math.max(0, Math.min(i, summaryAt()));
  screens.forEach((s, j) => s.element.classList.toggle("hidden", j !== at));
  const groups = screens.length - 2;
  $("progress").textContent = at === 0 || at === summaryAt() ? "" : tr("group", { i: at, n: groups });
  notify("");
  $("progress-bar").style.width = `${Math.round((100 * at) / summaryAt())}%`;
  $("back").disabled = at === 0;
  $("next").classList.toggle("hidden", at === summaryAt());
  $("next").textContent = at === summaryAt() - 1 ? tr("review") : tr("next");
  $("finish").classList.toggle("hidden", at !== summaryAt());
  if (at === summaryAt()) renderSummary();
  if (focus !== false) {
    window.scrollTo(0, 0);
    const h = screens[at].element.querySelector("h2");
    if (h) h.focus({ preventScroll: true });
  }
}
function step(direction) {
  if (at > 0 && at < summaryAt()) { marked.add(at); paint(); }
  let i = at + direction;
  while (i > 0 && i < summaryAt() && !hasQuestions(i)) i += direction;
  show(i);
  answersChanged();
}

// Each group with what is answered and what is left to fix, and a way back to it.
function renderSummary() {
  const rows = [el("li", {}, el("span", { class: "what" }, el("strong", {}, tr("location") + ": "),
    survey.location.map(locationValue).filter(Boolean).join(" / ") || "—",
    ...(locationPicked() ? [] : [" ", el("span", { class: "why" }, tr("pickplace"))])), editButton(0))];
  for (let i = 1; i < summaryAt(); i++) {
    const shownViews = screens[i].views.filter((v) => v.shown && v.q.type !== "note");
    if (!shownViews.length) continue;
    const answered = shownViews.filter((v) => v.q.id in result.answers).length;
    const errors = shownViews.filter((v) => result.errors[v.q.id]).length;
    rows.push(el("li", { "data-screen": i }, el("span", { class: "what" },
      el("strong", {}, screens[i].heading), " ", tr("answered", { a: answered, n: shownViews.length }),
      ...(errors ? [" · ", el("span", { class: "why" }, tr("toFix", { n: errors }))] : [])), editButton(i)));
  }
  $("summary-list").replaceChildren(...rows);
  $("summary-status").textContent = result.count || !locationPicked() ? "" : tr("ready");
}
function editButton(i) {
  const b = el("button", { type: "button", class: "secondary edit" }, tr("edit"));
  b.onclick = () => show(i);
  return b;
}

// "Finish" with something left: every screen's unanswered questions are marked, and the first
// problem is shown on its screen, scrolled to, with its message under its label.
function jumpToFirstError() {
  if (!locationPicked()) {
    show(0, false);
    $("place-error").textContent = tr("pickplace");
    $("location").scrollIntoView({ block: "start" });
    const first = [...document.querySelectorAll("#location select")].find((s) => !s.value);
    if (first) first.focus({ preventScroll: true });
    return;
  }
  for (let i = 1; i < summaryAt(); i++) marked.add(i);
  paint();
  const view = viewOf[result.first];
  show(view.screen, false);
  notify(tr("fix", { n: result.count }));
  view.div.scrollIntoView({ block: "center" });
  (view.inputs[0] || view.div).focus({ preventScroll: true });
}
