"""A real browser: a facilitator and three participants, each in their own Chromium context, on the real server.

Playwright drives Debian's Chromium (``/usr/bin/chromium``; no browser is downloaded). The
participants join with the code, answer with justifications, see the room update live
(server-sent events, no reload), the facilitator reveals the group's answers, one participant
revises, the facilitator exports the CSV, a participant trying a facilitator endpoint gets 403, and
the facilitator ends the session (a participant's page then says so).
Screenshots of both views are saved (``SEMINAR_SHOTS`` or the test's temp folder).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from server_helpers import free_port, start, stop

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"]
LEADER = "beta.political.leader_ties"


@pytest.fixture
def server(tmp_path):
    port = free_port()
    proc, printed = start(tmp_path, port)
    yield f"http://127.0.0.1:{port}", printed
    stop(proc)


@pytest.mark.browser
def test_a_seminar_in_four_browsers(server, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian's Chromium is not installed (apt-get install chromium)")
    base, printed = server
    sync_api.expect.set_options(timeout=20_000)  # a loaded two-core machine: live updates may take seconds
    shots = Path(os.environ.get("SEMINAR_SHOTS", tmp_path))
    shots.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            fac_ctx = browser.new_context(viewport={"width": 1200, "height": 900}, accept_downloads=True)
            fac = fac_ctx.new_page()
            fac.goto(f"{base}/facilitator?token={printed['token']}")
            assert "token=" not in fac.url  # the token left the address bar for a cookie
            fac.click("#open-round")
            sync_api.expect(fac.locator("#round")).to_have_text("round 1 open")

            people = []
            for i in range(3):
                ctx = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)  # a phone
                page = ctx.new_page()
                page.goto(f"{base}/join?code={printed['code']}")
                if i == 0:
                    page.fill("#name", "<b>Ayşe</b>")
                page.click("button[type=submit]")
                page.wait_for_url(f"{base}/room")
                people.append((ctx, page))

            for i, (_, page) in enumerate(people):
                form = page.locator(f"form[data-assumption='{LEADER}']")
                form.locator("input[name=low]").fill("0.1")
                form.locator("input[name=most_likely]").fill(f"{0.3 + 0.3 * i:.1f}")
                form.locator("input[name=high]").fill("1.5")
                form.locator("textarea").fill(f"reason {i}: <script>alert(1)</script>")
                form.locator("button").click()
                sync_api.expect(form.locator(".saved")).to_be_visible()
                sync_api.expect(form.locator("button")).to_have_text("Revise")
            # live: the first participant's page learns of the others without a reload
            sync_api.expect(people[0][1].locator(".question .nums").first).to_contain_text("(3 in the pool)")
            sync_api.expect(fac.locator("#counts")).to_have_text("3 joined, 3 answers")
            assert fac.locator(".question .dot").count() == 3 * 2  # three anonymous dots on each of the two questions
            sync_api.expect(fac.locator("#participants")).to_contain_text("<b>Ayşe</b>")  # shown as text, not markup

            fac.click("#reveal")
            for _, page in people:
                sync_api.expect(page.locator(f"form[data-assumption='{LEADER}'] .group")).to_contain_text("The room: median 0.6")
            low_one = people[0][1].locator(f"form[data-assumption='{LEADER}']")
            sync_api.expect(low_one.locator(".flag")).to_be_visible()  # 0.3 is below the room's middle half
            low_one.locator("input[name=most_likely]").fill("0.6")
            low_one.locator("textarea").fill("moved towards the room after the discussion")
            people[0][1].wait_for_timeout(1100)  # one answer a second per participant (HTTP 429 otherwise): a fast run revises sooner
            low_one.locator("button").click()
            sync_api.expect(low_one.locator(".error")).to_be_hidden()
            sync_api.expect(fac.locator("#counts")).to_have_text("3 joined, 4 answers")
            sync_api.expect(low_one.locator(".flag")).to_have_count(0)
            sync_api.expect(fac.locator("#answers")).to_contain_text("moved towards the room")

            people[1][1].screenshot(path=str(shots / "participant.png"), full_page=True)
            fac.screenshot(path=str(shots / "facilitator.png"), full_page=True)

            with fac.expect_download() as dl:
                fac.click("#export-csv")
            csv = Path(dl.value.path()).read_text(encoding="utf-8")
            assert csv.count("\n") == 5 and "moved towards the room" in csv and "Ayşe" not in csv

            page = people[2][1]
            for path in ("/facilitator", "/facilitator/state", "/facilitator/export.csv"):
                response = page.goto(base + path)
                assert response.status == 403, path
            errors = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(f"{base}/room")
            sync_api.expect(page.locator(f"form[data-assumption='{LEADER}'] input[name=most_likely]")).to_have_value(
                "0.9"
            )  # back after a reload
            assert errors == []

            # the facilitator ends the session: a participant's open room turns into the message by itself
            fac.once("dialog", lambda d: d.accept())  # "End the session?"
            fac.click("#end-session")
            sync_api.expect(fac.locator("#ended")).to_contain_text("This session has ended")
            ended = people[0][1]
            sync_api.expect(ended.locator("#ended")).to_contain_text("The session has ended")
            ended.screenshot(path=str(shots / "participant-ended.png"), full_page=True)
            fac.screenshot(path=str(shots / "facilitator-ended.png"), full_page=True)
        finally:
            browser.close()
    assert (shots / "facilitator.png").stat().st_size > 10_000
