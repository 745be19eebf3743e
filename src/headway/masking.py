"""Masking secrets: every secret value (configured secrets, and SECRET inputs of an
execution) is replaced by ``******`` in logs as they are written, and in outputs and inputs
wherever an execution is shown (CLI, API). Values shorter than four characters are not
masked: they would hide every occurrence of common text."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

MASK = "******"
MIN_LENGTH = 4


class Masker:
    """Replaces known secret values in text and in JSON-like data."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self.secrets = frozenset(s for s in secrets if isinstance(s, str) and len(s) >= MIN_LENGTH)
        ordered = sorted(self.secrets, key=len, reverse=True)
        self._pattern = re.compile("|".join(map(re.escape, ordered))) if ordered else None

    def with_secrets(self, more: Iterable[str]) -> Masker:
        extra = [s for s in more if isinstance(s, str) and len(s) >= MIN_LENGTH]
        if not extra or self.secrets.issuperset(extra):
            return self
        return Masker([*self.secrets, *extra])

    def text(self, text: str) -> str:
        if self._pattern is None:
            return text
        return self._pattern.sub(MASK, text)

    def value(self, value: Any) -> Any:
        if self._pattern is None:
            return value
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {k: self.value(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.value(v) for v in value]
        return value
