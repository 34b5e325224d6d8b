"""The leadership dashboard and the fieldwork pages in headless Chromium: for tests/browser.rs.

Starts `papi serve --demo` (a simulated Bình Định survey, reviewed in part and published), then signs
in through the sign-in page as each role:
- a leader sees every dashboard page in Vietnamese with the eight dimension names and the charts
  drawn, the English switch, the printable view, the plan's tasks; no console errors; never a
  respondent's answers nor a suppressed district's values; the fieldwork pages are refused;
- a supervisor sees the fieldwork page and records a review through its form;
- an enumerator is refused the dashboard.

Usage: python3 dashboard.py PAPI_BINARY DATABASE_URL
"""
import re
import subprocess
import sys
import time
import urllib.request

# While a page reloads, Chromium may report a node it has just dropped either as stale or, for a text
# read, as a plain WebDriverException ("does not belong to the document"): waits retry on both.
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from papi_browser import start_demo, api, free_port, new_driver

papi, database = sys.argv[1:3]

DIMENSIONS_VI = [
    "Tham gia của người dân ở cấp cơ sở",
    "Công khai, minh bạch trong việc ra quyết định ở địa phương",
    "Trách nhiệm giải trình với người dân",
    "Kiểm soát tham nhũng trong khu vực công",
    "Thủ tục hành chính công",
    "Cung ứng dịch vụ công",
    "Quản trị môi trường",
    "Quản trị điện tử",
]


port = free_port()
base = f"http://127.0.0.1:{port}"
server, passwords, tokens = start_demo(papi, database, port)


def sign_in(driver, user, path):
    driver.get(base + path)
    # Not signed in: the page sends us to sign in, and back afterwards.
    WebDriverWait(driver, 30).until(lambda d: "/login" in d.current_url)
    driver.find_element(By.ID, "username").send_keys(user)
    driver.find_element(By.ID, "password").send_keys(passwords[user])
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    WebDriverWait(driver, 30).until(lambda d: "/login" not in d.current_url)


def no_console_errors(driver, where):
    errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    assert not errors, f"console errors on {where}: {errors}"


def charts_drawn(driver, where):
    images = driver.find_elements(By.CSS_SELECTOR, ".chart img")
    assert images, f"no chart on {where}"
    WebDriverWait(driver, 30).until(lambda d: all(d.execute_script(
        "return arguments[0].complete && arguments[0].naturalWidth > 0", img) for img in images))
    return len(images)


# Demo districts have 64 respondents (the first one 66, with the demo's two problem interviews):
# above 65 every other district is suppressed.
api(base, "PUT", "/api/v1/surveys/papi/2019.1/settings", tokens["admin"], {"dashboard_min_respondents": 65})
suppressed = [g for g in api(base, "GET", "/api/v1/dashboard/papi/2019.1", tokens["leader"])["strata"]["groups"] if g["suppressed"]]
assert 0 < len(suppressed) < 11, suppressed
ids = [i["id"] for i in api(base, "GET", "/api/v1/interviews?survey=papi&version=2019.1&limit=200", tokens["admin"])["items"]]

checked = []
leader = new_driver()
try:
    sign_in(leader, "demo-leader", "/dashboard")
    WebDriverWait(leader, 30).until(lambda d: "/dashboard/papi/2019.1" in d.current_url)
    body = leader.find_element(By.TAG_NAME, "body").text
    for name in DIMENSIONS_VI:
        assert name in body, f"{name} missing from the dashboard"
    assert "41,04" in body and "Mốc" in body, "the 2018 baseline, written as Vietnamese writes numbers"
    assert charts_drawn(leader, "the dashboard") == 3
    html = leader.page_source
    assert not any(i in html for i in ids), "a leader's page names an interview"
    # The suppressed districts show no value: their rows hold only dashes.
    rows = leader.find_elements(By.CSS_SELECTOR, "tr.suppressed")
    assert len(rows) == len(suppressed)
    for row in rows:
        cells = [c.text for c in row.find_elements(By.TAG_NAME, "td")]
        assert all(c == "—" for c in cells[2:]), cells
        assert cells[1].startswith("<"), cells
    no_console_errors(leader, "the dashboard")
    checked.append("dashboard")

    leader.find_element(By.LINK_TEXT, DIMENSIONS_VI[4]).click()
    WebDriverWait(leader, 30).until(lambda d: "/dimensions/admin_procedures" in d.current_url)
    text = leader.find_element(By.TAG_NAME, "body").text
    assert "Nhiệm vụ của Kế hoạch cho lĩnh vực này" in text and "Đơn vị chủ trì" in text
    assert len(leader.find_elements(By.CSS_SELECTOR, "tr[data-task]")) == 5
    assert not leader.find_elements(By.CSS_SELECTOR, "form.noprint select"), "a leader cannot edit tasks"
    charts_drawn(leader, "a dimension page")
    no_console_errors(leader, "a dimension page")
    checked.append("dimension")

    leader.get(base + "/dashboard/papi/2019.1?lang=en")
    text = leader.find_element(By.TAG_NAME, "body").text
    assert "Participation at local levels" in text and "E-governance" in text
    assert leader.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en"
    charts_drawn(leader, "the English dashboard")
    checked.append("english")

    leader.get(base + "/dashboard/papi/2019.1/print")
    assert len(leader.find_elements(By.CSS_SELECTOR, "section.page")) == 10
    text = leader.find_element(By.TAG_NAME, "body").text
    for name in DIMENSIONS_VI:
        assert name in text
    charts_drawn(leader, "the printable view")
    no_console_errors(leader, "the printable view")
    checked.append("print")

    # Charts download as PNG.
    png = leader.execute_script("""
        return fetch('/dashboard/papi/2019.1/charts/dimensions.png').then(r => r.arrayBuffer())
          .then(b => Array.from(new Uint8Array(b).slice(0, 8)));""")
    assert png == [137, 80, 78, 71, 13, 10, 26, 10], png

    leader.get(base + "/fieldwork/papi/2019.1")
    assert "Không có quyền xem trang này" in leader.find_element(By.TAG_NAME, "body").text
    checked.append("leader refused fieldwork")
finally:
    leader.quit()

supervisor = new_driver()
try:
    sign_in(supervisor, "demo-supervisor", "/fieldwork")
    WebDriverWait(supervisor, 30).until(lambda d: "/fieldwork/papi/2019.1" in d.current_url)
    text = supervisor.find_element(By.TAG_NAME, "body").text
    assert "Tiến độ so với chỉ tiêu" in text and "Số phiếu theo điều tra viên và ngày" in text
    assert "Cảnh báo chất lượng" in text
    no_console_errors(supervisor, "the fieldwork page")
    flagged = supervisor.find_elements(By.CSS_SELECTOR, "td.flag")
    # The demo's seeded problems, in words: a duplicate, a short interview and a straight-liner.
    words = [f.text for f in flagged]
    assert any("Trùng câu trả lời với" in w for w in words) and any("Quá ngắn" in w for w in words), words
    assert any("Trả lời một kiểu" in w for w in words), words
    # Review one interview through its form: the decision and its comment show in its history.
    supervisor.find_elements(By.CSS_SELECTOR, "table a[href*='/interviews/']")[0].click()
    WebDriverWait(supervisor, 30).until(lambda d: d.find_elements(By.ID, "review"))
    Select(supervisor.find_element(By.NAME, "state")).select_by_value("has_issues")
    supervisor.find_element(By.NAME, "comment").send_keys("Phỏng vấn quá nhanh, cần kiểm tra lại.")
    supervisor.find_element(By.CSS_SELECTOR, "#review button").click()
    # The page reloads once the decision is stored: wait for the new page's history row.
    WebDriverWait(supervisor, 30, ignored_exceptions=(StaleElementReferenceException, WebDriverException)).until(
        lambda d: "Phỏng vấn quá nhanh" in d.find_element(By.TAG_NAME, "table").text)
    assert supervisor.find_element(By.ID, "state").text == "Có vấn đề"
    no_console_errors(supervisor, "an interview's page")
    checked.append("supervisor")
finally:
    supervisor.quit()

enumerator = new_driver()
try:
    sign_in(enumerator, "demo-enumerator", "/dashboard")
    assert "Không có quyền xem trang này" in enumerator.find_element(By.TAG_NAME, "body").text
    checked.append("enumerator refused")
finally:
    enumerator.quit()
    server.terminate()
    server.wait()

print("dashboard pages checked in Chromium:", ", ".join(checked))
