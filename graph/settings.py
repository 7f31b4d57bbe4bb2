"""Every setting of pilotkg, declared once: name, environment variable, default, help.

The CLI options, the README table and the docs test all read this table.
Environment variables use the ``PILOTKG_`` prefix.
"""

from __future__ import annotations

from dataclasses import dataclass

import click


@dataclass(frozen=True)
class Setting:
    name: str
    default: str
    help: str

    @property
    def env(self) -> str:
        return "PILOTKG_" + self.name.upper().replace("-", "_")


SETTINGS: dict[str, Setting] = {
    s.name: s
    for s in (
        Setting("data", "pilotkg-data", "Folder holding the built dataset (dataset.nq, build-info.json)."),
    )
}


def setting_option(name: str):
    """A click option for a setting, reading its environment variable."""
    s = SETTINGS[name]
    return click.option(f"--{s.name}", envvar=s.env, default=s.default, show_default=True, show_envvar=True, help=s.help)
