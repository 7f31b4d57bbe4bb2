"""Staged reviews of ingested texts, kept in the data folder (``DATA/reviews/ID.json``)
so that they survive a restart: the text, its findings, the curator's decisions and
what was committed. Each file is replaced atomically (a temporary file, fsync,
rename), as the tokens file is."""

from __future__ import annotations

import json
import re
import threading
import uuid
from pathlib import Path
from typing import Any

from pilotkg.graph.backup import write_atomically

_ID = re.compile(r"^[0-9a-f]{32}$")


class ReviewStore:
    """The reviews of one server: one JSON file each; ``lock`` serialises read-modify-write."""

    def __init__(self, folder: Path | str):
        self.folder = Path(folder)
        self.lock = threading.RLock()

    def _file(self, review_id: str) -> Path | None:
        return self.folder / f"{review_id}.json" if _ID.match(review_id or "") else None

    def create(self, record: dict[str, Any]) -> dict[str, Any]:
        record = {**record, "id": uuid.uuid4().hex}
        self.save(record)
        return record

    def get(self, review_id: str) -> dict[str, Any] | None:
        path = self._file(review_id)
        if path is None or not path.is_file():
            return None
        return json.loads(path.read_text(encoding="utf-8"))

    def save(self, record: dict[str, Any]) -> None:
        path = self._file(record["id"])
        assert path is not None
        self.folder.mkdir(parents=True, exist_ok=True)
        write_atomically(path, json.dumps(record, ensure_ascii=False).encode("utf-8"))

    def summaries(self, limit: int = 100) -> list[dict[str, Any]]:
        """The newest reviews first: id, name, title, status, created, curator."""
        out = []
        if not self.folder.is_dir():
            return out
        for path in self.folder.glob("*.json"):
            try:
                record = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            out.append({k: record.get(k) for k in ("id", "name", "title", "status", "created", "curator")})
        out.sort(key=lambda r: r.get("created") or "", reverse=True)
        return out[:limit]
