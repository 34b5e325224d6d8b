"""What the browser tests share: a free port, the demo server, a headless Chromium, and the JSON API
with a token."""

import json
import re
import socket
import subprocess
import tempfile
import time
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service


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
