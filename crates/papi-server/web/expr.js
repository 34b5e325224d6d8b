// XLSForm expressions (relevant, constraint, calculation, choice_filter) for the web form: the same
// language, functions and semantics as crates/papi-survey/src/expr.rs, so that the form and the
// server agree on every rule. An unanswered question is the empty string; numeric comparisons with it
// are false; a date reads as a number of days since 1970-01-01.
"use strict";

const PapiExpr = (() => {
  // Keep in step with FUNCTIONS in crates/papi-survey/src/expr.rs (a test compares the two lists).
  const FUNCTIONS = ["selected", "selected-at", "count-selected", "string-length", "not", "true", "false",
    "if", "coalesce", "concat", "contains", "starts-with", "ends-with", "substr", "normalize-space", "int",
    "round", "number", "string", "boolean", "boolean-from-string", "abs", "floor", "ceiling", "pow", "sqrt",
    "min", "max", "sum", "count", "today", "now", "date", "once", "uuid", "random", "position", "indexed-repeat",
    "decimal-date-time", "area", "distance", "format-date", "regex", "jr:choice-name"];
  const HYPHENATED = FUNCTIONS.filter((f) => f.includes("-"));

  function tokenize(src) {
    const t = [];
    let i = 0;
    while (i < src.length) {
      const c = src[i];
      if (/\s/.test(c)) { i++; continue; }
      if ("(),=+-*".includes(c)) { t.push({ k: c === "(" || c === ")" || c === "," ? c : "op", v: c }); i++; continue; }
      if (c === "!" && src[i + 1] === "=") { t.push({ k: "op", v: "!=" }); i += 2; continue; }
      if (c === "<" || c === ">") {
        if (src[i + 1] === "=") { t.push({ k: "op", v: c + "=" }); i += 2; } else { t.push({ k: "op", v: c }); i++; }
        continue;
      }
      if (c === "'" || c === '"') {
        const end = src.indexOf(c, i + 1);
        if (end < 0) throw new Error("unterminated string");
        t.push({ k: "str", v: src.slice(i + 1, end) }); i = end + 1; continue;
      }
      if (c === "$") {
        const end = src.indexOf("}", i);
        if (src[i + 1] !== "{" || end < 0) throw new Error("bad ${...}");
        t.push({ k: "ref", v: src.slice(i + 2, end).trim() }); i = end + 1; continue;
      }
      if (c === "." && src[i + 1] === ".") { t.push({ k: "dotdot" }); i += 2; continue; }
      if (c === "." && !/[0-9]/.test(src[i + 1] || "")) { t.push({ k: "dot" }); i++; continue; }
      if (/[0-9.]/.test(c)) {
        let j = i; while (j < src.length && /[0-9.]/.test(src[j])) j++;
        t.push({ k: "num", v: parseFloat(src.slice(i, j)) }); i = j; continue;
      }
      if (/[A-Za-z_]/.test(c)) {
        let j = i; while (j < src.length && /[A-Za-z0-9_]/.test(src[j])) j++;
        let name = src.slice(i, j);
        for (const f of HYPHENATED) if (src.startsWith(f, i) && !/[A-Za-z0-9_-]/.test(src[i + f.length] || "")) { name = f; j = i + f.length; }
        t.push({ k: "name", v: name }); i = j; continue;
      }
      throw new Error("unexpected character " + c);
    }
    return t;
  }

  function parse(src) {
    const t = tokenize(src);
    let p = 0;
    const peek = () => t[p];
    const kw = (w) => { const x = t[p]; if (x && x.k === "name" && x.v === w) { p++; return true; } return false; };
    const op = (ops) => { const x = t[p]; if (x && x.k === "op" && ops.includes(x.v)) { p++; return x.v; } return null; };
    function or() { let l = and(); while (kw("or")) l = { b: "or", l, r: and() }; return l; }
    function and() { let l = eq(); while (kw("and")) l = { b: "and", l, r: eq() }; return l; }
    function eq() { let l = rel(), o; while ((o = op(["=", "!="]))) l = { b: o, l, r: rel() }; return l; }
    function rel() { let l = add(), o; while ((o = op(["<", "<=", ">", ">="]))) l = { b: o, l, r: add() }; return l; }
    function add() { let l = mul(), o; while ((o = op(["+", "-"]))) l = { b: o, l, r: mul() }; return l; }
    function mul() {
      let l = unary();
      for (;;) {
        if (op(["*"])) l = { b: "*", l, r: unary() };
        else if (kw("div")) l = { b: "div", l, r: unary() };
        else if (kw("mod")) l = { b: "mod", l, r: unary() };
        else return l;
      }
    }
    function unary() { return op(["-"]) ? { neg: unary() } : primary(); }
    function primary() {
      const x = t[p++];
      if (!x) throw new Error("the expression ends too early");
      if (x.k === "num") return { num: x.v };
      if (x.k === "str") return { str: x.v };
      if (x.k === "dot") return { dot: true };
      if (x.k === "dotdot") return { parent: true };
      if (x.k === "ref") return { ref: x.v };
      if (x.k === "(") { const e = or(); if (!t[p] || t[p].k !== ")") throw new Error("expected )"); p++; return e; }
      if (x.k === "name" && peek() && peek().k === "(") {
        p++;
        const args = [];
        if (peek() && peek().k === ")") p++;
        else for (;;) { args.push(or()); const s = t[p++]; if (s && s.k === ",") continue; if (s && s.k === ")") break; throw new Error("expected , or )"); }
        if (!FUNCTIONS.includes(x.v)) throw new Error("unknown function " + x.v);
        return { fn: x.v, args };
      }
      if (x.k === "name") return { col: x.v };
      throw new Error("unexpected token");
    }
    const e = or();
    if (p < t.length) throw new Error("unexpected tokens after the expression");
    return e;
  }

  const truthy = (v) => typeof v === "boolean" ? v : typeof v === "number" ? v !== 0 && !Number.isNaN(v) : v !== "";
  const DAY = 86400000;
  function num(v) {
    if (typeof v === "number") return v;
    if (typeof v === "boolean") return v ? 1 : 0;
    const s = v.trim();
    if (s === "") return NaN;
    const n = Number(s);
    if (!Number.isNaN(n)) return n;
    if (/^\d{4}-\d{2}-\d{2}$/.test(s)) return Date.parse(s + "T00:00:00Z") / DAY;
    if (/^\d{4}-\d{2}-\d{2}T/.test(s)) { const t = Date.parse(/[zZ]|[+-]\d{2}:?\d{2}$/.test(s) ? s : s + "Z"); return Number.isNaN(t) ? NaN : t / DAY; }
    return NaN;
  }
  const fmt = (n) => Number.isInteger(n) && Math.abs(n) < 1e15 ? String(n) : String(n);
  const text = (v) => typeof v === "string" ? v : typeof v === "number" ? fmt(v) : String(v);
  const isoDay = (d) => d.toISOString().slice(0, 10);

  // Geometry and dates as crates/papi-survey/src/expr.rs computes them.
  const EARTH_RADIUS = 6378137;
  const rad = (x) => (x * Math.PI) / 180;
  function points(t) {
    return t.split(";").map((p) => p.trim().split(/\s+/).map(Number)).filter((p) => p.length >= 2 && !Number.isNaN(p[0]) && !Number.isNaN(p[1]));
  }
  function area(ps) {
    if (ps.length < 3) return 0;
    let sum = 0;
    ps.forEach(([lat1, lon1], i) => {
      const [lat2, lon2] = ps[(i + 1) % ps.length];
      sum += rad(lon2 - lon1) * (2 + Math.sin(rad(lat1)) + Math.sin(rad(lat2)));
    });
    return Math.abs((sum * EARTH_RADIUS * EARTH_RADIUS) / 2);
  }
  function distance(ps) {
    let total = 0;
    for (let i = 1; i < ps.length; i++) {
      const [lat1, lon1] = ps[i - 1], [lat2, lon2] = ps[i];
      const a = Math.sin(rad(lat2 - lat1) / 2) ** 2 + Math.cos(rad(lat1)) * Math.cos(rad(lat2)) * Math.sin(rad(lon2 - lon1) / 2) ** 2;
      total += 2 * EARTH_RADIUS * Math.asin(Math.min(Math.sqrt(a), 1));
    }
    return total;
  }
  function formatDate(v, f) {
    const days = num(v);
    if (!Number.isFinite(days)) return "";
    const t = new Date(Math.round(days * DAY));
    const p2 = (n) => String(n).padStart(2, "0");
    const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
    const parts = { Y: String(t.getUTCFullYear()), y: p2(((t.getUTCFullYear() % 100) + 100) % 100), m: p2(t.getUTCMonth() + 1),
      n: String(t.getUTCMonth() + 1), d: p2(t.getUTCDate()), e: String(t.getUTCDate()), H: p2(t.getUTCHours()),
      h: String(t.getUTCHours()), M: p2(t.getUTCMinutes()), S: p2(t.getUTCSeconds()), b: MONTHS[t.getUTCMonth()], a: DAYS[t.getUTCDay()] };
    return f.replace(/%(.?)/g, (m, c) => (c in parts ? parts[c] : m));
  }

  // ctx: answer(name) → value; repeated(name) → every repetition's value; column(name) → a choice
  // column (choice filters).
  function evaluate(e, ctx, current) {
    const answer = ctx.answer;
    if ("num" in e) return e.num;
    if ("str" in e) return e.str;
    if (e.dot) return current;
    if (e.parent) return "";
    if ("ref" in e) return answer(e.ref);
    if ("col" in e) return ctx.column ? ctx.column(e.col) : answer(e.col);
    if ("neg" in e) return -num(evaluate(e.neg, ctx, current));
    if (e.fn) {
      const arg = (i) => evaluate(e.args[i], ctx, current);
      const many = (i) => {
        const x = e.args[i];
        const name = x.ref || x.col;
        return name && ctx.repeated ? ctx.repeated(name) : [arg(i)];
      };
      switch (e.fn) {
        case "selected": return text(arg(0)).split(/\s+/).filter(Boolean).includes(text(arg(1)).trim());
        case "selected-at": { const n = num(arg(1)); return (n >= 0 && text(arg(0)).split(/\s+/).filter(Boolean)[Math.floor(n)]) || ""; }
        case "count-selected": return text(arg(0)).split(/\s+/).filter(Boolean).length;
        case "string-length": return [...text(arg(0))].length;
        case "not": return !truthy(arg(0));
        case "true": return true;
        case "false": return false;
        case "if": return truthy(arg(0)) ? arg(1) : arg(2);
        case "coalesce": { const a = arg(0); return text(a) === "" ? arg(1) : a; }
        case "concat": return e.args.map((_, i) => text(arg(i))).join("");
        case "contains": return text(arg(0)).includes(text(arg(1)));
        case "starts-with": return text(arg(0)).startsWith(text(arg(1)));
        case "ends-with": return text(arg(0)).endsWith(text(arg(1)));
        case "substr": {
          const s = [...text(arg(0))];
          const start = Math.min(Math.max(Math.trunc(num(arg(1))) || 0, 0), s.length);
          const end = e.args.length > 2 ? Math.min(Math.max(Math.trunc(num(arg(2))) || 0, 0), s.length) : s.length;
          return s.slice(start, Math.max(end, start)).join("");
        }
        case "normalize-space": return text(arg(0)).split(/\s+/).filter(Boolean).join(" ");
        case "int": return Math.trunc(num(arg(0)));
        case "round": { const d = e.args.length > 1 ? num(arg(1)) : 0; const k = Math.pow(10, Math.trunc(d)); return Math.round(num(arg(0)) * k) / k; }
        case "number": return num(arg(0));
        case "string": return text(arg(0));
        case "boolean": return truthy(arg(0));
        case "boolean-from-string": return ["true", "1"].includes(text(arg(0)).trim());
        case "abs": return Math.abs(num(arg(0)));
        case "floor": return Math.floor(num(arg(0)));
        case "ceiling": return Math.ceil(num(arg(0)));
        case "pow": return Math.pow(num(arg(0)), num(arg(1)));
        case "sqrt": return Math.sqrt(num(arg(0)));
        case "min": case "max": {
          const xs = (e.args.length === 1 ? many(0) : e.args.map((_, i) => arg(i))).map(num);
          if (!xs.length || xs.some(Number.isNaN)) return NaN;
          return e.fn === "min" ? Math.min(...xs) : Math.max(...xs);
        }
        case "sum": return many(0).map(num).reduce((a, b) => a + b, 0);
        case "count": return many(0).length;
        case "today": return isoDay(new Date());
        case "now": return new Date().toISOString();
        case "date": {
          const v = arg(0);
          if (typeof v === "string" && /^\d{4}-\d{2}-\d{2}$/.test(v.trim())) return v.trim();
          const d = num(v);
          return Number.isFinite(d) ? isoDay(new Date(Math.floor(d) * DAY)) : "";
        }
        case "once": return arg(0);
        case "uuid": return (crypto.randomUUID && crypto.randomUUID()) || "";
        case "random": return Math.random();
        case "regex": return new RegExp(text(arg(1)), "u").test(text(arg(0)));
        case "position": return ctx.repetition || 0;
        case "indexed-repeat": { const n = num(arg(2)); const xs = many(0); return (n >= 1 && xs[Math.floor(n) - 1]) ?? ""; }
        case "decimal-date-time": return num(arg(0));
        case "area": return area(points(text(arg(0))));
        case "distance": return distance(points(text(arg(0))));
        case "format-date": return formatDate(arg(0), text(arg(1)));
        case "jr:choice-name": {
          const m = /^\$\{([^}]+)\}$/.exec(text(e.args[1].str ?? "").trim());
          return m && ctx.choiceLabel ? ctx.choiceLabel(m[1].trim(), text(arg(0)).trim()) : "";
        }
        default: throw new Error("unknown function " + e.fn);
      }
    }
    const l = evaluate(e.l, ctx, current);
    if (e.b === "and" && !truthy(l)) return false;
    if (e.b === "or" && truthy(l)) return true;
    const r = evaluate(e.r, ctx, current);
    switch (e.b) {
      case "and": case "or": return truthy(r);
      case "=": case "!=": {
        let same;
        if (typeof l === "boolean" || typeof r === "boolean") same = truthy(l) === truthy(r);
        else if (typeof l === "number" || typeof r === "number") same = num(l) === num(r);
        else same = l === r;
        return e.b === "=" ? same : !same;
      }
      case "<": return num(l) < num(r);
      case "<=": return num(l) <= num(r);
      case ">": return num(l) > num(r);
      case ">=": return num(l) >= num(r);
      case "+": return num(l) + num(r);
      case "-": return num(l) - num(r);
      case "*": return num(l) * num(r);
      case "div": return num(l) / num(r);
      case "mod": return num(l) % num(r);
    }
    throw new Error("bad expression");
  }

  const cache = new Map();
  function compile(src) {
    if (!cache.has(src)) cache.set(src, parse(src));
    return cache.get(src);
  }
  // `answer` is a function of a name, or a context { answer, repeated, column }.
  const context = (answer) => (typeof answer === "function" ? { answer } : answer);
  return {
    FUNCTIONS,
    test: (src, answer, current) => truthy(evaluate(compile(src), context(answer), current === undefined ? "" : current)),
    value: (src, answer) => evaluate(compile(src), context(answer), ""),
    text,
  };
})();
