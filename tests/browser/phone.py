"""The server-rendered pages on a phone, in headless Chromium: for tests/browser.rs.

Starts `papi serve --demo` and, at 390×844 (a phone) and 360 px wide, signs in through the sign-in page
as each role and opens every page that role has: the sign-in page (with a wrong password: the message
shows in the page, in its language), where each role lands after signing in, the front page, the
dashboard in Vietnamese and English, the analysts' page in both, a dimension page (an administrator's, with the plan's task
forms), the printable view, the fieldwork page, an interview's page and the 403 page. On each:
- nothing is wider than the screen: `document.documentElement.scrollWidth` is at most its width;
- axe-core (installed from npm into a temporary directory) finds no serious or critical violation;
- no text is drawn smaller than 12 px, charts included (an SVG chart's text as it is displayed).

Usage: python3 phone.py PAPI_BINARY DATABASE_URL
Every page's measurements are printed; with $PAPI_SCREENSHOTS naming a directory, a screenshot of
each page at 390×844 and 1366×900 goes there.
"""
import os
import re
import sys
import time

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from papi_browser import Problems, start_demo, free_port, new_driver, axe_source, axe_serious

papi, database = sys.argv[1:3]
shots = os.environ.get("PAPI_SCREENSHOTS")


AXE = axe_source()

port = free_port()
base = f"http://127.0.0.1:{port}"
server, passwords, _ = start_demo(papi, database, port)

problems = Problems()
measured = []
expect = problems.expect

# The smallest font size of any text the page shows, as displayed: an SVG chart drawn into an <img> is
# fetched and its text sizes scaled by the image's displayed width over its own.
SMALLEST_TEXT = """
const done = arguments[arguments.length - 1];
let smallest = Infinity, where = "";
const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
for (let n = walker.nextNode(); n; n = walker.nextNode()) {
  const el = n.parentElement;
  if (!n.textContent.trim() || !el || !el.getClientRects().length) continue;
  const size = parseFloat(getComputedStyle(el).fontSize);
  if (size < smallest) { smallest = size; where = n.textContent.trim().slice(0, 40); }
}
const charts = [...document.querySelectorAll("img")].filter(i => /\\.svg/.test(i.currentSrc) && i.getClientRects().length);
Promise.all(charts.map(async img => {
  const svg = new DOMParser().parseFromString(await (await fetch(img.currentSrc)).text(), "image/svg+xml");
  const own = parseFloat(svg.documentElement.getAttribute("width"));
  const scale = img.getBoundingClientRect().width / own;
  for (const t of svg.querySelectorAll("text")) {
    const size = parseFloat(t.getAttribute("font-size") || "0") * scale;
    if (t.textContent.trim() && size && size < smallest) { smallest = size; where = "chart: " + t.textContent.trim().slice(0, 40); }
  }
})).then(() => done([smallest, where]), e => done([0, String(e)]));
"""

def check(driver, name, width):
    """Measures the page in the driver at `width` px: overflow, axe-core, the smallest text."""
    WebDriverWait(driver, 30).until(lambda d: d.execute_script("return document.readyState") == "complete")
    # Pictures pick their source for the width: wait until every image has loaded.
    WebDriverWait(driver, 30).until(lambda d: d.execute_script(
        "return [...document.images].every(i => i.complete)"))
    scroll = driver.execute_script("return document.documentElement.scrollWidth")
    driver.set_script_timeout(60)
    smallest, where = driver.execute_async_script(SMALLEST_TEXT)
    serious = axe_serious(driver, AXE)
    measured.append(f"{width}px {name}: scrollWidth {scroll}, smallest text {smallest:.1f}px ({where}), "
                    f"axe serious/critical {len(serious)}")
    if scroll > width:
        problems.append(f"{name} at {width}px: scrollWidth {scroll}")
    if smallest < 12:
        problems.append(f"{name} at {width}px: text of {smallest:.1f}px ({where})")
    for v in serious:
        problems.append(f"{name} at {width}px: {v}")


def shoot(driver, name):
    if not shots:
        return
    os.makedirs(shots, exist_ok=True)
    file = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    for w, h in [(390, 844), (1366, 900)]:
        driver.set_window_size(w, h)
        time.sleep(0.3)
        height = driver.execute_script("return document.documentElement.scrollHeight")
        driver.set_window_size(w, min(max(h, height), 6000))
        time.sleep(0.3)
        driver.save_screenshot(os.path.join(shots, f"{file}-{w}.png"))
    driver.set_window_size(390, 844)


def page(driver, name, path):
    """Opens `path` and checks it at 390 and 360 px."""
    for width in (390, 360):
        driver.set_window_size(width, 844)
        driver.get(base + path)
        check(driver, name, width)
    shoot(driver, name)


def phone():
    driver = new_driver()
    # The window's size is the viewport's in headless Chromium's new mode; check it rather than trust it.
    driver.set_window_size(390, 844)
    inner = driver.execute_script("return window.innerWidth")
    assert inner == 390, f"the viewport is {inner} px wide, not 390"
    return driver


def sign_in(driver, user, password=None):
    driver.get(base + "/login")
    driver.find_element(By.ID, "username").send_keys(user)
    driver.find_element(By.ID, "password").send_keys(password or passwords[user])
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()


# Where each role lands after signing in.
HOMES = {
    "demo-leader": "/dashboard/papi/2019.1",
    "demo-supervisor": "/fieldwork/papi/2019.1",
    "demo-analyst": "/analysis/papi/2019.1",
    "demo-admin": "/fieldwork/papi/2019.1",
    "demo-enumerator": "/form/",
}

checked = []
try:
    d = phone()
    try:
        page(d, "sign-in", "/login")
        # A wrong password: the message is on the sign-in page, in its language, not raw JSON.
        for lang, said in [("", "Tên đăng nhập hoặc mật khẩu không đúng"), ("?lang=en", "Wrong username or password")]:
            d.get(base + "/login" + lang)
            d.find_element(By.ID, "username").send_keys("demo-leader")
            d.find_element(By.ID, "password").send_keys("not the password")
            d.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
            time.sleep(1)
            text = d.find_element(By.TAG_NAME, "body").text
            expect(said in text and "{" not in text and d.find_elements(By.CSS_SELECTOR, "[role=alert]"),
                   f"a wrong password{lang} shows: {text[:200]}")
            expect(d.find_elements(By.ID, "username")
                   and d.find_element(By.ID, "username").get_attribute("value") == "demo-leader",
                   "the sign-in page keeps the username after an error")
        check(d, "sign-in with an error", 390)
        shoot(d, "sign-in with an error")
        checked.append("sign-in errors")
    finally:
        d.quit()

    for user, home in HOMES.items():
        d = phone()
        try:
            sign_in(d, user)
            WebDriverWait(d, 30).until(lambda x: "/login" not in x.current_url)
            time.sleep(0.5)
            expect(d.current_url.startswith(base + home), f"{user} lands on {d.current_url}, not {home}")
            checked.append(f"{user.removeprefix('demo-')} lands on {home}")
            if user == "demo-leader":
                page(d, "front page (leader)", "/")
                page(d, "dashboard", "/dashboard/papi/2019.1")
                head = " ".join(h.find_element(By.XPATH, "..").text for h in d.find_elements(By.CSS_SELECTOR, ".headline"))
                expect("ý nghĩa thống kê" in head and "2018" in head and "95%" in head, f"the headline: {head}")
                page(d, "dashboard (en)", "/dashboard/papi/2019.1?lang=en")
                head = " ".join(h.find_element(By.XPATH, "..").text for h in d.find_elements(By.CSS_SELECTOR, ".headline"))
                expect("statistically" in head and "2018" in head and "95%" in head, f"the English headline: {head}")
                page(d, "dimension", "/dashboard/papi/2019.1/dimensions/admin_procedures")
                page(d, "print view", "/dashboard/papi/2019.1/print")
                page(d, "403 (leader on fieldwork)", "/fieldwork/papi/2019.1")
                expect(d.find_elements(By.CSS_SELECTOR, "meta[name=viewport]"), "the 403 page has a viewport")
                home_links = d.find_elements(By.LINK_TEXT, "Về trang của tôi")
                expect(home_links and home_links[0].get_attribute("href").endswith("/dashboard"), "the 403 page links a leader home")
            elif user == "demo-supervisor":
                page(d, "fieldwork", "/fieldwork/papi/2019.1")
                # The demo seeds one straight-lined interview, one short and one sent twice: the page
                # flags those, in words, and nothing else as straight-lined.
                body = d.find_element(By.TAG_NAME, "body").text
                expect("Trả lời một kiểu (straight-lining): 1 ·" in body, "one straight-lined interview, the seeded one")
                expect("Quá ngắn: 1 ·" in body, "one short interview, the seeded one")
                cells = [c.text for c in d.find_elements(By.CSS_SELECTOR, "td.flag")]
                straight = [c for c in cells if "Trả lời một kiểu" in c]
                expect(len(straight) == 1 and "phương án thứ 1" in straight[0] and "«" in straight[0], f"the straight-lining flag in words: {straight}")
                expect(not any("×" in c or "_" in c for c in cells), f"no raw codes among the flags: {cells}")
                row = d.find_element(By.XPATH, "//td[contains(@class, 'flag')][contains(., 'Trả lời một kiểu')]/..")
                link = row.find_element(By.CSS_SELECTOR, "a[href*='/interviews/']").get_attribute("href")
                page(d, "interview", link.removeprefix(base))
                flags = [li.text for li in d.find_elements(By.CSS_SELECTOR, "li.flag")]
                expect(any("Trả lời một kiểu" in f for f in flags), f"the interview's own page shows its flag: {flags}")
                page(d, "fieldwork (en)", "/fieldwork/papi/2019.1?lang=en")
                cells = [c.text for c in d.find_elements(By.CSS_SELECTOR, "td.flag")]
                expect(any("Straight-lined" in c and "rating-scale" in c for c in cells), f"the English flag: {cells}")
                short = d.find_element(By.XPATH, "//td[contains(@class, 'flag')][contains(., 'Too short')]/..")
                page(d, "interview (short)", short.find_element(By.CSS_SELECTOR, "a[href*='/interviews/']").get_attribute("href").removeprefix(base))
                flags = [li.text for li in d.find_elements(By.CSS_SELECTOR, "li.flag")]
                expect(any("Too short" in f for f in flags) and any("same answers" in f for f in flags), f"every flag of the short one on its page: {flags}")
            elif user == "demo-admin":
                page(d, "dimension (admin)", "/dashboard/papi/2019.1/dimensions/admin_procedures")
                page(d, "fieldwork (admin)", "/fieldwork/papi/2019.1")
            elif user == "demo-analyst":
                page(d, "analysis", "/analysis/papi/2019.1")
                page(d, "analysis (en)", "/analysis/papi/2019.1?lang=en")
                page(d, "dashboard (analyst)", "/dashboard/papi/2019.1")
            elif user == "demo-enumerator":
                page(d, "403 (enumerator on the dashboard)", "/dashboard/papi/2019.1")
                home_links = d.find_elements(By.LINK_TEXT, "Về trang của tôi")
                expect(home_links and home_links[0].get_attribute("href").endswith("/form/"), "the 403 page links an enumerator home")
        finally:
            d.quit()
finally:
    server.terminate()
    server.wait()

print("\n".join(measured))
if problems:
    raise SystemExit("pages that do not fit a phone:\n" + "\n".join(problems))
print("pages checked on a phone in Chromium:", ", ".join(checked))
