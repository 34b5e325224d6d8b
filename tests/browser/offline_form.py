"""The enumerator's form in headless Chromium, offline: for tests/browser.rs.

Registers a sample of the survey (two districts, four communes) and assigns three of its communes to
the enumerator. An enumerator with no assignment is told so, in Vietnamese and English, and gets no
empty pickers. Then the assigned enumerator opens the form, goes offline (the server stops answering,
as when a village has no signal), fills in three interviews (one down a skip-logic branch), picking
each place from the cascading selects, on a 390×844 phone and a 1366×900 desktop; reloads the page
while offline, comes back online: exactly three interviews are stored, each at the place picked, and
they leave the device (counted as sent); the same three sent again, as by a device whose
acknowledgement was lost, store none twice. The three were also saved to a file on the device while
offline; a supervisor uploads it on the fieldwork page and nothing is stored twice.

Usage: python3 offline_form.py PAPI_BINARY DATABASE_URL SURVEY_TOML
Screenshots of the place pickers go to $PAPI_SCREENSHOTS when it names a directory.
"""
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from papi_browser import api, free_port, form_with_token, new_driver

papi, database, definition = sys.argv[1:4]


def token(role, name):
    out = subprocess.run([papi, "token", "create", "--role", role, "--name", name, "--database", database],
                         check=True, capture_output=True, text=True)
    return out.stdout.strip().splitlines()[-1]


port = free_port()
base = f"http://127.0.0.1:{port}"


def start_server():
    p = subprocess.Popen([papi, "serve", "--database", database, "--survey", definition, "--listen", f"127.0.0.1:{port}"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(200):
        try:
            urllib.request.urlopen(base + "/healthz", timeout=1)
            return p
        except Exception:
            time.sleep(0.1)
    raise SystemExit("the server did not start")


def stored(admin):
    return api(base, "GET", "/api/v1/interviews?survey=small&version=1&limit=1000", admin)["items"]


# The survey's sample: every commune of two districts. The enumerator works in three of the four.
FRAME = """
[frame]
id = "small-test"
province = "Bình Định"
levels = ["district", "commune"]
size_measure = "adults"
illustrative = true
source = "Made-up sizes for a test"

[design]
interviews = 5

[[design.stages]]
level = "district"
draw = 2
method = "pps"

[[design.stages]]
level = "commune"
draw = 2
method = "srs"

[[units]]
name = "Tây Sơn"
size = 90000
units = [{ name = "Bình Tường" }, { name = "Tây Giang" }]

[[units]]
name = "An Nhơn"
size = 120000
units = [{ name = "Nhơn Hưng" }, { name = "Nhơn Thành" }]
"""
ASSIGNED = [("Tây Sơn", "Bình Tường"), ("Tây Sơn", "Tây Giang"), ("An Nhơn", "Nhơn Hưng")]

enumerator = token("enumerator", "ĐTV Hoa")
unassigned = token("enumerator", "ĐTV Mai")
admin = token("admin", "browser-test-admin")
server = start_server()
api(base, "POST", "/api/v1/surveys/small/1/sample", admin, {"frame": FRAME, "seed": 2019})
api(base, "PUT", "/api/v1/surveys/small/1/assignments", admin, {"assignments": [
    {"place": f"Bình Định / {d} / {c}", "enumerator": "ĐTV Hoa"} for d, c in ASSIGNED]})
shots = os.environ.get("PAPI_SCREENSHOTS")

options = webdriver.ChromeOptions()
options.binary_location = "/usr/bin/chromium"
for flag in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--user-data-dir=" + tempfile.mkdtemp(prefix="papi-chromium-")]:
    options.add_argument(flag)
driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
wait = WebDriverWait(driver, 60)


def screen(width, height):
    driver.set_window_size(width, height)
    # The layout viewport itself, as a phone of that size has it (the window's frame is not counted).
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600})


def screenshot(name):
    if shots:
        driver.execute_script("document.getElementById('location').scrollIntoView()")
        driver.save_screenshot(os.path.join(shots, name))


def sign_in(bearer):
    form_with_token(driver, base, bearer, wait)


def options_of(col):
    return [o.get_attribute("value") for o in Select(driver.find_element(By.ID, "loc-" + col)).options]


try:
    screen(390, 844)
    # An enumerator with no village assigned is told so, and gets no empty pickers nor questions.
    sign_in(unassigned)
    notice = driver.find_element(By.ID, "no-places")
    assert "chưa được phân công" in notice.text, notice.text
    assert not driver.find_elements(By.CSS_SELECTOR, "#location select")
    assert not driver.find_element(By.ID, "finish").is_displayed()
    assert not driver.find_element(By.ID, "next").is_displayed()
    screenshot("form-no-places-390x844.png")
    driver.find_element(By.ID, "lang").click()
    assert "No village of this survey is assigned to you" in driver.find_element(By.ID, "no-places").text
    driver.find_element(By.ID, "lang").click()
    # The device changes hands: its stored token and lists go (from a page of the same origin that
    # holds no connection to them).
    driver.get(base + "/healthz")
    driver.execute_async_script("const done = arguments[0]; const r = indexedDB.deleteDatabase('papi'); r.onsuccess = r.onerror = r.onblocked = () => done();")

    sign_in(enumerator)
    # The province is shown, not picked; every picker has a visible label; only assigned places.
    assert driver.find_element(By.ID, "loc-province").text == "Bình Định"
    assert driver.find_element(By.ID, "loc-province").tag_name == "strong"
    for sel in driver.find_elements(By.CSS_SELECTOR, "#location select"):
        label = driver.find_element(By.CSS_SELECTOR, f"label[for='{sel.get_attribute('id')}']")
        assert label.is_displayed() and label.text, f"{sel.get_attribute('id')} has a visible label"
    assert options_of("district") == ["", "An Nhơn", "Tây Sơn"], options_of("district")
    assert not driver.find_element(By.ID, "loc-commune").is_enabled(), "no commune before a district"
    screenshot("form-places-390x844.png")
    # The service worker has cached the app and controls the page.
    wait.until(lambda d: d.execute_script("return navigator.serviceWorker && navigator.serviceWorker.controller !== null"))

    # No signal: the server stops answering.
    server.terminate()
    server.wait()

    def d_unsent():
        return driver.find_element(By.ID, "unsent").text

    def click(element_id):
        # Scrolled to the middle first, as a thumb would, clear of the back and next buttons.
        element = driver.find_element(By.ID, element_id)
        driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
        element.click()

    def pick(col, name):
        Select(driver.find_element(By.ID, "loc-" + col)).select_by_visible_text(name)

    def picked(col):
        return Select(driver.find_element(By.ID, "loc-" + col)).first_selected_option.text

    def fill(interview):
        if interview == 0:
            pick("district", "Tây Sơn")
            assert options_of("commune") == ["", "Bình Tường", "Tây Giang"], options_of("commune")
            pick("commune", "Bình Tường")
        elif interview == 1:
            # The place of the last interview is kept for the next.
            assert (picked("district"), picked("commune")) == ("Tây Sơn", "Bình Tường")
            pick("commune", "Tây Giang")
        else:
            # On a desktop. Nhơn Thành is in the sample but not this enumerator's: the only commune
            # left is taken at once.
            screen(1366, 900)
            pick("district", "An Nhơn")
            assert options_of("commune") == ["", "Nhơn Hưng"], options_of("commune")
            assert picked("commune") == "Nhơn Hưng"
            screenshot("form-places-1366x900.png")
        # The place is the first screen; the questions (one group: the fixture has none) the next.
        click("next")
        driver.find_element(By.ID, "in-age").send_keys(str(30 + interview))
        clinic = "yes" if interview == 1 else "no"
        click(f"q-visited_clinic-{clinic}")
        quality = driver.find_element(By.ID, "q-clinic_quality")
        if clinic == "yes":
            # The skip-logic branch opens: the clinic questions appear and one is required.
            wait.until(lambda d: quality.is_displayed())
            # "Finish" from the summary jumps back to the first question left unanswered, with its message.
            click("next")
            click("finish")
            wait.until(lambda d: quality.is_displayed())
            assert "*" in quality.text and quality.find_element(By.CLASS_NAME, "error").text, "a required question shown by skip logic"
            click("q-clinic_quality-good")
            driver.find_element(By.ID, "in-wait_minutes").send_keys("25")
        else:
            assert not quality.is_displayed(), "the clinic questions stay hidden"
        click("q-road_good-yes" if interview != 2 else "q-road_good-dk")
        click("q-channels-radio")
        before = int(driver.find_element(By.ID, "unsent").text)
        click("next")
        click("finish")
        wait.until(lambda d: int(d.find_element(By.ID, "unsent").text) == before + 1)

    for i in range(3):
        fill(i)
    assert driver.find_element(By.ID, "unsent").text == "3"

    # The three unsent interviews saved to a file on the device, as before clearing a phone's storage.
    downloads = tempfile.mkdtemp(prefix="papi-downloads-")
    driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": downloads})
    click("save-file")
    wait.until(lambda d: [f for f in os.listdir(downloads) if f.endswith(".json")])
    saved = os.path.join(downloads, next(f for f in os.listdir(downloads) if f.endswith(".json")))
    with open(saved, encoding="utf-8") as f:
        unsent_file = json.load(f)
    assert unsent_file["format"] == "papi-unsent-interviews" and unsent_file["enumerator"] == "ĐTV Hoa", unsent_file
    assert len(unsent_file["interviews"]) == 3

    # A fourth interview, half filled when the page is reloaded.
    click("next")
    driver.find_element(By.ID, "in-age").send_keys("77")
    click("q-visited_clinic-yes")
    wait.until(lambda d: d.find_element(By.ID, "q-clinic_quality").is_displayed())
    click("q-clinic_quality-poor")
    wait.until(lambda d: d.find_element(By.ID, "drafts").text == "1")

    # A reload while offline keeps everything: the app comes from the service worker's cache, the
    # finished interviews and the half-filled one from IndexedDB.
    driver.refresh()
    wait.until(lambda d: d.find_element(By.ID, "interview").is_displayed())
    wait.until(lambda d: d.find_element(By.ID, "unsent").text == "3")
    wait.until(lambda d: d.find_element(By.ID, "in-age").get_attribute("value") == "77")
    assert driver.find_element(By.ID, "q-clinic_quality-poor").is_selected(), "the draft's skip-logic answer is back"
    assert driver.find_element(By.ID, "drafts").text == "1"
    assert len(driver.find_elements(By.CSS_SELECTOR, "#outbox-rows tr[data-status=queued]")) == 3

    # What the device queued, kept to replay it below as a device that never heard the answer would.
    queued = driver.execute_async_script("""const done = arguments[0];
      indexedDB.open('papi').onsuccess = (e) => { const r = e.target.result.transaction('interviews').objectStore('interviews').getAll();
        r.onsuccess = () => done(r.result.filter((x) => x.status === 'queued')); };""")
    assert len(queued) == 3, queued

    # Signal again: the queue empties by itself (and "send now" does not wait for the backoff), in
    # one batch; acknowledged interviews leave the device and are counted as sent.
    server = start_server()
    click("send-now")
    wait.until(lambda d: d.find_element(By.ID, "unsent").text == "0")
    wait.until(lambda d: d.find_element(By.ID, "sent").text == "3")
    assert not driver.find_elements(By.CSS_SELECTOR, "#outbox-rows tr[data-status=queued]")
    assert not driver.find_elements(By.CSS_SELECTOR, "#outbox-rows tr[data-status=sent]"), "sent interviews left the device"
    assert len(driver.find_elements(By.CSS_SELECTOR, "#outbox-rows tr[data-status=draft]")) == 1
    items = stored(admin)
    assert len(items) == 3, f"{len(items)} interviews stored (the half-filled one stays on the device)"
    places = sorted((x["location"]["province"], x["location"]["district"], x["location"]["commune"]) for x in items)
    assert places == sorted(("Bình Định", d, c) for d, c in ASSIGNED), places
    assert sum(1 for x in items if "clinic_quality" in x["answers"]) == 1, "one went down the skip-logic branch"
    assert all(x["enumerator"] == "ĐTV Hoa" for x in items)

    # The same three sent again, as by a device whose acknowledgement was lost: acknowledged, none
    # stored twice.
    driver.execute_async_script("""const [items, done] = arguments;
      indexedDB.open('papi').onsuccess = (e) => { const tx = e.target.result.transaction('interviews', 'readwrite');
        for (const x of items) tx.objectStore('interviews').put(x); tx.oncomplete = () => done(); };""", queued)
    click("send-now")
    wait.until(lambda d: d.find_element(By.ID, "sent").text == "6")
    assert d_unsent() == "0"
    assert len(stored(admin)) == 3

    # A supervisor uploads the phone's file on the fieldwork page: every interview in it was sent
    # already, so all three are acknowledged and none is stored twice.
    supervisor = new_driver()
    try:
        subprocess.run([papi, "user", "add", "--username", "gs-lan", "--role", "supervisor", "--database", database],
                       check=True, capture_output=True, env={**os.environ, "PAPI_PASSWORD": "một mật khẩu đủ dài"})
        supervisor.get(base + "/login")
        supervisor.find_element(By.ID, "username").send_keys("gs-lan")
        supervisor.find_element(By.ID, "password").send_keys("một mật khẩu đủ dài")
        supervisor.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        WebDriverWait(supervisor, 30).until(lambda d: "/login" not in d.current_url)
        supervisor.get(base + "/fieldwork/small/1")
        supervisor.find_element(By.ID, "device-file-input").send_keys(saved)
        supervisor.find_element(By.CSS_SELECTOR, "#device-file button[type=submit]").click()
        WebDriverWait(supervisor, 30).until(lambda d: d.find_element(By.ID, "device-file-status").text)
        said = supervisor.find_element(By.ID, "device-file-status").text
        assert said.startswith("✓ ĐTV Hoa: 0 phiếu mới, 3 đã nhận từ trước, 0 bị từ chối"), said
    finally:
        supervisor.quit()
    assert len(stored(admin)) == 3

    # The English switch keeps what was being typed.
    age = driver.find_element(By.ID, "in-age")
    age.clear()
    age.send_keys("45")
    if not driver.find_element(By.ID, "q-visited_clinic-yes").is_selected():
        click("q-visited_clinic-yes")
    click("lang")
    assert driver.find_element(By.ID, "next").text == "Review"
    assert driver.find_element(By.ID, "finish").get_attribute("textContent") == "Finish interview"
    assert driver.find_element(By.ID, "in-age").get_attribute("value") == "45"
    assert driver.find_element(By.ID, "q-visited_clinic-yes").is_selected()
    assert driver.find_element(By.ID, "q-clinic_quality").is_displayed()
    click("back")
    assert driver.find_element(By.CSS_SELECTOR, "label[for='loc-district']").text == "District"
    assert picked("district") == "An Nhơn" and picked("commune") == "Nhơn Hưng", "the place picked stays"
    screen(390, 844)
    screenshot("form-places-en-390x844.png")
    print("browser: no-assignment notice shown; places picked from cascading selects at 390x844 and 1366x900; "
          "3 interviews filled offline, reloaded offline, sent once online in a batch and gone from the device; "
          "a replay and the phone's file uploaded by a supervisor stored none twice")
finally:
    driver.quit()
    server.terminate()
