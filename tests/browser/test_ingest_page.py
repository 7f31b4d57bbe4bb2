"""The Ingest page in Chromium: sign in with a curator token, upload a text, find a finding's quote
in the text and a highlight's finding (by mouse and by keyboard), reject one zone, commit, and read
the committed zones back through the SPARQL endpoint. The draft graph is dropped at the end, so the
session's server is left as the other tests expect it.

``PILOTKG_SCREENSHOTS=docs/screenshots pytest tests/browser -k ingest_page`` also writes the README's
picture of the review page, ``docs/screenshots/ingest-review.png``."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
import requests

from browser_helpers import PREFIXES
from support import add_curator

ROOT = Path(__file__).resolve().parents[2]
TEXT = ROOT / "tests" / "data" / "ingest" / "elderly_care_pilot.txt"
GRAPH = "https://w3id.org/pilotkg/id/graph/draft/elderly-care-pilot"


@pytest.fixture
def token(server):
    return add_curator(server.proc.data, "browser-reviewer")


def _finding(page, label: str):
    return page.locator("li.finding", has=page.locator("strong.label", has_text=re.compile(f"^{re.escape(label)}$")))


def test_ingest_review_and_commit_only_the_accepted_zones(web, server, token):
    try:
        _review_and_commit(web, server, token)
    finally:
        requests.delete(server.url(f"/rdf-graphs?graph={GRAPH}"), headers={"Authorization": f"Bearer {token}"},
                        timeout=120)


def _review_and_commit(web, server, token):
    page = web.open("/ingest")  # not signed in: the sign-in form (200), the page the menu links to
    page.fill("#token", token)
    with page.expect_navigation():
        page.click("form.sign-in button[type=submit]")
    assert page.url == server.url("/ingest")
    assert "Signed in as browser-reviewer" in page.inner_text("main")

    page.set_input_files("#file", str(TEXT))
    page.fill("#date", "2024-05-20")
    with page.expect_navigation(timeout=60_000):
        page.click("#ingest-button", no_wait_after=True)
    assert re.search(r"/ingest/reviews/[0-9a-f]{32}$", page.url), page.url
    zones = {label: _finding(page, label) for label in ("Shenyang", "Ordos", "Honghe Hani and Yi Autonomous Prefecture")}
    for label, item in zones.items():
        assert item.count() == 1, f"no finding for the zone {label}"
    assert page.locator("#review-text mark.hl").count() >= len(zones)

    # a finding → its quote, marked and in view (with the mouse, then with the keyboard)
    zones["Honghe Hani and Yi Autonomous Prefecture"].locator("a.show").click()
    current = page.locator("#review-text mark.hl.current")
    assert current.count() >= 1 and "Honghe Hani and Yi Autonomous Prefecture" in " ".join(current.all_inner_texts())
    assert current.first.evaluate("el => { const r = el.getBoundingClientRect(); return r.top >= 0 && r.bottom <= innerHeight; }")
    zones["Shenyang"].locator("a.show").focus()
    page.keyboard.press("Enter")
    assert page.locator("#review-text mark.hl.current").all_inner_texts() == ["Shenyang"]
    # a highlight → its finding
    page.locator("#review-text mark.hl", has_text=re.compile(r"^Ordos")).first.click()
    assert "current" in (zones["Ordos"].get_attribute("class") or "")
    assert page.evaluate("document.activeElement.id") == zones["Ordos"].get_attribute("id")
    shot = web.shot(page, "readme-ingest-review", full_page=False)
    target = os.environ.get("PILOTKG_SCREENSHOTS")
    if target:
        shutil.copyfile(shot, ROOT / target / "ingest-review.png")

    # accept everything, then reject one zone (keyboard: the radio button is reached and checked with Space)
    with page.expect_navigation():
        page.click("#accept-undecided")
    reject = _finding(page, "Ordos").locator("input[type=radio][value=reject]")
    reject.focus()
    page.keyboard.press("Space")
    assert reject.is_checked()
    with page.expect_navigation(timeout=60_000):
        page.click("#commit", no_wait_after=True)
    assert page.locator("#committed").count() == 1, page.inner_text("main")[:2000]
    assert "rejected" in _finding(page, "Ordos").inner_text()

    rows = server.select(PREFIXES + f"""
        SELECT ?label WHERE {{ GRAPH <{GRAPH}> {{ ?z a pk:PilotZone ; rdfs:label ?label }} }} ORDER BY ?label""")
    assert [r["label"] for r in rows] == ["Honghe Hani and Yi Autonomous Prefecture", "Shenyang"]
    assert not server.select(PREFIXES + "SELECT ?p WHERE { <https://w3id.org/pilotkg/id/zone/ordos> ?p ?o } LIMIT 1")

    download = server.get(page.locator("#download").get_attribute("href"), headers={"Authorization": f"Bearer {token}"})
    assert download.status_code == 200 and "zone: shenyang" in download.text and "zone: ordos" not in download.text
