"""The sockets `connect-energy serve` listens on, bound before the server starts.

Binding them here, rather than letting uvicorn do it, turns a host that does not resolve
or a port already taken into a plain usage error, before the app starts up at all.
"""

from __future__ import annotations

import errno
import socket

from bot.errors import UsageError


def bind_listeners(host: str, port: int) -> list[socket.socket]:
    """Bind one TCP socket per address `host` resolves to, as asyncio would.

    Raises:
        UsageError: the host is unknown, or no socket could be bound to `port`.
    """
    try:
        addresses = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )
    except (OSError, UnicodeError, ValueError) as error:
        raise UsageError(f"--host {host!r} is not a name or address this machine knows") from error

    bound: list[socket.socket] = []
    try:
        for family, kind, protocol, _, address in dict.fromkeys(addresses):
            bound.append(_bind(family, kind, protocol, address))
    except OSError as error:
        for listener in bound:
            listener.close()
        raise UsageError(_bind_failure(host, port, error)) from error
    return bound


def _bind(family: int, kind: int, protocol: int, address: tuple[object, ...]) -> socket.socket:
    listener = socket.socket(family, kind, protocol)
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            # Each family gets its own socket, so the IPv6 one must not claim IPv4 too.
            listener.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        listener.bind(address)
    except OSError:
        listener.close()
        raise
    return listener


def _bind_failure(host: str, port: int, error: OSError) -> str:
    if error.errno == errno.EADDRINUSE:
        return f"port {port} on {host!r} is already in use; choose another with --port"
    if error.errno == errno.EACCES:
        return f"not allowed to listen on port {port}; choose one above 1023 with --port"
    return f"cannot listen on {host!r} port {port}: {error.strerror}"
