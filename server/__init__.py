"""pilotkg.server: the Flask SPARQL endpoint and pages (not built yet; see issue 3)."""
