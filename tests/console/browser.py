#!/usr/bin/env python3
"""The console in a real browser: headless Chromium (Debian's chromium + chromium-driver)
driven by Selenium. Run by tests/console/browser.rs, which starts Dovecot and Moat and
fills the quarantine; this script prints `BROWSER OK` when every step held.

Usage: browser.py BASE_URL ADMIN ADMIN_PASSWORD RECIPIENT PASSWORD SUBJECT OTHER_SUBJECT
                  HOSTILE_ID SCREENSHOT_DIR
"""
import json
import sys

from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

(base, admin, admin_pw, rcpt, rcpt_pw, subject, other_subject, hostile_id, shots) = sys.argv[1:10]


def browser():
    o = webdriver.ChromeOptions()
    o.binary_location = "/usr/bin/chromium"
    for a in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
              "--window-size=1200,900", "--no-first-run", "--disable-background-networking",
              "--disable-component-update", "--disable-default-apps", "--disable-sync"]:
        o.add_argument(a)
    # The performance log holds every network request the page makes.
    o.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=o)


def requests(d):
    """URLs the browser requested since the last call."""
    urls = []
    for entry in d.get_log("performance"):
        m = json.loads(entry["message"])["message"]
        if m.get("method") == "Network.requestWillBeSent":
            urls.append(m["params"]["request"]["url"])
    return urls


def login(d, name, password):
    d.get(base + "/login")
    d.find_element(By.ID, "name").send_keys(name)
    d.find_element(By.ID, "password").send_keys(password)
    d.find_element(By.CSS_SELECTOR, "button[type=submit]").click()


def arrived(d, title):
    """Waits for the page a click led to (a click returns before the navigation ends)."""
    try:
        WebDriverWait(d, 20).until(EC.title_contains(title))
    except Exception:
        raise SystemExit("FAILED: no page titled %r: %s %s" % (title, d.current_url, d.page_source[:1500]))


def check(cond, what):
    if not cond:
        raise SystemExit("FAILED: " + what)


d = browser()
try:
    # The admin: dashboard, search by subject, open, findings, release.
    login(d, admin, admin_pw)
    arrived(d, "Dashboard")
    d.save_screenshot(shots + "/dashboard.png")
    d.get(base + "/quarantine")
    d.find_element(By.ID, "q").send_keys(subject)
    d.find_element(By.CSS_SELECTOR, "form[role=search] button").click()
    WebDriverWait(d, 20).until(EC.url_contains("q="))
    arrived(d, "Quarantine")
    check(subject in d.page_source and other_subject not in d.page_source, "search finds the message by subject")
    d.save_screenshot(shots + "/quarantine.png")
    d.find_element(By.LINK_TEXT, subject).click()
    arrived(d, "Message")
    findings = d.find_element(By.ID, "findings")
    check("TEST_HOLD" in d.find_element(By.ID, "held-tests").text, "the findings are shown")
    check(findings.is_displayed(), "the findings table is shown")
    d.save_screenshot(shots + "/message.png")
    d.find_element(By.ID, "release").click()
    arrived(d, "Done")
    check("release: 1 of 1" in d.page_source, "released: " + d.page_source[:2000])

    # A hostile message renders inert: no script ran, nothing left the console.
    requests(d)
    d.get(base + "/message/" + hostile_id)
    arrived(d, "Message")
    try:
        d.switch_to.alert
        raise SystemExit("FAILED: a script in the message ran (alert)")
    except NoAlertPresentException:
        pass
    urls = requests(d)
    check(urls, "the performance log records the page's requests")
    outside = [u for u in urls if not u.startswith(base + "/")]
    check(not outside, "requests left the console: %s" % outside)
    check(d.execute_script("return document.images.length") == 0, "no image on the page")
    d.save_screenshot(shots + "/hostile.png")
    d.find_element(By.CSS_SELECTOR, "form.logout button").click()
    arrived(d, "Log in")

    # A recipient, through the backend's IMAP: only their own mail.
    login(d, rcpt, rcpt_pw)
    arrived(d, "Quarantine")
    check(other_subject in d.page_source, "the recipient's own message is listed")
    check(subject not in d.page_source, "another recipient's message is not listed")
    d.set_window_size(390, 844)
    d.save_screenshot(shots + "/recipient-phone.png")
    print("BROWSER OK")
finally:
    d.quit()
