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


# --- the global settings: before or after the command name ------------------------------------------

def _invoke(args: list[str], **env: str):
    """``pilotkg ARGS`` in this process (fast), with only ``env`` among the PILOTKG_* variables."""
    import os

    from click.testing import CliRunner

    from pilotkg.graph.cli import main

    clean = {k: None for k in os.environ if k.startswith("PILOTKG_")}
    return CliRunner().invoke(main, [str(a) for a in args], env={**clean, **env}, prog_name="pilotkg")


def _commands_taking(setting: str) -> list[tuple[str, ...]]:
    from pilotkg.graph.cli import main

    out = []
    for name in main.list_commands(None):
        command = main.get_command(None, name)
        subs = [(name, sub) for sub in command.list_commands(None)] if hasattr(command, "list_commands") else []
        for path in [(name,), *subs]:
            target = command if len(path) == 1 else command.get_command(None, path[1])
            if any(f"--{setting}" in p.opts for p in target.params):
                out.append(path)
    return out


def test_every_command_takes_data_and_config_after_its_name():
    """`pilotkg serve --data DIR` is `pilotkg --data DIR serve`, for every command (and token's subcommands)."""
    from pilotkg.graph.cli import main

    taking = set(_commands_taking("data")) & set(_commands_taking("config"))
    expected = {(name,) for name in main.list_commands(None)} | {("token", sub) for sub in ("add", "list", "revoke")}
    assert taking == expected
    for path in sorted(expected):
        res = _invoke([*path, "--data", "somewhere", "--config", "some.toml", "--help"])
        assert res.exit_code == 0, (path, res.output)


def test_the_commands_that_may_build_take_the_reasoner():
    assert {p[0] for p in _commands_taking("reasoner")} == {"build", "export", "import", "query", "serve", "stats", "validate"}
    res = _invoke(["build", "--reasoner", "hermit"])
    assert res.exit_code == 2 and "'hermit' is not one of 'reasonable', 'owlrl'" in res.output


@pytest.mark.parametrize(
    "args, env, folder",
    [
        (["dump", "--data", "after"], {}, "after"),
        (["--data", "before", "dump"], {}, "before"),
        (["--data", "before", "dump", "--data", "after"], {}, "after"),  # the later one wins
        (["dump", "--data", "after"], {"PILOTKG_DATA": "env"}, "after"),  # an option beats the environment ...
        (["dump"], {"PILOTKG_DATA": "env"}, "env"),
        (["dump", "--config", "CFG"], {}, "from-file"),  # ... which beats the config file
        (["--config", "CFG", "dump"], {}, "from-file"),
        (["dump", "--config", "CFG"], {"PILOTKG_DATA": "env"}, "env"),
        (["dump", "--config", "CFG", "--data", "after"], {}, "after"),
        (["dump"], {"PILOTKG_CONFIG": "CFG"}, "from-file"),
        (["dump"], {}, "pilotkg-data"),
    ],
)
def test_global_settings_keep_their_precedence_on_either_side(args, env, folder, tmp_path):
    config = tmp_path / "pilotkg.toml"
    config.write_text('data = "from-file"\n')
    args = [str(config) if a == "CFG" else a for a in args]
    env = {k: str(config) if v == "CFG" else v for k, v in env.items()}
    res = _invoke(args, **env)
    assert res.exit_code == 1
    assert f"there is no store in {folder}/store" in res.output  # dump names the data folder it used


def test_a_bad_config_file_after_the_command_is_a_usage_error(tmp_path):
    config = tmp_path / "bad.toml"
    config.write_text('reasoner = "fast"\n')
    res = _invoke(["stats", "--config", config])
    assert res.exit_code == 2
    assert "bad.toml: reasoner must be one of reasonable, owlrl, not 'fast'" in res.output


def test_the_reasoner_setting_resolves_like_the_others(tmp_path):
    import click

    from pilotkg.graph.cli import main
    from pilotkg.graph.reason import DEFAULT_REASONER, REASONERS
    from pilotkg.graph.settings import apply_global

    assert SETTINGS["reasoner"].choices == REASONERS and SETTINGS["reasoner"].default == DEFAULT_REASONER
    config = tmp_path / "pilotkg.toml"
    config.write_text('reasoner = "owlrl"\n')

    def effective(**given):
        ctx = click.Context(main)
        apply_global(ctx, given)
        return ctx.obj["reasoner"]

    assert effective() == "reasonable"
    assert effective(config=str(config)) == "owlrl"
    assert effective(config=str(config), reasoner="reasonable") == "reasonable"


def test_serve_takes_the_data_folder_after_its_name(built, tmp_path):
    """`pilotkg --data ELSEWHERE serve --data DIR` serves DIR: here it refuses DIR's unfinished restore, naming DIR."""
    import shutil
    import subprocess

    from pilotkg.graph.backup import RESTORE_MARKER
    from pilotkg.graph.build import DATASET_FILE, INFO_FILE

    command = console_script("pilotkg")
    if command is None:
        pytest.skip("the pilotkg command is not installed")
    data = tmp_path / "data"
    data.mkdir()
    for name in (DATASET_FILE, INFO_FILE):  # an up-to-date dataset: nothing is built
        shutil.copy(built.data_dir / name, data / name)
    (data / RESTORE_MARKER).write_text("some-backup.nq\n")
    out = subprocess.run([command, "--data", str(tmp_path / "elsewhere"), "serve", "--data", str(data), "--port", "0"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 1, out.stderr
    assert f"a restore into {data} did not finish" in out.stderr
    assert not (tmp_path / "elsewhere").exists()
