"""Responses built outside FastAPI's serialization."""

from typing import Any

import orjson
from fastapi import Response


def trusted_json(data: dict[str, Any]) -> Response:
    """Serialize data a hot read built itself, skipping FastAPI's validation of the return
    value and per-row model building, which cost more than the query for hundreds of rows. The
    route's ``response_model`` still documents the shape, and the schemathesis test checks the
    responses against it. Datetimes come out as pydantic writes them (UTC as ``Z``)."""
    # Subclasses of str and UUID (enums, asyncpg's UUID) go through str().
    options = orjson.OPT_UTC_Z | orjson.OPT_PASSTHROUGH_SUBCLASS
    content = orjson.dumps(data, default=str, option=options)
    return Response(content=content, media_type="application/json")
