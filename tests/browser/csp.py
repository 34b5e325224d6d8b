"""The pages under their Content-Security-Policy in headless Chromium: for tests/browser.rs.

1. `papi serve --demo`: the sign-in page, a leader's dashboard, its printable view (the print button),
   an administrator's dimension page (a plan's task updated through its form), a supervisor's
   fieldwork page (the assignments saved through its form), an interview's page (a review recorded)
   and signing out. The browser's console shows no Content-Security-Policy violation on any of them:
   every handler is in /assets/pages.js.
2. The same database served with a definition whose title, labels, hint, choice labels, constraint
   message and one village name hold markup that runs script if it is parsed as HTML. The enumerator's
   form shows each as text, nothing runs, and the console shows no violation either. Markup written
   into the page on purpose is then refused by the policy itself, and the console says so: the check
   sees a violation when there is one.

Usage: python3 csp.py PAPI_BINARY DATABASE_URL SURVEY_TOML
A screenshot of the form showing the markup as text goes to $PAPI_SCREENSHOTS when it names a directory.
"""
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request

# While a page reloads, Chromium may report a node it has just dropped either as stale or, for a text
# read, as a plain WebDriverException ("does not belong to the document"): waits retry on both.
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from papi_browser import start_demo, api, free_port, new_driver, form_with_token

papi, database, definition = sys.argv[1:4]
PAYLOAD = "<img src=x onerror=window.__pwned=1>"


port = free_port()
base = f"http://127.0.0.1:{port}"


def wait_up(server):
    for _ in range(3000):
        if server.poll() is not None:
            raise SystemExit("papi serve stopped")
        try:
            urllib.request.urlopen(base + "/healthz", timeout=1)
            return
        except Exception:
            time.sleep(0.1)
    raise SystemExit("the server did not start")


def violations(driver):
    return [e["message"] for e in driver.get_log("browser") if "Content Security Policy" in e["message"]]


def no_violation(driver, where):
    found = violations(driver)
    assert not found, f"Content-Security-Policy violations on {where}: {found}"
    checked.append(where)


def stale_safe(driver):
    return WebDriverWait(driver, 30, ignored_exceptions=(StaleElementReferenceException, WebDriverException))


checked = []

# ---- 1. The demo's pages --------------------------------------------------------------------------
server, passwords, _ = start_demo(papi, database, port)


def sign_in(driver, user, path):
    driver.get(base + path)
    WebDriverWait(driver, 30).until(lambda d: "/login" in d.current_url)
    # The sign-in page keeps where to go back to.
    WebDriverWait(driver, 30).until(lambda d: d.find_element(By.ID, "next").get_attribute("value") == path)
    no_violation(driver, "the sign-in page")
    driver.find_element(By.ID, "username").send_keys(user)
    driver.find_element(By.ID, "password").send_keys(passwords[user])
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    WebDriverWait(driver, 30).until(lambda d: "/login" not in d.current_url)


driver = new_driver()
try:
    sign_in(driver, "demo-leader", "/dashboard/papi/2019.1?lang=en")
    assert driver.current_url == base + "/dashboard/papi/2019.1?lang=en", driver.current_url
    WebDriverWait(driver, 30).until(lambda d: all(d.execute_script(
        "return arguments[0].complete", img) for img in d.find_elements(By.CSS_SELECTOR, ".chart img")))
    no_violation(driver, "the dashboard")

    driver.get(base + "/dashboard/papi/2019.1/print")
    driver.execute_script("window.print = () => { window.__printed = true; };")
    driver.find_element(By.CSS_SELECTOR, "button[data-action=print]").click()
    assert driver.execute_script("return window.__printed === true"), "the print button prints"
    no_violation(driver, "the printable dashboard")

    # Signing out ends the session: the dashboard asks to sign in again.
    driver.find_element(By.CSS_SELECTOR, "form[data-action=sign-out] button").click()
    WebDriverWait(driver, 30).until(lambda d: d.current_url.startswith(base + "/login"))
    driver.get(base + "/dashboard")
    WebDriverWait(driver, 30).until(lambda d: "/login" in d.current_url)
    checked.append("sign-out")

    sign_in(driver, "demo-admin", "/dashboard/papi/2019.1/dimensions/admin_procedures")
    form = driver.find_element(By.CSS_SELECTOR, "form[data-action=set-task]")
    task = form.get_attribute("data-task")
    Select(form.find_element(By.NAME, "status")).select_by_value("done")
    form.find_element(By.NAME, "note").send_keys("Đã hoàn thành")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    stale_safe(driver).until(lambda d: "Đã hoàn thành" in d.find_element(By.CSS_SELECTOR, f"tr[data-task='{task}']").text)
    no_violation(driver, "a dimension page")

    driver.get(base + "/fieldwork/papi/2019.1")
    no_violation(driver, "the fieldwork page")
    first = driver.find_element(By.CSS_SELECTOR, "#assignments input[data-place]")
    place = first.get_attribute("data-place")
    first.clear()
    first.send_keys("ĐTV Thử")
    driver.find_element(By.CSS_SELECTOR, "#assignments button[type=submit]").click()
    WebDriverWait(driver, 30).until(lambda d: d.find_element(By.ID, "assignments-status").text.startswith("✓"))
    admin = subprocess.run([papi, "token", "create", "--role", "admin", "--name", "csp-test-admin", "--database", database],
                           check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1]
    stored = api(base, "GET", "/api/v1/surveys/papi/2019.1/assignments", admin)["assignments"]
    assert {"place": place, "enumerator": "ĐTV Thử"} in [{"place": a["place"], "enumerator": a["enumerator"]} for a in stored], stored
    no_violation(driver, "the fieldwork page's assignments")

    driver.find_elements(By.CSS_SELECTOR, "table a[href*='/interviews/']")[0].click()
    WebDriverWait(driver, 30).until(lambda d: d.find_elements(By.ID, "review"))
    Select(driver.find_element(By.NAME, "state")).select_by_value("approved")
    driver.find_element(By.NAME, "comment").send_keys("Kiểm tra xong")
    driver.find_element(By.CSS_SELECTOR, "#review button").click()
    stale_safe(driver).until(lambda d: "Kiểm tra xong" in d.find_element(By.TAG_NAME, "table").text)
    no_violation(driver, "an interview's page")
finally:
    driver.quit()
    server.terminate()
    server.wait()

# ---- 2. A definition whose texts hold markup ------------------------------------------------------
text = open(definition, encoding="utf-8").read()
text = text.replace('id = "small"', 'id = "hostile"', 1)
text = text.replace('title = { vi = "Khảo sát nhỏ"', f'title = {{ vi = "Khảo sát {PAYLOAD}"', 1)
text = text.replace('label = { vi = "Tuổi", en = "Age" }',
                    f'label = {{ vi = "Tuổi {PAYLOAD}", en = "Age {PAYLOAD}" }}\n'
                    f'hint = {{ vi = "Gợi ý {PAYLOAD}", en = "Hint {PAYLOAD}" }}', 1)
text = text.replace('constraint_message = { vi = "Tuổi từ 18 đến 100."', f'constraint_message = {{ vi = "Từ 18 {PAYLOAD}"', 1)
text = text.replace('{ value = "yes", label = { vi = "Có"', f'{{ value = "yes", label = {{ vi = "Có {PAYLOAD}"', 1)
assert text.count(PAYLOAD) == 7, text
hostile = os.path.join(tempfile.mkdtemp(prefix="papi-csp-"), "hostile.toml")
with open(hostile, "w", encoding="utf-8") as f:
    f.write(text)
VILLAGE = f"Xã {PAYLOAD}"
FRAME = f"""
[frame]
id = "hostile-test"
province = "Bình Định"
levels = ["district", "commune"]
size_measure = "adults"
illustrative = true
source = "Made-up sizes for a test"

[design]
interviews = 5

[[design.stages]]
level = "district"
draw = 1
method = "pps"

[[design.stages]]
level = "commune"
draw = 1
method = "srs"

[[units]]
name = "Tây Sơn"
size = 90000
units = [{{ name = "{VILLAGE}" }}]
"""

enumerator = subprocess.run([papi, "token", "create", "--role", "enumerator", "--name", "ĐTV Hoa", "--database", database],
                            check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1]
server = subprocess.Popen([papi, "serve", "--database", database, "--survey", hostile, "--listen", f"127.0.0.1:{port}"],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
driver = None
try:
    wait_up(server)
    api(base, "POST", "/api/v1/surveys/hostile/1/sample", admin, {"frame": FRAME, "seed": 2019})
    api(base, "PUT", "/api/v1/surveys/hostile/1/assignments", admin, {"assignments": [
        {"place": f"Bình Định / Tây Sơn / {VILLAGE}", "enumerator": "ĐTV Hoa"}]})

    driver = new_driver()
    wait = WebDriverWait(driver, 60)
    driver.get(base + "/form/")
    wait.until(lambda d: d.find_element(By.ID, "username").is_displayed())
    no_violation(driver, "the form's sign-in")
    form_with_token(driver, base, enumerator, wait)
    # Both surveys are offered; the title is text, then the hostile one is chosen.
    survey = Select(driver.find_element(By.ID, "survey"))
    titles = [o.text for o in survey.options]
    assert f"Khảo sát {PAYLOAD} (1)" in titles, titles
    survey.select_by_visible_text(f"Khảo sát {PAYLOAD} (1)")
    stale_safe(driver).until(lambda d: d.find_element(By.CSS_SELECTOR, "#q-age label.q").get_attribute("textContent") == f"Tuổi {PAYLOAD} *")
    # The only district and commune assigned are taken at once.
    assert Select(driver.find_element(By.ID, "loc-district")).first_selected_option.text == "Tây Sơn"
    commune = Select(driver.find_element(By.ID, "loc-commune"))
    assert [o.text for o in commune.options][1:] == [VILLAGE], [o.text for o in commune.options]
    assert commune.first_selected_option.text == VILLAGE
    driver.find_element(By.ID, "next").click()

    age = driver.find_element(By.ID, "q-age")
    assert age.find_element(By.CSS_SELECTOR, "label.q").text == f"Tuổi {PAYLOAD} *", age.text
    assert age.find_element(By.CSS_SELECTOR, ".hint").text == f"Gợi ý {PAYLOAD}", age.text
    yes = driver.find_element(By.ID, "q-visited_clinic-yes").find_element(By.XPATH, "..")
    assert yes.text == f"Có {PAYLOAD}", yes.text
    driver.find_element(By.ID, "in-age").send_keys("7")
    wait.until(lambda d: d.find_element(By.CSS_SELECTOR, "#q-age .error").text == f"Từ 18 {PAYLOAD}")
    driver.find_element(By.ID, "lang").click()
    wait.until(lambda d: d.find_element(By.CSS_SELECTOR, "#q-age label.q").text == f"Age {PAYLOAD} *")
    assert driver.find_element(By.CSS_SELECTOR, "#q-age .hint").text == f"Hint {PAYLOAD}"
    if os.environ.get("PAPI_SCREENSHOTS"):
        driver.find_element(By.ID, "q-age").location_once_scrolled_into_view
        driver.save_screenshot(os.path.join(os.environ["PAPI_SCREENSHOTS"], "form-markup-as-text.png"))
    # Nothing of it became an element, nothing ran.
    time.sleep(1)
    assert not driver.find_elements(By.CSS_SELECTOR, "#interview img"), "markup of the definition became an element"
    assert driver.execute_script("return typeof window.__pwned") == "undefined", "a definition's label ran script"
    no_violation(driver, "the enumerator's form")

    # Markup written into the page on purpose: the policy refuses its handler, and the console says so.
    driver.execute_script("document.body.insertAdjacentHTML('beforeend', '<img src=x onerror=\"window.__pwned=2\">')")
    time.sleep(1)
    assert driver.execute_script("return typeof window.__pwned") == "undefined", "the policy let an inline handler run"
    assert violations(driver), "the refused handler shows in the console"
    checked.append("the policy's own refusal")
finally:
    if driver:
        driver.quit()
    server.terminate()
    server.wait()

print("pages checked in Chromium under the Content-Security-Policy:", ", ".join(dict.fromkeys(checked)))
