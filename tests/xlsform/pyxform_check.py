#!/usr/bin/env python3
"""pyxform (PyPI) beside papi's own XForm renderer.

  pyxform_check.py convert FORM.xlsx OUT.xml        pyxform's XForm of an XLSForm workbook
  pyxform_check.py compare OURS.xml PYXFORM.xml     every question, type, choice list, relevance and
                                                    constraint must agree; prints what was compared
  pyxform_check.py fill FORM.xml INTERVIEW.json     the instance an enumerator would submit: the form's
                                                    own instance template filled with the answers

Exit status 1 and a list of differences when the two XForms disagree.
"""
import json
import re
import sys
import xml.etree.ElementTree as ET

XF = "{http://www.w3.org/2002/xforms}"
H = "{http://www.w3.org/1999/xhtml}"
JR = "{http://openrosa.org/javarosa}"


def local(tag):
    return tag.split("}", 1)[-1]


def canon(expr, names):
    """An expression with every absolute path reduced to its last step, and no whitespace: both
    renderings name the same question by different paths and pad them differently."""
    if expr is None:
        return None
    expr = re.sub(r"/data(?:/[A-Za-z_][\w.-]*)+", lambda m: m.group(0).rsplit("/", 1)[1], expr)
    expr = re.sub(r"\$\{([^}]+)\}", r"\1", expr)
    return re.sub(r"\s+", "", expr)


# pyxform replaces typographic quotes with ASCII ones in every cell it reads; papi keeps the text as
# written. The two are the same text for this comparison.
QUOTES = str.maketrans({"\u201c": '"', "\u201d": '"', "\u2018": "'", "\u2019": "'"})


def read(path):
    root = ET.parse(path).getroot()
    model = root.find(f"{H}head/{XF}model")
    texts = {}
    for tr in model.findall(f"{XF}itext/{XF}translation"):
        lang = tr.get("lang")
        for t in tr.findall(f"{XF}text"):
            value = t.find(f"{XF}value")
            texts.setdefault(t.get("id"), {})[lang] = "".join(value.itertext()).translate(QUOTES) if value is not None else ""
    lists = {}
    for inst in model.findall(f"{XF}instance"):
        if inst.get("id"):
            items = []
            for item in inst.findall(f"{XF}root/{XF}item"):
                name = item.find(f"{XF}name").text
                label = texts.get(item.find(f"{XF}itextId").text, {})
                items.append((name, tuple(sorted(label.items()))))
            lists[inst.get("id")] = items
    binds = {}
    for b in model.findall(f"{XF}bind"):
        name = b.get("nodeset").rsplit("/", 1)[1]
        binds[name] = b
    questions = {}

    def walk(el, group):
        for child in el:
            tag = local(child.tag)
            if tag == "group":
                walk(child, child.get("ref").rsplit("/", 1)[1])
            elif tag in ("input", "select1", "select"):
                ref = child.get("ref")
                name = ref.rsplit("/", 1)[1]
                label_ref = child.find(f"{XF}label").get("ref")
                label = texts.get(re.search(r"jr:itext\('([^']+)'\)", label_ref).group(1), {})
                itemset = child.find(f"{XF}itemset")
                choices = None
                if itemset is not None:
                    choices = lists[re.search(r"instance\('([^']+)'\)", itemset.get("nodeset")).group(1)]
                b = binds[name]
                msg = b.get(f"{JR}constraintMsg")
                if msg:
                    msg = texts.get(re.search(r"jr:itext\('([^']+)'\)", msg).group(1), {})
                questions[name] = {
                    "path": ref,
                    "group": group,
                    "control": tag,
                    "type": b.get("type"),
                    "required": b.get("required"),
                    "relevant": canon(b.get("relevant"), None),
                    "constraint": canon(b.get("constraint"), None),
                    "constraint_message": msg and tuple(sorted(msg.items())),
                    "label": tuple(sorted(label.items())),
                    "choices": choices,
                }

    walk(root.find(f"{H}body"), None)
    instance = model.find(f"{XF}instance")[0]
    preload = {b.get("nodeset").rsplit("/", 1)[1]: (b.get(f"{JR}preload"), b.get(f"{JR}preloadParams"))
               for b in model.findall(f"{XF}bind") if b.get(f"{JR}preload")}
    return {"questions": questions, "instance": instance, "preload": preload, "lists": lists,
            "form_id": instance.get("id"), "version": instance.get("version")}


def compare(ours_path, theirs_path):
    ours, theirs = read(ours_path), read(theirs_path)
    problems = []
    if (ours["form_id"], ours["version"]) != (theirs["form_id"], theirs["version"]):
        problems.append(f"form id/version: ours {ours['form_id']} {ours['version']}, pyxform {theirs['form_id']} {theirs['version']}")
    if list(ours["questions"]) != list(theirs["questions"]):
        problems.append(f"questions differ or are in another order:\n  ours {list(ours['questions'])}\n  pyxform {list(theirs['questions'])}")
    counts = {"questions": 0, "choices": 0, "binds": 0, "relevant": 0, "constraints": 0, "labels": 0}
    for name, q in theirs["questions"].items():
        mine = ours["questions"].get(name)
        if mine is None:
            continue
        counts["questions"] += 1
        for key in ("path", "group", "control", "type", "required", "relevant", "constraint", "constraint_message", "label", "choices"):
            if mine[key] != q[key]:
                problems.append(f"{name}: {key}: ours {mine[key]!r}, pyxform {q[key]!r}")
        counts["binds"] += 1
        counts["labels"] += 1
        counts["choices"] += len(q["choices"] or [])
        counts["relevant"] += q["relevant"] is not None
        counts["constraints"] += q["constraint"] is not None
    if ours["preload"] != theirs["preload"]:
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
        compare(sys.argv[2], sys.argv[3])
    elif cmd == "fill":
        fill(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)
