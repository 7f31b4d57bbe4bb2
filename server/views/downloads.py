"""``/downloads``: the whole dataset as N-Quads, TriG, Turtle and JSON-LD, each with
its size and SHA-256, the VoID + DCAT description (``/downloads/void.ttl``) and how
to cite this version of the dataset. The files are made by
:mod:`pilotkg.server.downloads` from the store's current contents.

The dataset's own IRIs (``https://w3id.org/pilotkg/id/dataset/…``) resolve here too:
a browser is sent to this page, a program to the description.
"""

from __future__ import annotations

import json

from flask import Blueprint, Response, current_app, redirect, request, send_file

from ..downloads import BY_FILE, DATASET, FORMATS, Downloads, edition, void_description
from ..negotiation import wants_html
from ..ontology_doc import ontology_doc
from ..site import DOC_LINKS, error_page, local_path, page, service
from .docs import unknown_parameters

bp = Blueprint("downloads", __name__)

DESCRIPTION_FILE = "void.ttl"


def _downloads() -> Downloads:
    """The app's downloads (one per app: it keeps the files of the current state)."""
    svc = service()
    found = current_app.extensions.get("pilotkg.downloads")
    if found is None or found.service is not svc:
        found = current_app.extensions["pilotkg.downloads"] = Downloads(svc)
    return found


class _Unavailable(Exception):
    pass


def _current():
    """The current files; a clear 503 (not a 500) if they cannot be written (a full disk, a read-only folder)."""
    downloads = _downloads()
    try:
        return downloads.current()
    except OSError as err:
        raise _Unavailable(f"the download files cannot be made in {downloads.base}: {err.strerror or err}; "
                           "check that the data folder is writable and has free space") from err


@bp.errorhandler(_Unavailable)
def _unavailable(err: _Unavailable) -> Response:
    if wants_html(request.headers.get("Accept")):
        return error_page(503, "Downloads unavailable", str(err), DOC_LINKS)
    return Response(str(err) + "\n", status=503, mimetype="text/plain")


def _edition(release):
    header = ontology_doc().header
    license = header.license.iri if header.license else None
    return edition(service(), release, license=license, author=", ".join(header.creators) or None)


def _description(release, ed) -> Response:
    body = void_description(release, ed, request.url_root)
    return Response(body, content_type="text/turtle; charset=utf-8", headers={
        "Access-Control-Allow-Origin": "*", "Vary": "Accept",
        "Content-Disposition": f'inline; filename="{DESCRIPTION_FILE}"'})


def _listing(release, ed) -> dict:
    """The page's data as JSON (``Accept: application/json``)."""
    root = request.url_root
    return {
        "dataset": DATASET,
        "version": ed.version,
        "built_at": ed.built_at,
        "modified": ed.modified,
        "quads": release.quads,
        "triples": release.triples,
        "graphs": release.graphs,
        "license": ed.license,
        "citation": ed.citation(),
        "description": root + "downloads/" + DESCRIPTION_FILE,
        "files": [{"format": f.title, "url": root + "downloads/" + f.file, "media_type": f.media_type,
                   "size": release.files[f.key].size, "sha256": release.files[f.key].sha256,
                   "statements": release.files[f.key].statements} for f in FORMATS],
    }


@bp.route("/downloads")
def downloads_page() -> Response:
    refusal = unknown_parameters()
    if refusal is not None:
        return refusal
    release = _current()
    ed = _edition(release)
    accept = request.headers.get("Accept")
    if wants_html(accept):
        graphs = [(g, n, local_path(g)) for g, n in release.graphs.items()]
        response = page("downloads.html", release=release, edition=ed, formats=FORMATS, graphs=graphs,
                        description_file=DESCRIPTION_FILE)
    elif "application/json" in (accept or ""):
        response = Response(json.dumps(_listing(release, ed), ensure_ascii=False, indent=2), mimetype="application/json",
                            headers={"Access-Control-Allow-Origin": "*"})
    else:
        response = _description(release, ed)
    response.headers["Vary"] = "Accept"
    return response


@bp.route("/downloads/<name>")
def download(name: str) -> Response:
    refusal = unknown_parameters()
    if refusal is not None:
        return refusal
    if name == DESCRIPTION_FILE:
        release = _current()
        return _description(release, _edition(release))
    fmt = BY_FILE.get(name)
    if fmt is None:
        offered = ", ".join([f.file for f in FORMATS] + [DESCRIPTION_FILE])
        message = f"there is no file {name} here; the downloads are {offered}"
        if wants_html(request.headers.get("Accept")):
            return error_page(404, "No such download", message, DOC_LINKS)
        return Response(message + "\n", status=404, mimetype="text/plain")
    release = _current()
    info = release.files[fmt.key]
    ext = fmt.file.rsplit(".", 1)[1]
    response = send_file(release.path(fmt.file), mimetype=fmt.media_type, as_attachment=True,
                         download_name=f"pilotkg-{_edition(release).version}-{release.short_sha}.{ext}",
                         etag=info.sha256, conditional=True, max_age=0)
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["X-Pilotkg-SHA256"] = info.sha256
    return response


@bp.route("/id/dataset/<path:rest>")
def dataset_iri(rest: str) -> Response:
    """The IRIs the description mints (the dataset, its files, partitions): 303 to where they are described."""
    if not (rest == "pilotkg" or rest.startswith("pilotkg/")):
        message = f"there is no dataset {DATASET.rsplit('/', 1)[0]}/{rest}; the dataset is {DATASET}"
        if wants_html(request.headers.get("Accept")):
            return error_page(404, "No such dataset", message, DOC_LINKS)
        return Response(message + "\n", status=404, mimetype="text/plain")
    target = "/downloads" if wants_html(request.headers.get("Accept")) else "/downloads/" + DESCRIPTION_FILE
    response = redirect(target, code=303)
    response.headers["Vary"] = "Accept"
    return response
