"""Filters on strings, numbers and encodings: ``upper``, ``replace``, ``split``, ``sha256``..."""

from __future__ import annotations

import base64
import hashlib
import re
import unicodedata
import urllib.parse
from collections.abc import Callable, Mapping
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any

from headway.expressions.errors import ExpressionError, kind
from headway.expressions.values import to_text


def _string(value: Any, name: str) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping | list | tuple) or value is None:
        raise ExpressionError(f"'{name}' needs a string, not {kind(value)}")
    return to_text(value)


# Strings ----------------------------------------------------------------------------------


def upper(value: Any) -> Any:
    return value.upper() if isinstance(value, str) else value


def lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def capitalize(value: Any) -> Any:
    return value[:1].upper() + value[1:] if isinstance(value, str) else value


def title(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    return re.sub(r"(^|\s)(\S)", lambda m: m.group(1) + m.group(2).upper(), value)


def trim(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def abbreviate(value: Any, length: int) -> Any:
    if value is None:
        return None
    text = _string(value, "abbreviate")
    if len(text) <= length:
        return text
    return "..."[:length] if length <= 3 else text[: length - 3] + "..."


def _replace_text(text: str, pairs: Mapping[Any, Any], regexp: bool) -> str:
    for old, new in pairs.items():
        if regexp:
            text = re.sub(to_text(old), _java_replacement(to_text(new)), text)
        else:
            text = text.replace(to_text(old), to_text(new))
    return text


def _java_replacement(replacement: str) -> str:
    return re.sub(r"\$(\d+)", r"\\g<\1>", replacement)


def _replace_deep(value: Any, pairs: Mapping[Any, Any], regexp: bool) -> Any:
    if isinstance(value, Mapping):
        return {k: _replace_deep(v, pairs, regexp) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_replace_deep(v, pairs, regexp) for v in value]
    return _replace_text(to_text(value), pairs, regexp)


def replace(value: Any, replace_pairs: Any, *rest: Any, regexp: bool = False) -> Any:
    """``replace({'a': 'b'})`` (Pebble), ``replace('a', 'b')``, and ``regexp=true`` (Kestra)."""
    if value is None:
        return None
    if isinstance(replace_pairs, Mapping):
        pairs: Mapping[Any, Any] = replace_pairs
        if rest:
            regexp = bool(rest[0])
    elif isinstance(replace_pairs, str) and rest:
        pairs = {replace_pairs: rest[0]}
        if len(rest) > 1:
            regexp = bool(rest[1])
    else:
        raise ExpressionError("expected a map of replacements or two strings")
    return _replace_deep(value, pairs, regexp)


def split(value: Any, delimiter: str, limit: int | None = None) -> list[str] | None:
    """Java's ``String.split``: the delimiter is a regular expression; trailing empties go."""
    if value is None:
        return None
    text = _string(value, "split")
    if limit is not None and limit > 0:
        return re.split(delimiter, text, maxsplit=limit - 1)
    parts = re.split(delimiter, text)
    if limit is None or limit == 0:
        while parts and parts[-1] == "" and len(parts) > 1:
            parts.pop()
        if parts == [""] and text:
            return []
    return parts


def substring_before(value: Any, separator: str) -> Any:
    return None if value is None else _string(value, "substringBefore").partition(separator)[0]


def substring_after(value: Any, separator: str) -> Any:
    if value is None:
        return None
    _, found, tail = _string(value, "substringAfter").partition(separator)
    return tail if found else ""


def substring_before_last(value: Any, separator: str) -> Any:
    if value is None:
        return None
    head, found, _ = _string(value, "substringBeforeLast").rpartition(separator)
    return head if found else value


def substring_after_last(value: Any, separator: str) -> Any:
    if value is None:
        return None
    _, found, tail = _string(value, "substringAfterLast").rpartition(separator)
    return tail if found else ""


def starts_with(value: Any, prefix: str) -> bool:
    return value is not None and to_text(value).startswith(prefix)


def ends_with(value: Any, suffix: str) -> bool:
    return value is not None and to_text(value).endswith(suffix)


def _indent(value: Any, amount: int, prefix: str, leading_newline: bool) -> Any:
    if value is None:
        return None
    text = to_text(value)
    if not text:
        return text
    if isinstance(amount, bool) or not isinstance(amount, int) or amount < 0:
        raise ExpressionError("the amount must be an integer >= 0")
    newline = next((nl for nl in ("\r\n", "\n\r", "\n", "\r") if nl in text), "\n")
    if leading_newline:
        text = newline + text
    return text.replace(newline, newline + prefix * amount)


def indent(value: Any, amount: int, prefix: str = " ") -> Any:
    """Indent every line but the first (which is assumed to be in place already)."""
    return _indent(value, amount, prefix, leading_newline=False)


def nindent(value: Any, amount: int, prefix: str = " ") -> Any:
    """A newline, then every line indented."""
    return _indent(value, amount, prefix, leading_newline=True)


def escape_char(value: Any, type: str) -> Any:
    replacements = {"single": ("'", "\\'"), "double": ('"', '\\"'), "shell": ("'", "'\\''")}
    pair = replacements.get(str(type).lower())
    if pair is None:
        raise ExpressionError("the type must be 'single', 'double' or 'shell'")
    if value is None:
        return None
    return _replace_deep(value, {pair[0]: pair[1]}, regexp=False)


def slugify(value: Any) -> Any:
    if value is None:
        return None
    text = unicodedata.normalize("NFKD", to_text(value)).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def string(value: Any) -> str:
    return to_text(value)


# Encodings and hashes ---------------------------------------------------------------------


def urlencode(value: Any) -> Any:
    if value is None:
        return None
    return urllib.parse.quote_plus(to_text(value), safe="*").replace("~", "%7E")


def urldecode(value: Any) -> Any:
    return None if value is None else urllib.parse.unquote_plus(to_text(value))


def base64encode(value: Any) -> Any:
    return None if value is None else base64.b64encode(to_text(value).encode()).decode()


def base64decode(value: Any) -> Any:
    return None if value is None else base64.b64decode(to_text(value)).decode()


def digest(algorithm: str) -> Callable[[Any], Any]:
    """A filter giving the hex digest of a value's text (``sha256``, ``md5``...)."""

    def hexdigest(value: Any) -> Any:
        if value is None:
            return None
        return hashlib.new(algorithm, to_text(value).encode()).hexdigest()

    return hexdigest


# Numbers ----------------------------------------------------------------------------------


def abs_(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise ExpressionError(f"'abs' needs a number, not {kind(value)}")
    return abs(value)


def number(value: Any, type: str | None = None) -> Any:
    """Parse a string into a number: an int when it has no fraction, else a float."""
    if value is None or (isinstance(value, int | float) and not isinstance(value, bool)):
        return value
    text = _string(value, "number").strip()
    try:
        if type in ("INT", "LONG", "BIGINTEGER"):
            return int(text, 0)
        if type in ("FLOAT", "DOUBLE"):
            return float(text)
        if type == "BIGDECIMAL":
            return Decimal(text)
        if re.fullmatch(r"[+-]?(0[xX][0-9a-fA-F]+|\d+)", text):
            return int(text, 0) if text.lower().lstrip("+-").startswith("0x") else int(text)
        return float(text)
    except (ValueError, InvalidOperation):
        raise ExpressionError(f"'{text}' is not a number") from None


def number_format(value: Any, format: str) -> Any:
    """Java ``DecimalFormat`` basics: ``#`` and ``0`` digits, ``,`` grouping, ``.`` decimals."""
    if value is None:
        return None
    whole, _, fraction = format.partition(".")
    min_int = whole.count("0")
    min_frac = fraction.count("0")
    max_frac = min_frac + fraction.count("#")
    try:
        amount = Decimal(str(value)).quantize(Decimal(1).scaleb(-max_frac), ROUND_HALF_EVEN)
    except InvalidOperation:
        raise ExpressionError(f"'{value}' is not a number") from None
    head, _, tail = f"{abs(amount):.{max_frac}f}".partition(".")
    tail = tail.rstrip("0").ljust(min_frac, "0")
    head = head.lstrip("0").zfill(min_int)
    if "," in whole and head:
        head = f"{int(head):,}".zfill(len(head))
    text = head + ("." + tail if tail else "")
    if not text:
        text = "0"
    return "-" + text if amount < 0 and text.strip("0.,") else text
