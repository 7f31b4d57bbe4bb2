"""``pilotkg token add|list|revoke``: keep the curator tokens file.

The file is the one the server reads (setting ``tokens-file``; by default
``DATA/tokens.toml``), in the format described in :mod:`pilotkg.server.auth`.
Each change rewrites it atomically (a temp file beside it, then ``os.replace``)
with mode 0600, under a lock file so that two commands do not lose each
other's change. A running server sees the change on its next request.

Exit codes: 0 done; 2 unusable input (a bad name, a name that exists or does
not, a tokens file that does not parse).
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import NoReturn

import click

from pilotkg.graph.settings import SettingsError, global_settings, resolve, setting_option

from .auth import NAME_PATTERN, ROLES, Entry, TokensFileError, hash_token, locked, new_token, read_tokens, write_tokens
from .config import ServerConfig

EXIT_BAD_INPUT = 2


def _fail(message: str) -> NoReturn:
    click.echo(f"Error: {message}", err=True)
    sys.exit(EXIT_BAD_INPUT)


def _now() -> str:
    """UTC now, to the second, as a TOML date-time: ``2025-06-01T08:30:00Z``."""
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0, tzinfo=None).isoformat() + "Z"


def _path(ctx: click.Context) -> Path:
    """The tokens file from --tokens-file, PILOTKG_TOKENS_FILE or --config, resolved as ``serve`` does."""
    group = ctx.parent  # the `token` group: --tokens-file
    given = {"tokens_file": group.params.get("tokens_file")} if group is not None else {}
    given.update(ctx.obj["given"])  # --data, --config (before or after `token` or its subcommand) or PILOTKG_*
    try:
        values = resolve(given, given.get("config") or None)
    except SettingsError as err:
        _fail(str(err))
    return ServerConfig.from_settings(values).tokens_path


def _read(path: Path) -> dict[str, Entry]:
    try:
        return read_tokens(path)
    except TokensFileError as err:
        _fail(str(err))


@click.group("token")
@setting_option("tokens-file", default_from_table=False)
@global_settings("data", "config")
@click.pass_context
def token(ctx: click.Context, **_given) -> None:
    """Curator tokens for SPARQL Update and the admin pages: add, list, revoke.

    Tokens are stored only as SHA-256 hashes, in the tokens file (--tokens-file,
    by default DATA/tokens.toml). A running server re-reads the file when it
    changes: a revoked token is refused from the next request on.
    """


@token.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), default="curator", show_default=True,
              help="admin may also read the audit log (/admin/audit).")
@global_settings("data", "config")
@click.pass_context
def add(ctx: click.Context, name: str, role: str) -> None:
    """Add curator NAME with a new token, printed once on standard output.

    Only the token's SHA-256 is stored: keep the printed token, it cannot be
    shown again (revoke it and add a new curator if it is lost).
    """
    if not NAME_PATTERN.match(name):
        _fail(f"bad curator name {name!r}: use 1 to 64 letters, digits, '_' or '-'")
    path = _path(ctx)
    with locked(path):
        entries = _read(path)
        if name in entries:
            state = "revoked" if entries[name].revoked else "active"
            _fail(f"curator {name!r} is already in {path} ({state}); choose another name")
        secret = new_token()
        entries[name] = Entry(name, role, hash_token(secret), created=_now())
        write_tokens(path, entries)
    click.echo(f"added curator {name!r} ({role}) to {path}; the token below is shown only this once:", err=True)
    click.echo(secret)


@token.command("list")
@click.option("--json", "as_json", is_flag=True, help="A JSON list instead of a table.")
@global_settings("data", "config")
@click.pass_context
def list_cmd(ctx: click.Context, as_json: bool) -> None:
    """List curators: name, role, created, revoked (never a token or its hash)."""
    path = _path(ctx)
    entries = _read(path)
    rows = [{"name": e.name, "role": e.role, "created": e.created, "revoked": e.revoked, "revoked_at": e.revoked_at}
            for e in entries.values()]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        click.echo(f"no curators in {path}", err=True)
        return
    width = max(4, *(len(r["name"]) for r in rows))
    click.echo(f"{'name':<{width}}  {'role':<7}  {'created':<20}  revoked")
    for r in rows:
        revoked = ("yes " + (r["revoked_at"] or "")).strip() if r["revoked"] else "no"
        click.echo(f"{r['name']:<{width}}  {r['role']:<7}  {r['created'] or '-':<20}  {revoked}")


@token.command("revoke")
@click.argument("name")
@global_settings("data", "config")
@click.pass_context
def revoke(ctx: click.Context, name: str) -> None:
    """Revoke curator NAME's token; a running server refuses it from its next request on."""
    path = _path(ctx)
    with locked(path):
        entries = _read(path)
        entry = entries.get(name)
        if entry is None:
            _fail(f"no curator {name!r} in {path}" + (f"; curators: {', '.join(entries)}" if entries else ""))
        if entry.revoked:
            click.echo(f"curator {name!r} was already revoked ({entry.revoked_at or 'date not recorded'})", err=True)
            return
        entries[name] = Entry(entry.name, entry.role, entry.token_sha256, entry.created, True,
                              _now())
        write_tokens(path, entries)
    click.echo(f"revoked curator {name!r} in {path}", err=True)
