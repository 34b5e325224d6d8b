"""An interview filled in Enketo, for tests/enketo.rs.

Plays the part of an Enketo installation pointed at papi as its OpenRosa server: reads papi's Form
List under a device's key, downloads the XForm from the form's `downloadUrl`, and opens it in Enketo's
form engine (the page bundled from this folder: enketo-transformer's browser build and enketo-core)
in headless Chromium. Then fills it as an enumerator would, by clicks and typing, one question at a
time in the order the form shows them: a question hidden by its skip logic is never touched, the
choices of a cascading select are the ones Enketo offers after the answer above it, a repeat has the
repetitions its count gives. Enketo validates the form and gives its instance, which is submitted to
papi's `submission` under the same key, as Enketo does.

Usage: python3 enketo_form.py BASE_URL DEVICE_KEY BUNDLE_DIR FORM_ID SEED
Prints one JSON line: the instanceID, papi's response, and every answer entered, in the shape papi's
API gives a stored interview's answers (a repeat as a list of repetitions), with the place picked.
"""
import json
import random
import re
import sys
import time
import urllib.request
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "browser"))
from papi_browser import new_driver  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402

base, key, bundle, form_id, seed = sys.argv[1:6]
rng = random.Random(int(seed))
NS = {"xf": "http://www.w3.org/2002/xforms", "h": "http://www.w3.org/1999/xhtml",
      "jr": "http://openrosa.org/javarosa", "fl": "http://openrosa.org/xforms/xformsList"}
OPENROSA = {"X-OpenRosa-Version": "1.0"}


def fetch(url):
    with urllib.request.urlopen(urllib.request.Request(url, headers=OPENROSA), timeout=60) as r:
        assert r.headers.get("X-OpenRosa-Version") == "1.0", url
        return r.read().decode("utf-8")


# The Form List, then the form from its downloadUrl, as Enketo reads them.
listing = ET.fromstring(fetch(f"{base}/odk/key/{key}/formList"))
entries = [x for x in listing.findall("fl:xform", NS) if x.findtext("fl:formID", namespaces=NS) == form_id]
assert len(entries) == 1, f"formList offers {form_id} {len(entries)} times"
download = entries[0].findtext("fl:downloadUrl", namespaces=NS)
xform = fetch(download)
hash_listed = entries[0].findtext("fl:hash", namespaces=NS)

# What the XForm's binds say of each field: its type, and the bounds of a numeric constraint.
binds = {}
for b in ET.fromstring(xform).iter("{http://www.w3.org/2002/xforms}bind"):
    binds[b.get("nodeset")] = b.attrib

started = time.time()
driver = new_driver()
driver.set_window_size(1280, 900)
wait = WebDriverWait(driver, 60)
try:
    driver.get(Path(bundle, "page.html").resolve().as_uri())
    wait.until(lambda d: d.execute_script("return window.papiEnketoReady === true"))
    loaded = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "window.papiEnketo.load(arguments[0]).then(done, e => done({failed: String(e && e.stack || e)}));", xform)
    assert "failed" not in loaded and not loaded["errors"], f"Enketo could not load the form: {loaded}"

    # The questions left to answer: shown (not hidden by skip logic), not read-only, not yet answered,
    # in the order of the form. Each comes with its kind and what Enketo offers.
    NEXT = """
    const seen = (el) => el.offsetParent !== null || el.getClientRects().length > 0;
    for (const q of document.querySelectorAll('form.or .question')) {
        if (q.dataset.papiDone || q.classList.contains('readonly') || q.closest('.or-branch.disabled') || !seen(q)) continue;
        if (q.closest('.itemset-template')) continue;
        // A choice carries its field's path in data-name (in a repetition its name is Enketo's own).
        const input = q.querySelector('[data-name^="/"], input[name^="/"], select[name^="/"], textarea[name^="/"]');
        if (!input || input.readOnly) { q.dataset.papiDone = 'note'; continue; }
        const name = input.dataset.name || input.getAttribute('name');
        const repeat = q.closest('.or-repeat');
        const index = repeat ? [...repeat.parentElement.querySelectorAll(':scope > .or-repeat')].indexOf(repeat) : -1;
        const widget = q.querySelector('.widget');
        q.dataset.papiDone = 'answered';
        return {
            name, index,
            type: input.dataset.typeXml || input.type,
            tag: input.tagName.toLowerCase(),
            inputType: input.type,
            widget: widget ? widget.className : '',
            element: q,
            choices: [...q.querySelectorAll('input[type=radio], input[type=checkbox]')]
                .filter(o => o.value !== '' && seen(o)),
            options: [...q.querySelectorAll('input[type=radio], input[type=checkbox]')]
                .filter(o => o.value !== '' && seen(o)).map(o => o.value),
            selectOptions: [...q.querySelectorAll('select option')].map(o => o.value).filter(v => v),
        };
    }
    return null;
    """
    answers, location, filled = {}, {}, []

    def record(name, index, value):
        leaf = name.rsplit("/", 1)[1]
        parts = name.strip("/").split("/")
        if index >= 0:
            repeat = parts[-2]
            reps = answers.setdefault(repeat, [])
            while len(reps) <= index:
                reps.append({})
            reps[index][leaf] = value
        elif leaf in ("province", "district", "commune", "village"):
            location[leaf] = value
        else:
            answers[leaf] = value

    def bounds(name):
        c = binds.get(name, {}).get("constraint", "")
        low = re.search(r"\.\s*>=?\s*(-?\d+)", c)
        high = re.search(r"\.\s*<=?\s*(-?\d+)", c)
        return (int(low.group(1)) if low else 0), (int(high.group(1)) if high else 99)

    def exclusive(name):
        return set(re.findall(r"selected\(\s*\.\s*,\s*'([^']+)'\s*\)", binds.get(name, {}).get("constraint", "")))

    def typed(q, selector, text):
        """Types into a field as a person does: a click (a widget may put a default in), everything
        selected and deleted, the text, then Tab to leave the field."""
        box = q.find_element(By.CSS_SELECTOR, selector)
        box.click()
        box.send_keys(Keys.CONTROL, "a")
        box.send_keys(Keys.BACKSPACE)
        box.send_keys(text)
        box.send_keys(Keys.TAB)


    for _ in range(2000):
        info = driver.execute_script(NEXT)
        if info is None:
            break
        q, name, index = info["element"], info["name"], info["index"]
        # The choices Enketo offers now, by value (a cascade's depend on the answers above).
        choices = dict(zip(info["options"], info["choices"]))
        bind_type = binds.get(name, {}).get("type", "string")
        if info["inputType"] == "radio":
            options = info["options"]
            assert options, f"{name}: Enketo offers no choice"
            # Yes more often than not, so that follow-up questions are shown and answered too.
            value = "yes" if "yes" in options and rng.random() < 0.7 else rng.choice(options)
            choices[value].click()
            record(name, index, value)
        elif info["inputType"] == "checkbox":
            options = [o for o in info["options"] if o not in exclusive(name)]
            picked = rng.sample(options, k=min(len(options), rng.choice([1, 2])))
            for value in picked:
                choices[value].click()
            record(name, index, [o for o in info["options"] if o in picked])
        elif info["tag"] == "select":
            options = info["selectOptions"]
            value = rng.choice(options)
            Select(q.find_element(By.CSS_SELECTOR, "select")).select_by_value(value)
            record(name, index, value)
        elif bind_type == "int":
            low, high = bounds(name)
            value = rng.randint(low, min(high, low + 40) if high - low > 1000 else high)
            if info["name"].endswith("/members"):
                value = 3
            typed(q, "input", str(value))
            record(name, index, value)
        elif bind_type == "decimal":
            low, high = bounds(name)
            value = rng.randint(low, high) + 0.5 if high > low else low
            typed(q, "input", str(value))
            record(name, index, value)
        elif bind_type == "date":
            value = f"2026-{rng.randint(1, 11):02d}-{rng.randint(1, 28):02d}"
            typed(q, ".widget input[type=text]", value)
            record(name, index, value)
        elif bind_type == "time":
            hour, minute = rng.randint(7, 16), rng.choice([0, 15, 30, 45])
            typed(q, ".widget input[type=text]", f"{hour % 12 or 12}:{minute:02d} {'AM' if hour < 12 else 'PM'}")
            record(name, index, f"{hour:02d}:{minute:02d}")
        elif bind_type == "geopoint":
            lat, lng = round(13.9 + rng.random() / 10, 6), round(109.0 + rng.random() / 10, 6)
            alt, acc = rng.randint(5, 60), rng.randint(3, 20)
            for field, v in (("lat", lat), ("long", lng), ("alt", alt), ("acc", acc)):
                typed(q, f".widget input[name={field}]", str(v))
            record(name, index, f"{lat} {lng} {alt} {acc}")
        else:
            value = f"Trả lời {len(filled) + 1} qua Enketo"
            typed(q, "input, textarea", value)
            record(name, index, value)
        filled.append(name)
    else:
        raise SystemExit("the form never ran out of questions")

    validated = driver.execute_async_script(
        "const done = arguments[arguments.length - 1]; window.papiEnketo.validate().then(done, e => done({valid: false, invalid: [String(e)]}));")
    assert validated["valid"], f"Enketo finds the filled form invalid: {validated['invalid']}; entered: {answers}"
    instance = driver.execute_script("return window.papiEnketo.data()")
    console = [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]
finally:
    driver.quit()
filled_in = time.time() - started

instance_id = ET.fromstring(instance).findtext(".//{*}meta/{*}instanceID") or ET.fromstring(instance).findtext(".//meta/instanceID")
assert instance_id and instance_id.startswith("uuid:"), instance

# The submission, as Enketo sends it: multipart/form-data with the instance as xml_submission_file.
boundary = uuid.uuid4().hex
body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"xml_submission_file\"; filename=\"xml_submission_file\"\r\n"
        f"Content-Type: text/xml\r\n\r\n").encode() + instance.encode("utf-8") + f"\r\n--{boundary}--\r\n".encode()
request = urllib.request.Request(f"{base}/odk/key/{key}/submission", data=body, method="POST", headers={
    **OPENROSA, "Content-Type": f"multipart/form-data; boundary={boundary}"})
try:
    with urllib.request.urlopen(request, timeout=60) as r:
        status, reply = r.status, r.read().decode("utf-8")
except urllib.error.HTTPError as e:
    status, reply = e.code, e.read().decode("utf-8")

print(json.dumps({
    "instance_id": instance_id[len("uuid:"):],
    "status": status,
    "reply": reply,
    "answers": answers,
    "location": location,
    "questions_filled": len(filled),
    "hash_listed": hash_listed,
    "download_url": download,
    "console_errors": console,
    "seconds_in_browser": round(filled_in, 1),
    "instance": instance,
}, ensure_ascii=False))
