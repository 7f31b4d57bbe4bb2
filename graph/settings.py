"""Every setting of pilotkg, declared once: name, default, type, help.

The CLI options, the optional TOML file, the README table and the docs test
all read this table. Environment variables use the ``PILOTKG_`` prefix
(``--query-timeout`` ↔ ``PILOTKG_QUERY_TIMEOUT``). Precedence: command-line
option, then environment variable, then the TOML file given by ``--config``,
then the default.
"""

from __future__ import annotations

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
        type=s.type,
        default=s.default if default_from_table else None,
        show_default=str(s.default) if not default_from_table else True,
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
    return out


def resolve(given: dict[str, Any], config_file: str | None) -> dict[str, Any]:
    """Effective settings: given (CLI or environment, None when absent) > TOML file > default."""
    from_file = load_toml(config_file) if config_file else {}
    out = {}
    for s in SETTINGS.values():
        value = given.get(s.key)
        out[s.key] = value if value is not None else from_file.get(s.key, s.default)
    return out
