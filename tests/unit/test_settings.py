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
