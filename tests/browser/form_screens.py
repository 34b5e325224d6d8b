"""The enumerator's form on a phone, in headless Chromium: for tests/browser.rs.

Starts `papi serve --demo` and, at 390×844:
- signs in on the form itself with the demo enumerator's username and password (a wrong password is
  told in the page, in Vietnamese); the device keeps a token, and an enumerator already signed in on
  the site reaches the form with no typing at all;
- picks the place from the enumerator's assigned villages, then walks the PAPI questionnaire's nine
  groups one screen at a time ("Nhóm 3/9"), back and next;
- presses "finish" on the summary with nothing answered: the form jumps to the first question left,
  on its screen, with the message under its label and the focus in it;
- answers every question by tapping its choices (each row and button at least 44 px high; numbers
  typed in fields that bring up the number pad), reviews the summary and finishes: the interview is
  sent ("đã gửi"), stored once under the enumerator's name, and gone from the device;
- has its token revoked by an administrator: the form asks for a sign-in again, and gets a new token;
- signs out: the device's token is revoked on the server.
Every screen is checked for horizontal overflow and by axe-core (no serious or critical violation),
and the English form (`?lang=en`) speaks English.

Usage: python3 form_screens.py PAPI_BINARY DATABASE_URL
With $PAPI_SCREENSHOTS naming a directory, each screen is saved there at 390×844 and 1366×900.
"""
import os
import re
import subprocess
import sys
import time
import tomllib

from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from papi_browser import Problems, api, axe_serious, axe_source, free_port, new_driver, start_demo

papi, database = sys.argv[1:3]
shots = os.environ.get("PAPI_SCREENSHOTS")
AXE = axe_source()
with open(os.path.join(os.path.dirname(__file__), "..", "..", "survey-defs", "papi-2019.toml"), "rb") as f:
    QUESTIONS = {q["id"]: q for q in tomllib.load(f)["questions"]}

port = free_port()
base = f"http://127.0.0.1:{port}"
server, passwords, tokens = start_demo(papi, database, port)
problems = Problems()
checked = []
expect = problems.expect


def phone():
    driver = new_driver()
    driver.set_window_size(390, 844)
    return driver


def fits(driver, name):
    """No horizontal overflow and nothing serious for axe-core, on the screen shown."""
    width = driver.execute_script("return window.innerWidth")
    scroll = driver.execute_script("return document.documentElement.scrollWidth")
    expect(scroll <= width, f"{name}: scrollWidth {scroll} > {width}")
    for v in axe_serious(driver, AXE):
        problems.append(f"{name}: {v}")


def shoot(driver, name):
    if not shots:
        return
    os.makedirs(shots, exist_ok=True)
    for w, h in [(1366, 900), (390, 844)]:
        driver.set_window_size(w, h)
        time.sleep(0.3)
        driver.save_screenshot(os.path.join(shots, f"form-{name}-{w}.png"))


def big_enough(element, what):
    r = element.rect
    expect(r["height"] >= 44 and r["width"] >= 44, f"{what} is {r['width']:.0f}×{r['height']:.0f} px, under 44")


def stored_token(driver):
    return driver.execute_async_script("""const done = arguments[0];
      indexedDB.open('papi').onsuccess = (e) => { const r = e.target.result.transaction('config').objectStore('config').get('token');
        r.onsuccess = () => done(r.result ? r.result.value : null); };""")


def unanswered(driver):
    """The questions shown on the screen that still need an answer (their id), in order."""
    return driver.execute_script("""return [...document.querySelectorAll('#questions .screen:not(.hidden) .question:not(.hidden)')]
      .filter(q => !q.querySelector('input:checked') && !q.querySelector('input[type=text]')?.value
                   && q.querySelector('input')).map(q => q.id.slice(2));""")


def smallest_allowed(qid):
    m = re.search(r"\. >= (\d+)", QUESTIONS[qid].get("constraint", ""))
    return m.group(1) if m else "1"


def answer_screen(driver):
    """Answers every question shown, tapping the first choice offered; answers open new ones."""
    for _ in range(50):
        left = unanswered(driver)
        if not left:
            return
        try:
            answer_one(driver, left[0])
        except StaleElementReferenceException:
            pass  # an answer re-drew the screen under us: look again
    raise AssertionError("answering a screen did not end")


def answer_one(driver, qid):
    """Types the smallest allowed number, or taps the first choice shown."""
    field = driver.find_elements(By.CSS_SELECTOR, f"#q-{qid} input[type=text]")
    if field:
        expect(field[0].get_attribute("inputmode") == "numeric", f"{qid} brings up the number pad")
        field[0].send_keys(smallest_allowed(qid))
    else:
        row = next(r for r in driver.find_elements(By.CSS_SELECTOR, f"#q-{qid} label.choice") if r.is_displayed())
        big_enough(row, f"a choice of {qid}")
        driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", row)
        row.click()


try:
    # ---- Sign-in on the form itself --------------------------------------------------------------
    d = phone()
    wait = WebDriverWait(d, 60, ignored_exceptions=(StaleElementReferenceException,))
    try:
        d.get(base + "/form/")
        wait.until(lambda x: x.find_element(By.ID, "username").is_displayed())
        fits(d, "the form's sign-in")
        shoot(d, "sign-in")
        d.find_element(By.ID, "username").send_keys("demo-enumerator")
        d.find_element(By.ID, "password").send_keys("not the password")
        big_enough(d.find_element(By.ID, "sign-in"), "the sign-in button")
        d.find_element(By.ID, "sign-in").click()
        wait.until(lambda x: x.find_element(By.ID, "setup-error").text)
        expect("mật khẩu không đúng" in d.find_element(By.ID, "setup-error").text, "a wrong password is told in Vietnamese")
        d.find_element(By.ID, "password").clear()
        d.find_element(By.ID, "password").send_keys(passwords["demo-enumerator"])
        d.find_element(By.ID, "sign-in").click()
        wait.until(lambda x: x.find_element(By.ID, "interview").is_displayed())
        token = stored_token(d)
        assert token and token.startswith("papi_"), token
        assert api(base, "GET", "/api/v1/session", token)["name"] == "demo-enumerator"
        checked.append("sign-in with a password")

        # ---- The place, then nine screens ---------------------------------------------------------
        wait.until(lambda x: x.find_elements(By.CSS_SELECTOR, "#location select"))
        for sel in d.find_elements(By.CSS_SELECTOR, "#location select"):
            options = Select(sel)
            if not sel.get_attribute("value"):
                options.select_by_index(1)
        for b in ["back", "next"]:
            big_enough(d.find_element(By.ID, b), f"the {b} button")
        fits(d, "the place")
        shoot(d, "place")
        d.find_element(By.ID, "next").click()
        progress = []
        for i in range(1, 10):
            progress.append(d.find_element(By.ID, "progress").text)
            fits(d, f"group {i}")
            if i == 3:
                shoot(d, "group-3")
            d.find_element(By.ID, "next").click()
        expect(progress == [f"Nhóm {i}/9" for i in range(1, 10)], f"the progress reads {progress}")
        expect(d.find_element(By.ID, "finish").is_displayed(), "the summary ends with the finish button")
        big_enough(d.find_element(By.ID, "finish"), "the finish button")
        d.find_element(By.ID, "back").click()
        expect(d.find_element(By.ID, "progress").text == "Nhóm 9/9", "back returns to the last group")
        d.find_element(By.ID, "next").click()
        checked.append("nine screens with their progress")

        # ---- Finish with nothing answered: the first question left -------------------------------
        d.find_element(By.ID, "finish").click()
        wait.until(lambda x: x.find_element(By.ID, "progress").text == "Nhóm 1/9")
        first = d.find_element(By.CSS_SELECTOR, "#questions .question.invalid")
        message = first.find_element(By.CLASS_NAME, "error").text
        expect(message == "Câu này là bắt buộc.", f"the first question left says {message!r}")
        expect("cần sửa" in d.find_element(By.ID, "form-error").text, "the form says how many questions need fixing")
        in_view = d.execute_script("const r = arguments[0].getBoundingClientRect(); return r.top >= 0 && r.top < innerHeight", first)
        expect(in_view, "the first question left is scrolled into view")
        expect(d.execute_script("return arguments[0].contains(document.activeElement)", first), "the focus is in it")
        fits(d, "the jump to the first error")
        shoot(d, "first-error")
        checked.append("finish jumps to the first error")

        # ---- Every question answered by tapping --------------------------------------------------
        started = time.monotonic()
        for i in range(1, 10):
            answer_screen(d)
            expect(not d.find_elements(By.CSS_SELECTOR, "#questions .screen:not(.hidden) .question.invalid:not(.hidden)"),
                   f"group {i} is complete")
            d.find_element(By.ID, "next").click()
        summary = d.find_element(By.ID, "screen-summary").text
        expect("Phiếu đã đủ" in summary and "cần sửa" not in summary, f"the summary: {summary[:300]}")
        fits(d, "the summary")
        shoot(d, "summary")
        interview = d.execute_script("return current.id")
        d.find_element(By.ID, "finish").click()
        wait.until(lambda x: x.find_element(By.ID, "sent").text == "1")
        wait.until(lambda x: x.find_element(By.ID, "form-error").text == "Đã gửi phiếu lên máy chủ.")
        expect(d.find_element(By.ID, "unsent").text == "0", "nothing left unsent")
        expect(not d.find_elements(By.CSS_SELECTOR, "#outbox-rows tr[data-status=queued]"), "the sent interview left the device")
        stored = api(base, "GET", f"/api/v1/interviews/{interview}", tokens["admin"])
        expect(stored["enumerator"] == "demo-enumerator" and stored["answers"]["birth_year"] == 1930,
               f"the interview stored: {stored['enumerator']}, {stored['answers'].get('birth_year')}")
        checked.append("filled by touch and sent")
        print(f"the PAPI questionnaire filled by taps at 390x844 and sent in {time.monotonic() - started:.0f} s "
              f"(a scripted thumb: {len(stored['answers'])} answers)")

        # ---- English ----------------------------------------------------------------------------
        d.get(base + "/form/?lang=en")
        wait.until(lambda x: x.find_element(By.ID, "next").is_displayed())
        d.find_element(By.ID, "next").click()
        expect(d.find_element(By.ID, "progress").text == "Group 1 of 9", "the English progress")
        expect(d.find_element(By.ID, "back").text == "Back", "the English buttons")
        fits(d, "the English form")
        checked.append("English")

        # ---- An administrator revokes the device's token: the form asks for a sign-in again -------
        subprocess.run([papi, "token", "revoke", "demo-enumerator", "--database", database], check=True, capture_output=True)
        d.refresh()
        wait.until(lambda x: x.find_element(By.ID, "setup").is_displayed())
        expect("đăng nhập lại" in d.find_element(By.ID, "setup-error").text.lower() or "sign in again" in d.find_element(By.ID, "setup-error").text,
               f"a revoked token is told: {d.find_element(By.ID, 'setup-error').text}")
        expect(d.find_element(By.ID, "interview").is_displayed(), "the form stays while the sign-in is asked for")
        d.find_element(By.ID, "username").send_keys("demo-enumerator")
        d.find_element(By.ID, "password").send_keys(passwords["demo-enumerator"])
        d.find_element(By.ID, "sign-in").click()
        wait.until(lambda x: not x.find_element(By.ID, "setup").is_displayed())
        token = stored_token(d)
        checked.append("a revoked token asks for a sign-in")

        # ---- Signing out revokes the device's token ----------------------------------------------
        d.find_element(By.ID, "sign-out").click()
        wait.until(lambda x: x.find_element(By.ID, "username").is_displayed())
        try:
            api(base, "GET", "/api/v1/session", token)
            expect(False, "the signed-out device's token still works")
        except Exception as e:
            expect("401" in str(e), f"the signed-out device's token: {e}")
        checked.append("sign-out revokes the device token")
    finally:
        d.quit()

    # ---- Signed in on the site: the form with no typing ------------------------------------------
    d = phone()
    wait = WebDriverWait(d, 60, ignored_exceptions=(StaleElementReferenceException,))
    try:
        d.get(base + "/login")
        d.find_element(By.ID, "username").send_keys("demo-enumerator")
        d.find_element(By.ID, "password").send_keys(passwords["demo-enumerator"])
        d.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        wait.until(lambda x: x.current_url.endswith("/form/"))
        wait.until(lambda x: x.find_element(By.ID, "interview").is_displayed())
        expect(not d.find_element(By.ID, "setup").is_displayed(), "no sign-in on the form after the site's")
        checked.append("the site's sign-in reaches the form")
    finally:
        d.quit()
finally:
    server.terminate()
    server.wait()

if problems:
    raise SystemExit("the form on a phone:\n" + "\n".join(problems))
print("the form checked on a phone in Chromium:", ", ".join(checked))
