// XLSForm expressions (relevant, constraint) for the web form: the same language and the same
// semantics as crates/papi-survey/src/expr.rs, so that the form and the server agree on every rule.
// An unanswered question is the empty string; numeric comparisons with it are false.
"use strict";

const PapiExpr = (() => {
  const HYPHENATED = ["count-selected", "string-length"];

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
      if (c === "." && !/[0-9]/.test(src[i + 1] || "")) { t.push({ k: "dot" }); i++; continue; }
      if (/[0-9.]/.test(c)) {
        let j = i; while (j < src.length && /[0-9.]/.test(src[j])) j++;
        t.push({ k: "num", v: parseFloat(src.slice(i, j)) }); i = j; continue;
      }
      if (/[A-Za-z_]/.test(c)) {
        let j = i; while (j < src.length && /[A-Za-z0-9_]/.test(src[j])) j++;
        let name = src.slice(i, j);
        for (const f of HYPHENATED) if (src.startsWith(f, i)) { name = f; j = i + f.length; }
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
    const kw = (w) => { const x = t[p]; if (x && x.k === "name" && x.v === w && !(t[p + 1] && t[p + 1].k === "(")) { p++; return true; } return false; };
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
      if (x.k === "ref") return { ref: x.v };
      if (x.k === "(") { const e = or(); if (!t[p] || t[p].k !== ")") throw new Error("expected )"); p++; return e; }
      if (x.k === "name" && peek() && peek().k === "(") {
        p++;
        const args = [];
        if (peek() && peek().k === ")") p++;
        else for (;;) { args.push(or()); const s = t[p++]; if (s && s.k === ",") continue; if (s && s.k === ")") break; throw new Error("expected , or )"); }
        return { fn: x.v, args };
      }
      if (x.k === "name") return { ref: x.v };
      throw new Error("unexpected token");
    }
    const e = or();
    if (p < t.length) throw new Error("unexpected tokens after the expression");
    return e;
  }

  const truthy = (v) => typeof v === "boolean" ? v : typeof v === "number" ? v !== 0 && !Number.isNaN(v) : v !== "";
  const num = (v) => typeof v === "number" ? v : typeof v === "boolean" ? (v ? 1 : 0) : (v.trim() === "" ? NaN : Number(v));
  const text = (v) => typeof v === "string" ? v : String(v);

  function evaluate(e, answer, current) {
    if ("num" in e) return e.num;
    if ("str" in e) return e.str;
    if (e.dot) return current;
    if ("ref" in e) return answer(e.ref);
    if ("neg" in e) return -num(evaluate(e.neg, answer, current));
    if (e.fn) {
      const a = e.args.map((x) => evaluate(x, answer, current));
      switch (e.fn) {
        case "selected": return text(a[0]).split(/\s+/).filter(Boolean).includes(text(a[1]).trim());
        case "count-selected": return text(a[0]).split(/\s+/).filter(Boolean).length;
        case "string-length": return [...text(a[0])].length;
        case "not": return !truthy(a[0]);
        case "true": return true;
        case "false": return false;
        default: throw new Error("unknown function " + e.fn);
      }
    }
    const l = evaluate(e.l, answer, current);
    if (e.b === "and" && !truthy(l)) return false;
    if (e.b === "or" && truthy(l)) return true;
    const r = evaluate(e.r, answer, current);
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
  return { test: (src, answer, current) => truthy(evaluate(compile(src), answer, current === undefined ? "" : current)) };
})();
