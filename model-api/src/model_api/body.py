"""Decode a POST /predict body: JSON media type, strict UTF-8, bounded nesting, unique keys.

Rules (README "Input rules"):
- a `Content-Type` other than `application/json` (or `application/*+json`, charset utf-8 if
  given) is a 415; no header at all is read as JSON;
- the bytes must be UTF-8 (RFC 8259): UTF-16/32 bodies, a BOM or invalid bytes are a 422;
- nesting deeper than the interpreter can decode is a 422, never a RecursionError (500);
- an object with the same key twice is a 422: parsers disagree on which value wins, so a
  proxy that checked the first value could be bypassed by the second.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from starlette.exceptions import HTTPException

from model_api.service import InvalidRequestError

_JSON_TYPES = ("application/json",)


class UnsupportedMediaTypeError(HTTPException):
    """415: the body is declared as something other than JSON."""

    def __init__(self, content_type: str) -> None:
        super().__init__(
            415,
            f"Content-Type {content_type[:100]!r} is not supported; "
            "send the body as 'application/json' (UTF-8)",
        )


def _is_json(content_type: str) -> bool:
    media, _, params = content_type.partition(";")
    media = media.strip().lower()
    if not (media in _JSON_TYPES or (media.startswith("application/") and media.endswith("+json"))):
        return False
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset" and value.strip().strip('"').lower() not in {
            "utf-8",
            "utf8",
        }:
            return False
    return True


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        counts = Counter(key for key, _ in pairs)
        raise _DuplicateKeyError(sorted(key for key, n in counts.items() if n > 1))
    return obj


class _DuplicateKeyError(ValueError):
    def __init__(self, keys: list[str]) -> None:
        super().__init__(f"duplicate key(s) in one object: {', '.join(k[:100] for k in keys)}")
        self.keys = keys


def _invalid(kind: str, msg: str, field: str | None = None) -> InvalidRequestError:
    return InvalidRequestError(
        [{"type": kind, "loc": ["body"], "field": field, "msg": msg, "input": None}]
    )


def parse_json_body(body: bytes, content_type: str | None) -> Any:
    """The decoded JSON value of a request body.

    Raises:
        UnsupportedMediaTypeError: the declared content type is not JSON (415).
        InvalidRequestError: not UTF-8, not JSON, nested too deeply, or a duplicate key (422).
    """
    if content_type is not None and not _is_json(content_type):
        raise UnsupportedMediaTypeError(content_type)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise _invalid(
            "json_invalid", f"body is not UTF-8 (JSON must be UTF-8): {error}"
        ) from error
    try:
        return json.loads(text, object_pairs_hook=_unique_keys)
    except json.JSONDecodeError as error:
        raise _invalid("json_invalid", f"body is not valid JSON: {error}") from error
    except RecursionError as error:
        raise _invalid("json_too_deep", "body is nested too deeply to be a request") from error
    except _DuplicateKeyError as error:
        field = error.keys[0] if len(error.keys) == 1 else None
        raise _invalid("json_duplicate_key", str(error), field) from error
