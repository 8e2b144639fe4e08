"""Keeping Chromium's requests whole while the compose test changes this machine's network.

Chromium drops every request in flight (net::ERR_NETWORK_CHANGED, which sao shows as an error
dialog) when an address of the machine appears or goes. Podman's containers change the host's
network (checked with a page fetching in a loop, headless Chromium 156, Podman 4.3):
- each container's interface on the host gets an IPv6 link-local address: not when new
  interfaces are made without IPv6 (`without_ipv6`, for the compose set's life);
- the network's bridge gets its IPv4 address when its first container starts, and loses it
  after its last one stops: those moments wait for the browser test under way to end, and
  the browser tests wait for them (`changing` against `steady`, a lock all of scripts/test's
  processes share);
- a build's RUN steps do the same unless they use the host's network (`--network host`).
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from product import REPO

LOCK = REPO / "var" / "host-network.lock"
# Taken first by both sides: a change that waits goes before the next browser test (a shared
# lock alone would let the browser tests, one after the other, keep it waiting).
TURN = REPO / "var" / "host-network-turn.lock"
IPV6_FOR_NEW_INTERFACES = Path("/proc/sys/net/ipv6/conf/default/disable_ipv6")


@contextmanager
def _locked(path: Path, mode: int) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as lock:
        fcntl.flock(lock, mode)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


@contextmanager
def steady() -> Iterator[None]:
    """While a browser test runs: no address of the machine appears or goes."""
    with _locked(TURN, fcntl.LOCK_EX):
        pass
    with _locked(LOCK, fcntl.LOCK_SH):
        yield


@contextmanager
def changing() -> Iterator[None]:
    """While an address of the machine may appear or go: no browser test runs."""
    with _locked(TURN, fcntl.LOCK_EX), _locked(LOCK, fcntl.LOCK_EX):
        yield


@contextmanager
def without_ipv6() -> Iterator[None]:
    """New network interfaces are made without IPv6 (as root; the setting is put back)."""
    try:
        before = IPV6_FOR_NEW_INTERFACES.read_text()
        IPV6_FOR_NEW_INTERFACES.write_text("1\n")
    except OSError:  # no IPv6 on this machine, or not root: nothing to change
        yield
        return
    try:
        yield
    finally:
        IPV6_FOR_NEW_INTERFACES.write_text(before)
