"""Settings: one table, read from options, PILOTKG_* variables and a TOML file,
in that order; bad files and values get a message naming the file and key."""

from __future__ import annotations

import pytest

from support import console_script
from pilotkg.graph.settings import SETTINGS, SettingsError, load_toml, resolve


def test_defaults_come_from_the_table():
    values = resolve({}, None)
    assert values["port"] == 8080 and values["host"] == "127.0.0.1"
    assert values["query_timeout"] == 10.0 and values["max_rows"] == 100_000
    assert values["update_token"] == ""


def test_toml_file_overrides_defaults_and_options_override_the_file(tmp_path):
    config = tmp_path / "pilotkg.toml"
    config.write_text('port = 9000\nquery_timeout = 2.5\nupdate_token = "s3cret"\n')
    values = resolve({"port": 9100}, str(config))
    assert values["port"] == 9100  # the option wins
    assert values["query_timeout"] == 2.5  # the file beats the default
    assert values["update_token"] == "s3cret"


@pytest.mark.parametrize(
    "content, message",
    [
        ("prot = 9000\n", "unknown setting 'prot'"),
        ('port = "eighty"\n', "port must be a whole number"),
        ("port = \n", "not valid TOML"),
    ],
)
def test_bad_config_files_are_named(tmp_path, content, message):
    config = tmp_path / "bad.toml"
    config.write_text(content)
    with pytest.raises(SettingsError, match=message) as info:
        load_toml(config)
    assert "bad.toml" in str(info.value)


def test_missing_config_file(tmp_path):
    with pytest.raises(SettingsError, match="cannot read the config file"):
        load_toml(tmp_path / "nope.toml")


def test_every_setting_has_an_environment_variable():
    assert all(s.env.startswith("PILOTKG_") and s.env == s.env.upper() for s in SETTINGS.values())


def test_serve_refuses_a_bad_config_file_before_starting(tmp_path):
    import subprocess

    command = console_script("pilotkg")
    if command is None:
        pytest.skip("the pilotkg command is not installed")
    config = tmp_path / "bad.toml"
    config.write_text("workers = 'many'\n")
    out = subprocess.run([command, "--data", str(tmp_path / "data"), "serve", "--config", str(config)],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 2
    assert "workers must be a whole number" in out.stderr
    assert not (tmp_path / "data").exists()  # nothing was built


def test_config_file_can_name_the_data_folder(tmp_path):
    """`data` in the TOML file counts unless --data or PILOTKG_DATA is given (serve passes those in `given`)."""
    config = tmp_path / "pilotkg.toml"
    config.write_text(f'data = "{tmp_path / "from-file"}"\n')
    assert resolve({}, str(config))["data"] == str(tmp_path / "from-file")
    assert resolve({"data": "explicit"}, str(config))["data"] == "explicit"
    assert resolve({}, None)["data"] == "pilotkg-data"
