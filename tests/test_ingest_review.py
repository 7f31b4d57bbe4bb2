"""Reviewing an ingested text: the review model (findings, decisions, the reviewed curation and
its round trip through a curation file) and the /ingest endpoints through Flask's test client
(create, decide, commit only the accepted facts, a refused commit changes nothing, auth, bad input)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from pilotkg.graph.extract.ingest import ingest
from pilotkg.graph.extract.review import (Decision, ReviewError, ReviewFinding, check_decision, curation_yaml,
                                          inclusion, ingest_with, review_text, reviewed_curation)
from pilotkg.server.reviews import ReviewStore
from support import add_curator, bearer, fresh_copy, pilotkg, serving

DATA = Path(__file__).parent / "data" / "ingest"
ELDERLY = DATA / "elderly_care_pilot.txt"
DIGITAL = DATA / "digital_countryside_pilot.txt"
ID = "https://w3id.org/pilotkg/id/"
PREFIXES = "PREFIX pk: <https://w3id.org/pilotkg/ontology#>\n"


@pytest.fixture(scope="module")
def elderly():
    review = review_text(ELDERLY)
    return review, [ReviewFinding.from_dict(f) for f in review["findings"]]


@pytest.fixture(scope="module")
def digital():
    review = review_text(DIGITAL)
    return review, [ReviewFinding.from_dict(f) for f in review["findings"]]


def _by_label(findings, kind, label):
    return next(f for f in findings if f.kind == kind and f.label == label)


def _zones(result) -> set[str]:
    return {f.label for f in result.found["zones"]}


# --------------------------------------------------------------------------- the model


def test_every_finding_has_a_stable_id_a_quote_at_its_offsets_and_its_entry(elderly):
    review, findings = elderly
    text = ELDERLY.read_text(encoding="utf-8")
    kinds = {f.kind for f in findings}
    assert {"policy", "programme", "zone", "task", "date", "count"} <= kinds
    for f in findings:
        assert text[f.start:f.end] == f.quote
        assert f.entry
    zones = {f.label: f for f in findings if f.kind == "zone" and f.origin == "curation"}
    assert set(zones) == {"Shenyang", "Ordos", "Honghe Hani and Yi Autonomous Prefecture"}
    assert zones["Ordos"].values["division"] == "150600" and zones["Ordos"].entry.startswith("zones[")
    programme = next(f for f in findings if f.kind == "programme")
    assert all(programme.id in z.requires for z in zones.values())
    again = [f["id"] for f in review_text(ELDERLY)["findings"]]
    assert again == [f.id for f in findings]


def test_only_accepted_findings_are_in_the_reviewed_curation_and_its_draft(elderly):
    review, findings = elderly
    decisions = {f.id: Decision("accept") for f in findings}
    ordos = _by_label(findings, "zone", "Ordos")
    decisions[ordos.id] = Decision("reject")
    task = next(f for f in findings if f.kind == "task")
    decisions.pop(task.id)  # not decided: not written
    data = reviewed_curation(review["curation"], findings, decisions, text=ELDERLY.read_text(encoding="utf-8"))
    assert [z["zone"] for z in data["zones"]] == ["honghe-hani-and-yi-autonomous-prefecture", "shenyang"] or \
        sorted(z["zone"] for z in data["zones"]) == ["honghe-hani-and-yi-autonomous-prefecture", "shenyang"]
    assert {"task": task.node.rsplit("/id/", 1)[1], "quote": task.quote} in data["reject"]
    draft = ingest_with(ELDERLY, data)
    assert draft.conforms
    assert _zones(draft) == {"Shenyang", "Honghe Hani and Yi Autonomous Prefecture"}
    assert task.node not in {f.node for f in draft.found["tasks"]}
    assert len(draft.found["tasks"]) == len([f for f in findings if f.kind == "task"]) - 1
    everything = reviewed_curation(review["curation"], findings, {f.id: Decision("accept") for f in findings},
                                   text=ELDERLY.read_text(encoding="utf-8"))
    assert ingest_with(ELDERLY, everything).nquads() == ingest_with(ELDERLY, review["curation"]).nquads()


def test_a_rejected_programme_takes_its_zones_and_counts_with_it(elderly):
    review, findings = elderly
    decisions = {f.id: Decision("accept") for f in findings}
    programme = next(f for f in findings if f.kind == "programme")
    decisions[programme.id] = Decision("reject")
    written = inclusion(findings, decisions)
    batches = [f for f in findings if f.kind == "batch"]
    for f in findings:
        if f.kind == "batch" or (f.kind in ("zone", "count") and f.origin == "curation"):
            # with the programme, or with the batch that goes with it
            reasons = {f"left out with the programme “{programme.label}”"} | {
                f"left out with the batch “{b.label}”" for b in batches}
            assert written[f.id][0] is False and written[f.id][1] in reasons, f.label
    data = reviewed_curation(review["curation"], findings, decisions, text=ELDERLY.read_text(encoding="utf-8"))
    assert "programmes" not in data and "zones" not in data and "batches" not in data
    draft = ingest_with(ELDERLY, data)
    assert draft.found["programme"] == [] and draft.found["zones"] == [] and draft.found["counts"] == []
    assert len(draft.found["policy"]) == 1


def test_pattern_responsibilities_rejected_go_to_reject_and_a_corrected_role_is_written(digital):
    review, findings = digital
    text = DIGITAL.read_text(encoding="utf-8")
    decisions = {f.id: Decision("accept") for f in findings}
    responsibilities = [f for f in findings if f.kind == "responsibility"]
    wrong, fixed = responsibilities[0], responsibilities[1]
    assert wrong.origin == "pattern"
    decisions[wrong.id] = Decision("reject")
    decisions[fixed.id] = check_decision(fixed, {"decision": "correct", "role": "supervises"})
    data = reviewed_curation(review["curation"], findings, decisions, text=text)
    assert {"body": wrong.values["body"], "role": wrong.values["role"], "quote": wrong.quote} in data["reject"]
    assert {"body": fixed.values["body"], "role": "supervises", "subject": fixed.values["subject"],
            "quote": fixed.quote} in data["responsibilities"]
    draft = ingest_with(DIGITAL, data)
    found = {(f.node.split("/")[-3], f.node.split("/")[-2], f.node.split("/")[-1]) for f in draft.found["responsibilities"]}
    assert (wrong.values["body"], wrong.values["role"], wrong.node.split("/")[-1]) not in found
    assert (fixed.values["body"], "supervises", fixed.node.split("/")[-1]) in found
    assert (fixed.values["body"], fixed.values["role"], fixed.node.split("/")[-1]) not in found
    assert len(draft.found["responsibilities"]) == len(responsibilities) - 1


def test_a_zone_corrected_to_another_division(elderly):
    review, findings = elderly
    decisions = {f.id: Decision("accept") for f in findings}
    ordos = _by_label(findings, "zone", "Ordos")
    decisions[ordos.id] = check_decision(ordos, {"decision": "correct", "division": "321200"})  # Taizhou, Jiangsu
    data = reviewed_curation(review["curation"], findings, decisions, text=ELDERLY.read_text(encoding="utf-8"))
    draft = ingest_with(ELDERLY, data)
    assert draft.conforms
    zone = next(f for f in draft.found["zones"] if "321200" in f.detail)
    assert zone.node.endswith("-321200") and "Jiangsu" in zone.detail
    assert "Ordos" not in _zones(draft)


def test_decisions_that_cannot_be_applied_are_refused_with_the_reason(elderly):
    _review, findings = elderly
    zone = next(f for f in findings if f.kind == "zone")
    date = next(f for f in findings if f.kind == "date")
    cases = [
        (zone, {"decision": "maybe"}, "decision must be one of accept, reject, correct"),
        (zone, {"decision": "correct", "division": "999999"}, "'999999' is not a division code of the national gazetteer"),
        (zone, {"decision": "correct", "division": "210000"}, "is a province"),
        (zone, {"decision": "correct"}, "say what to correct: label or division"),
        (date, {"decision": "correct", "label": "x"}, "the label of a date cannot be corrected"),
        (zone, {"decision": "correct", "role": "leads"}, "the role of a zone cannot be corrected"),
        (zone, {"decision": "accept", "colour": "red"}, "unknown field(s) ['colour']"),
    ]
    for finding, raw, message in cases:
        with pytest.raises(ReviewError, match=message.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[").replace("]", r"\]")):
            check_decision(finding, raw)


def test_the_curation_file_reproduces_the_draft_with_ingest_and_the_command(elderly, tmp_path):
    review, findings = elderly
    decisions = {f.id: Decision("accept") for f in findings}
    decisions[_by_label(findings, "zone", "Ordos").id] = Decision("reject")
    data = reviewed_curation(review["curation"], findings, decisions, text=ELDERLY.read_text(encoding="utf-8"))
    text = tmp_path / ELDERLY.name
    shutil.copyfile(ELDERLY, text)
    curation_file = tmp_path / "elderly_care_pilot.curation.yaml"
    curation_file.write_text(curation_yaml(data, name=text.name), encoding="utf-8")
    expected = ingest_with(ELDERLY, data).nquads()
    assert ingest(text, curation=curation_file).nquads() == expected
    out = pilotkg("ingest", str(text), "--curation", str(curation_file), "--output", str(tmp_path / "d.trig"))
    assert out.returncode == 0, out.stderr
    assert "zones: Ordos" not in out.stdout and "zones: Shenyang" in out.stdout


# --------------------------------------------------------------------------- the endpoints


@pytest.fixture(scope="module")
def app_and_token(built, tmp_path_factory):
    data = fresh_copy(built.data_dir, tmp_path_factory.mktemp("review") / "data")
    token = add_curator(data, "reviewer")
    with serving(data, write_timeout=60) as app:
        yield app, token


@pytest.fixture
def client(app_and_token):
    return app_and_token[0].test_client()


@pytest.fixture
def auth(app_and_token):
    return {**bearer(app_and_token[1]), "Accept": "application/json"}


def _select(client, query: str) -> list[dict]:
    resp = client.post("/sparql", data={"query": PREFIXES + query}, headers={"Accept": "application/sparql-results+json"})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return [{k: v["value"] for k, v in row.items()} for row in resp.get_json()["results"]["bindings"]]


def _create(client, auth, path: Path, **extra) -> dict:
    resp = client.post("/ingest/reviews", json={"text": path.read_text(encoding="utf-8"), "name": path.name, **extra},
                       headers=auth)
    assert resp.status_code == 201, resp.get_data(as_text=True)
    assert resp.headers["Location"] == f"/ingest/reviews/{resp.get_json()['id']}"
    return resp.get_json()


def test_create_decide_and_commit_writes_only_the_accepted_findings(client, auth, app_and_token):
    review = _create(client, auth, ELDERLY)
    assert review["graph"] == ID + "graph/draft/elderly-care-pilot"
    zones = {f["label"]: f for f in review["findings"] if f["kind"] == "zone"}
    assert set(zones) == {"Shenyang", "Ordos", "Honghe Hani and Yi Autonomous Prefecture", "Taizhou"}
    assert zones["Taizhou"]["origin"] == "candidate" and "could be" in zones["Taizhou"]["detail"]
    resp = client.post(review["decide"], json={"bulk": "accept-undecided", "decisions": {
        zones["Ordos"]["id"]: {"decision": "reject"}}}, headers=auth)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    state = {f["id"]: f for f in resp.get_json()["findings"]}
    assert state[zones["Ordos"]["id"]]["written"] is False and state[zones["Shenyang"]["id"]]["written"] is True
    resp = client.post(review["commit"], headers=auth)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert resp.get_json()["status"] == "committed"
    graph = review["graph"]
    rows = _select(client, f"SELECT ?z WHERE {{ GRAPH <{graph}> {{ ?z a pk:PilotZone }} }} ORDER BY ?z")
    assert [r["z"] for r in rows] == [ID + "zone/honghe-hani-and-yi-autonomous-prefecture", ID + "zone/shenyang"]
    assert not _select(client, f"SELECT ?p WHERE {{ <{ID}zone/ordos> ?p ?o }}")
    assert _select(client, f"SELECT ?n WHERE {{ GRAPH <{graph}> {{ ?p pk:declaredZoneCount ?n }} }}")[0]["n"] == "4"
    # the curation file of the review gives the same draft
    resp = client.get(review["curation_file"], headers=auth)
    assert resp.status_code == 200
    assert resp.headers["Content-Disposition"] == 'attachment; filename="elderly_care_pilot.curation.yaml"'
    data = yaml.safe_load(resp.get_data(as_text=True))
    assert sorted(z["zone"] for z in data["zones"]) == ["honghe-hani-and-yi-autonomous-prefecture", "shenyang"]
    # the source page shows the committed text, its quotes highlighted (kept in DATA/texts/)
    page = client.get("/source/elderly-care-pilot", headers={"Accept": "text/html"})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "does not hold" not in html and "Honghe Hani and Yi Autonomous Prefecture" in html
    raw = client.get("/source/elderly-care-pilot.txt")
    assert raw.status_code == 200 and raw.get_data(as_text=True) == ELDERLY.read_text(encoding="utf-8")
    # durable: another store on the same folder reads the review back
    again = ReviewStore(app_and_token[0].extensions["pilotkg"].reviews.folder).get(review["id"])
    assert again["status"] == "committed" and again["decisions"][zones["Ordos"]["id"]] == {"decision": "reject"}


def test_a_refused_commit_changes_nothing_and_reports_the_violation(client, auth):
    review = _create(client, auth, DIGITAL, name="digital_refused.txt")
    programme = next(f for f in review["findings"] if f["kind"] == "programme")["node"]
    # a second declared count of the programme, put straight into the store (as a build of another text could)
    service = client.application.extensions["pilotkg"]
    service.store.update(f'INSERT DATA {{ GRAPH <urn:test:conflict> {{ <{programme}> '
                         f'<https://w3id.org/pilotkg/ontology#declaredZoneCount> 99 }} }}')
    service.after_write()
    count = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
    before = _select(client, count)[0]["n"]
    client.post(review["decide"], json={"bulk": "accept-undecided", "decisions": {}}, headers=auth)
    resp = client.post(review["commit"], headers=auth)
    assert resp.status_code == 422, resp.get_data(as_text=True)
    body = resp.get_json()
    assert "would violate the shapes; nothing was changed" in body["error"]
    assert any("declaredZoneCount" in (r.get("path") or "") for r in body["results"])
    assert _select(client, count)[0]["n"] == before
    assert not _select(client, f"SELECT ?s WHERE {{ GRAPH <{review['graph']}> {{ ?s ?p ?o }} }} LIMIT 1")
    state = client.get(review["url_page"], headers=auth).get_json()
    assert state["status"] == "open" and "would violate the shapes" in state["refusal"]["message"]
    page = client.get(review["url_page"], headers={**auth, "Accept": "text/html"}).get_data(as_text=True)
    assert 'id="refusal"' in page and "Not committed:" in page and "declaredZoneCount" in page and programme in page


def test_auth_is_required(client):
    assert client.post("/ingest/reviews", json={"text": "x"}).status_code == 401
    assert client.get("/ingest", headers={"Accept": "application/json"}).status_code == 401
    wrong = client.post("/ingest/reviews", json={"text": "x"}, headers=bearer("not-a-token"))
    assert wrong.status_code == 401 and "Bearer" in wrong.headers["WWW-Authenticate"]
    page = client.get("/ingest", headers={"Accept": "text/html"})  # the menu's page: its sign-in form
    assert page.status_code == 200 and b"Curator token" in page.data and b"Signed in as" not in page.data


def test_a_browser_signs_in_with_a_cookie_and_forms_need_the_check_value(client, app_and_token):
    token = app_and_token[1]
    assert client.post("/ingest/sign-in", data={"token": "wrong"}).status_code == 401
    resp = client.post("/ingest/sign-in", data={"token": token})
    assert resp.status_code == 303
    assert "HttpOnly" in resp.headers["Set-Cookie"] and "SameSite=Strict" in resp.headers["Set-Cookie"]
    page = client.get("/ingest", headers={"Accept": "text/html"})
    assert page.status_code == 200 and b"Signed in as" in page.data
    forged = client.post("/ingest/reviews", data={"text": "A text"}, headers={"Accept": "text/html"})
    assert forged.status_code == 403
    bad = client.post("/ingest/reviews", headers={"Accept": "text/html"},
                      data={"check": _check_of(client), "text": "Pilot zones of a kind.", "date": "someday"})
    assert bad.status_code == 400
    assert b"date &#39;someday&#39; is not a date" in bad.data and b"Pilot zones of a kind.</textarea>" in bad.data
    # signed out, a review's page asks to sign in and comes back to it
    client.post("/ingest/sign-out", data={"check": _check_of(client)})
    review_path = "/ingest/reviews/" + "a" * 32
    page = client.get(review_path, headers={"Accept": "text/html"})
    assert page.status_code == 401 and f'name="next" value="{review_path}"'.encode() in page.data
    resp = client.post("/ingest/sign-in", data={"token": token, "next": review_path})
    assert resp.status_code == 303 and resp.headers["Location"] == review_path
    resp = client.post("/ingest/sign-in", data={"token": token, "next": "https://elsewhere.example/"})
    assert resp.headers["Location"] == "/ingest"


def _check_of(client) -> str:
    import re

    page = client.get("/ingest", headers={"Accept": "text/html"}).get_data(as_text=True)
    return re.search(r'name="check" value="([0-9a-f]{32})"', page).group(1)


def test_bad_input_gets_a_clear_error_and_stores_nothing(client, auth, app_and_token):
    reviews = app_and_token[0].extensions["pilotkg"].reviews
    before = len(reviews.summaries())
    cases = [
        ({"json": {"text": "   "}}, 400, "no text was given"),
        ({"json": ["not", "an", "object"]}, 400, "send a JSON object"),
        ({"json": {"text": "Pilot zones.", "date": "someday"}}, 400, "date 'someday' is not a date"),
        ({"json": {"text": "Pilot zones.", "url": "ftp://x"}}, 400, "is not an http(s) URL"),
        ({"json": {"text": "Pilot zones.", "name": "000_42920e4a0d4c72dd.txt"}}, 409, "a seed text is named"),
        ({"data": "text", "content_type": "text/plain"}, 415, "unsupported content type"),
    ]
    for kwargs, status, message in cases:
        resp = client.post("/ingest/reviews", headers=auth, **kwargs)
        assert resp.status_code == status, (kwargs, resp.get_data(as_text=True))
        assert message in resp.get_json()["error"], resp.get_json()
    assert len(reviews.summaries()) == before
    review = _create(client, auth, ELDERLY, name="elderly_bad_decisions.txt")
    zone = next(f for f in review["findings"] if f["kind"] == "zone" and f["origin"] == "curation")
    for body, message in [
        ({"decisions": {"zone-0000000000": {"decision": "accept"}}}, "no finding 'zone-0000000000'"),
        ({"decisions": {zone["id"]: {"decision": "correct", "division": "12"}}}, "is not a division code"),
        ({"decisions": {zone["id"]: {"decision": "accept"}}, "bulk": "all"}, "bulk must be"),
        ({"decide": 1}, "send {\"decisions\""),
    ]:
        resp = client.post(review["decide"], json=body, headers=auth)
        assert resp.status_code == 400 and message in resp.get_json()["error"], resp.get_data(as_text=True)
    state = client.get(review["url_page"], headers=auth).get_json()
    assert all(f["decision"] is None for f in state["findings"])
    resp = client.post(review["commit"], headers=auth)
    assert resp.status_code == 400 and "no finding is accepted" in resp.get_json()["error"]
    assert client.get("/ingest/reviews/" + "0" * 32, headers=auth).status_code == 404


def test_cli_stage_creates_a_review_and_prints_its_page(app_and_token, tmp_path):
    import re
    import threading

    from werkzeug.serving import make_server

    app, token = app_and_token
    http = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{http.server_port}"
    try:
        text = tmp_path / "elderly_staged.txt"
        shutil.copyfile(ELDERLY, text)
        out = pilotkg("ingest", str(text), "--output", str(tmp_path / "d.trig"), "--stage", "--server", base,
                      "--token", token)
        assert out.returncode == 0, out.stderr
        line = next(line for line in out.stdout.splitlines() if line.startswith("Staged review: "))
        page = line.removeprefix("Staged review: ")
        assert page.startswith(f"{base}/ingest/reviews/")
        review = app.test_client().get(page.removeprefix(base), headers={**bearer(token), "Accept": "application/json"})
        assert review.status_code == 200 and review.get_json()["name"] == "elderly_staged.txt"
        assert {f["label"] for f in review.get_json()["findings"] if f["kind"] == "zone"} >= {"Shenyang", "Ordos"}
        refused = pilotkg("ingest", str(text), "--output", str(tmp_path / "d.trig"), "--stage", "--server", base,
                          "--token", "wrong")
        assert refused.returncode == 2 and "/ingest answered 401" in refused.stderr
        imported = pilotkg("ingest", str(text), "--output", str(tmp_path / "d.trig"), "--stage", "--as-import",
                           "--server", base, "--token", token)
        assert imported.returncode == 0, imported.stderr
        assert re.search(rf"^Staged import: {re.escape(base)}/imports/[0-9a-f]{{32}}$", imported.stdout, re.M)
    finally:
        http.shutdown()


def test_the_pages_work_with_plain_forms(client, app_and_token):
    """Without JavaScript: sign in, post the text with the form, decide with the radio buttons, commit."""
    import re

    token = app_and_token[1]
    html = {"Accept": "text/html"}
    assert client.post("/ingest/sign-in", data={"token": token}).status_code == 303
    page = client.get("/ingest", headers=html).get_data(as_text=True)
    check = re.search(r'name="check" value="([0-9a-f]{32})"', page).group(1)
    resp = client.post("/ingest/reviews", headers=html, data={
        "check": check, "text": "", "name": "elderly_form.txt",
        "file": (ELDERLY.open("rb"), "elderly_care_pilot.txt")}, content_type="multipart/form-data")
    assert resp.status_code == 303, resp.get_data(as_text=True)
    review_page = resp.headers["Location"]
    page = client.get(review_page, headers=html).get_data(as_text=True)
    ids = re.findall(r'<li class="finding [^"]*" id="f-([a-z]+-[0-9a-f]{10})"', page)
    assert ids and all(f'href="#q-{fid}"' in page and f'id="q-{fid}"' in page for fid in ids)
    data = client.get(review_page, headers={"Accept": "application/json"}).get_json()
    candidates = {f["id"] for f in data["findings"] if f["origin"] == "candidate"}
    ids = [fid for fid in ids if fid not in candidates]
    zone_ids = [fid for fid in ids if fid.startswith("zone-")]
    assert len(zone_ids) == 3 and len(candidates) == 1
    form = {"check": check, **{f"d-{fid}": "accept" for fid in ids}}
    form[f"d-{zone_ids[0]}"] = "correct"
    form[f"label-{zone_ids[0]}"] = "A corrected zone label"  # a new place, so a new zone: the first test's draft
    form[f"division-{zone_ids[0]}"] = "321200"  # has the old one, and two labels for one zone would be refused
    form[f"d-{zone_ids[1]}"] = "reject"
    resp = client.post(review_page + "/commit", headers=html, data=form)
    assert resp.status_code == 303, re.sub(r"<[^>]+>", "", resp.get_data(as_text=True))[-3000:]
    page = client.get(review_page, headers=html).get_data(as_text=True)
    assert 'id="committed"' in page and "left out: rejected" in page
    graph = ID + "graph/draft/elderly-form"
    labels = {r["l"] for r in _select(client, f"SELECT ?l WHERE {{ GRAPH <{graph}> {{ ?z a pk:PilotZone ; rdfs:label ?l }} }}".replace(
        "SELECT", "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\nSELECT"))}
    assert len(labels) == 2 and "A corrected zone label" in labels
    # a stale or forged form (no check value) is refused and changes nothing
    resp = client.post(review_page + "/decisions", headers=html, data={f"d-{zone_ids[2]}": "reject"})
    assert resp.status_code == 403
    assert f'name="d-{zone_ids[2]}" value="accept" checked' in client.get(review_page, headers=html).get_data(as_text=True)


def test_an_ambiguous_place_named_as_a_zone_is_added_only_with_the_place_a_curator_gives(elderly):
    review, findings = elderly
    taizhou = next(f for f in findings if f.origin == "candidate")
    assert taizhou.label == "Taizhou" and set(taizhou.values["candidates"]) == {"321200", "331000"}
    with pytest.raises(ReviewError, match="is ambiguous; correct it with its place"):
        check_decision(taizhou, {"decision": "accept"})
    decisions = {f.id: Decision("accept") for f in findings if f.origin != "candidate"}
    text = ELDERLY.read_text(encoding="utf-8")
    assert "Taizhou" not in str(_zones(ingest_with(ELDERLY, reviewed_curation(review["curation"], findings, decisions, text=text))))
    decisions[taizhou.id] = check_decision(taizhou, {"decision": "correct", "division": "331000"})
    draft = ingest_with(ELDERLY, reviewed_curation(review["curation"], findings, decisions, text=text))
    zone = next(f for f in draft.found["zones"] if "331000" in f.detail)
    assert zone.node.endswith("zone/taizhou-city-331000") and "Zhejiang" in zone.detail and draft.conforms


def test_ingesting_runs_in_a_worker_with_the_write_time_limit(client, auth, app_and_token):
    service = app_and_token[0].extensions["pilotkg"]
    before, limit = len(service.reviews.summaries()), service.config.write_timeout
    service.config.write_timeout = 0.05  # far below what an ingest takes: the worker is stopped
    try:
        resp = client.post("/ingest/reviews", json={"text": ELDERLY.read_text(encoding="utf-8"), "name": "slow.txt"},
                           headers=auth)
    finally:
        service.config.write_timeout = limit
    assert resp.status_code == 503, resp.get_data(as_text=True)
    assert "ran past the time limit and was stopped (setting write-timeout)" in resp.get_json()["error"]
    assert len(service.reviews.summaries()) == before


def test_leaving_out_any_one_finding_leaves_exactly_the_written_ones_in_the_draft():
    """Coastal wetland text: its policy issues by curation and by pattern, tasks hold responsibilities;
    each finding rejected alone (and each role corrected) gives a draft whose entities are the written findings."""
    path = DATA / "coastal_wetland_pilot.txt"
    review = review_text(path)
    findings = [ReviewFinding.from_dict(f) for f in review["findings"]]
    text = path.read_text(encoding="utf-8")
    accept_all = {f.id: Decision("accept") for f in findings if f.origin != "candidate"}
    first_task = next(f for f in findings if f.kind == "task")
    scenarios = [{f.id: Decision("reject")} for f in findings if f.kind in ("policy", "programme", "responsibility")
                 or f is first_task]
    scenarios += [{f.id: Decision("correct", role="leads")} for f in findings if "role" in f.correctable]
    kinds = {"policy": "policy", "programme": "programme", "zones": "zone", "tasks": "task", "objectives": "objective"}
    for change in scenarios:
        decisions = {**accept_all, **change}
        written = inclusion(findings, decisions)
        draft = ingest_with(path, reviewed_curation(review["curation"], findings, decisions, text=text))
        got = {(kinds[k], f.node) for k, items in draft.found.items() if k in kinds for f in items}
        expected = {(f.kind, f.node) for f in findings if written[f.id][0] and f.kind in kinds.values()}
        assert got == expected, change
        assert len(draft.found["responsibilities"]) == sum(
            1 for f in findings if f.kind == "responsibility" and written[f.id][0]), change
