"""Take the README's screenshots from a running demo: python3 scripts/screenshots.py URL PASSWORD.

Uses Debian's Chromium through Playwright (no browser download).
"""

import shutil
import sys

from playwright.sync_api import sync_playwright

url, password = sys.argv[1].rstrip("/"), sys.argv[2]
out = sys.argv[3] if len(sys.argv) > 3 else "docs/img"
chromium = shutil.which("chromium") or "/usr/bin/chromium"
with sync_playwright() as p:
    browser = p.chromium.launch(
        executable_path=chromium,
        args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    )
    for name, width, height in [("headcount", 1280, 900), ("headcount-phone", 390, 844)]:
        page = browser.new_page(viewport={"width": width, "height": height})
        page.goto(f"{url}/accounts/login/")
        page.fill("#id_username", "operator")
        page.fill("#id_password", password)
        page.locator("form button[type=submit]").click()
        page.goto(f"{url}/headcount/?as_of=2024-10-22")
        page.screenshot(path=f"{out}/{name}.png", full_page=name == "headcount-phone")
        if name == "headcount":
            page.goto(f"{url}/pillars/?kind=TKSK&active_on=2024-10-22")
            page.screenshot(path=f"{out}/pillars.png")
        else:
            page.goto(f"{url}/pillars/?kind=PSM&area=13.75.01&active_on=2024-10-22")
            page.screenshot(path=f"{out}/pillars-phone.png")
    browser.close()
