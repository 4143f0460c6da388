"""The dashboard: a Starlette app over a storage, JSON only, read-only unless controls are on.

Routes (study names travel as query parameters, so any name works):

* ``GET /`` the single page (static/index.html, app.css, its scripts bundled as
  ``/static/dashboard.js``; plotly.js from the plotly package, asked for once a page needs it);
  ``GET /api/studies``;
* ``GET /api/study?study=NAME&since=SEQ``: summary (counts, best, space, ``seq``);
* ``GET /api/trials?study=NAME&offset=&limit=&sort=number|value|state|duration|param:NAME
  &order=asc|desc&state=&q=TEXT&filters=JSON``: one page of the trials table, sorted and
  filtered on the server (``filters.py``); the page sorts ``value`` best first by default;
* ``GET /api/figures?study=NAME&since=SEQ``: downsampled figure specs, or ``changed: false``
  when nothing changed since ``SEQ`` (the page polls this); ``&kinds=history``: the history
  alone (the page's first figure request);
* ``GET /api/trial?study=NAME&number=N``: one trial as text (params start / in use, events
  with their applied state, attributes, the pruning reason) and its curve (``trial_page.py``);
* ``GET /api/compare?study=A&study=B...``: the studies' histories in one figure;
* ``POST /api/control`` (only with ``allow_control``): ``{"study", "number", "action":
  stop|pause|resume|nudge, ...}`` recorded as a control event on the running trial. With a
  ``token`` (always when controls are reachable beyond loopback) it must carry
  ``Authorization: Bearer TOKEN`` or ``X-Caviar-Token: TOKEN``: 401 without, 403 when wrong.
  The page takes the token once from its URL (``/#token=TOKEN``) into sessionStorage.

Every response is JSON (or a static file); the page puts data in the DOM with ``textContent``
only. A Content-Security-Policy forbids inline scripts; a POST needs a JSON body and the
``X-Caviar-Control`` header, which a cross-site form cannot send.
"""

from __future__ import annotations

import math
import secrets
import threading
from pathlib import Path
from typing import Any, ClassVar

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from caviar.dashboard import filters
from caviar.dashboard.compare import MAX_STUDIES as MAX_COMPARED
from caviar.dashboard.compare import compare_figure
from caviar.dashboard.views import SORT_KEYS, StudyView
from caviar.errors import StudyNotFoundError, UsageError
from caviar.storage import Storage
from caviar.trial_record import RUNNING, STATES

STATIC = Path(__file__).resolve().parent / "static"
ACTIONS = ("stop", "pause", "resume", "nudge")
#: the page's scripts in the order they run, served together as /static/dashboard.js
BUNDLED = ("core.js", "preview.js", "table.js", "study.js", "trial.js", "compare.js", "app.js")
ASSETS = (*BUNDLED, "app.css")
BUNDLE = "dashboard.js"
MAX_LIMIT = 500
CSP = ("default-src 'self'; script-src 'self' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
       "frame-ancestors 'none'; form-action 'none'")


class BadRequest(Exception):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def _plotly_js() -> Path | None:
    try:
        import plotly
    except ImportError:
        return None
    p = Path(plotly.__file__).resolve().parent / "package_data" / "plotly.min.js"
    return p if p.exists() else None


class Dashboard:
    def __init__(self, storage: Storage, *, allow_control: bool = False,
                 poll_interval: float = 0.0, **view_kw: Any) -> None:
        self.storage = storage
        self.allow_control = allow_control
        self.poll_interval = poll_interval
        self.view_kw = view_kw
        self._views: dict[str, StudyView] = {}
        self._lock = threading.Lock()

    def view(self, name: str | None) -> StudyView:
        if not name:
            raise BadRequest("study: give ?study=NAME (one of /api/studies)")
        with self._lock:
            v = self._views.get(name)
        if v is None:
            try:
                v = StudyView(self.storage, name, **self.view_kw)
            except StudyNotFoundError as e:
                raise BadRequest(str(e), 404) from None
            with self._lock:
                v = self._views.setdefault(name, v)
        v.refresh(self.poll_interval)
        return v


def _int(req: Request, key: str, default: int, lo: int, hi: int | None = None) -> int:
    raw = req.query_params.get(key)
    if raw is None or raw == "":
        return default
    try:
        v = int(raw)
    except ValueError:
        raise BadRequest(f"{key}: must be an integer, got {raw!r}") from None
    if v < lo or (hi is not None and v > hi):
        raise BadRequest(f"{key}: must be in [{lo}, {hi if hi is not None else 'inf'}], "
                         f"got {v}")
    return v


def _json(obj: Any, status: int = 200) -> JSONResponse:
    return JSONResponse(obj, status_code=status)


def _token_refusal(req: Request, token: str | None) -> Response | None:
    """None when the request carries the control token (or none is set); else 401 / 403."""
    if token is None:
        return None
    auth = req.headers.get("authorization", "")
    given = auth[7:].strip() if auth[:7].lower() == "bearer " else \
        req.headers.get("x-caviar-token")
    how = ("send Authorization: Bearer TOKEN or X-Caviar-Token: TOKEN with the token "
           "`caviar dashboard` printed (open the page once as /#token=TOKEN)")
    if not given:
        return JSONResponse({"error": f"control: needs this dashboard's token; {how}"}, 401,
                            headers={"WWW-Authenticate": 'Bearer realm="caviar"'})
    if not secrets.compare_digest(given.encode(), token.encode()):
        return _json({"error": f"control: wrong token; {how}"}, 403)
    return None


def create_app(storage: Storage, *, allow_control: bool = False,
               allowed_hosts: list[str] | None = None, token: str | None = None,
               poll_interval: float = 0.0, **view_kw: Any) -> Starlette:
    """``token``: required on every control request when set (``caviar dashboard`` sets one
    whenever controls are on beyond loopback)."""
    if token is not None and (not isinstance(token, str) or len(token) < 16
                              or not token.isprintable() or token != token.strip()):
        raise UsageError("token: must be at least 16 printable characters without surrounding "
                         "spaces; leave it out to get a random one")
    dash = Dashboard(storage, allow_control=allow_control, poll_interval=poll_interval,
                     **view_kw)
    flags = {"allow_control": allow_control, "needs_token": token is not None}

    def guarded(fn: Any) -> Any:
        def endpoint(req: Request) -> Response:
            try:
                return fn(req)  # type: ignore[no-any-return]
            except BadRequest as e:
                return _json({"error": str(e)}, e.status)
        return endpoint

    @guarded
    def studies(req: Request) -> Response:
        out = [{"name": s.name, "direction": s.direction, "n_trials": s.n_trials,
                "counts": s.counts, "best_value": _num(s.best_value),
                "created_at": s.created_at} for s in storage.list_studies()]
        return _json({"studies": out, **flags})

    def unchanged(req: Request, v: Any) -> Response | None:
        """The short answer to a poll whose ``since`` is still the view's sequence number."""
        if _int(req, "since", -1, -1) == v.seq:
            return _json({"changed": False, "seq": v.seq})
        return None

    @guarded
    def study(req: Request) -> Response:
        v = dash.view(req.query_params.get("study"))
        same = unchanged(req, v)
        return same if same is not None else _json(
            {"changed": True, **v.summary(), **flags})

    @guarded
    def trials(req: Request) -> Response:
        v = dash.view(req.query_params.get("study"))
        sort = req.query_params.get("sort", "number")
        if sort not in SORT_KEYS and not (sort.startswith("param:") and sort[6:] in v.space):
            raise BadRequest(f"sort: must be one of {list(SORT_KEYS)} or param:NAME with a "
                             f"param of the study, got {sort!r}")
        order = req.query_params.get("order", "desc")
        if order not in ("asc", "desc"):
            raise BadRequest(f"order: must be 'asc' or 'desc', got {order!r}")
        state = req.query_params.get("state") or None
        if state is not None and state not in STATES:
            raise BadRequest(f"state: must be one of {list(STATES)}, got {state!r}")
        try:
            ranges = filters.parse(req.query_params.get("filters"), list(v.space))
        except filters.FilterError as e:
            raise BadRequest(str(e)) from None
        page = v.page(offset=_int(req, "offset", 0, 0), limit=_int(req, "limit", 50, 1,
                                                                     MAX_LIMIT),
                      sort=sort, descending=order == "desc", state=state, ranges=ranges,
                      text=req.query_params.get("q") or None)
        return _json({"seq": v.seq, **page})

    @guarded
    def figs(req: Request) -> Response:
        v = dash.view(req.query_params.get("study"))
        same = unchanged(req, v)
        if same is not None:
            return same
        kinds = req.query_params.get("kinds")
        if kinds is not None:
            if kinds != "history":
                raise BadRequest(f"kinds: only 'history' can be asked alone, got {kinds!r}")
            return _json({"changed": True, "seq": -1, "figures": v.history_only()})
        seq, figs = v.figures_at()
        # while a part is still computed, the page keeps asking (seq -1: "not complete yet")
        if figs["pending"]:
            return _json({"changed": True, "seq": -1, "figures": figs})
        # ~0.8 MB at 10,000 trials: encoded once per change of the study, not per page load,
        # and told and kept under the number the figures were built at
        body = v.memo("figures.json", lambda: _json({"changed": True, "seq": seq,
                                                     "figures": figs}).body, seq=seq)
        return Response(body, media_type="application/json")

    @guarded
    def trial(req: Request) -> Response:
        v = dash.view(req.query_params.get("study"))
        number = _int(req, "number", -1, 0)
        page = v.trial_page(number)
        if page is None:
            raise BadRequest(f"trial {number}: not in study {v.name!r}", 404)
        return _json({**page, **flags, "study": v.name})

    @guarded
    def compare(req: Request) -> Response:
        names = list(dict.fromkeys(req.query_params.getlist("study")))
        if not 2 <= len(names) <= MAX_COMPARED:
            raise BadRequest(f"compare: give 2 to {MAX_COMPARED} different studies as "
                             f"?study=A&study=B, got {len(names)}")
        return _json(compare_figure([dash.view(n) for n in names]))

    async def control(req: Request) -> Response:
        if not allow_control:
            return _json({"error": "controls are off; start the dashboard with "
                                   "--allow-control to stop, pause or nudge trials"}, 403)
        refused = _token_refusal(req, token)
        if refused is not None:
            return refused
        if req.headers.get("x-caviar-control") != "1" or \
                not req.headers.get("content-type", "").startswith("application/json"):
            return _json({"error": "control: send JSON with the header X-Caviar-Control: 1"},
                         403)
        try:
            body = await req.json()
        except ValueError:
            return _json({"error": "control: the body must be a JSON object"}, 400)
        try:
            out = await run_in_threadpool(_control, dash, body)
        except BadRequest as e:
            return _json({"error": str(e)}, e.status)
        return _json(out)

    # the page and its own scripts are small files: read and answered on the event loop (no
    # thread hop), the scripts as one bundle (one request instead of seven before first paint)
    async def index(req: Request) -> Response:
        return Response((STATIC / "index.html").read_bytes(), media_type="text/html")

    async def static(req: Request) -> Response:
        name = req.path_params["name"]
        if name == BUNDLE:
            return Response(b"\n".join((STATIC / n).read_bytes() for n in BUNDLED),
                            media_type="text/javascript")
        if name in ASSETS:
            kind = "text/css" if name.endswith(".css") else "text/javascript"
            return Response((STATIC / name).read_bytes(), media_type=kind)
        return await run_in_threadpool(plotly_or_404, name)

    def plotly_or_404(name: str) -> Response:
        if name == "plotly.min.js":
            p = _plotly_js()
            if p is None:
                return Response("// plotly is not installed: pip install 'caviar[viz]'",
                                media_type="text/javascript")
            return FileResponse(p, media_type="text/javascript")
        return _json({"error": "not found"}, 404)

    routes = [
        Route("/", index), Route("/static/{name}", static),
        Route("/api/studies", studies), Route("/api/study", study),
        Route("/api/trials", trials), Route("/api/figures", figs), Route("/api/trial", trial),
        Route("/api/compare", compare),
        Route("/api/control", control, methods=["POST"]),
    ]
    middleware = [Middleware(SecurityHeaders)]
    if allowed_hosts:
        middleware.append(Middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts))
    app = Starlette(routes=routes, middleware=middleware)
    app.state.dashboard = dash
    return app


class SecurityHeaders:
    """Pure ASGI middleware: CSP and friends on every response."""

    HEADERS: ClassVar[list[tuple[bytes, bytes]]] = [
        (b"content-security-policy", CSP.encode()), (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"no-referrer"), (b"cache-control", b"no-store"),
        (b"x-frame-options", b"DENY")]

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def wrapped(message: Any) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *self.HEADERS]}
            await send(message)

        await self.app(scope, receive, wrapped)


def _num(v: Any) -> Any:
    return None if isinstance(v, float) and not math.isfinite(v) else v


def _control(dash: Dashboard, body: Any) -> dict[str, Any]:
    """Validate a control request and record it as an event on the running trial."""
    if not isinstance(body, dict):
        raise BadRequest("control: the body must be a JSON object")
    unknown = set(body) - {"study", "number", "action", "param", "factor", "value"}
    if unknown:
        raise BadRequest(f"control: unknown fields {sorted(unknown)}; allowed: study, number, "
                         "action, param, factor, value")
    action = body.get("action")
    if action not in ACTIONS:
        raise BadRequest(f"action: must be one of {list(ACTIONS)}, got {action!r}")
    number = body.get("number")
    if isinstance(number, bool) or not isinstance(number, int) or number < 0:
        raise BadRequest(f"number: must be a trial number (an int >= 0), got {number!r}")
    name = body.get("study")
    v = dash.view(name if isinstance(name, str) else None)
    t = v.by_number.get(number)
    if t is None:
        raise BadRequest(f"trial {number}: not in study {v.name!r}", 404)
    fresh = v.storage.get_trial(t.id) or t
    if fresh.state != RUNNING:
        raise BadRequest(f"trial {number}: is {fresh.state}, not running; only a running "
                         "trial can be controlled", 409)
    payload: dict[str, Any] = {"source": "dashboard"}
    if action == "nudge":
        param = body.get("param")
        known = sorted(set(fresh.params) | set(v.space))
        if not isinstance(param, str) or param not in known:
            raise BadRequest(f"nudge: param must name one of the study's params {known}, "
                             f"got {param!r}")
        factor, value = body.get("factor"), body.get("value")
        if (factor is None) == (value is None):
            raise BadRequest("nudge: give exactly one of factor (multiply the param, e.g. 0.5)"
                             " or value (set it)")
        for key, x in (("factor", factor), ("value", value)):
            if x is not None and (isinstance(x, bool) or not isinstance(x, int | float)
                                  or not math.isfinite(x)):
                raise BadRequest(f"nudge: {key} must be a finite number, got {x!r}")
        if factor is not None and not 0 < factor <= 1e6:
            raise BadRequest(f"nudge: factor must be in (0, 1e6], got {factor!r}")
        payload.update({"param": param, **({"factor": float(factor)} if factor is not None
                                           else {"value": float(value)})})  # type: ignore[arg-type]
        if isinstance(fresh.system_attrs.get("babysit"), dict):  # babysat: mutability, range
            from caviar.panda.control import Change, ControlError, check_changes

            try:
                check_changes(v.storage, v.storage.get_study(v.name), fresh, [Change(
                    param, value=payload.get("value"), factor=payload.get("factor"))])
            except ControlError as e:
                raise BadRequest(str(e)) from None
    elif any(k in body for k in ("param", "factor", "value")):
        raise BadRequest(f"{action}: takes no param, factor or value")
    event_id = v.storage.add_event(fresh.id, action, payload)
    return {"ok": True, "event": event_id, "trial": number, "action": action,
            "payload": payload}
