"""Helpers shared by the browser tests (import as ``from browser_helpers import ...``)."""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

ID = "https://w3id.org/pilotkg/id/"
PREFIXES = """PREFIX pk: <https://w3id.org/pilotkg/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX oa: <http://www.w3.org/ns/oa#>
"""
CHAR_FRAGMENT = re.compile(r"^char=(\d+),(\d+)$")  # RFC 5147


def local_path(iri: str) -> str:
    """The path of one of our instance IRIs on this server: ``…/id/zone/x`` → ``/id/zone/x``."""
    assert iri.startswith(ID), iri
    return "/id/" + iri[len(ID):]


def source_slug(iri: str) -> str:
    assert iri.startswith(ID + "source/"), iri
    return iri[len(ID + "source/"):]


def path_of(href: str) -> str:
    """The path (percent-decoded) of a link, absolute or relative to the server."""
    return unquote(urlsplit(href).path)


def squash(text: str) -> str:
    """Whitespace collapsed, for comparing text a page may wrap differently."""
    return " ".join(text.split())


def assert_page(page, what: str) -> str:
    """A page of the site: the shared layout, a language, a title and one visible, non-empty h1.
    Returns the h1's text."""
    assert page.locator("html").get_attribute("lang"), f"{what}: <html> has no lang attribute"
    assert page.title().strip(), f"{what}: empty <title>"
    assert page.locator("header.site-header").count() == 1, f"{what}: the site header (base.html) is missing"
    h1 = page.locator("h1")
    assert h1.count() >= 1, f"{what}: no <h1>"
    assert h1.first.is_visible(), f"{what}: the <h1> is not visible"
    text = squash(h1.first.inner_text())
    assert text, f"{what}: the <h1> is empty"
    assert_no_sideways_scroll(page, what)
    return text


OVERFLOWING = """() => {
  const width = document.documentElement.clientWidth;
  if (document.documentElement.scrollWidth <= width) return null;
  const wide = [];
  for (const el of document.querySelectorAll("body *")) {
    const box = el.getBoundingClientRect();
    if (box.right > width + 1 && box.width > 0) {
      let parent = el.parentElement, inside = false;
      while (parent) { const b = parent.getBoundingClientRect(); if (b.right > width + 1) { inside = true; break; } parent = parent.parentElement; }
      if (!inside) wide.push(el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
        (el.className && typeof el.className === "string" ? "." + el.className.trim().split(/\\s+/).join(".") : "") +
        " (right edge " + Math.round(box.right) + " px)");
    }
  }
  return {scrollWidth: document.documentElement.scrollWidth, width: width, elements: wide.slice(0, 5)};
}"""


def assert_no_sideways_scroll(page, what: str) -> None:
    """At the test viewport's width (1280 px) the page does not scroll sideways; names the culprits."""
    overflow = page.evaluate(OVERFLOWING)
    assert overflow is None, (
        f"{what}: the page is {overflow['scrollWidth']} px wide in a {overflow['width']} px window "
        f"(scrolls sideways); outermost elements past the edge: {overflow['elements']}")
