"""Debian's packages that some tests need (Chromium, docker-compose, Podman): installed with
apt-get when the tests run as root, as CI does on a fresh machine."""

from __future__ import annotations

import os
import subprocess


def can_install() -> bool:
    return os.geteuid() == 0


def apt_install(*packages: str, recommends: bool = False) -> None:
    """Install packages; the package lists are read again when they are stale."""
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "-qq", *packages]
    if not recommends:
        install.insert(3, "--no-install-recommends")
    if subprocess.run(install, env=env).returncode != 0:
        subprocess.run(["apt-get", "update", "-qq"], env=env, check=True)
        subprocess.run(install, env=env, check=True)
