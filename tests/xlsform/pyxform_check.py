#!/usr/bin/env python3
"""pyxform (PyPI) beside papi's own XForm renderer.

  pyxform_check.py convert FORM.xlsx OUT.xml        pyxform's XForm of an XLSForm workbook
  pyxform_check.py compare OURS.xml PYXFORM.xml [DIR]
                                                    every question, type, choice list, relevance and
                                                    constraint must agree; prints what was compared.
                                                    A list pyxform leaves in a file (select_one_from_file,
                                                    jr://file-csv/...) is read from DIR, the workbook's
                                                    folder: papi copies it into the form
  pyxform_check.py fill FORM.xml INTERVIEW.json     the instance an enumerator would submit: the form's
                                                    own instance template filled with the answers

Exit status 1 and a list of differences when the two XForms disagree.
"""
import csv
import json
import os
import re
import sys
import xml.etree.ElementTree as ET

XF = "{http://www.w3.org/2002/xforms}"
H = "{http://www.w3.org/1999/xhtml}"
JR = "{http://openrosa.org/javarosa}"


def local(tag):
    return tag.split("}", 1)[-1]


def papi_id(name):
    """A workbook's name as papi keeps it: lower case, '-' and '.' as '_' (papi warns of each)."""
    out = re.sub(r"[-. ]", "_", name.strip()).lower()
    return out if re.match(r"[a-z]", out) else "q" + out


def canon(expr, names):
    """An expression with every absolute path reduced to its last step, and no whitespace: both
    renderings name the same question by different paths and pad them differently."""
    if expr is None:
        return None
    expr = re.sub(r"/data(?:/[A-Za-z_][\w.-]*)+", lambda m: papi_id(m.group(0).rsplit("/", 1)[1]), expr)
    expr = re.sub(r"(?:\.\./)+([A-Za-z_][\w.-]*)", lambda m: papi_id(m.group(1)), expr)
    expr = re.sub(r"\$\{([^}]+)\}", r"\1", expr)
    return re.sub(r"\s+", "", expr)


# pyxform replaces typographic quotes with ASCII ones in every cell it reads; papi keeps the text as
# written. The two are the same text for this comparison.
QUOTES = str.maketrans({"\u201c": '"', "\u201d": '"', "\u2018": "'", "\u2019": "'"})


LANGUAGES = {"vietnamese": "vi", "english": "en", "french": "fr", "spanish": "es", "portuguese": "pt",
             "chinese": "zh", "khmer": "km", "lao": "lo", "thai": "th", "arabic": "ar", "swahili": "sw",
             "hindi": "hi"}


def language(name):
    """A translation's language as a code: papi writes `English (en)` where a workbook may say
    `English`; both are English."""
    m = re.search(r"\(([^)]+)\)\s*$", name)
    if m:
        return m.group(1).strip()
    return LANGUAGES.get(name.strip().lower(), name.strip())


def file_items(media, src):
    """The choices of a list pyxform serves as a form attachment (`jr://file-csv/NAME.csv`,
    `jr://file/NAME.xml`), read from the workbook's folder: (name, label) as the form offers them."""
    path = os.path.join(media, src.rsplit("/", 1)[-1])
    if path.endswith(".csv"):
        with open(path, encoding="utf-8-sig", newline="") as f:
            return [(r["name"], (("", " ".join(r["label"].split())),)) for r in csv.DictReader(f)]
    return [(item.findtext("name"), (("", " ".join((item.findtext("label") or "").split())),))
            for item in ET.parse(path).getroot().findall("item")]


def read(path, media=None):
    root = ET.parse(path).getroot()
    model = root.find(f"{H}head/{XF}model")
    texts = {}
    for tr in model.findall(f"{XF}itext/{XF}translation"):
        lang = language(tr.get("lang"))
        for t in tr.findall(f"{XF}text"):
            value = t.find(f"{XF}value")
            value = next((v for v in t.findall(f"{XF}value") if v.get("form") is None), None)
            text = "".join(value.itertext()).translate(QUOTES) if value is not None else ""
            # Around an <output>, pyxform pads with spaces.
            texts.setdefault(t.get("id"), {})[lang] = " ".join(text.split())
    lists = {}
    for inst in model.findall(f"{XF}instance"):
        if inst.get("id") and inst.get("src") and media:
            lists[inst.get("id")] = file_items(media, inst.get("src"))
        elif inst.get("id"):
            items = []
            for item in inst.findall(f"{XF}root/{XF}item"):
                name = item.find(f"{XF}name").text
                text_id = item.find(f"{XF}itextId")
                if text_id is not None:
                    label = texts.get(text_id.text, {})
                else:
                    # One language: pyxform writes the label itself.
                    label = {"": " ".join("".join(item.find(f"{XF}label").itertext()).split())}
                items.append((name, tuple(sorted(label.items()))))
            lists[inst.get("id")] = items
    binds = {}
    for b in model.findall(f"{XF}bind"):
        # pyxform's meta/instanceName (papi warns that it does not keep instance_name).
        if "/meta/" in b.get("nodeset"):
            continue
        name = papi_id(b.get("nodeset").rsplit("/", 1)[1])
        binds[name] = b
    questions = {}

    def text_of(el):
        if el is None:
            return {}
        ref = el.get("ref")
        if ref and "itext" in ref:
            return texts.get(re.search(r"jr:itext\('([^']+)'\)", ref).group(1), {})
        text = " ".join("".join(el.itertext()).translate(QUOTES).split())
        return {"": text} if text else {}

    def walk(el, group, relevants):
        for child in el:
            tag = local(child.tag)
            if tag in ("group", "repeat"):
                ref = child.get("ref") or child.get("nodeset")
                name = papi_id(ref.rsplit("/", 1)[1])
                rel = binds.get(name).get("relevant") if name in binds else None
                # A group's skip logic holds for each question in it (papi writes it on each).
                inner = relevants + ([rel] if rel and tag == "group" and not is_repeat(child) else [])
                walk(child, group if tag == "repeat" or is_repeat(child) else name, inner)
            elif tag in ("input", "select1", "select", "trigger", "upload", "range"):
                ref = "/".join(papi_id(p) if p else p for p in child.get("ref").split("/"))
                name = ref.rsplit("/", 1)[1]
                label = text_of(child.find(f"{XF}label"))
                itemset = child.find(f"{XF}itemset")
                choices = None
                choice_filter = None
                if itemset is not None:
                    nodeset = itemset.get("nodeset")
                    choices = lists[re.search(r"instance\('([^']+)'\)", nodeset).group(1)]
                    f = re.search(r"\[(.*)\]$", nodeset)
                    choice_filter = canon(f.group(1), None) if f else None
                b = binds[name]
                msg = b.get(f"{JR}constraintMsg")
                if msg:
                    found = re.search(r"jr:itext\('([^']+)'\)", msg)
                    # One language: pyxform writes the message itself, not a translation.
                    msg = texts.get(found.group(1), {}) if found else {"": msg}
                own = [r for r in relevants + [b.get("relevant")] if r]
                relevant = None
                if len(own) == 1:
                    relevant = canon(own[0], None)
                elif own:
                    relevant = "and".join(f"({canon(r, None)})" for r in own)
                questions[name] = {
                    "path": ref,
                    "group": group,
                    "control": tag,
                    "type": b.get("type"),
                    "required": None if b.get("required") in (None, "false()") else b.get("required"),
                    "relevant": relevant,
                    "constraint": canon(b.get("constraint"), None),
                    "constraint_message": msg and tuple(sorted(msg.items())),
                    "calculate": canon(b.get("calculate"), None),
                    "readonly": b.get("readonly"),
                    "label": tuple(sorted(label.items())),
                    "choices": choices,
                    "choice_filter": choice_filter,
                    "appearance": child.get("appearance"),
                }

    def is_repeat(group):
        return group.find(f"{XF}repeat") is not None

    walk(root.find(f"{H}body"), None, [])
    # Questions with no control: calculations and what the device records.
    for name, b in binds.items():
        if name not in questions and (b.get("calculate") or b.get(f"{JR}preload") in ("property", "date")):
            questions[name] = {"path": b.get("nodeset"), "type": b.get("type"), "calculate": canon(b.get("calculate"), None),
                               "preload": (b.get(f"{JR}preload"), b.get(f"{JR}preloadParams")), "control": None}
    instance = model.find(f"{XF}instance")[0]
    preload = {b.get("nodeset").rsplit("/", 1)[1]: (b.get(f"{JR}preload"), b.get(f"{JR}preloadParams"))
               for b in model.findall(f"{XF}bind") if b.get(f"{JR}preload")}
    return {"questions": questions, "instance": instance, "preload": preload, "lists": lists,
            "form_id": instance.get("id"), "version": instance.get("version")}


def one_language(texts, other):
    """Texts in one language compare by their words: pyxform writes an untranslated form's text
    itself, papi as a translation."""
    if texts is None or other is None:
        return texts
    if "" in dict(texts) or "" in dict(other):
        return tuple(sorted(set(dict(texts).values())))
    return texts


def compare(ours_path, theirs_path, media=None):
    ours, theirs = read(ours_path), read(theirs_path, media)
    problems = []
    # Without a version in the workbook, papi names one from its content (and warns).
    if ours["form_id"] != theirs["form_id"] or (theirs["version"] is not None and ours["version"] != theirs["version"]):
        problems.append(f"form id/version: ours {ours['form_id']} {ours['version']}, pyxform {theirs['form_id']} {theirs['version']}")
    if list(ours["questions"]) != list(theirs["questions"]):
        problems.append(f"questions differ or are in another order:\n  ours {list(ours['questions'])}\n  pyxform {list(theirs['questions'])}")
    counts = {"questions": 0, "choices": 0, "binds": 0, "relevant": 0, "constraints": 0, "labels": 0}
    for name, q in theirs["questions"].items():
        mine = ours["questions"].get(name)
        if mine is None:
            continue
        counts["questions"] += 1
        for key in ("path", "group", "control", "type", "required", "relevant", "constraint", "constraint_message",
                    "calculate", "readonly", "label", "choices", "choice_filter", "appearance", "preload"):
            a, b = mine.get(key), q.get(key)
            if key in ("label", "constraint_message"):
                a, b = one_language(a, b), one_language(b, a)
            if key == "choices" and a and b:
                a = [(n, one_language(t, u)) for (n, t), (_, u) in zip(a, b)] + a[len(b):]
                b = [(n, one_language(t, u)) for (n, t), (_, u) in zip(b, mine[key])] + b[len(a):]
            if key == "path" and q.get("path", "").count("/") > 3:
                # Nested groups: papi keeps the innermost group, so the path skips the outer ones.
                a, b = a.rsplit("/", 2)[-2:], b.rsplit("/", 2)[-2:]
            if key in q and a != b:
                problems.append(f"{name}: {key}: ours {mine[key]!r}, pyxform {q[key]!r}")
        counts["binds"] += 1
        counts["labels"] += "label" in q
        counts["choices"] += len(q.get("choices") or [])
        counts["relevant"] += q.get("relevant") is not None
        counts["constraints"] += q.get("constraint") is not None
    # papi always records the interview's start and end (as started_at and finished_at); a workbook's
    # start and end rows are those two.
    if not set(theirs["preload"].values()) <= set(ours["preload"].values()):
        problems.append(f"preloads (start, end, instanceID): ours {ours['preload']}, pyxform {theirs['preload']}")
    print(json.dumps(counts))
    if problems:
        print("\n".join(problems), file=sys.stderr)
        sys.exit(1)


def fill(form_path, interview_path):
    form = read(form_path)
    interview = json.load(open(interview_path))
    values = dict(interview.get("location", {}))
    for k, v in interview.get("answers", {}).items():
        values[k] = " ".join(v) if isinstance(v, list) else str(v)
    preload = form["preload"]
    for name, (kind, param) in preload.items():
        if kind == "timestamp":
            values[name] = interview.get("started_at" if param == "start" else "finished_at", "")
        elif kind == "uid":
            values[name] = "uuid:" + interview["id"]
    root = form["instance"]
    used = set()

    def walk(el):
        children = list(el)
        if not children:
            name = local(el.tag)
            el.text = values.get(name, "")
            used.add(name)
        for c in children:
            walk(c)

    walk(root)
    missing = set(values) - used
    if missing:
        sys.exit(f"the form has no place for {sorted(missing)}")
    ET.register_namespace("", "http://www.w3.org/2002/xforms")
    text = ET.tostring(root, encoding="unicode")
    # A device submits the instance without the form's default namespace.
    text = re.sub(r' xmlns="[^"]+"', "", text)
    sys.stdout.write('<?xml version="1.0" encoding="UTF-8"?>' + text)


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "convert":
        from pyxform.xls2xform import xls2xform_convert
        xls2xform_convert(sys.argv[2], sys.argv[3], validate=False)
    elif cmd == "compare":
        compare(sys.argv[2], sys.argv[3], sys.argv[4] if len(sys.argv) > 4 else None)
    elif cmd == "fill":
        fill(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)
