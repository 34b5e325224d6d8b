"""The enumerator's form in headless Chromium, offline: for tests/browser.rs.

Opens the form, goes offline (the server stops answering, as when a village has no signal), fills
in three interviews (one down a skip-logic branch), reloads the page while offline, comes back online:
exactly three interviews are stored; a forced resend of everything stores none twice.

Usage: python3 offline_form.py PAPI_BINARY DATABASE_URL SURVEY_TOML
"""
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

papi, database, definition = sys.argv[1:4]


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


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
    req = urllib.request.Request(base + "/api/v1/interviews?survey=small&version=1&limit=1000",
                                 headers={"Authorization": "Bearer " + admin})
    return json.load(urllib.request.urlopen(req))["items"]


enumerator = token("enumerator", "ĐTV Hoa")
admin = token("admin", "browser-test-admin")
server = start_server()

options = webdriver.ChromeOptions()
options.binary_location = "/usr/bin/chromium"
for flag in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--user-data-dir=" + tempfile.mkdtemp(prefix="papi-chromium-")]:
    options.add_argument(flag)
driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
wait = WebDriverWait(driver, 60)
try:
    driver.get(base + "/form/")
    wait.until(lambda d: d.find_element(By.ID, "token").is_displayed())
    driver.find_element(By.ID, "token").send_keys(enumerator)
    driver.find_element(By.ID, "save-token").click()
    wait.until(lambda d: d.find_element(By.ID, "interview").is_displayed())
    # The service worker has cached the app and controls the page.
    wait.until(lambda d: d.execute_script("return navigator.serviceWorker && navigator.serviceWorker.controller !== null"))

    # No signal: the server stops answering.
    server.terminate()
    server.wait()

    def click(element_id):
        driver.find_element(By.ID, element_id).click()

    def fill(interview):
        for col, value in [("province", "Bình Định"), ("district", "Tây Sơn"), ("commune", "Bình Tường")]:
            field = driver.find_element(By.ID, "loc-" + col)
            field.clear()
            field.send_keys(value)
        driver.find_element(By.ID, "in-age").send_keys(str(30 + interview))
        clinic = "yes" if interview == 1 else "no"
        click(f"q-visited_clinic-{clinic}")
        quality = driver.find_element(By.ID, "q-clinic_quality")
        if clinic == "yes":
            # The skip-logic branch opens: the clinic questions appear and one is required.
            wait.until(lambda d: quality.is_displayed())
            click("finish")
            assert "*" in quality.text and quality.find_element(By.CLASS_NAME, "error").text, "a required question shown by skip logic"
            click("q-clinic_quality-good")
            driver.find_element(By.ID, "in-wait_minutes").send_keys("25")
        else:
            assert not quality.is_displayed(), "the clinic questions stay hidden"
        click("q-road_good-yes" if interview != 2 else "q-road_good-dk")
        click("q-channels-radio")
        before = int(driver.find_element(By.ID, "unsent").text)
        click("finish")
        wait.until(lambda d: int(d.find_element(By.ID, "unsent").text) == before + 1)

    for i in range(3):
        fill(i)
    assert driver.find_element(By.ID, "unsent").text == "3"

    # A fourth interview, half filled when the page is reloaded.
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

    # Signal again: the queue empties by itself (and "send now" does not wait for the backoff).
    server = start_server()
    click("send-now")
    wait.until(lambda d: d.find_element(By.ID, "unsent").text == "0")
    items = stored(admin)
    assert len(items) == 3, f"{len(items)} interviews stored (the half-filled one stays on the device)"
    assert sum(1 for x in items if "clinic_quality" in x["answers"]) == 1, "one went down the skip-logic branch"
    assert all(x["enumerator"] == "ĐTV Hoa" for x in items)

    # A forced resend of everything: acknowledged, none stored twice.
    click("resend-all")
    wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#outbox-rows tr[data-status=sent]")) == 3)
    assert len(stored(admin)) == 3

    # The English switch keeps what was being typed.
    age = driver.find_element(By.ID, "in-age")
    age.clear()
    age.send_keys("45")
    if not driver.find_element(By.ID, "q-visited_clinic-yes").is_selected():
        click("q-visited_clinic-yes")
    click("lang")
    assert driver.find_element(By.ID, "finish").text == "Finish interview"
    assert driver.find_element(By.ID, "in-age").get_attribute("value") == "45"
    assert driver.find_element(By.ID, "q-visited_clinic-yes").is_selected()
    assert driver.find_element(By.ID, "q-clinic_quality").is_displayed()
    print("browser: 3 interviews filled offline, reloaded offline, sent once online; forced resend stored none twice")
finally:
    driver.quit()
    server.terminate()
