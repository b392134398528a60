"""Ports for the servers tests start as processes of their own, which bind them seconds after
the port was chosen.

A port the kernel hands out for port 0 comes from its ephemeral range, which every outgoing
connection draws from too: with thousands of connections in a test run, one of them can take
the port before the server binds it ("address already in use"; it failed a whole suite's browser
tests once). So the port is drawn below that range, where the kernel assigns none on its own,
and checked free.
"""

from __future__ import annotations

import random
import socket
from pathlib import Path

_EPHEMERAL_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")
_LOWEST = 10_000
# Not the `random` module's state, which hypothesis seeds alike in every worker.
_DRAW = random.SystemRandom()


def free_port() -> int:
    """A loopback port nothing listens on, outside the kernel's ephemeral range.

    >>> 0 < free_port() < 65536
    True
    """
    highest = max(_first_ephemeral(), _LOWEST + 1_000)
    while True:
        port = _DRAW.randrange(_LOWEST, highest)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
        return port


def _first_ephemeral() -> int:
    try:
        return int(_EPHEMERAL_RANGE.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32_768
