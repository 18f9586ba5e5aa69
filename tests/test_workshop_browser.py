"""Real headless Chromium against a real workshop server (marked ``browser``; `.ci/run` runs them).

Debian's ``chromium`` is driven by Python Playwright through ``executable_path``; no
browser is ever downloaded. A missing Chromium or Playwright fails these tests when
they are selected (``-m browser``), it does not skip them: a green run must mean they
ran. Screenshots go to ``$WORKSHOP_SCREENSHOTS`` (the README's come from
``WORKSHOP_SCREENSHOTS=docs/img``), else to the test's temporary folder.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import threading
from pathlib import Path

import httpx
import pytest
from support.synth import synthesize
from support.workshop import Phone, asked_answers, new_workspace

from assessment.workshop.server import start
from assessment.workshop.session import open_workshop

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-default-apps", "--disable-extensions"]
PHONE = {"viewport": {"width": 360, "height": 760}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True,
         "user_agent": "Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) "
                       "Chrome/156.0 Mobile Safari/537.36"}


@pytest.fixture(scope="module")
def browser():
    assert shutil.which(CHROMIUM) or Path(CHROMIUM).exists(), \
        f"browser tests need Debian's chromium at {CHROMIUM} (apt-get install chromium)"
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # selected but not runnable is a failure, not a skip
        pytest.fail("browser tests need Python playwright: pip install '.[browser]' (never `playwright install`)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def shots(tmp_path) -> Path:
    folder = Path(os.environ.get("WORKSHOP_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def server(tmp_path):
    ws = new_workspace(tmp_path / "room", client="Northwind Mutual")
    session = open_workshop(ws, min_group_size=3)
    running = start(session, bind="127.0.0.2", port=0, expected=12, heartbeat=0.5).start_in_thread()
    yield running
    running.stop()
    assert running.join(10)


def fill_room(running, n: int, seed: int = 3) -> None:
    """``n`` phones (through the HTTP interface) answering everything: something to look at."""
    q = running.workshop.q
    records = synthesize(q, n, seed=seed, straight_liners=0, speeders=0)

    async def one(rec):
        async with httpx.AsyncClient(base_url=running.participant_url, timeout=10) as client:
            phone = Phone(client)
            assert (await phone.join(running.join_code)).status_code == 200
            assert (await phone.profile(rec["role"], rec["unit"])).status_code == 200
            for qid, value in asked_answers(q, rec):
                assert (await phone.answer(qid, value)).status_code == 200

    async def all_of_them():
        await asyncio.gather(*(one(r) for r in records))

    # Playwright's sync API keeps an event loop in this thread: the phones get their own.
    errors: list[BaseException] = []
    worker = threading.Thread(target=lambda: _run_catching(all_of_them, errors))
    worker.start()
    worker.join(60)
    assert not worker.is_alive() and not errors, errors


def _run_catching(coro_fn, errors: list) -> None:
    try:
        asyncio.run(coro_fn())
    except BaseException as exc:  # handed to the test thread
        errors.append(exc)


def test_phone_at_360px_joins_answers_reloads_and_resumes(browser, server, shots):
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(server.join_url)  # what scanning the QR code does
    assert page.url.endswith("/q")
    page.screenshot(path=str(shots / "workshop-phone-role.png"), full_page=True)
    page.get_by_label("Data science / ML engineering").check()
    page.fill("#unit", "Retail Banking")
    page.get_by_role("button", name="Continue").click()
    page.wait_for_selector("h1:has-text('Governance')")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # nothing wider than the phone

    first = page.locator("fieldset.question").nth(0)
    first.get_by_label("Agree", exact=True).check()
    first.locator("[data-status]").filter(has_text="Saved").wait_for()
    second = page.locator("fieldset.question").nth(1)
    second.get_by_label("Don't know / not applicable").check()
    second.locator("[data-status]").filter(has_text="Saved").wait_for()
    # A double tap on the same answer changes nothing.
    first.get_by_label("Agree", exact=True).click()
    numeric = page.locator("input[inputmode=decimal]").first
    numeric.fill("45")
    numeric.blur()
    page.locator("fieldset.question:has(input[inputmode=decimal]) [data-status]").filter(has_text="Saved").wait_for()
    page.locator("textarea").first.fill("<b>Waiting</b> for the model risk committee")
    page.locator("textarea").first.blur()
    page.locator("fieldset.question:has(textarea) [data-status]").filter(has_text="Saved").wait_for()
    assert page.locator("#count").inner_text().startswith("3 of ")  # the comment is optional: not counted
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(shots / "workshop-phone.png"), full_page=False)

    page.reload()  # mid-way: everything given so far is still there
    first = page.locator("fieldset.question").nth(0)
    assert first.get_by_label("Agree", exact=True).is_checked()
    assert page.locator("fieldset.question").nth(1).get_by_label("Don't know / not applicable").is_checked()
    assert page.locator("input[inputmode=decimal]").first.input_value() == "45"
    assert page.locator("textarea").first.input_value() == "<b>Waiting</b> for the model risk committee"
    assert page.locator("#progress").get_attribute("value") == "3"

    page.get_by_role("button", name="Next").click()
    page.wait_for_selector("h1:has-text('Pilot-to-production')")
    comment = page.locator("textarea").first
    comment.fill("Nobody owns the hand-over")  # and the page is left without leaving the field
    page.locator("fieldset.question:has(textarea) [data-status]").filter(has_text="Saved").wait_for()
    page.goto(server.join_url)  # scanning the QR code again comes back to the same page
    page.wait_for_selector("h1:has-text('Pilot-to-production')")
    context.close()

    device = next(iter(server.workshop.devices.values()))
    assert device.role == "ds" and device.unit == "Retail Banking"
    assert len(device.answers) == 5


def test_facilitator_screen_counts_live_and_reveals_the_radar(browser, server, shots):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(server.facilitator_url)
    assert page.url.endswith("/f")  # the token left the address bar
    assert page.locator("#join-code").inner_text() == server.join_code
    assert page.locator(".qr svg").count() == 1
    assert page.locator("#count-ds").inner_text() == "0"

    fill_room(server, 9)
    page.locator("#answering").filter(has_text=re.compile(r"^9$")).wait_for()  # pushed by the event stream
    assert page.locator("svg.radar").count() == 0  # hidden while answering is open
    page.screenshot(path=str(shots / "workshop-facilitator-open.png"), full_page=True)

    page.get_by_role("button", name="Close answering").click()
    page.wait_for_selector("svg.radar polygon.area")
    points = page.locator("svg.radar polygon.area").get_attribute("points")
    assert len(points.split()) == 7
    assert page.locator("svg.bars rect.bar").count() >= 1
    page.screenshot(path=str(shots / "workshop-facilitator-results.png"), full_page=True)

    page.locator("details.device-list summary").click()
    row = page.locator("details.device-list tbody tr").first
    device = row.locator("td").first.inner_text()
    row.locator("select[name=role]").select_option("risk")
    with page.expect_navigation():  # the post, its redirect and the new page
        row.get_by_role("button", name="Correct role").click()
    assert next(d for d in server.workshop.devices.values() if d.pseudonym == device).role == "risk"
    context.close()


def test_pages_work_without_javascript(browser, server):
    context = browser.new_context(java_script_enabled=False, **PHONE)
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(server.participant_url)
    page.fill("#code", server.join_code.lower())
    page.get_by_role("button", name="Join").click()
    page.get_by_label("Executive sponsor").check()
    page.get_by_role("button", name="Continue").click()
    page.wait_for_selector("h1:has-text('Governance')")
    page.locator("fieldset.question").nth(0).get_by_label("Strongly agree").check()
    page.get_by_role("button", name="Next").click()
    page.wait_for_selector("h1:has-text('Pilot-to-production')")
    device = next(iter(server.workshop.devices.values()))
    assert device.role == "exec"
    assert [state for _, _, state in device.answers.values()] == ["answered"]
    context.close()


def test_facilitator_screen_is_refused_on_the_participant_address(browser, server):
    context = browser.new_context()
    page = context.new_page()
    admin_path = server.facilitator_url.split("/", 3)[3]
    response = page.goto(server.participant_url + admin_path)
    assert response.status == 403
    context.close()
