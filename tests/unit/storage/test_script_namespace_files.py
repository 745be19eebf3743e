"""namespaceFiles of script tasks: which namespace files are copied."""

from __future__ import annotations

from headway.plugins.scripts.namespace_files import NamespaceFilesSpec

PATHS = ["README.md", "scripts/etl.py", "scripts/tests/test_etl.py", "data/rows.csv"]


def _spec(**keys: object) -> NamespaceFilesSpec:
    return NamespaceFilesSpec.model_validate(keys)


def test_every_file_by_default() -> None:
    assert _spec(enabled=True).selected(PATHS) == PATHS
    assert _spec().is_enabled() and not _spec(enabled=False).is_enabled()


def test_include_and_exclude() -> None:
    spec = _spec(include=["scripts/**", "/*.md"], exclude=["**/tests/**"])
    assert spec.selected(PATHS) == ["README.md", "scripts/etl.py"]
    assert _spec(exclude=["data/*"]).selected(PATHS) == PATHS[:3]


def test_kestras_keys_are_accepted() -> None:
    spec = _spec(
        enabled=True,
        include=["**"],
        ifExists="OVERWRITE",
        folderPerNamespace=True,
        namespaces=["company.team"],
    )
    assert spec.folder_per_namespace and spec.namespaces == ["company.team"]
