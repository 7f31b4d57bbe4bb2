"""Validation reports and refused writes as HTTP responses."""

from __future__ import annotations

import json

from flask import Response

from pilotkg.graph.curate import WriteRefused


def report_dict(plan_report) -> dict:
    """A SHACL report as a JSON-ready dict (with its Turtle form under 'turtle')."""
    return {
        "conforms": plan_report.conforms,
        "results": [r.__dict__ for r in plan_report.results],
        "turtle": plan_report.graph.serialize(format="turtle"),
    }




def refused(err: WriteRefused) -> Response:
    """A refused write: 422 with the SHACL report (JSON), or the refusal's own status and message."""
    if err.report is not None:
        body = {"error": str(err), **{k: v for k, v in report_dict(err.report).items() if k != "turtle"}}
        return Response(json.dumps(body, ensure_ascii=False, indent=2), status=err.status, mimetype="application/json",
                        headers={"Access-Control-Allow-Origin": "*"})
    return Response(str(err).rstrip() + "\n", status=err.status, mimetype="text/plain")


