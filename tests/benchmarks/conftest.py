"""Collect the benchmark modules (``bench_*.py``) as test modules.

Their tests carry ``@pytest.mark.benchmark``, which the project's pytest
configuration deselects (``-m 'not benchmark'``); they run only with
``pytest tests/benchmarks -m benchmark``.
"""

from __future__ import annotations

import pytest


def pytest_collect_file(file_path, parent):
    if file_path.suffix == ".py" and file_path.name.startswith("bench_") and not parent.session.isinitpath(file_path):
        return pytest.Module.from_parent(parent, path=file_path)
    return None
