"""Reading what clients send: inputs (JSON, form or multipart with files), labels, dates."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import Request
from starlette.datastructures import UploadFile

from headway.api.errors import ApiError
from headway.storage import FileUpload, StorageError
from headway.storage.uris import checked_namespace

# The largest request body read into memory for inputs (uploads included).
MAX_INPUTS_BYTES = 100 * 1024 * 1024
# The largest revision or page number a request may give: the stores keep revisions as
# 32-bit integers, and a larger number must be a bad parameter, not an overflow in SQL.
MAX_NUMBER = 2**31 - 1
TOO_DEEP = "the body is JSON nested too deeply"
# How a date parameter read with parse_date is documented.
DATE: dict[str, Any] = {"format": "date-time"}


def body_doc(content: dict[str, Any], required: bool = False) -> dict[str, Any]:
    """``openapi_extra`` documenting the body of a route that reads it itself."""
    return {"requestBody": {"required": required, "content": content}}


_FORM = {"schema": {"type": "object", "additionalProperties": {"type": "string"}}}
INPUTS_BODY = body_doc(
    {
        "application/json": {"schema": {"type": "object"}},
        "application/x-www-form-urlencoded": _FORM,
        "multipart/form-data": _FORM,
    }
)
# JSON of any kind, or else text (KV values, webhook bodies).
JSON_OR_TEXT_BODY = body_doc(
    {"application/json": {"schema": {}}, "text/plain": {"schema": {"type": "string"}}}
)


class NotJson(ValueError):
    """Text that is not standard JSON."""


def parse_json(raw: bytes | str) -> Any:
    """Standard JSON (no NaN or Infinity), else NotJson. JSON that Python cannot hold (nested
    too deeply, a number of too many digits) is a 400."""
    try:
        return json.loads(raw, parse_constant=_no_constant)
    except RecursionError:
        raise ApiError(400, TOO_DEEP) from None
    except NotJson:
        raise
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise NotJson(str(exc)) from None
    except ValueError:  # int() refuses more digits than sys.get_int_max_str_digits()
        raise ApiError(
            400, f"the body holds a number of more than {sys.get_int_max_str_digits()} digits"
        ) from None


def _no_constant(name: str) -> Any:
    raise NotJson(f"{name} is not a JSON value")


async def read_inputs(request: Request) -> dict[str, Any]:
    """Inputs from a JSON object, a form or a multipart body (files become uploads)."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    length = int(request.headers.get("content-length") or 0)
    if length > MAX_INPUTS_BYTES:
        raise ApiError(413, f"the request body is larger than {MAX_INPUTS_BYTES} bytes")
    if content_type in ("multipart/form-data", "application/x-www-form-urlencoded"):
        out: dict[str, Any] = {}
        async with request.form(max_part_size=MAX_INPUTS_BYTES) as form:
            for key, value in form.multi_items():
                if isinstance(value, UploadFile):
                    out[key] = FileUpload(value.filename or key, await value.read())
                else:
                    out[key] = value
        return out
    raw = await request.body()
    if not raw.strip():
        return {}
    if content_type not in ("application/json", ""):
        raise ApiError(415, f"inputs must be JSON, a form or multipart, not '{content_type}'")
    try:
        data = parse_json(raw)
    except NotJson as exc:
        raise ApiError(400, f"the body is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ApiError(400, "the body must be a JSON object of inputs")
    return data


def parse_labels(values: list[str], where: str = "labels") -> dict[str, str]:
    """``key:value`` pairs, as Kestra's API takes them."""
    out: dict[str, str] = {}
    for item in values:
        key, sep, value = item.partition(":")
        if not sep or not key:
            raise ApiError(422, f"{where}: expected 'key:value', got '{item}'")
        out[key] = value
    return out


def parse_date(text: str | None, name: str) -> datetime | None:
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ApiError(422, f"query parameter '{name}': not an ISO-8601 date: '{text}'") from None
    try:
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    except OverflowError:
        raise ApiError(422, f"query parameter '{name}': '{text}' is out of range in UTC") from None


def later(now: datetime, duration: timedelta, what: str) -> datetime:
    """``now + duration``; ValueError when that is past the year 9999."""
    try:
        return now + duration
    except OverflowError:
        raise ValueError(f"{what} ends after the year 9999") from None


def valid_namespace(namespace: str) -> str:
    """``namespace`` if it is a valid name (``company.team``), else a 422 naming the path
    parameter."""
    try:
        return checked_namespace(namespace)
    except StorageError as exc:
        raise ApiError(422, f"path parameter 'namespace': {exc.message}") from None
