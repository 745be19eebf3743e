"""One settings object, read once: flags, then HEADWAY_* variables, then a config file, then
defaults. This is the only module that reads ``os.environ``."""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import yaml

from headway.errors import HeadwayError


class SettingsError(HeadwayError):
    """The settings are invalid."""


@dataclass(frozen=True)
class Settings:
    """Everything configurable. Each field ``x`` is read from ``HEADWAY_X``."""

    home: Path = field(default_factory=lambda: Path.home() / ".headway")
    db_url: str = ""
    # How many TaskRuns one worker runs at once.
    worker_slots: int = 8
    # A worker's lease on a TaskRun, and an executor's ownership of an execution; renewed by
    # heartbeat (a third of it), taken over by others when it expires.
    lease_seconds: float = 30.0
    # `headway worker` / `headway server`: the worker's group (it takes only the TaskRuns of
    # tasks with this workerGroup.key; none: only tasks without), and on SIGTERM how long
    # running TaskRuns may finish before they are handed back to run elsewhere.
    worker_group: str = ""
    drain_seconds: float = 30.0
    # `headway server`: what the process runs, comma-separated (api, executor, scheduler,
    # worker); all by default.
    components: str = "api,executor,scheduler,worker"
    tenant: str = "main"
    # `headway server`: where the API listens, and access control ("" means none, which is
    # refused on any address but a loopback one; "tokens": API tokens; "proxy": identity
    # from a trusted reverse proxy's Remote-User / Remote-Groups headers; "none": none, even
    # when listening on every address).
    host: str = "127.0.0.1"
    port: int = 8080
    auth: str = ""
    # The CLI against a server (`--server`): its URL, and the API token to send.
    server: str = ""
    token: str = field(default="", repr=False)
    # auth=proxy (see docs/security.md): the reverse proxies (IPs or CIDRs) whose identity
    # headers are trusted, the headers, and the roles groups give: {group: "role:prefix"}, several
    # comma-separated ("admin:" is admin of every namespace).
    proxy_trusted: tuple[str, ...] = ()
    proxy_groups: Mapping[str, str] = field(default_factory=dict)
    proxy_user_header: str = "Remote-User"
    proxy_groups_header: str = "Remote-Groups"
    # Internal storage (kestra:/// files): a local directory, $HEADWAY_HOME/storage if unset.
    storage_dir: Path | None = None
    # "local" (the directory above) or "s3" (an S3-compatible bucket, with the fields below;
    # without an access key, boto3 finds credentials as it usually does).
    storage_type: str = "local"
    storage_s3_bucket: str = ""
    storage_s3_endpoint: str = ""
    storage_s3_region: str = ""
    storage_s3_access_key: str = ""
    storage_s3_secret_key: str = field(default="", repr=False)
    # Python script tasks run in a warm interpreter (a fork server's fresh child) unless this
    # is off (HEADWAY_PYTHON_FORK_SERVER=0), or the task says `warmInterpreter: false`.
    python_fork_server: bool = True
    # Kestra's `envs`: ENV_FOO=bar in the environment gives {{ envs.foo }} (and envs.FOO).
    envs: Mapping[str, str] = field(default_factory=dict)
    # secret('NAME'): SECRET_NAME (base64, as Kestra's open-source edition) or
    # HEADWAY_SECRET_NAME (plain text) in the environment.
    secrets: Mapping[str, str] = field(default_factory=dict, repr=False)
    # A directory of secrets, one file each (a Kubernetes secret mounted as a volume): the
    # file's name is the secret's, its content (without one trailing newline) the value.
    # SECRET_* and HEADWAY_SECRET_* variables win over it.
    secrets_dir: Path | None = None

    @property
    def database_url(self) -> str:
        return self.db_url or f"sqlite:///{self.home / 'headway.db'}"

    @property
    def storage_path(self) -> Path:
        return self.storage_dir or self.home / "storage"

    @classmethod
    def load(
        cls,
        overrides: Mapping[str, Any] | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> Settings:
        """Build the settings: ``overrides`` (flags) win over the environment, which wins over
        the config file (``HEADWAY_CONFIG`` or ``$HEADWAY_HOME/config.yaml``)."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        names = {f.name for f in fields(cls)} - {"envs", "secrets"}
        home = Path(env.get("HEADWAY_HOME") or (overrides or {}).get("home") or cls().home)
        config_path = Path(env.get("HEADWAY_CONFIG") or home / "config.yaml")
        if config_path.is_file():
            try:
                loaded = yaml.safe_load(config_path.read_text()) or {}
            except yaml.YAMLError as exc:
                raise SettingsError(f"{config_path}: not valid YAML: {exc}") from exc
            if not isinstance(loaded, dict):
                raise SettingsError(f"{config_path}: expected a mapping of settings")
            unknown = set(loaded) - names
            if unknown:
                raise SettingsError(f"{config_path}: unknown settings {sorted(unknown)}")
            values.update(loaded)
        for name in names:
            var = f"HEADWAY_{name.upper()}"
            if var in env:
                values[name] = env[var]
        values.update({k: v for k, v in (overrides or {}).items() if v is not None})
        values["home"] = Path(values.get("home", home)).expanduser()
        if values.get("storage_dir"):
            values["storage_dir"] = Path(values["storage_dir"]).expanduser()
        else:
            values.pop("storage_dir", None)
        envs: dict[str, str] = {}
        for key, val in env.items():
            if key.startswith("ENV_") and len(key) > 4:
                envs[key[4:].lower()] = val
                envs[key[4:]] = val
        values["envs"] = envs
        if values.get("secrets_dir"):
            values["secrets_dir"] = Path(values["secrets_dir"]).expanduser()
        else:
            values.pop("secrets_dir", None)
        values["secrets"] = {**_secret_files(values.get("secrets_dir")), **_secrets(env)}
        if values.get("storage_type", "local") not in ("local", "s3"):
            raise SettingsError(
                f"setting storage_type: expected local or s3, got {values['storage_type']!r}"
            )
        if values.get("storage_type") == "s3" and not values.get("storage_s3_bucket"):
            raise SettingsError("storage_type s3 needs a bucket (HEADWAY_STORAGE_S3_BUCKET)")
        _proxy_settings(values)
        if "python_fork_server" in values:
            values["python_fork_server"] = _flag("python_fork_server", values["python_fork_server"])
        try:
            numbers = (
                ("worker_slots", int),
                ("lease_seconds", float),
                ("drain_seconds", float),
                ("port", int),
            )
            for name, typ in numbers:
                if name in values:
                    values[name] = typ(values[name])
        except ValueError as exc:
            raise SettingsError(f"setting {name}: {exc}") from exc
        return cls(**values)

    def with_(self, **changes: Any) -> Settings:
        return replace(self, **changes)


def _flag(name: str, value: Any) -> bool:
    """A boolean setting: true/false, 1/0, yes/no, on/off (any case)."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"setting {name}: expected true or false (1 or 0), got {value!r}")


def _proxy_settings(values: dict[str, Any]) -> None:
    """proxy_trusted: a list, or comma-separated text (HEADWAY_PROXY_TRUSTED); proxy_groups:
    a mapping, or a JSON object (HEADWAY_PROXY_GROUPS)."""
    trusted = values.get("proxy_trusted", ())
    if isinstance(trusted, str):
        trusted = [part.strip() for part in trusted.split(",") if part.strip()]
    if not isinstance(trusted, list | tuple) or not all(isinstance(t, str) for t in trusted):
        raise SettingsError("setting proxy_trusted: expected a list of IP addresses or CIDRs")
    values["proxy_trusted"] = tuple(trusted)
    groups = values.get("proxy_groups", {})
    if isinstance(groups, str):
        try:
            groups = json.loads(groups) if groups.strip() else {}
        except json.JSONDecodeError as exc:
            raise SettingsError(f"setting proxy_groups: not a JSON object: {exc}") from exc
    if not isinstance(groups, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in groups.items()
    ):
        raise SettingsError(
            'setting proxy_groups: expected a mapping of group to "role:namespace", '
            'e.g. {"ops": "editor:platform"}'
        )
    values["proxy_groups"] = dict(groups)


def _secret_files(directory: Path | None) -> dict[str, str]:
    if directory is None:
        return {}
    if not directory.is_dir():
        raise SettingsError(f"setting secrets_dir: {directory} is not a directory")
    out: dict[str, str] = {}
    for path in sorted(directory.iterdir()):
        # Kubernetes mounts keys as links into a hidden ..data directory: skip the hidden.
        if path.name.startswith(".") or not path.is_file():
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise SettingsError(f"secret file {path}: cannot read it as UTF-8 text: {exc}") from exc
        out[path.name] = text.removesuffix("\n")
    return out


def _secrets(env: Mapping[str, str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, val in env.items():
        if key.startswith("SECRET_") and len(key) > 7:
            try:
                out[key[7:]] = base64.b64decode(val, validate=True).decode()
            except (ValueError, UnicodeDecodeError) as exc:
                raise SettingsError(f"{key} is not base64-encoded UTF-8 text") from exc
    for key, val in env.items():
        if key.startswith("HEADWAY_SECRET_") and len(key) > 15:
            out[key[15:]] = val
    return out
