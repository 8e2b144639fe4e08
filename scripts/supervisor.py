"""Child processes of `bash scripts/run`: started in their own process groups, each with its
log, watched, and all stopped on Ctrl-C (SIGINT), SIGTERM or SIGHUP, the last started first.
"""

from __future__ import annotations

import ctypes
import os
import pwd
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)

try:  # Linux: a child gets SIGTERM if this process dies without cleaning up (kill -9).
    _prctl: Callable[..., int] | None = ctypes.CDLL(None, use_errno=True).prctl
except (OSError, AttributeError):
    _prctl = None
PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    if _prctl is not None:
        _prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


class Stopped(Exception):
    """A stop signal arrived."""


class Failed(Exception):
    """A step failed; the message says which and where its log is."""


@dataclass
class Child:
    name: str
    process: subprocess.Popen[bytes]
    log: Path
    stop_signal: int


class Supervisor:
    """Starts child processes in their own process groups and stops them all on a signal."""

    def __init__(self) -> None:
        self.children: list[Child] = []
        self.signal: int | None = None

    def install_handlers(self) -> None:
        for signum in STOP_SIGNALS:
            signal.signal(signum, self._on_signal)

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self.signal = signum

    def check(self) -> None:
        if self.signal is not None:
            raise Stopped()

    def sleep(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self.check()
            time.sleep(min(0.1, max(0.0, end - time.monotonic())))
        self.check()

    def start(self, name: str, cmd: list[str], log: Path, env: dict[str, str] | None = None,
              cwd: Path | None = None, user: pwd.struct_passwd | None = None,
              stop_signal: int = signal.SIGTERM) -> subprocess.Popen[bytes]:
        """Start cmd with its output appended to log; as user when given (root only)."""
        self.check()
        log.parent.mkdir(parents=True, exist_ok=True)
        as_user = {} if user is None else {
            "user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}
        with open(log, "ab") as out:
            process = subprocess.Popen(
                cmd, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=out,
                stderr=subprocess.STDOUT, start_new_session=True,
                preexec_fn=_die_with_parent, **as_user)
        self.children.append(Child(name, process, log, stop_signal))
        return process

    def run(self, name: str, cmd: list[str], log: Path, env: dict[str, str] | None = None,
            cwd: Path | None = None, user: pwd.struct_passwd | None = None) -> None:
        """Run a set-up step to its end; a stop signal ends it."""
        process = self.start(name, cmd, log, env, cwd, user)
        while process.poll() is None:
            self.sleep(0.2)
        self.children = [c for c in self.children if c.process is not process]
        if process.returncode != 0:
            raise Failed(f"{name} failed (exit {process.returncode}); "
                         f"its log, {log}, ends with:\n{tail(log)}")

    def watch(self) -> None:
        """Fail when a child stopped by itself."""
        for child in self.children:
            if child.process.poll() is not None:
                raise Failed(f"{child.name} stopped by itself (exit "
                             f"{child.process.returncode}); its log, {child.log}, ends "
                             f"with:\n{tail(child.log)}")

    def stop_all(self, timeout: float = 10.0) -> None:
        """Each child's process group, the last started first (the database after what
        uses it): its stop signal, then SIGKILL to what is left after timeout."""
        for child in reversed(self.children):
            _kill_group(child.process, child.stop_signal)
            try:
                child.process.wait(timeout)
            except subprocess.TimeoutExpired:
                pass
            _kill_group(child.process, signal.SIGKILL)  # the leader's leftovers too
            child.process.wait()
        self.children.clear()


def _kill_group(process: subprocess.Popen[bytes], signum: int) -> None:
    try:
        os.killpg(process.pid, signum)
    except (ProcessLookupError, PermissionError):
        pass


def tail(path: Path, lines: int = 25) -> str:
    try:
        text = path.read_text(errors="replace").splitlines()
    except OSError:
        return "(no log)"
    return "\n".join("    " + line for line in text[-lines:])


def say(message: str) -> None:
    print(message, flush=True)


def wait_until(supervisor: Supervisor, what: str, ready: Callable[[], bool],
               process: subprocess.Popen[bytes], log: Path, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        if process.poll() is not None:
            raise Failed(f"{what} stopped (exit {process.returncode}); "
                         f"its log, {log}, ends with:\n{tail(log)}")
        if time.monotonic() > deadline:
            raise Failed(f"{what} did not answer in {timeout:.0f} s; "
                         f"its log, {log}, ends with:\n{tail(log)}")
        supervisor.sleep(0.2)
