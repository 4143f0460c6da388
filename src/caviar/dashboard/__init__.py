"""The live web dashboard (Starlette + uvicorn): ``caviar dashboard --storage URL``.

``create_app(storage)`` builds the ASGI app (tested with Starlette's TestClient and in a real
browser); ``serve`` binds a socket first, so a port already taken is a clear error."""

from caviar.dashboard.app import create_app
from caviar.dashboard.serve import bind, serve

__all__ = ["bind", "create_app", "serve"]
