"""Curator tokens and the audit log: the `pilotkg token` command (a real process),
the registry behind `/sparql` updates and `/admin/*`, and the audit lines writes leave.

Two server flavours, each on its own copy of the built data folder (they write):
``app`` reads curators from DATA/tokens.toml, written by the command;
``legacy_app`` has only the old ``update_token`` setting (one admin, "token").
"""

from __future__ import annotations

import hashlib
import json
import re
import stat
from pathlib import Path

import pytest

from support import add_curator, bearer, fresh_copy, pilotkg, serving
from pilotkg.server.auth import Curator, TokenRegistry, TokensFileError, hash_token

PKR = "https://w3id.org/pilotkg/id/"
GRAPH = "http://example.org/audit-graph"
INSERT = 'INSERT DATA { <http://example.org/s> <http://example.org/p> "by a curator" }'
INSERT_NAMED = f'INSERT DATA {{ GRAPH <{GRAPH}> {{ <http://example.org/s> <http://example.org/p> "a", "b" }} }}'
DELETE_NAMED = f'DELETE DATA {{ GRAPH <{GRAPH}> {{ <http://example.org/s> <http://example.org/p> "a" }} }}'
UPDATE_TYPE = "application/sparql-update"
LEGACY = "legacy-token-5c1e"
REQUEST_ID = re.compile(r"^[0-9a-f]{32}$")


# --- helpers ---------------------------------------------------------------------------------------


def audit_lines(data: Path) -> list[dict]:
    path = data / "audit.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []


# --- the command -----------------------------------------------------------------------------------


def test_token_add_list_revoke(tmp_path):
    data = tmp_path / "data"
    alice = add_curator(data, "alice")
    root = add_curator(data, "root", "admin")
    path = data / "tokens.toml"
    text = path.read_text(encoding="utf-8")
    assert alice not in text and root not in text  # only hashes are stored
    assert hashlib.sha256(alice.encode()).hexdigest() in text
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert not [p for p in data.iterdir() if p.name.endswith(".tmp")]  # no temp file left behind

    listing = pilotkg("--data", str(data), "token", "list")
    assert listing.returncode == 0, listing.stderr
    rows = {line.split()[0]: line.split() for line in listing.stdout.splitlines()[1:]}
    assert rows["alice"][1] == "curator" and rows["alice"][-1] == "no"
    assert rows["root"][1] == "admin"
    assert hash_token(alice) not in listing.stdout and alice not in listing.stdout

    again = pilotkg("--data", str(data), "token", "add", "alice")
    assert again.returncode == 2 and "already in" in again.stderr
    bad = pilotkg("--data", str(data), "token", "add", "no spaces")
    assert bad.returncode == 2 and "bad curator name" in bad.stderr

    revoked = pilotkg("--data", str(data), "token", "revoke", "alice")
    assert revoked.returncode == 0, revoked.stderr
    listed = json.loads(pilotkg("--data", str(data), "token", "list", "--json").stdout)
    by_name = {row["name"]: row for row in listed}
    assert by_name["alice"]["revoked"] is True and by_name["alice"]["revoked_at"]
    assert by_name["root"]["revoked"] is False and by_name["root"]["created"]
    assert all("token_sha256" not in row for row in listed)
    unknown = pilotkg("--data", str(data), "token", "revoke", "bob")
    assert unknown.returncode == 2 and "no curator 'bob'" in unknown.stderr


def test_token_command_reads_the_tokens_file_setting(tmp_path):
    elsewhere = tmp_path / "conf" / "curators.toml"
    out = pilotkg("--data", str(tmp_path / "data"), "token", "--tokens-file", str(elsewhere), "add", "li")
    assert out.returncode == 0, out.stderr
    assert elsewhere.exists() and not (tmp_path / "data" / "tokens.toml").exists()


def test_token_command_names_the_line_of_a_bad_file(tmp_path):
    path = tmp_path / "tokens.toml"
    path.write_text(f'[curators.a]\nrole = "curator"\ntoken_sha256 = "{"a" * 64}"\n\n'
                    f'[curators.b]\nrole = "boss"\ntoken_sha256 = "{"b" * 64}"\n')
    out = pilotkg("token", "--tokens-file", str(path), "list")
    assert out.returncode == 2
    assert f"{path}, line 5: curator 'b': role must be one of" in out.stderr


# --- the registry ----------------------------------------------------------------------------------


def write_file(path: Path, entries: dict[str, tuple[str, str, bool]]) -> None:
    body = "".join(f'[curators.{name}]\nrole = "{role}"\ntoken_sha256 = "{hash_token(token)}"\nrevoked = {str(revoked).lower()}\n\n'
                   for name, (role, token, revoked) in entries.items())
    path.write_text(body, encoding="utf-8")


def test_registry_authenticates_reloads_and_keeps_the_last_good_file(tmp_path, caplog):
    path = tmp_path / "tokens.toml"
    write_file(path, {"ann": ("curator", "tok-ann", False), "bo": ("admin", "tok-bo", False),
                      "cy": ("curator", "tok-cy", True)})
    registry = TokenRegistry(path)
    assert registry.authenticate("Bearer tok-ann") == Curator("ann", "curator")
    assert registry.authenticate("bearer  tok-bo ") == Curator("bo", "admin")
    for header in (None, "", "Bearer", "Bearer ", "Basic tok-ann", "tok-ann", "Bearer tok-an", "Bearer tok-cy"):
        assert registry.authenticate(header) is None, header
    write_file(path, {"ann": ("curator", "tok-ann", True), "bo": ("admin", "tok-bo", False)})
    assert registry.authenticate("Bearer tok-ann") is None  # revoked, no restart
    path.write_text("[curators.bo\nrole = ", encoding="utf-8")
    with caplog.at_level("ERROR", logger="pilotkg.server.auth"):
        assert registry.authenticate("Bearer tok-bo") == Curator("bo", "admin")  # the last good file holds
    assert "not valid TOML" in caplog.text and str(path) in caplog.text
    path.unlink()
    assert registry.authenticate("Bearer tok-bo") is None  # no file, no curators


def test_a_bad_tokens_file_at_startup_is_an_error_naming_file_and_line(tmp_path):
    path = tmp_path / "tokens.toml"
    path.write_text(f'[curators.a]\nrole = "curator"\ntoken_sha256 = "{"a" * 64}"\nrevokd = true\n')
    with pytest.raises(TokensFileError, match=r"tokens\.toml, line 1: curator 'a': unknown key 'revokd'"):
        TokenRegistry(path)
    path.write_text('[curators.a]\nrole = "curator"\ntoken_sha256 = "not-a-hash"\n')
    with pytest.raises(TokensFileError, match="token_sha256 must be 64 hexadecimal digits"):
        TokenRegistry(path)


def test_the_legacy_setting_is_an_admin_named_token(tmp_path):
    registry = TokenRegistry(tmp_path / "none.toml", legacy_token=LEGACY)
    assert registry.authenticate(f"Bearer {LEGACY}") == Curator("token", "admin")
    assert registry.authenticate("Bearer something-else") is None


# --- the server ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tokens_app(built, tmp_path_factory):
    data = fresh_copy(built.data_dir, tmp_path_factory.mktemp("auth") / "data")
    tokens = {"alice": add_curator(data, "alice"), "carol": add_curator(data, "carol"),
              "root": add_curator(data, "root", "admin")}
    with serving(data) as application:
        yield application, data, tokens


@pytest.fixture
def client(tokens_app):
    return tokens_app[0].test_client()


def test_every_response_has_a_request_id(client):
    first, second = client.get("/health"), client.get("/no-such-page")
    assert REQUEST_ID.match(first.headers["X-Request-Id"]) and REQUEST_ID.match(second.headers["X-Request-Id"])
    assert first.headers["X-Request-Id"] != second.headers["X-Request-Id"]


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong-token"}, {"Authorization": "Basic abc"}])
def test_update_without_a_valid_token_is_401_and_not_recorded(tokens_app, headers):
    app, data, _ = tokens_app
    client = app.test_client()
    before = len(audit_lines(data))
    resp = client.post("/sparql", data=INSERT, content_type=UPDATE_TYPE, headers=headers)
    assert resp.status_code == 401
    assert resp.headers["WWW-Authenticate"] == 'Bearer realm="pilotkg"'
    assert "Authorization: Bearer TOKEN" in resp.text
    assert len(audit_lines(data)) == before


def test_a_curator_update_is_204_and_audited(tokens_app):
    app, data, tokens = tokens_app
    client = app.test_client()
    resp = client.post("/sparql", data=INSERT, content_type=UPDATE_TYPE, headers=bearer(tokens["alice"]))
    assert resp.status_code == 204, resp.text
    entry = audit_lines(data)[-1]
    assert entry["curator"] == "alice" and entry["role"] == "curator" and entry["action"] == "update"
    assert entry["request_id"] == resp.headers["X-Request-Id"]
    assert entry["added"] == {"default": 1} and entry["removed"] == {} and entry["graphs"] == ["default"]
    assert entry["time"].endswith("Z") and entry["remote_addr"] == "127.0.0.1"


def test_audit_counts_are_per_graph(tokens_app):
    app, data, tokens = tokens_app
    client = app.test_client()
    assert client.post("/sparql", data={"update": INSERT_NAMED}, headers=bearer(tokens["alice"])).status_code == 204
    assert audit_lines(data)[-1]["added"] == {GRAPH: 2}
    assert client.post("/sparql", data={"update": DELETE_NAMED}, headers=bearer(tokens["root"])).status_code == 204
    entry = audit_lines(data)[-1]
    assert entry["curator"] == "root" and entry["role"] == "admin"  # an admin may update too
    assert entry["removed"] == {GRAPH: 1} and entry["added"] == {} and entry["graphs"] == [GRAPH]


def test_a_refused_update_is_not_recorded(tokens_app):
    app, data, tokens = tokens_app
    before = len(audit_lines(data))
    resp = app.test_client().post("/sparql", data={"update": "INSERT DATA { <x:a> <x:b> "},
                                  headers=bearer(tokens["alice"]))
    assert resp.status_code == 400
    assert len(audit_lines(data)) == before


def test_revoking_with_the_command_takes_effect_without_a_restart(tokens_app):
    app, data, tokens = tokens_app
    client = app.test_client()
    resp = client.post("/sparql", data=INSERT, content_type=UPDATE_TYPE, headers=bearer(tokens["carol"]))
    assert resp.status_code == 204, resp.text
    out = pilotkg("--data", str(data), "token", "revoke", "carol")
    assert out.returncode == 0, out.stderr
    resp = client.post("/sparql", data=INSERT, content_type=UPDATE_TYPE, headers=bearer(tokens["carol"]))
    assert resp.status_code == 401
    assert client.get("/admin/whoami", headers=bearer(tokens["carol"])).status_code == 401
    assert client.get("/admin/whoami", headers=bearer(tokens["alice"])).status_code == 200  # the others still work


def test_whoami(client, tokens_app):
    tokens = tokens_app[2]
    resp = client.get("/admin/whoami", headers=bearer(tokens["alice"]))
    assert resp.status_code == 200 and resp.get_json() == {"name": "alice", "role": "curator"}
    assert client.get("/admin/whoami", headers=bearer(tokens["root"])).get_json() == {"name": "root", "role": "admin"}
    anonymous = client.get("/admin/whoami")
    assert anonymous.status_code == 401 and anonymous.headers["WWW-Authenticate"].startswith("Bearer")


def test_the_audit_log_is_for_admins_newest_first(tokens_app):
    app, data, tokens = tokens_app
    client = app.test_client()
    ids = []
    for who in ("alice", "root", "alice"):
        resp = client.post("/sparql", data=INSERT, content_type=UPDATE_TYPE, headers=bearer(tokens[who]))
        assert resp.status_code == 204
        ids.append(resp.headers["X-Request-Id"])
    forbidden = client.get("/admin/audit", headers=bearer(tokens["alice"]))
    assert forbidden.status_code == 403 and "admin role" in forbidden.text
    assert client.get("/admin/audit").status_code == 401

    resp = client.get("/admin/audit", query_string={"limit": 3}, headers=bearer(tokens["root"]))
    assert resp.status_code == 200 and resp.headers["Cache-Control"] == "no-store"
    assert "Access-Control-Allow-Origin" not in resp.headers
    entries = resp.get_json()
    assert [e["request_id"] for e in entries] == ids[::-1]
    assert [e["time"] for e in entries] == sorted((e["time"] for e in entries), reverse=True)

    mine = client.get("/admin/audit", query_string={"curator": "alice", "limit": 2}, headers=bearer(tokens["root"]))
    assert [e["request_id"] for e in mine.get_json()] == [ids[2], ids[0]]
    everything = client.get("/admin/audit", headers=bearer(tokens["root"])).get_json()
    assert len(everything) == len(audit_lines(data))  # fewer than the default limit of 100
    bad = client.get("/admin/audit", query_string={"limit": "lots"}, headers=bearer(tokens["root"]))
    assert bad.status_code == 400


def test_the_tokens_file_holds_no_clear_token(tokens_app):
    _, data, tokens = tokens_app
    text = (data / "tokens.toml").read_text(encoding="utf-8")
    for token in tokens.values():
        assert token not in text
        assert hash_token(token) in text


@pytest.fixture(scope="module")
def legacy_app(built, tmp_path_factory):
    data = fresh_copy(built.data_dir, tmp_path_factory.mktemp("legacy") / "data")
    with serving(data, update_token=LEGACY) as application:
        yield application, data


def test_the_legacy_update_token_still_works(legacy_app):
    app, data = legacy_app
    client = app.test_client()
    resp = client.post("/sparql", data=INSERT, content_type=UPDATE_TYPE, headers=bearer(LEGACY))
    assert resp.status_code == 204, resp.text
    entry = audit_lines(data)[-1]
    assert (entry["curator"], entry["role"], entry["request_id"]) == ("token", "admin", resp.headers["X-Request-Id"])
    assert client.get("/admin/audit", headers=bearer(LEGACY)).status_code == 200
    assert client.post("/sparql", data=INSERT, content_type=UPDATE_TYPE,
                       headers=bearer("wrong")).status_code == 401
