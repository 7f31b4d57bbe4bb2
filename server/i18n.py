"""The pages in English and Chinese, with Flask-Babel and Babel's message catalogues.

Every string a person reads is marked with ``_()``/``ngettext()`` (``{% trans %}`` in
templates); ``pybabel extract -F babel.cfg`` collects them and
``server/translations/zh/LC_MESSAGES/messages.po`` holds the Chinese. The ``.mo`` files
gettext reads are not committed: :func:`compile_catalogues` compiles each ``.po`` at app
start (a few milliseconds) into a folder named by the catalogues' SHA-256 under the
system's temporary folder, so a clean clone, ``pip install .`` and a read-only install all
work, and a changed ``.po`` is picked up by the next start.

The language of a request: ``?lang=zh|en`` first (an unknown value is ignored), then the
``lang`` cookie the language switch sets, then the best match of ``Accept-Language``
among zh and en, else English. An explicit ``?lang=`` is kept in every link and form of
the page (:func:`keep_lang`). Responses say ``Content-Language`` and vary on
``Accept-Language`` and ``Cookie``. Data (SPARQL results, JSON, CSV, RDF) never changes
with the language.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from datetime import date
from pathlib import Path
from urllib.parse import unquote_plus, urlencode

from babel.dates import format_date
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from flask import Flask, Response, has_request_context, request
from flask_babel import Babel, get_locale, gettext

LANGUAGES = ("en", "zh")
DEFAULT = "en"
COOKIE = "lang"
TRANSLATIONS = Path(__file__).parent / "translations"
XSD = "http://www.w3.org/2001/XMLSchema#"


def compile_catalogues(source: Path = TRANSLATIONS) -> Path:
    """Compile every ``LANG/LC_MESSAGES/messages.po`` under ``source`` to ``.mo`` in a cache
    folder keyed by their content, and return that folder (Flask-Babel's translation directory)."""
    pos = sorted(source.glob("*/LC_MESSAGES/*.po"))
    digest = hashlib.sha256()
    for po in pos:
        digest.update(str(po.relative_to(source)).encode() + b"\0" + po.read_bytes())
    target = Path(tempfile.gettempdir()) / f"pilotkg-translations-{digest.hexdigest()[:16]}"
    for po in pos:
        mo = target / po.relative_to(source).with_suffix(".mo")
        if mo.exists():
            continue
        mo.parent.mkdir(parents=True, exist_ok=True)
        with po.open("rb") as f:
            catalog = read_po(f, locale=po.parent.parent.name)
        partial = mo.with_name(f"{mo.name}.{os.getpid()}.tmp")
        with partial.open("wb") as f:
            write_mo(f, catalog)
        os.replace(partial, mo)  # atomic: two processes starting together both end with a whole file
    return target


class TakeLang:
    """WSGI middleware: ``lang`` is the site's parameter, not a page's. It is taken out of the query
    string before any view reads it (pages that refuse unknown parameters never see it), and its
    value, when it is one of ours, is kept in ``environ["pilotkg.lang"]``; other values are ignored."""

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        query = environ.get("QUERY_STRING", "")
        if "lang=" in query:
            kept, chosen = [], None
            for part in query.split("&"):
                name, _eq, value = part.partition("=")
                if unquote_plus(name) == "lang":
                    value = unquote_plus(value).strip().lower()
                    if chosen is None and value in LANGUAGES:
                        chosen = value
                    continue
                kept.append(part)
            environ["QUERY_STRING"] = "&".join(kept)
            if chosen:
                environ["pilotkg.lang"] = chosen
        return self.wsgi_app(environ, start_response)


def explicit_lang() -> str | None:
    """The language ``?lang=`` asked for, when it is one of ours (anything else is ignored)."""
    return request.environ.get("pilotkg.lang")


def select_locale() -> str:
    chosen = explicit_lang()
    if chosen:
        return chosen
    cookie = (request.cookies.get(COOKIE) or "").strip().lower()
    if cookie in LANGUAGES:
        return cookie
    return request.accept_languages.best_match(LANGUAGES, default=DEFAULT) or DEFAULT


def current_lang() -> str:
    """``en`` or ``zh``: this request's language (English outside a request)."""
    if not has_request_context():
        return DEFAULT
    return str(get_locale() or DEFAULT).split("_")[0]


def other_lang(lang: str | None = None) -> str:
    return "en" if (lang or current_lang()) == "zh" else "zh"


def lang_url(lang: str) -> str:
    """This page's URL with ``lang=LANG`` (the switch's links)."""
    args = list(request.args.items(multi=True))  # without lang (see TakeLang)
    args.append(("lang", lang))
    return request.path + "?" + urlencode(args)


# ---- keeping ?lang= in the page's links and forms -------------------------------------

_HREF = re.compile(r'(\s(?:href|action)=")(/(?!/|static/)[^"]*)(")')
_FORM = re.compile(r"<form\b[^>]*>", re.IGNORECASE)


def _with_lang(url: str, lang: str) -> str:
    base, hash_, fragment = url.partition("#")
    if re.search(r"(?:[?&]|&amp;)lang=", base):
        return url
    sep = "&amp;" if "?" in base else "?"
    return f"{base}{sep}lang={lang}{hash_}{fragment}"


def keep_lang(html: str, lang: str) -> str:
    """Add ``lang=LANG`` to every link and form action on this server (not to static files) and a
    hidden ``lang`` field to every GET form, whose action's query a browser drops."""
    html = _HREF.sub(lambda m: m.group(1) + _with_lang(m.group(2), lang) + m.group(3), html)

    def form(m: re.Match) -> str:
        tag = m.group(0)
        if re.search(r"method=\"post\"", tag, re.IGNORECASE):
            return tag
        return tag + f'<input type="hidden" name="lang" value="{lang}">'

    return _FORM.sub(form, html)


# ---- dates, numbers and names the reader's way ------------------------------------------

def number(value) -> str:
    """``12,345`` in either language (Babel's decimal format for the locale)."""
    if value is None or value == "":
        return ""
    try:
        return format_decimal(value, locale=current_lang())
    except (TypeError, ValueError):
        return str(value)


_DATE = re.compile(r"^(-?\d{4})(?:-(\d{2})(?:-(\d{2}))?)?(?:Z|[+-]\d{2}:\d{2})?$")
_MONTH_DAY = re.compile(r"^--(\d{2})-(\d{2})(?:Z|[+-]\d{2}:\d{2})?$")
_DATETIME = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T")


def not_stated() -> str:
    return gettext("not stated")


def show_date(value, datatype: str | None = None) -> str:
    """An ``xsd:date``/``gYearMonth``/``gYear``/``gMonthDay`` (or ``YYYY[-MM[-DD]]``) the reader's way:
    in Chinese 2019年4月15日, 2019年4月, 2019年; in English as the data writes it (2019-04-15). A
    month and day without a year (``--02-08``) says that the year is not stated, in both. Anything
    else is returned as it is."""
    if value is None:
        return not_stated()
    text = str(value).strip()
    if not text:
        return not_stated()
    lang = current_lang()
    m = _MONTH_DAY.match(text)
    if m:
        month, day = int(m.group(1)), int(m.group(2))
        try:
            md = format_date(date(2000, month, day), "M月d日" if lang == "zh" else "d MMMM", locale=lang)
        except ValueError:
            return text
        return gettext("%(day)s (year not stated)", day=md)
    if lang != "zh":
        return text
    m = _DATETIME.match(text) or _DATE.match(text)
    if not m:
        return text
    year, month, day = m.group(1), m.group(2), m.group(3)
    try:
        if day:
            return format_date(date(int(year), int(month), int(day)), "y年M月d日", locale="zh")
        if month:
            return format_date(date(int(year), int(month), 1), "y年M月", locale="zh")
    except ValueError:
        return text
    return f"{int(year)}年"


DATE_TYPES = {XSD + name for name in ("date", "dateTime", "gYear", "gYearMonth", "gMonthDay")}


def show_literal(t) -> str:
    """The text of a literal :class:`~pilotkg.server.site.Term`: dates and numbers the reader's way."""
    if t.datatype in DATE_TYPES:
        return show_date(t.value)
    if t.datatype in (XSD + "integer", XSD + "nonNegativeInteger", XSD + "positiveInteger", XSD + "int"):
        return number(t.value)
    return t.value


def init_app(app: Flask) -> None:
    app.config["BABEL_DEFAULT_LOCALE"] = DEFAULT
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(compile_catalogues())
    Babel(app, locale_selector=select_locale)
    app.wsgi_app = TakeLang(app.wsgi_app)
    app.jinja_env.add_extension("jinja2.ext.i18n")  # Flask-Babel installs gettext; {% trans %} needs the extension
    app.jinja_env.policies["ext.i18n.trimmed"] = True  # {% trans %} blocks: lines joined, as the .po holds them
    app.jinja_env.filters["num"] = number
    app.jinja_env.filters["date"] = show_date
    app.jinja_env.globals.update(lang_url=lang_url, current_lang=current_lang, other_lang=other_lang,
                                 show_literal=show_literal, not_stated=not_stated)

    @app.after_request
    def language_headers(response: Response) -> Response:
        if response.mimetype != "text/html":
            return response
        lang = current_lang()
        response.headers["Content-Language"] = "zh-Hans" if lang == "zh" else "en"
        response.vary.add("Accept-Language")
        response.vary.add("Cookie")
        chosen = explicit_lang()
        if chosen:
            if not response.is_streamed and not response.direct_passthrough:
                response.set_data(keep_lang(response.get_data(as_text=True), chosen))
            if request.cookies.get(COOKIE) != chosen:
                response.set_cookie(COOKIE, chosen, max_age=365 * 24 * 3600, samesite="Lax", httponly=True)
        return response
