"""Small helpers shared by test modules (import as `from support import ...`)."""

from __future__ import annotations

import sys
from pathlib import Path


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def console_script(name: str) -> str | None:
    """A console script of this venv (beside sys.executable), else from PATH."""
    import os
    import shutil

    beside = Path(sys.executable).with_name(name)
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which(name)
