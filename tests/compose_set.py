"""The production-like set of docker-compose.yml, run for real by Podman: for the compose test.

The same Dockerfile and compose file a firm runs with Docker, with what this machine lacks
made up by docker/test/: base images made from Debian (make-base-images.sh, cached by Podman
between runs) through compose.podman.yml, and Podman's settings (containers.conf). The test's
own settings (compose.test.yml) make a dead worker's documents come back in seconds.

Debian's podman-compose (1.0) starts the services in the order of depends_on but does not
wait for a condition (healthy, completed), so the set comes up in three steps, as
docker/README.md tells Podman users: PostgreSQL until healthy, the one-shot init until it
ends, then the rest. Without systemd Podman runs no health check by itself: each is run here
with `podman healthcheck run`, as its timer would.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet
from debian import apt_install, can_install
from host_network import changing
from product import REPO, free_port, mock_account

TEST_FILES = REPO / "docker" / "test"
COMPOSE_FILES = [REPO / "docker-compose.yml", TEST_FILES / "compose.podman.yml",
                 TEST_FILES / "compose.test.yml"]
# With their recommended packages, as tried on these machines; the network's firewall rules
# need iptables.
PACKAGES = ("podman", "podman-compose", "runc", "debootstrap", "catatonit", "netavark",
            "aardvark-dns", "iptables", "uidmap", "slirp4netns", "fuse-overlayfs")
COMMANDS = ("podman", "podman-compose", "runc", "debootstrap")


def podman_ready() -> str | None:
    """None when Podman and podman-compose are there (installed now, as root, when missing);
    else why not."""
    if all(shutil.which(c) for c in COMMANDS):
        return None
    if not can_install():
        return "Podman is not installed, and only root can install it (apt-get install " \
               + " ".join(PACKAGES) + ")"
    apt_install(*PACKAGES, recommends=True)
    missing = [c for c in COMMANDS if not shutil.which(c)]
    return f"apt-get did not install {', '.join(missing)}" if missing else None


class ComposeSet:
    """One run of the set, under a project name of its own, on free ports of this machine.
    Everything it prints goes to log."""

    def __init__(self, log: Path) -> None:
        self.log = log
        self.project = f"dexttest{uuid.uuid4().hex[:6]}"
        self.tryton_port, self.mock_port = free_port(), free_port()
        self.passwords = {"admin": uuid.uuid4().hex, "user": uuid.uuid4().hex}
        self.env = {
            "CONTAINERS_CONF": str(TEST_FILES / "containers.conf"),
            "POSTGRES_PASSWORD": uuid.uuid4().hex,
            "TRYTON_ADMIN_PASSWORD": self.passwords["admin"],
            "TRYTON_USER_PASSWORD": self.passwords["user"],
            "KASHFLOW_SECRET_KEYS": Fernet.generate_key().decode(),
            "DEXT_DEMO_DATA": "1",
            # One process each (gunicorn, each worker): the test's machine has two cores.
            "TRYTOND_WORKERS": "1",
            "TRYTOND_WORKER_PROCESSES": "1",
            "TRYTON_PORT": str(self.tryton_port),
            "MOCK_PORT": str(self.mock_port),
        }
        self.tryton = f"http://127.0.0.1:{self.tryton_port}"
        self.mock = f"http://127.0.0.1:{self.mock_port}"

    # Commands -------------------------------------------------------------------------

    def run(self, command: list[str], timeout: float, check: bool = True,
            **env: str) -> subprocess.CompletedProcess[str]:
        """A command in the repository, its output kept in the log."""
        with self.log.open("a") as out:
            out.write(f"\n$ {' '.join(command)}\n")
            out.flush()
            started = time.monotonic()
            result = subprocess.run(command, cwd=REPO, env={**_base_env(), **self.env, **env},
                                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                    text=True, timeout=timeout)
            out.write(result.stdout)
            out.write(f"(exit {result.returncode} after {time.monotonic() - started:.0f} s)\n")
        if check:
            assert result.returncode == 0, (
                f"{' '.join(command[:4])}… failed:\n{result.stdout[-3000:]}")
        return result

    def podman(self, *args: str, timeout: float = 120,
               check: bool = True) -> subprocess.CompletedProcess[str]:
        return self.run(["podman", *args], timeout, check)

    def compose(self, *args: str, timeout: float = 600, check: bool = True,
                **env: str) -> None:
        files = [arg for path in COMPOSE_FILES for arg in ("-f", str(path))]
        self.run(["podman-compose", "-p", self.project, *files, *args], timeout, check, **env)

    def container(self, service: str, number: int = 1) -> str:
        return f"{self.project}_{service}_{number}"

    # The set's life -------------------------------------------------------------------

    def build(self) -> None:
        """The base images (made once, then cached by Podman), then the project's image,
        once: every Tryton service and the mock run the same image (podman-compose would build
        it once per service)."""
        self.run(["bash", str(TEST_FILES / "make-base-images.sh")], timeout=1200)
        # On the host's network: a build's own network would change the host's (host_network).
        self.compose("--podman-build-args", "--network host", "build", "init", timeout=1200)

    def up(self, workers: int = 1) -> None:
        """PostgreSQL until healthy, the init until it ends well, then the rest, until the
        server answers healthy. workers: how many worker containers."""
        with changing():  # the set's network gets its address with its first container
            self.compose("up", "-d", "postgres")
        self.wait_healthy("postgres", timeout=60)
        self.compose("up", "-d", "init")
        assert self.wait_exit("init", timeout=600) == 0, self.logs("init")
        self.compose("up", "-d", DEXT_WORKERS=str(workers))
        self.wait_healthy("trytond", timeout=120)
        self.wait_healthy("mock", timeout=60)

    def scale_workers(self, workers: int) -> None:
        """`DEXT_WORKERS=n podman-compose up -d`: the new worker containers start; the init
        starts again too (podman-compose 1.0 starts every service's existing container) and
        finds the database up to date."""
        self.compose("up", "-d", DEXT_WORKERS=str(workers))
        assert self.wait_exit("init", timeout=120) == 0, self.logs("init")

    def down(self) -> None:
        """Everything the run made but the images (the next run's cache): the containers, the
        volumes and the network, by the project's label. Nothing when they are gone already
        (the test took it down): the change of network would wait for a browser test."""
        if not self.left_behind():
            return
        with changing():  # the set's network loses its address with its last container
            self.compose("down", "-t", "5", timeout=180, check=False)
            ids = self.labelled("ps", "-a")
            if ids:
                self.podman("rm", "-f", "-t", "0", *ids)
            for volume in self.labelled("volume", "ls"):
                self.podman("volume", "rm", "-f", volume)
            self.podman("network", "rm", "-f", f"{self.project}_default", check=False)

    # What is running ------------------------------------------------------------------

    def labelled(self, *listing: str) -> list[str]:
        """The ids of what listing (`ps -a`, `volume ls`) finds with the project's label,
        which podman-compose puts on all it makes."""
        label = f"label=io.podman.compose.project={self.project}"
        return self.podman(*listing, "-q", "--filter", label).stdout.split()

    def states(self) -> dict[str, str]:
        """Each of the project's containers and its state (running, exited...)."""
        ids = self.labelled("ps", "-a")
        if not ids:
            return {}
        result = self.podman("inspect", "--format", "{{.Name}} {{.State.Status}}", *ids)
        return dict(line.split(" ", 1) for line in result.stdout.splitlines() if line)

    def left_behind(self) -> list[str]:
        """What of the project is still there: containers, volumes, its network."""
        found = [*self.labelled("ps", "-a"), *self.labelled("volume", "ls")]
        networks = self.podman("network", "ls", "--format", "{{.Name}}").stdout.split()
        return found + [n for n in networks if n.startswith(self.project)]

    def logs(self, service: str, number: int = 1) -> str:
        return self.podman("logs", self.container(service, number), check=False).stdout

    def wait_healthy(self, service: str, timeout: float) -> None:
        """The service's own health check (docker-compose.yml's), run until it passes."""
        deadline = time.monotonic() + timeout
        while self.podman("healthcheck", "run", self.container(service),
                          check=False).returncode != 0:
            assert time.monotonic() < deadline, (
                f"{service} is not healthy after {timeout:.0f} s:\n{self.logs(service)[-3000:]}")
            time.sleep(2)

    def wait_exit(self, service: str, timeout: float) -> int:
        result = self.podman("wait", self.container(service), timeout=timeout)
        return int(result.stdout.split()[-1])

    def mock_account(self, username: str) -> dict[str, Any]:
        return mock_account(self.mock, username)


def _base_env() -> dict[str, str]:
    """The caller's environment less what the compose file reads: the test chooses those."""
    read = ("POSTGRES_", "TRYTON_", "TRYTOND_", "KASHFLOW_", "DEXT_", "MOCK_", "COMPOSE_")
    return {k: v for k, v in os.environ.items() if not k.startswith(read)}
