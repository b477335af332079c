"""Ports for the worker processes the scale tests start.

A port from ``bind(0)`` comes from the kernel's ephemeral range, and once the test closes its socket
the kernel may hand the same port to any other process's connection before the worker binds it (a
race on a busy CI machine). These ports are drawn *below* the ephemeral range, where the kernel never
hands out ports by itself, and each is checked free just before use; callers that can also retry on
"address already in use" should (``ADDRESS_IN_USE``).
"""

from __future__ import annotations

import random
import socket
from pathlib import Path

ADDRESS_IN_USE = ("Address already in use", "address already in use", "EADDRINUSE")


def _ephemeral_low() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768  # Linux's default


def reserve_ports(count: int, rng: random.Random | None = None) -> list[int]:
    """``count`` distinct free ports on 127.0.0.1 outside the ephemeral range."""
    rng = rng or random.Random()
    high = max(_ephemeral_low() - 1, 20000)
    ports: list[int] = []
    while len(ports) < count:
        port = rng.randint(15000, high)
        if port in ports:
            continue
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        ports.append(port)
    return ports
