"""What the browser tests share: a free port, the demo server, a headless Chromium, and the JSON API
with a token."""

import json
import os
import re
import socket
import subprocess
import tempfile
import time
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def api(base, method, path, token, body=None):
    req = urllib.request.Request(base + path, method=method, data=None if body is None else json.dumps(body).encode(),
                                 headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
    return json.load(urllib.request.urlopen(req))


def new_driver():
    """Debian's Chromium, headless, with a profile of its own and the console kept for the tests."""
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--user-data-dir=" + tempfile.mkdtemp(prefix="papi-chromium-")]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def start_demo(papi, database, port):
    """`papi serve --demo` on `port`, once it serves: the process, the demo users' passwords and the
    roles' bearer tokens, as it prints them."""
    server = subprocess.Popen([papi, "serve", "--demo", "--database", database, "--listen", f"127.0.0.1:{port}"],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    printed = ""
    passwords, tokens = {}, {}
    deadline = time.time() + 300
    while time.time() < deadline:
        line = server.stdout.readline()
        if not line:
            raise SystemExit("papi serve --demo stopped: " + printed)
        printed += line
        m = re.match(r"\s+(demo-\w+)\s+(\S+)$", line)
        if m:
            passwords[m.group(1)] = m.group(2)
        m = re.match(r"\s+(admin|supervisor|analyst|leader|enumerator)\s+(papi_\w+)$", line)
        if m:
            tokens[m.group(1)] = m.group(2)
        if "press ctrl-c" in line:
            break
    assert set(passwords) >= {"demo-admin", "demo-supervisor", "demo-analyst", "demo-leader", "demo-enumerator"}, printed
    return server, passwords, tokens


def form_with_token(driver, base, token, wait):
    """Opens the enumerator's form and enters an access token made by `papi token create` (the form's
    sign-in with a password is tested in form_screens.py)."""
    driver.get(base + "/form/")
    wait.until(lambda d: d.find_element(By.ID, "token-entry").is_displayed())
    driver.find_element(By.CSS_SELECTOR, "#token-entry summary").click()
    driver.find_element(By.ID, "token").send_keys(token)
    driver.find_element(By.ID, "save-token").click()
    wait.until(lambda d: d.find_element(By.ID, "interview").is_displayed())


def axe_source():
    """axe-core from the npm registry, into a directory of its own (nothing is vendored)."""
    where = tempfile.mkdtemp(prefix="papi-axe-")
    subprocess.run(["npm", "install", "--silent", "--no-audit", "--no-fund", "--prefix", where, "axe-core@4"],
                   check=True, stdout=subprocess.DEVNULL)
    with open(os.path.join(where, "node_modules", "axe-core", "axe.min.js"), encoding="utf-8") as f:
        return f.read()


AXE_RUN = """
const done = arguments[arguments.length - 1];
axe.run(document, { resultTypes: ["violations"] }).then(r => done(r.violations
  .filter(v => v.impact === "serious" || v.impact === "critical")
  .map(v => `${v.impact} ${v.id}: ${v.nodes.slice(0, 3).map(n => n.target.join(" ")).join(", ")}`)),
  e => done(["axe failed: " + e]));
"""


def axe_serious(driver, source):
    """The serious and critical violations axe-core (its `source`) finds on the page in the driver."""
    if not driver.execute_script("return !!window.axe"):
        driver.execute_script(source)
    return driver.execute_async_script(AXE_RUN)


class Problems(list):
    """Failed expectations, noted as a run goes on so that one run reports them all."""

    def expect(self, ok, what):
        if not ok:
            self.append(what)
        return ok
