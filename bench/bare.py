"""The benchmark's ceiling: a bare Starlette endpoint answering precomputed bytes, served by the
same server program with the same worker count as the app, so every row of ``bench.run`` reads
as a share of what the server, the client and the machine allow at all."""

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

BODY = b'{"status":"ok"}'  # what /healthz answers, without the app's middleware and routing


async def bare(request: Request) -> Response:
    return Response(BODY, media_type="application/json")


app = Starlette(routes=[Route("/bare", bare)])
