"""Responses built outside FastAPI's serialization."""

from typing import Any

import orjson
from fastapi import Response

# Subclasses of str and UUID (enums, asyncpg's UUID) go through str(); UTC datetimes end in Z.
_OPTIONS = orjson.OPT_UTC_Z | orjson.OPT_PASSTHROUGH_SUBCLASS


def trusted_bytes(data: dict[str, Any] | list[Any]) -> bytes:
    """JSON of data a hot read built itself, written the way pydantic writes it (datetimes in
    UTC as ``Z``), in one pass: no model is built and nothing is validated."""
    return orjson.dumps(data, default=str, option=_OPTIONS)


def trusted_json(data: dict[str, Any] | list[Any]) -> Response:
    """Serialize data a hot read built itself, skipping FastAPI's validation of the return
    value and per-row model building, which cost more than the query for hundreds of rows. The
    route's ``response_model`` still documents the shape, and the schemathesis test checks the
    responses against it."""
    return Response(content=trusted_bytes(data), media_type="application/json")
