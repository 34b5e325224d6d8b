"""The analysts' page in headless Chromium: for tests/browser.rs.

Starts `papi serve --demo` and, on a phone (390×844) and a desktop (1366×900), signs in as the demo
analyst, who lands on the analysis page of the demo survey; clicks "Recompute and publish" and waits
for the job to end (one more publication and two more score runs in the lists), then exports the
interviews (a CSV with a byte-order mark on the phone, Parquet in English on the desktop), follows the
progress to the download link, downloads the file and checks its first bytes. The page is checked for
horizontal overflow and by axe-core before and after. Leaders, supervisors and enumerators get the
403 page; an administrator has the page in the navigation. The console shows no violation of the
Content-Security-Policy.

Usage: python3 analysis.py PAPI_BINARY DATABASE_URL
With $PAPI_SCREENSHOTS naming a directory, screenshots of the page after both jobs go there.
"""
import os
import sys
import tempfile
import time

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from papi_browser import Problems, start_demo, free_port, new_driver, axe_source, axe_serious

papi, database = sys.argv[1:3]
shots = os.environ.get("PAPI_SCREENSHOTS")
PAGE = "/analysis/papi/2019.1"

AXE = axe_source()
port = free_port()
base = f"http://127.0.0.1:{port}"
server, passwords, _ = start_demo(papi, database, port)
problems = Problems()
expect = problems.expect
checked = []


def browser(width, height, downloads=None):
    driver = new_driver()
    driver.set_window_size(width, height)
    if downloads:
        driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": downloads})
    return driver


def sign_in(driver, user):
    driver.get(base + "/login")
    driver.find_element(By.ID, "username").send_keys(user)
    driver.find_element(By.ID, "password").send_keys(passwords[user])
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    WebDriverWait(driver, 30).until(lambda d: "/login" not in d.current_url)


def fits_and_passes_axe(driver, width, what):
    scroll = driver.execute_script("return document.documentElement.scrollWidth")
    expect(scroll <= width, f"{what} at {width}px: scrollWidth {scroll}")
    for v in axe_serious(driver, AXE):
        problems.append(f"{what} at {width}px: {v}")


def rows(driver, table):
    return len(driver.find_elements(By.CSS_SELECTOR, f"#history table.{table} tbody tr"))


def status_of(form):
    return form.find_element(By.CSS_SELECTOR, "[data-status]").text


def recompute(driver, width, lang):
    publications, runs = rows(driver, "publications"), rows(driver, "runs")
    form = driver.find_element(By.CSS_SELECTOR, "form[data-action=recompute]")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    WebDriverWait(driver, 120).until(lambda d: status_of(form).startswith(("✓", "✗")))
    said = status_of(form)
    done = "Published" if lang == "en" else "Đã công bố"
    expect(said.startswith("✓ " + done), f"recompute at {width}px says: {said}")
    # The lists are fetched again once the job has published.
    WebDriverWait(driver, 30).until(lambda d: rows(d, "publications") == publications + 1)
    expect(rows(driver, "runs") == min(runs + 2, 40), f"runs after a recompute: {runs} then {rows(driver, 'runs')}")


def export(driver, width, fmt, bom, downloads, lang):
    form = driver.find_element(By.CSS_SELECTOR, "form[data-action=export]")
    form.find_element(By.CSS_SELECTOR, f"input[name=format][value={fmt}]").click()
    if bom:
        form.find_element(By.CSS_SELECTOR, "input[name=bom]").click()
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    link = form.find_element(By.CSS_SELECTOR, "a.download")
    WebDriverWait(driver, 120).until(lambda d: link.is_displayed() or status_of(form).startswith("✗"))
    said = status_of(form)
    expect(said.startswith("✓ " + ("Done" if lang == "en" else "Xong")), f"export at {width}px says: {said}")
    link.click()
    deadline = time.time() + 60
    files = []
    while time.time() < deadline:
        files = [f for f in os.listdir(downloads) if not f.endswith(".crdownload")]
        if files:
            break
        time.sleep(0.2)
    if not expect(files, f"no file downloaded at {width}px"):
        return
    with open(os.path.join(downloads, files[0]), "rb") as f:
        head = f.read(8)
    wanted = {"csv": b"\xef\xbb\xbfid,", "parquet": b"PAR1"}[fmt]
    expect(head.startswith(wanted) and files[0].endswith("." + fmt), f"the downloaded {files[0]} starts with {head!r}")


def shoot(driver, name, width, height):
    if not shots:
        return
    os.makedirs(shots, exist_ok=True)
    full = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(width, min(max(height, full), 6000))
    time.sleep(0.3)
    driver.save_screenshot(os.path.join(shots, f"{name}-{width}.png"))
    driver.set_window_size(width, height)


try:
    for width, height, fmt, bom, lang in [(390, 844, "csv", True, "vi"), (1366, 900, "parquet", False, "en")]:
        downloads = tempfile.mkdtemp(prefix="papi-downloads-")
        d = browser(width, height, downloads)
        try:
            sign_in(d, "demo-analyst")
            expect(d.current_url == base + PAGE, f"the analyst lands on {d.current_url}")
            if lang == "en":
                d.get(base + PAGE + "?lang=en")
            heading = "Recompute and publish the scores" if lang == "en" else "Tính lại và công bố điểm"
            expect(heading in d.find_element(By.TAG_NAME, "main").text, f"the page at {width}px has no '{heading}'")
            expect(rows(d, "publications") >= 1 and rows(d, "runs") >= 2, "the demo's publication and runs are listed")
            fits_and_passes_axe(d, width, "analysis")
            recompute(d, width, lang)
            export(d, width, fmt, bom, downloads, lang)
            fits_and_passes_axe(d, width, "analysis after both jobs")
            # Every handler ran from the pages' script file, under the Content-Security-Policy.
            refused = [e["message"] for e in d.get_log("browser") if "Content Security Policy" in e["message"]]
            expect(not refused, f"Content-Security-Policy violations at {width}px: {refused}")
            shoot(d, "analysis-" + lang, width, height)
            checked.append(f"{width}px {lang}: recomputed, exported {fmt} and downloaded")
        finally:
            d.quit()

    # The roles that neither recompute nor export get the 403 page; an administrator has the page.
    d = browser(390, 844)
    try:
        for user in ["demo-leader", "demo-supervisor", "demo-enumerator"]:
            d.delete_all_cookies()
            sign_in(d, user)
            d.get(base + PAGE)
            text = d.find_element(By.TAG_NAME, "body").text
            expect("Không có quyền" in text and not d.find_elements(By.CSS_SELECTOR, "form[data-action]"),
                   f"{user} on the analysis page sees: {text[:200]}")
        d.delete_all_cookies()
        sign_in(d, "demo-admin")
        d.find_element(By.LINK_TEXT, "Phân tích").click()
        WebDriverWait(d, 30).until(lambda x: x.current_url.startswith(base + PAGE))
        expect(d.find_elements(By.CSS_SELECTOR, "form[data-action=recompute]") and
               d.find_elements(By.CSS_SELECTOR, "form[data-action=export]"), "the administrator's page has both forms")
        checked.append("403 for leader, supervisor and enumerator; the administrator's navigation")
    finally:
        d.quit()
finally:
    server.terminate()
    server.wait()

if problems:
    raise SystemExit("the analysis page:\n" + "\n".join(problems))
print("the analysis page checked in Chromium:", "; ".join(checked))
