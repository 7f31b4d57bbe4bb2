"""The server's configuration: one object built from the settings table."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class ServerConfig:
    data: Path = Path("pilotkg-data")
    host: str = "127.0.0.1"
    port: int = 8080
    store: str = ""  # remote store URL; empty = the embedded store in DATA/store
    store_engine: str = "auto"
    store_update: str = ""
    store_data: str = ""
    workers: int = 2
    threads: int = 16
    query_timeout: float = 10.0
    max_rows: int = 100_000
    max_body: int = 1_048_576
    max_triples: int = 100_000
    max_literal: int = 1_048_576
    worker_memory: int = 2048  # MiB; 0 = no cap
    write_timeout: float = 60.0
    client_queries: int = 4
    short_workers: int = 2
    update_token: str = ""
    tokens_file: str = ""  # curator tokens; empty = DATA/tokens.toml
    empty: bool = False  # serve --empty: an empty writable dataset, no build, CLEAR ALL / DROP ALL allowed
    cors_origins: str = ""  # comma-separated origins whose scripts may send updates (see server/cors.py)
    behind_proxy: int = 0  # reverse proxies whose X-Forwarded-* headers are trusted; 0 = none
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, values: dict[str, Any]) -> "ServerConfig":
        known = {k: v for k, v in values.items() if k in cls.__dataclass_fields__ and k != "extra"}
        config = cls(**known)
        config.data = Path(config.data)
        return config

    @property
    def tokens_path(self) -> Path:
        """The curator tokens file: ``tokens_file``, or ``DATA/tokens.toml``."""
        return Path(self.tokens_file) if self.tokens_file else Path(self.data) / "tokens.toml"

    @property
    def audit_path(self) -> Path:
        """The audit log of writes: ``DATA/audit.jsonl``."""
        return Path(self.data) / "audit.jsonl"

    def worker_settings(self):
        """How the worker processes confine themselves, and the limits of uploaded documents."""
        from pilotkg.graph.rdfio import ParseLimits

        from .workers import WorkerSettings

        return WorkerSettings(
            memory_bytes=self.worker_memory * (1 << 20) if self.worker_memory > 0 else None,
            network=bool(self.store),  # workers of a remote store must reach it
            remote=self.remote_options,
            limits=ParseLimits(max_triples=self.max_triples or None, max_literal=self.max_literal or None),
        )

    @property
    def remote_options(self) -> dict[str, str]:
        """How to reach the remote store besides its query URL (engine, update and Graph Store URLs)."""
        if not self.store:
            return {}
        return {"engine": self.store_engine, "update_url": self.store_update, "store_url": self.store_data}

    @property
    def store_target(self) -> str:
        """What workers open: the remote URL, or the data folder of the embedded store."""
        return self.store or str(self.data)
