"""Runs last (pytest takes this folder's modules in name order): after every probe of the suite,
the security server's main process holds less than twice the memory it held at the start
(after a warm-up query), and it never died or had to be killed on the way."""

from __future__ import annotations

import requests

from .harness import LIGHT_QUERY, biggest_growth, children_rss_bytes, mib, post_form, rss_bytes


def test_the_server_survived_every_probe_and_its_memory_is_under_twice_its_start(secure_server):
    assert secure_server.deaths == [], "the security server died during the suite: " + "; ".join(secure_server.deaths)
    assert secure_server.process.running
    assert post_form(secure_server, LIGHT_QUERY).status_code == 200
    assert requests.get(secure_server.base + "/health", timeout=10).status_code == 200
    now = rss_bytes(secure_server.pid)
    assert 0 < now < 2 * secure_server.baseline_rss, (
        f"main process: {mib(now)} now, {mib(secure_server.baseline_rss)} at the start; "
        f"its workers hold {mib(children_rss_bytes(secure_server.pid))}; it grew most with: "
        + biggest_growth(secure_server.baseline_rss, secure_server.memory_trail))
