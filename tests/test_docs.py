"""The README is the manual: every setting and command is in it, and its example
queries run on the built dataset and return rows."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pilotkg.graph.cli import main
from pilotkg.graph.settings import SETTINGS
from pilotkg.graph.store_file import run_query

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
SPARQL_BLOCKS = re.findall(r"```sparql\n(.*?)```", README, flags=re.S)


@pytest.mark.parametrize("name", sorted(SETTINGS))
def test_every_setting_is_documented(name):
    setting = SETTINGS[name]
    assert f"`--{setting.name}`" in README and f"`{setting.env}`" in README


@pytest.mark.parametrize("command", sorted(main.list_commands(None)))
def test_every_command_is_documented(command):
    assert f"`pilotkg {command}" in README


def test_readme_has_three_example_queries():
    assert len(SPARQL_BLOCKS) >= 3


@pytest.mark.parametrize("query", SPARQL_BLOCKS, ids=lambda q: q.splitlines()[0][:60])
def test_readme_queries_return_rows(query, dataset_store):
    rows = list(run_query(dataset_store, query))
    assert rows, "a README example query returned no rows"
