"""A per-text job for tests/test_ingest_batch.py that kills its own worker process on
texts named ``crash*``: what a segfault or the kernel's OOM killer does to a worker."""

from __future__ import annotations

import os
import signal
from pathlib import Path

from pilotkg.graph.extract.batch import TextJob, TextOutcome, ingest_text


def crash_on_crash_texts(job: TextJob) -> TextOutcome:
    if Path(job.path).name.startswith("crash"):
        os.kill(os.getpid(), signal.SIGKILL)
    return ingest_text(job)
