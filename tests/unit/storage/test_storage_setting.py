"""The storage_dir setting: $HEADWAY_HOME/storage unless HEADWAY_STORAGE_DIR says."""

from __future__ import annotations

from pathlib import Path

from headway.settings import Settings


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
