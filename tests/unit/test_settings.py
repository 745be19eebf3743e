"""Settings: flags over HEADWAY_* over the config file over defaults; envs and secrets."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from headway.settings import Settings, SettingsError


def test_precedence_flags_env_file_defaults(tmp_path: Path) -> None:
    (tmp_path / "config.yaml").write_text("worker_slots: 3\nlease_seconds: 9\ntenant: t1\n")
    env = {"HEADWAY_HOME": str(tmp_path), "HEADWAY_LEASE_SECONDS": "12"}
    settings = Settings.load({"tenant": "flag"}, environ=env)
    assert settings.worker_slots == 3
    assert settings.lease_seconds == 12.0
    assert settings.tenant == "flag"
    assert settings.database_url == f"sqlite:///{tmp_path / 'headway.db'}"


def test_db_url_from_the_environment(tmp_path: Path) -> None:
    env = {"HEADWAY_HOME": str(tmp_path), "HEADWAY_DB_URL": "sqlite:///:memory:"}
    assert Settings.load(environ=env).database_url == "sqlite:///:memory:"


def test_bad_config_names_the_file_and_the_problem(tmp_path: Path) -> None:
    (tmp_path / "config.yaml").write_text("worker_slot: 3\n")
    with pytest.raises(SettingsError, match="unknown settings \\['worker_slot'\\]"):
        Settings.load(environ={"HEADWAY_HOME": str(tmp_path)})
    with pytest.raises(SettingsError, match="worker_slots"):
        Settings.load(environ={"HEADWAY_HOME": str(tmp_path / "x"), "HEADWAY_WORKER_SLOTS": "a"})


def test_envs_and_secrets_as_kestra_reads_them(tmp_path: Path) -> None:
    env = {
        "HEADWAY_HOME": str(tmp_path),
        "ENV_SLACK_WEBHOOK": "http://hook",
        "SECRET_WEBHOOK_KEY": base64.b64encode(b"s3cret").decode(),
        "HEADWAY_SECRET_TOKEN": "plain",
    }
    settings = Settings.load(environ=env)
    assert settings.envs["slack_webhook"] == settings.envs["SLACK_WEBHOOK"] == "http://hook"
    assert settings.secrets == {"WEBHOOK_KEY": "s3cret", "TOKEN": "plain"}
    assert "s3cret" not in repr(settings)
    with pytest.raises(SettingsError, match="SECRET_BAD is not base64"):
        Settings.load(environ={"HEADWAY_HOME": str(tmp_path), "SECRET_BAD": "%%%"})


def test_secrets_from_a_directory_of_files(tmp_path: Path) -> None:
    mount = tmp_path / "secrets"
    (mount / "..data").mkdir(parents=True)
    (mount / "DB_PASSWORD").write_text("from-file\n")
    (mount / "TOKEN").write_text("file token")
    (mount / ".hidden").write_text("x")
    env = {
        "HEADWAY_HOME": str(tmp_path),
        "HEADWAY_SECRETS_DIR": str(mount),
        "HEADWAY_SECRET_TOKEN": "variable wins",
    }
    settings = Settings.load(environ=env)
    assert settings.secrets == {"DB_PASSWORD": "from-file", "TOKEN": "variable wins"}
    assert "from-file" not in repr(settings)
    missing = {"HEADWAY_HOME": str(tmp_path), "HEADWAY_SECRETS_DIR": str(tmp_path / "nope")}
    with pytest.raises(SettingsError, match=r"secrets_dir: .*nope is not a directory"):
        Settings.load(environ=missing)
    (mount / "BINARY").write_bytes(b"\xff\xfe")
    with pytest.raises(SettingsError, match="BINARY: cannot read it as UTF-8"):
        Settings.load(environ=env)
