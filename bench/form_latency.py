"""Input latency of the enumerator's form in headless Chromium, with a PAPI-sized definition.

Serves DEFINITION with `papi serve` (the shipped frame's sample registered, every village assigned to
the benchmark's enumerator), opens the form at 390×844 with an access token, and measures:
- keystrokes typed into a number field (`birth_year`), through Chromium's input pipeline (DevTools
  `Input.dispatchKeyEvent`): from the key event's timestamp to the end of the form's work, style and
  layout included (the page's own cost), and to the next frame drawn after it;
- taps on answers that open and close skip logic (the screening questions of bench/papi550.py), the
  page's own cost;
- the reference, in the same run: the same keystrokes into a bare text field on an empty page.
Each keystroke and tap checks every question of the interview: the figures grow with the number of
questions, never with its square.

Usage: python3 bench/form_latency.py PAPI_BINARY DEFINITION [KEYSTROKES]
"""
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "browser"))
from papi_browser import form_with_token, free_port, new_driver  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402

# Installed once a page: per keystroke, the time from the key event to the end of the work its input
# event caused (style and layout forced), and to the frame drawn after it.
PROBE = """
window.__lat = [];
let start = null;
document.addEventListener("keydown", (e) => { start = e.timeStamp; }, true);
document.addEventListener("input", () => {
  if (start === null) return;
  const t0 = start;
  start = null;
  document.documentElement.getBoundingClientRect();
  const work = performance.now() - t0;
  requestAnimationFrame(() => setTimeout(() => __lat.push([work, performance.now() - t0]), 0));
});
"""

# A tap's own cost: the click, the form's handler, then style and layout.
TAP = """
const [input] = arguments;
const t0 = performance.now();
input.click();
document.documentElement.getBoundingClientRect();
return performance.now() - t0;
"""


def type_keys(driver, field_id, keys):
    """Types `keys` (digits, or "\\b" for backspace) into the field; one measurement a key."""
    driver.execute_script(PROBE)
    driver.execute_script(f"document.getElementById('{field_id}').focus()")
    for n, k in enumerate(keys):
        if k == "\b":
            event = {"key": "Backspace", "code": "Backspace", "windowsVirtualKeyCode": 8}
            driver.execute_cdp_cmd("Input.dispatchKeyEvent", {"type": "rawKeyDown", **event})
        else:
            event = {"key": k, "code": f"Digit{k}", "text": k, "windowsVirtualKeyCode": 48 + int(k)}
            driver.execute_cdp_cmd("Input.dispatchKeyEvent", {"type": "keyDown", **event})
        driver.execute_cdp_cmd("Input.dispatchKeyEvent", {"type": "keyUp", **event})
        # One key at a time, as a thumb types: the next waits for this one's frame.
        WebDriverWait(driver, 10, poll_frequency=0.005).until(lambda d: d.execute_script("return __lat.length") > n)
    return driver.execute_script("return __lat")


def keys_for(count):
    """Years typed and erased: 1, 9, 6, 5, then four backspaces, over and over."""
    cycle = ["1", "9", "6", "5", "\b", "\b", "\b", "\b"]
    return [cycle[i % len(cycle)] for i in range(count)]


def summary(name, values):
    values = sorted(values)
    p95 = values[min(len(values) - 1, int(0.95 * len(values)))]
    return f"{name}: {len(values)} events, median {statistics.median(values):.1f} ms, p95 {p95:.1f} ms, max {values[-1]:.1f} ms"


def measure(driver, keys, screen_of_taps):
    """Keystrokes into `birth_year`, then taps on the screening questions; the figures."""
    typed = type_keys(driver, "in-birth_year", keys)
    screen_of_taps()
    gates = driver.execute_script("""return [...document.querySelectorAll("input[type=radio]")]
      .filter((i) => /^q\\d*0-(yes|no)$/.test(i.id.slice(2)))""")
    taps = [driver.execute_script(TAP, gates[i % len(gates)]) for i in range(len(keys))]
    return [w for w, _ in typed], [f for _, f in typed], taps


# The interview being filled, every question answered, written as the form keeps its draft.
PUT_DRAFT = """
const done = arguments[arguments.length - 1];
const answers = {};
for (const q of survey.questions) {
  if (q.type === "select_one" && q.choices.length) answers[q.id] = q.choices[0].value;
}
const location = {};
for (const s of document.querySelectorAll("#location select")) location[s.id.slice(4)] = s.value;
const id = "00000000-0000-4000-8000-000000000550";
const draft = { id, status: "draft", attempts: 0, next_try: 0, screen: 2, submission: { id,
  survey: { id: survey.id, version: survey.version }, location, started_at: new Date().toISOString(),
  finished_at: new Date().toISOString(), answers } };
indexedDB.open("papi").onsuccess = (e) => {
  const tx = e.target.result.transaction("interviews", "readwrite");
  tx.objectStore("interviews").clear();
  tx.objectStore("interviews").put(draft);
  tx.oncomplete = () => done(Object.keys(answers).length);
};
"""


def opened(driver, base, ready):
    """Milliseconds from the navigation to the form until `ready` (a script) holds."""
    driver.get(base + "/form/")
    WebDriverWait(driver, 120, poll_frequency=0.005).until(lambda d: d.execute_script(ready))
    return driver.execute_script("return performance.now()")


def resume(driver, base):
    """The form opened with no draft, then with a draft of every question answered; both in ms."""
    last = driver.execute_script("const q = survey.questions.filter((q) => q.type === 'select_one').pop(); return `q-${q.id}-${q.choices[0].value}`")
    driver.execute_async_script("""const done = arguments[0];
      indexedDB.open("papi").onsuccess = (e) => { const tx = e.target.result.transaction("interviews", "readwrite");
        tx.objectStore("interviews").clear(); tx.oncomplete = () => done(); };""")
    empty = opened(driver, base, "const e = document.getElementById('in-birth_year'); return !!e")
    answered = driver.execute_async_script(PUT_DRAFT)
    full = opened(driver, base, f"const e = document.getElementById('{last}'); return !!e && e.checked")
    return empty, full, answered


def main():
    papi, definition = sys.argv[1:3]
    count = int(sys.argv[3]) if len(sys.argv) > 3 else 200
    where = tempfile.mkdtemp(prefix="papi-form-bench-")
    db = f"sqlite:{where}/form.db"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([papi, "serve", "--database", db, "--survey", definition, "--listen", f"127.0.0.1:{port}"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    driver = None
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1)
                break
            except Exception:
                time.sleep(0.1)
        run = lambda *args: subprocess.run([papi, *args, "--database", db], check=True, capture_output=True, text=True).stdout
        run("sample", "register", "--survey", definition, "--frame", "survey-defs/frames/binh-dinh.toml", "--seed", "2019")
        run("sample", "assign", "--survey", definition, "--enumerator", "bench", "--all")
        token = run("token", "create", "--role", "enumerator", "--name", "bench").strip().splitlines()[-1]

        driver = new_driver()
        driver.set_window_size(390, 844)
        wait = WebDriverWait(driver, 60)
        # The reference: a bare text field on an empty page of the same browser.
        driver.get("about:blank")
        driver.execute_script("document.body.innerHTML = '<input id=in-birth_year inputmode=numeric>'")
        bare = type_keys(driver, "in-birth_year", keys_for(count))

        form_with_token(driver, base, token, wait)
        questions = driver.execute_script("return survey.questions.length")
        for sel in driver.find_elements(By.CSS_SELECTOR, "#location select"):
            if not sel.get_attribute("value"):
                Select(sel).select_by_index(1)
        driver.find_element(By.ID, "next").click()  # the respondent's questions
        work, frame, taps = measure(driver, keys_for(count), lambda: driver.find_element(By.ID, "next").click())
        print(f"the form with {questions} questions, at 390×844 in headless Chromium:")
        print("  " + summary("keystroke, the page's work", work))
        print("  " + summary("keystroke, to the next frame", frame))
        print("  " + summary("tap opening or closing skip logic, the page's work", taps))
        print("  " + summary("reference: keystroke into a bare field, the page's work", [w for w, _ in bare]))
        print("  " + summary("reference: keystroke into a bare field, to the next frame", [f for _, f in bare]))
        print(f"  keystroke p95 = {sorted(work)[int(0.95 * len(work))] / max(sorted(w for w, _ in bare)[int(0.95 * len(bare))], 0.1):.1f} × the bare field")
        empty, full, answered = resume(driver, base)
        print(f"  opening the form: {empty:.0f} ms with no draft, {full:.0f} ms resuming a draft of {answered} answers")
    finally:
        if driver:
            driver.quit()
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
