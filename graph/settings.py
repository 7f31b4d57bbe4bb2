"""Every setting of pilotkg, declared once: name, default, type, help.

The CLI options, the optional TOML file, the README table and the docs test
all read this table. Environment variables use the ``PILOTKG_`` prefix
(``--query-timeout`` ↔ ``PILOTKG_QUERY_TIMEOUT``). Precedence: command-line
option, then environment variable, then the TOML file given by ``--config``,
then the default.
"""

from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    help: str
    type: type = str
    choices: tuple[str, ...] = ()  # the only values allowed, when not empty

    @property
    def env(self) -> str:
        return "PILOTKG_" + self.name.upper().replace("-", "_")

    @property
    def key(self) -> str:
        """The key in a TOML config file and in Python: ``query_timeout``."""
        return self.name.replace("-", "_")


SETTINGS: dict[str, Setting] = {
    s.name: s
    for s in (
        Setting("data", "pilotkg-data", "Folder holding the built dataset (dataset.nq, build-info.json) and the embedded store."),
        Setting("host", "127.0.0.1", "Address the server listens on."),
        Setting("port", 8080, "Port the server listens on.", int),
        Setting("store", "", "URL of a remote SPARQL 1.1 store (Oxigraph server, Virtuoso, Fuseki, ...) to serve instead of the embedded one: its query URL."),
        Setting("store-engine", "auto", "The remote store's engine: auto (from its Server header), oxigraph, virtuoso, fuseki or other; chooses how queries are sent and which URLs are derived."),
        Setting("store-update", "", "SPARQL Update URL of the remote store; empty: derived from --store for the engine (Virtuoso: the same /sparql)."),
        Setting("store-data", "", "Graph Store Protocol URL of the remote store; empty: derived from --store for the engine (Virtuoso: /sparql-graph-crud)."),
        Setting("workers", 2, "Query worker processes (each query runs in one; a query past its time limit is killed with its worker).", int),
        Setting("threads", 16, "Threads of the WSGI server answering HTTP requests.", int),
        Setting("query-timeout", 10.0, "Seconds a query may run before it is stopped (503).", float),
        Setting("max-rows", 100_000, "Most result rows (or triples) a query returns; the cap is stated in the X-Pilotkg-Row-Limit header.", int),
        Setting("max-body", 1_048_576, "Largest request body in bytes (413 beyond it).", int),
        Setting("max-triples", 100_000, "Most triples one uploaded RDF document may hold (413 beyond it).", int),
        Setting("max-literal", 1_048_576, "Most characters of one literal or IRI in an uploaded RDF document (413 beyond it).", int),
        Setting("worker-memory", 2048, "Address-space cap of each worker process, in MiB (0: none); a job past it fails alone.", int),
        Setting("write-timeout", 60.0, "Seconds the planning of one write (parse, reasoning, SHACL) may take in its worker (503 beyond it).", float),
        Setting("client-queries", 4, "Most queries one client address may have running or waiting (429 beyond it, with Retry-After).", int),
        Setting("short-workers", 2, "Worker processes kept for short queries, so that a light query answers while heavy ones run.", int),
        Setting("update-token", "", "Bearer token of one admin named 'token', besides the curators of the tokens file; empty (the default): only those curators may update."),
        Setting("tokens-file", "", "TOML file of curator tokens (kept by `pilotkg token`); empty means DATA/tokens.toml."),
        Setting("cors-origins", "", "Comma-separated origins (https://host[:port]) whose web pages may send updates and Graph Store writes with a token; empty (the default): none. Reads are open to every origin."),
        Setting("behind-proxy", 0, "Number of reverse proxies in front of the server whose X-Forwarded-For/-Proto/-Host/-Port headers are trusted (0, the default: they are ignored).", int),
        Setting("reasoner", "reasonable", "OWL RL reasoner of the build: reasonable (Rust, fast) or owlrl (pure Python, "
                "the reference); both give the same dataset.", str, ("reasonable", "owlrl")),
        Setting("config", "", "A TOML file with any of these settings (keys with underscores: query_timeout = 5)."),
    )
}


def setting_option(name: str, *, default_from_table: bool = True):
    """A click option for a setting, reading its environment variable.

    With ``default_from_table=False`` the option defaults to None so that a TOML
    file can supply the value (see :func:`resolve`).
    """
    s = SETTINGS[name]
    return click.option(
        f"--{s.name}",
        envvar=s.env,
        type=click.Choice(s.choices) if s.choices else s.type,
        default=s.default if default_from_table else None,
        show_default=(str(s.default) or "empty") if not default_from_table else True,
        show_envvar=True,
        help=s.help,
    )


class SettingsError(ValueError):
    """A config file or value that cannot be used; names the file, key and problem."""


def load_toml(path: str | Path) -> dict[str, Any]:
    """Settings from a TOML file, checked against the table (unknown keys and wrong types are errors)."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise SettingsError(f"{path}: cannot read the config file: {err.strerror}") from err
    except tomllib.TOMLDecodeError as err:
        raise SettingsError(f"{path}: not valid TOML: {err}") from err
    by_key = {s.key: s for s in SETTINGS.values()}
    out = {}
    for key, value in data.items():
        if key not in by_key:
            raise SettingsError(f"{path}: unknown setting {key!r}; known: {', '.join(sorted(by_key))}")
        setting = by_key[key]
        try:
            out[key] = setting.type(value)
        except (TypeError, ValueError) as err:
            kind = {int: "whole number", float: "number", str: "string"}[setting.type]
            raise SettingsError(f"{path}: {key} must be a {kind}, not {value!r}") from err
        if setting.choices and out[key] not in setting.choices:
            raise SettingsError(f"{path}: {key} must be one of {', '.join(setting.choices)}, not {value!r}")
    return out


def resolve(given: dict[str, Any], config_file: str | None) -> dict[str, Any]:
    """Effective settings: given (CLI or environment, None when absent) > TOML file > default."""
    from_file = load_toml(config_file) if config_file else {}
    out = {}
    for s in SETTINGS.values():
        value = given.get(s.key)
        out[s.key] = value if value is not None else from_file.get(s.key, s.default)
    return out


# The settings every command takes, before or after its name: `pilotkg --data DIR serve`
# and `pilotkg serve --data DIR` are the same. The group reads them (and their
# environment variables); a subcommand takes them again through :func:`global_settings`.
GLOBAL_SETTINGS = ("data", "config", "reasoner")


def global_options(func):
    """The global settings as options of the ``pilotkg`` group, reading their environment variables."""
    for name in reversed(GLOBAL_SETTINGS):
        func = setting_option(name, default_from_table=False)(func)
    return func


def global_settings(*names: str):
    """Let a subcommand take the global settings ``names`` (default: all) after its name.

    The options have no environment variable here (the group reads those), so
    an option beats the environment on either side of the subcommand; given on
    both sides, the one after the subcommand wins. The command does not see
    them as arguments: they update ``ctx.obj`` (see :func:`apply_global`)
    before it runs.
    """
    names = names or GLOBAL_SETTINGS

    def decorate(func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            given = {name: kwargs.pop(_dest(name)) for name in names}
            apply_global(click.get_current_context(), given)
            return func(*args, **kwargs)

        for name in reversed(names):
            s = SETTINGS[name]
            wrapper = click.option(f"--{s.name}", _dest(name), type=click.Choice(s.choices) if s.choices else s.type,
                                   default=None, help=f"{s.help} Also accepted before the command name; "
                                   f"env {s.env}; default: {s.default or '(empty)'}.")(wrapper)
        return wrapper

    return decorate


def _dest(name: str) -> str:
    return "global_" + SETTINGS[name].key


def apply_global(ctx: click.Context, given: dict[str, Any]) -> dict[str, Any]:
    """Record global settings given on the command line (None: not given) in ``ctx.obj``
    and resolve them again with the config file: ``ctx.obj["given"]`` holds what the
    options and environment gave, ``ctx.obj["data"]`` (a Path) and ``ctx.obj["reasoner"]``
    the effective values. A bad config file is a usage error (exit 2)."""
    obj = ctx.ensure_object(dict)
    mine = obj.setdefault("given", {})
    mine.update({SETTINGS[name].key: value for name, value in given.items() if value is not None})
    try:
        values = resolve(mine, mine.get("config") or None)
    except SettingsError as err:
        raise click.UsageError(str(err)) from err
    obj["data"] = Path(values["data"])
    obj["reasoner"] = values["reasoner"]
    obj["config"] = values["config"]
    return values
