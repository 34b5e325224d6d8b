// An interview's rules computed from its answers alone, in one pass over the questions and with no
// DOM: relevance in question order (a hidden question's answer does not count, as on the server),
// calculations, choice filters, required and constraints. Each keystroke costs one pass, linear in
// the number of questions; the screens then touch each question's elements at most once.
"use strict";

const PapiRules = (() => {
  const NUMERIC = ["integer", "decimal", "range"];
  // Types answered in ODK Collect or Enketo only: files, and repeats with their questions.
  const elsewhere = (q) => ["image", "audio", "video", "file", "repeat"].includes(q.type) || !!q.repeat;
  const asValue = (a) => (a === undefined ? "" : Array.isArray(a) ? a.join(" ") : a);

  // The answer as it is sent, from what the form holds (the text typed, the choices ticked).
  function typed(q, raw) {
    if (raw === undefined || raw === null) return undefined;
    if (Array.isArray(raw)) return raw.length ? raw : undefined;
    const v = String(raw).trim();
    if (v === "") return undefined;
    // "12,5" is how a Vietnamese keyboard writes 12.5.
    if (NUMERIC.includes(q.type)) return Number(/^[-+]?\d*,\d+$/.test(v) ? v.replace(",", ".") : v);
    // A local date and time, sent with its moment in UTC.
    if (q.type === "datetime") { const d = new Date(v); return Number.isNaN(d.getTime()) ? v : d.toISOString(); }
    return v;
  }

  // `raw`: question id → what the form holds. `say(key)`: a message of the form's language.
  // Returns, per question id: shown, the offered choices (choice filters), the error; the answers to
  // send (shown and valid) and the value each `${name}` shows.
  function evaluate(survey, raw, say) {
    const shown = {};
    const errors = {};
    const offered = {};
    const answers = {};
    const visible = {}; // what later rules see: valid answers and calculations, in question order
    const seen = (r) => asValue(visible[r]);
    let count = 0;
    let first = null;
    for (const q of survey.questions) {
      if (q.repeat) continue;
      const show = !q.relevant || PapiExpr.test(q.relevant, seen);
      shown[q.id] = show;
      if (q.type === "calculate") {
        if (show && q.calculation) {
          const v = PapiExpr.value(q.calculation, seen);
          const t = typeof v === "number" && !Number.isFinite(v) ? "" : PapiExpr.text(v);
          if (t !== "") visible[q.id] = typeof v === "number" ? v : t;
        }
        continue;
      }
      if (!show || q.type === "note") continue;
      if (q.choice_filter) {
        const allowed = new Set();
        for (const c of q.choices) {
          const column = (name) => (name === "name" ? c.value : name === "label" ? label(c.label) : (c.columns || {})[name] || "");
          if (PapiExpr.test(q.choice_filter, { answer: seen, column })) allowed.add(c.value);
        }
        offered[q.id] = allowed;
        // A choice no longer offered is no longer chosen.
        const r = raw[q.id];
        if (Array.isArray(r)) raw[q.id] = r.filter((v) => allowed.has(v));
        else if (r !== undefined && !allowed.has(r)) delete raw[q.id];
      }
      const required = q.required || (q.required_if && PapiExpr.test(q.required_if, seen));
      let message = "";
      if (elsewhere(q)) {
        if (required) message = say("elsewhere");
      } else {
        const a = typed(q, raw[q.id]);
        if (typeof a === "number" && Number.isNaN(a)) message = say("number");
        else if (q.type === "integer" && typeof a === "number" && !Number.isInteger(a)) message = say("whole");
        else if (a === undefined && required) message = (q.required_message && label(q.required_message)) || say("required");
        else if (a !== undefined && q.constraint && !PapiExpr.test(q.constraint, seen, asValue(a))) {
          message = label(q.constraint_message) || say("constraint");
        }
        if (!message && a !== undefined) {
          visible[q.id] = a;
          answers[q.id] = a;
        }
      }
      if (message) {
        errors[q.id] = message;
        count++;
        if (first === null) first = q.id;
      }
    }
    return { shown, errors, offered, answers, seen, count, first };
  }

  return { evaluate, typed, elsewhere, NUMERIC };
})();
