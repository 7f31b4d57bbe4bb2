"""``pilotkg serve --behind-proxy 1`` as a real process (waitress, not the Flask test client):
waitress drops ``X-Forwarded-*`` headers unless told to keep them, so only a real server shows
that the Service Description says ``https://`` behind a TLS proxy, and that without the
setting the same headers change nothing (issue 11, deliverable 4)."""

from __future__ import annotations

import pytest
import requests

from server_process import ServerProcess
from support import fresh_copy

FORWARDED = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "kg.example.org", "X-Forwarded-For": "203.0.113.7",
             "Accept": "text/turtle"}


@pytest.fixture(scope="module")
def data(built, tmp_path_factory):
    return fresh_copy(built.data_dir, tmp_path_factory.mktemp("proxy") / "data")


@pytest.mark.parametrize("proxies, expected, absent", [
    ("1", "<https://kg.example.org/sparql>", "127.0.0.1"),
    ("0", "<http://127.0.0.1:", "kg.example.org"),
])
def test_the_service_description_follows_the_proxy_only_when_told(data, tmp_path, proxies, expected, absent):
    server = ServerProcess(data, tmp_path / "serve.log", args=("--behind-proxy", proxies))
    server.start()
    try:
        body = requests.get(server.base + "/sparql", headers=FORWARDED, timeout=30).text
    finally:
        server.stop()
    assert expected in body and absent not in body.split("sd:endpoint", 1)[1].split(";", 1)[0], body[:2000]
