"""Headless Debian Chromium driven by Playwright (no browser download: executable_path is set)."""
from __future__ import annotations

import shutil
from contextlib import contextmanager
from collections.abc import Iterator

CHROMIUM_ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def chromium_path() -> str:
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    raise RuntimeError("Debian chromium is not installed: apt-get install chromium fonts-noto-cjk (make test does it)")


@contextmanager
def browser_page(width: int = 1600, height: int = 1000) -> Iterator[tuple[object, list[str]]]:
    """A fresh page and the list its uncaught page errors are collected into."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            yield page, errors
        finally:
            browser.close()


def login(page, base_url: str, email: str, password: str) -> None:
    page.goto(f"{base_url}/user/login/")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("button[type=submit], input[type=submit]")
    page.wait_for_load_state("networkidle")
    if "/user/login" in page.url:
        raise AssertionError(f"login as {email} failed; still on {page.url}")
