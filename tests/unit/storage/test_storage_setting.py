"""The storage settings: $HEADWAY_HOME/storage unless HEADWAY_STORAGE_DIR says, or an S3
bucket with HEADWAY_STORAGE_TYPE=s3."""

from __future__ import annotations

from pathlib import Path

import pytest

from headway.settings import Settings, SettingsError
from headway.storage import LocalStorage, S3Config, S3Storage, StorageError, open_storage


def test_storage_defaults_to_home(tmp_path: Path) -> None:
    settings = Settings.load(environ={"HEADWAY_HOME": str(tmp_path)})
    assert settings.storage_path == tmp_path / "storage"


def test_storage_dir_from_the_environment(tmp_path: Path) -> None:
    environ = {"HEADWAY_HOME": str(tmp_path), "HEADWAY_STORAGE_DIR": str(tmp_path / "files")}
    assert Settings.load(environ=environ).storage_path == tmp_path / "files"


def test_storage_dir_from_the_config_file(tmp_path: Path) -> None:
    (tmp_path / "config.yaml").write_text(f"storage_dir: {tmp_path / 'cfg'}\n")
    settings = Settings.load(environ={"HEADWAY_HOME": str(tmp_path)})
    assert settings.storage_path == tmp_path / "cfg"


S3_ENV = {
    "HEADWAY_STORAGE_TYPE": "s3",
    "HEADWAY_STORAGE_S3_BUCKET": "flows",
    "HEADWAY_STORAGE_S3_ENDPOINT": "http://127.0.0.1:9000",
    "HEADWAY_STORAGE_S3_REGION": "eu-west-1",
    "HEADWAY_STORAGE_S3_ACCESS_KEY": "AKIA-TEST",
    "HEADWAY_STORAGE_S3_SECRET_KEY": "very-secret-key",
}


def test_s3_storage_from_the_environment(tmp_path: Path) -> None:
    settings = Settings.load(environ={"HEADWAY_HOME": str(tmp_path), **S3_ENV})
    storage = open_storage(settings)
    assert isinstance(storage, S3Storage)
    assert storage.config == S3Config(
        bucket="flows",
        endpoint="http://127.0.0.1:9000",
        region="eu-west-1",
        access_key="AKIA-TEST",
        secret_key="very-secret-key",
    )
    # The secret is never shown.
    assert "very-secret-key" not in repr(settings)
    assert "very-secret-key" not in repr(storage.config)


def test_local_storage_is_the_default(tmp_path: Path) -> None:
    storage = open_storage(Settings.load(environ={"HEADWAY_HOME": str(tmp_path)}))
    assert isinstance(storage, LocalStorage) and storage.root == tmp_path / "storage"


def test_bad_storage_settings_are_refused(tmp_path: Path) -> None:
    home = {"HEADWAY_HOME": str(tmp_path)}
    with pytest.raises(SettingsError, match="storage_type: expected local or s3, got 'gcs'"):
        Settings.load(environ={**home, "HEADWAY_STORAGE_TYPE": "gcs"})
    with pytest.raises(SettingsError, match="needs a bucket"):
        Settings.load(environ={**home, "HEADWAY_STORAGE_TYPE": "s3"})


def test_a_bad_s3_endpoint_is_refused(tmp_path: Path) -> None:
    environ = {**S3_ENV, "HEADWAY_HOME": str(tmp_path), "HEADWAY_STORAGE_S3_ENDPOINT": "minio:9000"}
    with pytest.raises(StorageError, match="S3 endpoint 'minio:9000' must be an http"):
        open_storage(Settings.load(environ=environ))
