"""The README's pictures: the home page, a query with its results and a zone page, each a
1280×800 viewport screenshot, plus the home page's timeline and map as drawn. Always written under test-artifacts/screenshots/readme-*.png;
with ``PILOTKG_SCREENSHOTS=docs/screenshots`` also copied there as home.png, home-timeline.png, home-map.png, query.png, zone.png, zone-evidence.png:

    PILOTKG_SCREENSHOTS=docs/screenshots pytest tests/browser -k readme
"""

from __future__ import annotations

import os
import shutil
import struct
from pathlib import Path

from browser_helpers import assert_page, local_path, path_of

ROOT = Path(__file__).resolve().parents[2]


def png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", head[16:24])


def test_readme_screenshots(web, samples):
    target = os.environ.get("PILOTKG_SCREENSHOTS")
    shots = {}

    page = web.open("/")
    assert_page(page, "/")
    shots["home.png"] = web.shot(page, "readme-home", full_page=False)
    # The timeline and the map, each as drawn (element screenshots, whatever their height).
    drawings = {}
    for name, selector in (("home-timeline.png", "svg#timeline"), ("home-map.png", "svg#zone-map")):
        drawings[name] = web.shot_element(page, selector, "readme-" + name[:-4])

    # An example query with a parameter form, its results in the table.
    page = web.open("/queries", page=page)
    names = [path_of(a.get_attribute("href")) for a in page.locator("a.example-query").all()]
    assert names, "/queries lists no a.example-query"
    for name in names:
        web.open(name, page=page)
        if page.locator("form#query-params select").count() and page.locator("table#results tbody tr").count() >= 3:
            break
    page.locator("table#results tbody tr").first.wait_for()
    shots["query.png"] = web.shot(page, "readme-query", full_page=False)

    page = web.open(local_path(samples.zone), page=page)
    assert page.locator("li.evidence").count() >= 1
    shots["zone.png"] = web.shot(page, "readme-zone", full_page=False)
    drawings["zone-evidence.png"] = web.shot_element(page, "section#evidence", "readme-zone-evidence")

    for name, path in shots.items():
        assert png_size(path) == (1280, 800), f"{name}: {png_size(path)}"
    for name, path in drawings.items():
        width, height = png_size(path)
        assert width >= 600 and height >= 150, f"{name}: {width}×{height}"
    shots.update(drawings)
    if target:
        folder = Path(target) if Path(target).is_absolute() else ROOT / target
        folder.mkdir(parents=True, exist_ok=True)
        for name, path in shots.items():
            shutil.copyfile(path, folder / name)
