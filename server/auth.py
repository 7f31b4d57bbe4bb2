"""Who may write: per-curator bearer tokens from a TOML file, stored hashed.

The tokens file (setting ``tokens-file``; by default ``DATA/tokens.toml``) is
kept by ``pilotkg token add|list|revoke`` and may be edited by hand::

    [curators.alice]
    role = "curator"            # or "admin"
    token_sha256 = "9f86d0…"    # 64 hex digits: SHA-256 of the token's UTF-8 bytes
    created = 2025-06-01T08:30:00Z
    revoked = false
    # revoked_at = 2025-07-01T09:00:00Z   (written by `pilotkg token revoke`)

Only the hash of a token is stored. A token is ``secrets.token_urlsafe(32)``:
32 random bytes (256 bits). Salting and key stretching (PBKDF2, scrypt) exist
to slow down guessing of *low-entropy* secrets such as passwords; nobody can
enumerate 2**256 candidates, so one unsalted SHA-256 is as strong here, and it
keeps the check per request to a microsecond instead of ~100 ms of PBKDF2.

:meth:`TokenRegistry.authenticate` hashes the presented token and compares the
digest with :func:`hmac.compare_digest` against *every* entry (revoked ones
too) without stopping at a match, so the time taken does not depend on which
entry matched or whether one did. Each call first stats the file (one
``os.stat``); when its inode, size or mtime changed, it is read again, so
``pilotkg token revoke`` takes effect on the next request, without a restart.
A file that no longer parses keeps the last good registry in force and logs an
error (once per change of the file); at startup it is an error naming the file
and line. A missing file means no curators.

The older ``update-token`` setting still works: if set, it is one more admin,
named ``token``.

Roles are ordered: an ``admin`` may do whatever a ``curator`` may, and read the
audit log (see :mod:`pilotkg.server.audit`).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import json
import logging
import os
import re
import secrets
import tempfile
import threading
import tomllib
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from flask import Response, current_app, g, request

log = logging.getLogger("pilotkg.server.auth")

ROLES = ("curator", "admin")  # in increasing order of power
LEGACY_NAME = "token"  # the curator the ``update-token`` setting stands for
NAME_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")  # names `pilotkg token add` accepts (TOML bare keys)
HASH_PATTERN = re.compile(r"^[0-9a-f]{64}$")
KEYS = {"role", "token_sha256", "created", "revoked", "revoked_at"}
REALM = 'Bearer realm="pilotkg"'
BASIC_REALM = 'Basic realm="pilotkg", charset="UTF-8"'
HEADER_COMMENT = (
    "# pilotkg curator tokens, kept by `pilotkg token add|list|revoke` (comments are not kept).\n"
    "# Only the SHA-256 of each token is stored; the token itself was shown once, when it was added.\n"
)


class TokensFileError(ValueError):
    """A tokens file that cannot be used; the message names the file and, where known, the line."""


@dataclass(frozen=True)
class Curator:
    name: str
    role: str

    def has(self, role: str) -> bool:
        """Whether this curator's role is ``role`` or above it."""
        return ROLES.index(self.role) >= ROLES.index(role)


@dataclass(frozen=True)
class Entry:
    """One curator of the tokens file, as stored."""

    name: str
    role: str
    token_sha256: str
    created: str | None = None
    revoked: bool = False
    revoked_at: str | None = None


def new_token() -> str:
    """A fresh token: 32 random bytes, URL-safe base64 (43 characters)."""
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


# --- reading and writing the file --------------------------------------------------------------------


def _when(value) -> str | None:
    """A TOML date, date-time or string as ISO 8601 text (UTC date-times with Z)."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None and value.utcoffset() == dt.timedelta(0):
            return value.replace(tzinfo=None).isoformat() + "Z"
        return value.isoformat()
    if isinstance(value, (dt.date, str)):
        return value.isoformat() if isinstance(value, dt.date) else value
    raise TypeError(type(value).__name__)


def _line_of(text: str, name: str) -> int | None:
    """The line of the ``[curators.NAME]`` header (1-based), if it can be found."""
    quoted = re.escape(json.dumps(name, ensure_ascii=False))
    header = re.compile(rf"^[ \t]*\[[ \t]*curators[ \t]*\.[ \t]*(?:{re.escape(name)}|{quoted}|'{re.escape(name)}')[ \t]*\]", re.M)
    match = header.search(text)
    return text.count("\n", 0, match.start()) + 1 if match else None


def parse_tokens(text: str, path: Path | str = "tokens file") -> dict[str, Entry]:
    """The entries of a tokens file's text, checked; :class:`TokensFileError` names file and line."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:  # its message ends "(at line L, column C)"
        raise TokensFileError(f"{path}: not valid TOML: {err}") from err
    unknown = sorted(set(data) - {"curators"})
    if unknown:
        raise TokensFileError(f"{path}: unknown top-level key {unknown[0]!r}; the file holds only [curators.NAME] tables")
    curators = data.get("curators", {})
    if not isinstance(curators, dict):
        raise TokensFileError(f"{path}: 'curators' must be a table of [curators.NAME] tables")
    entries: dict[str, Entry] = {}
    seen_hashes: dict[str, str] = {}
    for name, table in curators.items():
        line = _line_of(text, name)
        where = f"{path}, line {line}" if line else f"{path}"

        def bad(message: str) -> TokensFileError:
            return TokensFileError(f"{where}: curator {name!r}: {message}")

        if not isinstance(table, dict):
            raise bad("must be a table ([curators.NAME] with role and token_sha256)")
        extra = sorted(set(table) - KEYS)
        if extra:
            raise bad(f"unknown key {extra[0]!r}; known: {', '.join(sorted(KEYS))}")
        role = table.get("role")
        if role not in ROLES:
            raise bad(f"role must be one of {', '.join(repr(r) for r in ROLES)}, not {role!r}")
        digest = table.get("token_sha256")
        if not isinstance(digest, str) or not HASH_PATTERN.match(digest.lower()):
            raise bad("token_sha256 must be 64 hexadecimal digits (the SHA-256 of the token)")
        digest = digest.lower()
        if digest in seen_hashes:
            raise bad(f"has the same token as curator {seen_hashes[digest]!r}")
        seen_hashes[digest] = name
        revoked = table.get("revoked", False)
        if not isinstance(revoked, bool):
            raise bad(f"revoked must be true or false, not {revoked!r}")
        try:
            created, revoked_at = _when(table.get("created")), _when(table.get("revoked_at"))
        except TypeError:
            raise bad("created and revoked_at must be dates or date-times") from None
        entries[name] = Entry(name, role, digest, created, revoked, revoked_at)
    return entries


def read_tokens(path: Path) -> dict[str, Entry]:
    """The entries of the tokens file at ``path`` (none if it does not exist)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as err:
        raise TokensFileError(f"{path}: cannot read the tokens file: {err}") from err
    return parse_tokens(text, path)


def _key(name: str) -> str:
    return name if NAME_PATTERN.match(name) else json.dumps(name, ensure_ascii=False)


def _toml_when(value: str) -> str:
    """An ISO text back as a bare TOML date or date-time if TOML reads it as one, else a quoted string."""
    try:
        if isinstance(tomllib.loads(f"v = {value}")["v"], (dt.date, dt.datetime)):
            return value
    except tomllib.TOMLDecodeError:
        pass
    return json.dumps(value, ensure_ascii=False)


def format_tokens(entries: dict[str, Entry]) -> str:
    """The text of a tokens file holding ``entries`` (which :func:`parse_tokens` reads back)."""
    parts = [HEADER_COMMENT]
    for entry in entries.values():
        lines = [f"\n[curators.{_key(entry.name)}]", f'role = "{entry.role}"', f'token_sha256 = "{entry.token_sha256}"']
        if entry.created:
            lines.append(f"created = {_toml_when(entry.created)}")
        lines.append(f"revoked = {'true' if entry.revoked else 'false'}")
        if entry.revoked_at:
            lines.append(f"revoked_at = {_toml_when(entry.revoked_at)}")
        parts.append("\n".join(lines) + "\n")
    return "".join(parts)


def write_tokens(path: Path, entries: dict[str, Entry]) -> None:
    """Replace the tokens file atomically (a temp file beside it, fsync, ``os.replace``), mode 0600."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)  # mkstemp: mode 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(format_tokens(entries))
            f.flush()
            os.fsync(f.fileno())
        os.chmod(temp, 0o600)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    try:  # make the rename itself durable
        dir_fd = os.open(path.parent, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)


@contextmanager
def locked(path: Path) -> Iterator[None]:
    """Serialise read-modify-write of the tokens file between processes (``path``.lock, flock)."""
    try:
        import fcntl
    except ImportError:  # not POSIX: no lock between processes
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(f"{path}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def token_of(authorization: str | None) -> str | None:
    """The token an ``Authorization`` header presents: ``Bearer TOKEN``, or HTTP Basic
    (RFC 7617) with any user name and the token as the password, as SPARQLWrapper's
    ``setCredentials``, rdflib's ``auth=`` and ``curl -u NAME:TOKEN`` send it. None for any
    other scheme, or a Basic credential that is not base64 of UTF-8 ``NAME:PASSWORD``."""
    scheme, _, credential = (authorization or "").strip().partition(" ")
    credential = credential.strip()
    if not credential:
        return None
    if scheme.lower() == "bearer":
        return credential
    if scheme.lower() != "basic":
        return None
    try:
        pair = base64.b64decode(credential, validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return None
    _name, colon, password = pair.partition(":")
    return password if colon and password else None


# --- the registry the server asks ---------------------------------------------------------------------


class TokenRegistry:
    """The curators of a tokens file (plus the legacy ``update-token``), re-read when the file changes."""

    def __init__(self, path: Path | str, legacy_token: str = ""):
        self.path = Path(path)
        self._legacy = Entry(LEGACY_NAME, "admin", hash_token(legacy_token)) if legacy_token else None
        self._lock = threading.Lock()
        self._signature: tuple | None = None
        self._signature = self._stat()
        self._entries = read_tokens(self.path)  # at startup a bad file is an error (TokensFileError)

    def _stat(self) -> tuple | None:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return None
        except OSError as err:
            log.error("cannot stat the tokens file %s: %s", self.path, err)
            return self._signature  # keep what was read
        return (st.st_ino, st.st_size, st.st_mtime_ns)

    def _refresh(self) -> None:
        signature = self._stat()
        if signature == self._signature:
            return
        with self._lock:
            if signature == self._signature:  # another thread has just read it
                return
            try:
                entries = read_tokens(self.path)
            except TokensFileError as err:
                log.error("%s; keeping the %d curators read before", err, len(self._entries))
            else:
                if signature is None and self._entries:
                    log.warning("the tokens file %s is gone: no curator token is accepted now", self.path)
                else:
                    log.info("re-read the tokens file %s (%d curators)", self.path, len(entries))
                self._entries = entries
            self._signature = signature  # a bad file is reported once, not on every request

    def entries(self) -> list[Entry]:
        """Every entry in force (the file's, then the legacy token's), revoked ones included."""
        self._refresh()
        entries = list(self._entries.values())
        return entries + [self._legacy] if self._legacy else entries

    def has_active(self) -> bool:
        """Whether any token at all could be accepted (updates are disabled otherwise)."""
        return any(not e.revoked for e in self.entries())

    def authenticate(self, authorization: str | None) -> Curator | None:
        """The curator an ``Authorization: Bearer TOKEN`` (or ``Basic``, with the token as the
        password, see :func:`token_of`) header belongs to, or None.

        Compares the token's SHA-256 with every entry's in constant time, never
        stopping early; a revoked entry's match yields None.
        """
        credential = token_of(authorization)
        if not credential:
            return None
        digest = hash_token(credential).encode("ascii")
        found = None
        for entry in self.entries():
            if hmac.compare_digest(digest, entry.token_sha256.encode("ascii")):
                found = entry
        if found is None:
            return None
        if found.revoked:
            log.info("refused the revoked token of curator %r", found.name)
            return None
        return Curator(found.name, found.role)


# --- for views ----------------------------------------------------------------------------------------


def _plain(status: int, message: str, challenges: tuple[str, ...] = ()) -> Response:
    headers = [("Cache-Control", "no-store")] + [("WWW-Authenticate", c) for c in challenges]
    return Response(message.rstrip() + "\n", status=status, mimetype="text/plain", headers=headers)


def _challenges() -> tuple[str, ...]:
    """``Bearer``, and ``Basic`` for clients that send a password only when challenged (Java's
    HttpClient, Jena). Not to a browser's script (it sends ``Sec-Fetch-Mode``): a Basic
    challenge would open the browser's password dialog over the page."""
    return (REALM,) if request.headers.get("Sec-Fetch-Mode") else (REALM, BASIC_REALM)


def require(role: str, purpose: str = "this request") -> Curator | Response:
    """The curator of this request if it has ``role`` (or above); otherwise a 401 or 403 to return.

    ``purpose`` names what is asked in the messages ("... is required for updates"). The
    curator's name is kept in ``g.curator`` for the access log. A request a browser sends
    from a page on another origin is refused (403) unless that origin is in the setting
    ``cors-origins`` (see :mod:`pilotkg.server.cors`).
    """
    from .cors import foreign_origin

    registry: TokenRegistry = current_app.extensions["pilotkg"].tokens
    who = registry.authenticate(request.headers.get("Authorization"))
    if who is None:
        if not registry.has_active():
            return _plain(401, f"no token is accepted for {purpose} on this server (no update token is configured "
                               "and the tokens file lists no active curator; see `pilotkg token add`)", _challenges())
        return _plain(401, f"a valid 'Authorization: Bearer TOKEN' header (or HTTP Basic with the token as the "
                           f"password) is required for {purpose}", _challenges())
    origin = foreign_origin(request)
    if origin is not None and origin.lower() not in current_app.config.get("PILOTKG_CORS_ORIGINS", ()):
        return _plain(403, f"requests for {purpose} from a web page on {origin} are refused: that origin is not in the setting "
                           "cors-origins")
    g.curator = who.name
    if not who.has(role):
        return _plain(403, f"the {role} role is required for {purpose}; curator {who.name!r} has the {who.role} role")
    return who
