"""Run the dashboard with uvicorn on a socket bound here (so errors are ours, not a traceback)."""

from __future__ import annotations

import errno
import socket
from typing import Any

from caviar.errors import UsageError

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port``; a taken port or a bad host is a UsageError."""
    if not 0 <= port <= 65535:
        raise UsageError(f"--port: must be in [0, 65535], got {port}; e.g. --port 8080")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as e:
        raise UsageError(f"--host {host!r}: cannot be resolved ({e.strerror}); use 127.0.0.1 "
                         "(this machine only) or 0.0.0.0 (every interface)") from None
    family, _, _, _, addr = infos[0]
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.bind(addr)
        sock.listen(128)
    except OSError as e:
        sock.close()
        if e.errno == errno.EADDRINUSE:
            raise UsageError(f"--port {port}: already in use on {host}; stop what listens "
                             f"there or pick another port, e.g. --port {port + 1}") from None
        raise UsageError(f"--host {host} --port {port}: cannot listen ({e.strerror}); "
                         "pick another port or host") from None
    sock.set_inheritable(True)
    return sock


def serve(app: Any, sock: socket.socket, *, log_level: str = "warning") -> None:
    import uvicorn

    config = uvicorn.Config(app, log_level=log_level, access_log=False, lifespan="off")
    server = uvicorn.Server(config)
    server.run(sockets=[sock])


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine only (127.0.0.0/8, ::1, localhost)."""
    import ipaddress

    if host in LOOPBACK:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def allowed_hosts(host: str, port: int) -> list[str] | None:
    """Host headers to accept: on a loopback bind, only local names (stops DNS rebinding).
    Beyond loopback any Host is accepted, and the control token is the protection."""
    if is_loopback(host):
        return ["127.0.0.1", "localhost", "::1", "[::1]", *([host] if host not in LOOPBACK
                                                           else [])]
    return None
