"""Set up and start the product: Tryton with the demo database, its web client, the mock KashFlow.

Run through `bash scripts/run [--reset]`, which makes the virtual environment first.

- Tryton 8.0 (trytond) on SQLite, database "demo" with dext_kashflow activated and demo data
  (demo/create_demo.py), serving the web client sao (scripts/sao) on http://127.0.0.1:8000/;
- the mock KashFlow server (python -m mock_kashflow) on http://127.0.0.1:8080/.

What exists is kept: the second start only starts the servers (and updates the database when
the module changed). `--reset` throws the demo database and the mock's state away first.
Ctrl-C (SIGINT), SIGTERM or SIGHUP stop every process this started.

Environment: DEXT_VAR (state folder, default var/), TRYTON_HOST, TRYTON_PORT (8000),
MOCK_HOST, MOCK_PORT (8080), DEXT_DATABASE (demo), SAO_ROOT (default $DEXT_VAR/sao).
"""

from __future__ import annotations

import argparse
import ctypes
import hashlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent  # the virtual environment's bin folder
MODULE_DIR = REPO / "addons" / "dext_kashflow"
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
class Settings:
    var: Path
    database: str
    tryton_host: str
    tryton_port: int
    mock_host: str
    mock_port: int
    sao_root: Path

    @classmethod
    def from_env(cls) -> Settings:
        var = Path(os.environ.get("DEXT_VAR") or REPO / "var").resolve()
        return cls(
            var=var,
            database=os.environ.get("DEXT_DATABASE", "demo"),
            tryton_host=os.environ.get("TRYTON_HOST", "127.0.0.1"),
            tryton_port=int(os.environ.get("TRYTON_PORT", "8000")),
            mock_host=os.environ.get("MOCK_HOST", "127.0.0.1"),
            mock_port=int(os.environ.get("MOCK_PORT", "8080")),
            sao_root=Path(os.environ.get("SAO_ROOT") or var / "sao").resolve(),
        )

    @property
    def db_dir(self) -> Path:
        return self.var / "db"

    @property
    def db_file(self) -> Path:
        return self.db_dir / f"{self.database}.sqlite"

    @property
    def db_ready(self) -> Path:
        """Written once the database and its demo data are complete: module hash inside."""
        return self.db_dir / f"{self.database}.ready"

    @property
    def config_file(self) -> Path:
        return self.var / "trytond.conf"

    @property
    def logins_file(self) -> Path:
        return self.var / "demo-logins.json"

    @property
    def mock_state(self) -> Path:
        return self.var / "mock-kashflow.json"

    @property
    def logs(self) -> Path:
        return self.var / "log"

    @property
    def tryton_url(self) -> str:
        return f"http://{self.tryton_host}:{self.tryton_port}/"

    @property
    def mock_url(self) -> str:
        return f"http://{self.mock_host}:{self.mock_port}"


class Supervisor:
    """Starts child processes in their own process groups and stops them all on a signal."""

    def __init__(self) -> None:
        self.children: list[tuple[str, subprocess.Popen[bytes]]] = []
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
              cwd: Path = REPO) -> subprocess.Popen[bytes]:
        self.check()
        log.parent.mkdir(parents=True, exist_ok=True)
        with open(log, "ab") as out:
            process = subprocess.Popen(
                cmd, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=out,
                stderr=subprocess.STDOUT, start_new_session=True,
                preexec_fn=_die_with_parent)
        self.children.append((name, process))
        return process

    def run(self, name: str, cmd: list[str], log: Path, env: dict[str, str] | None = None) -> None:
        """Run a set-up step to its end; a stop signal ends it."""
        process = self.start(name, cmd, log, env)
        while process.poll() is None:
            self.sleep(0.2)
        self.children.remove((name, process))
        if process.returncode != 0:
            raise Failed(f"{name} failed (exit {process.returncode}); "
                         f"its log, {log}, ends with:\n{tail(log)}")

    def stop_all(self, timeout: float = 10.0) -> None:
        """SIGTERM to every child's process group, then SIGKILL to what is left."""
        for _name, process in reversed(self.children):
            _kill_group(process, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for _name, process in reversed(self.children):
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
        for _name, process in self.children:
            _kill_group(process, signal.SIGKILL)  # the leader's leftovers too
            process.wait()
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


def port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def module_hash() -> str:
    """Changes when any file of the module changes: then the database is updated."""
    digest = hashlib.sha256()
    for path in sorted(MODULE_DIR.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and "tests" not in path.parts:
            digest.update(str(path.relative_to(MODULE_DIR)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def new_password() -> str:
    return "demo-" + secrets.token_urlsafe(9)


def load_logins(settings: Settings) -> dict[str, str]:
    """The demo users' passwords: made once, kept in var/ (readable by the owner only)."""
    if settings.logins_file.exists():
        logins = json.loads(settings.logins_file.read_text())
        if {"admin", "user"} <= logins.keys():
            return logins
    logins = {"admin": new_password(), "user": new_password()}
    settings.logins_file.parent.mkdir(parents=True, exist_ok=True)
    settings.logins_file.touch(mode=0o600)
    settings.logins_file.write_text(json.dumps(logins, indent=2) + "\n")
    return logins


def secret_key(settings: Settings) -> str:
    """The key that encrypts the KashFlow secrets in the database: made once, kept in var/
    (readable by the owner only), beside the database it opens."""
    path = settings.var / "secret-key"
    if not path.exists():
        from cryptography.fernet import Fernet
        path.touch(mode=0o600)
        path.write_text(Fernet.generate_key().decode() + "\n")
    return path.read_text().strip()


def write_config(settings: Settings) -> None:
    settings.db_dir.mkdir(parents=True, exist_ok=True)
    settings.config_file.touch(mode=0o600)
    settings.config_file.chmod(0o600)  # it holds the key
    settings.config_file.write_text(
        "# Made by scripts/run at every start: edits are lost.\n"
        "[database]\n"
        "uri = sqlite://\n"
        f"path = {settings.db_dir}\n"
        "language = en\n"
        "\n[web]\n"
        f"listen = {settings.tryton_host}:{settings.tryton_port}\n"
        f"root = {settings.sao_root}\n"
        "\n[dext_kashflow]\n"
        "# The default Service URL of a new connection: the mock KashFlow started here.\n"
        f"url = {settings.mock_url}/api/service.asmx\n"
        "# Encrypts the KashFlow passwords and API keys (var/secret-key; newest first).\n"
        f"secret_keys = {secret_key(settings)}\n")


def remove_database(settings: Settings) -> None:
    """The SQLite file with its journal files, the ready mark and the attachments."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{settings.db_file}{suffix}").unlink(missing_ok=True)
    settings.db_ready.unlink(missing_ok=True)
    shutil.rmtree(settings.db_dir / settings.database, ignore_errors=True)


def reset(settings: Settings) -> None:
    say("Reset: removing the demo database and the mock KashFlow's state")
    remove_database(settings)
    settings.mock_state.unlink(missing_ok=True)


def tryton_env(settings: Settings) -> dict[str, str]:
    # The caller's Tryton settings (a test run's TRYTOND_DATABASE_URI, DB_NAME...) stay out.
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("TRYTOND_") and k not in ("DB_NAME", "DB_CACHE")}
    env["TRYTOND_CONFIG"] = str(settings.config_file)
    return env


def prepare_database(settings: Settings, supervisor: Supervisor,
                     logins: dict[str, str]) -> None:
    log = settings.logs / "setup.log"
    env = tryton_env(settings)
    admin = [str(BIN / "trytond-admin"), "-c", str(settings.config_file),
             "-d", settings.database]
    current = module_hash()
    if settings.db_file.exists() and not settings.db_ready.exists():
        say(f"The database {settings.db_file} is incomplete (an earlier set-up stopped): "
            "making it again")
        remove_database(settings)
    if not settings.db_file.exists():
        started = time.monotonic()
        say(f"Creating the database '{settings.database}' with dext_kashflow "
            "(about a minute, once)")
        settings.db_file.touch()  # trytond-admin only initialises an existing SQLite file
        passfile = settings.db_dir / ".admin-password"
        passfile.touch(mode=0o600)
        passfile.write_text(logins["admin"] + "\n")
        try:
            supervisor.run("trytond-admin", [*admin, "--all", "-u", "dext_kashflow",
                                             "--activate-dependencies",
                                             "--email", "admin@demotrading.example"],
                           log, env={**env, "TRYTONPASSFILE": str(passfile)})
        finally:
            passfile.unlink(missing_ok=True)
        say("Adding the demo data (company, chart of accounts, VAT, parties, invoices, users)")
        supervisor.run("demo data", [
            str(BIN / "python"), str(REPO / "demo" / "create_demo.py"),
            "--config", str(settings.config_file), "--database", settings.database,
            "--logins", str(settings.logins_file)], log, env=env)
        settings.db_ready.write_text(current + "\n")
        say(f"  done in {time.monotonic() - started:.0f} s")
    elif settings.db_ready.read_text().strip() != current:
        say("The module dext_kashflow changed: updating the database")
        supervisor.run("trytond-admin", [*admin, "-u", "dext_kashflow",
                                         "--activate-dependencies"], log, env=env)
        settings.db_ready.write_text(current + "\n")


def install_sao(settings: Settings, supervisor: Supervisor) -> None:
    if not (settings.sao_root / ".dext-sao-ready").exists():
        say(f"Installing the web client sao into {settings.sao_root}")
    supervisor.run("sao install", ["bash", str(REPO / "scripts" / "sao"),
                                   str(settings.sao_root)], settings.logs / "setup.log")


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


def mock_credentials(log: Path) -> dict[str, str]:
    """What python -m mock_kashflow printed about its demo account."""
    found = {}
    for line in log.read_text(errors="replace").splitlines():
        for label in ("Username", "Password", "AutoAuth key"):
            if line.strip().startswith(label + " "):
                found[label] = line.strip()[len(label):].strip()
    return found


def start_mock(settings: Settings, supervisor: Supervisor) -> tuple[
        subprocess.Popen[bytes], dict[str, str]]:
    log = settings.logs / "mock-kashflow.log"
    log.unlink(missing_ok=True)
    process = supervisor.start("mock KashFlow", [
        str(BIN / "python"), "-u", "-m", "mock_kashflow", "--host", settings.mock_host,
        "--port", str(settings.mock_port), "--state", str(settings.mock_state)], log)
    wait_until(supervisor, "The mock KashFlow",
               lambda: http_ok(f"{settings.mock_url}/api/service.asmx?WSDL"), process, log)
    return process, mock_credentials(log)


def start_tryton(settings: Settings, supervisor: Supervisor) -> subprocess.Popen[bytes]:
    log = settings.logs / "trytond.log"
    # -d loads the database at start: without it, logins fail until a restart (8.x).
    process = supervisor.start("trytond", [
        str(BIN / "trytond"), "-c", str(settings.config_file), "-d", settings.database,
        "-vv"], log, env=tryton_env(settings))  # -vv: INFO (requests included) to the log
    wait_until(supervisor, "Tryton", lambda: http_ok(settings.tryton_url), process, log,
               timeout=120.0)
    return process


def summary(settings: Settings, logins: dict[str, str], mock: dict[str, str]) -> str:
    def rel(path: Path) -> str:
        return str(path.relative_to(Path.cwd())) if path.is_relative_to(Path.cwd()) else str(path)

    return "\n".join([
        "",
        "dext-kashflow is running. Ctrl-C stops everything.",
        "",
        f"  ERP web client (Tryton)  {settings.tryton_url}   database: {settings.database}",
        f"    administrator          login: admin   password: {logins['admin']}",
        f"    plain user             login: user    password: {logins['user']}",
        f"  Mock KashFlow            {settings.mock_url}/  (log in: API Settings, Purchases, "
        "Sales)",
        f"    SOAP API               {settings.mock_url}/api/service.asmx  (WSDL: ?WSDL)",
        f"    username               {mock.get('Username', '?')}",
        f"    password               {mock.get('Password', '?')}",
        f"    AutoAuth key           {mock.get('AutoAuth key', '?')}",
        f"  Logs                     {rel(settings.logs)}/",
        f"  State                    {rel(settings.var)}/  (bash scripts/run --reset starts "
        "over)",
        "",
    ])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="bash scripts/run", description="Set up and start Tryton with dext_kashflow, "
        "its web client and the mock KashFlow (see scripts/run_product.py for settings).")
    parser.add_argument("--reset", action="store_true",
                        help="recreate the demo database and the mock KashFlow's state")
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    supervisor = Supervisor()
    supervisor.install_handlers()
    try:
        for name, host, port, variable in [
                ("Tryton", settings.tryton_host, settings.tryton_port, "TRYTON_PORT"),
                ("the mock KashFlow", settings.mock_host, settings.mock_port, "MOCK_PORT")]:
            if not port_free(host, port):
                raise Failed(f"Port {port} on {host} is in use: another copy running? "
                             f"Stop it, or choose another port for {name} with {variable}=...")
        settings.var.mkdir(parents=True, exist_ok=True)
        if args.reset:
            reset(settings)
        logins = load_logins(settings)
        write_config(settings)
        install_sao(settings, supervisor)
        prepare_database(settings, supervisor, logins)
        say("Starting the mock KashFlow and Tryton")
        _, mock = start_mock(settings, supervisor)
        tryton_process = start_tryton(settings, supervisor)
        say(summary(settings, logins, mock))
        while True:
            for name, process in list(supervisor.children):
                if process.poll() is not None:
                    log = settings.logs / ("trytond.log" if process is tryton_process
                                           else "mock-kashflow.log")
                    raise Failed(f"{name} stopped by itself (exit {process.returncode}); "
                                 f"its log, {log}, ends with:\n{tail(log)}")
            supervisor.sleep(0.5)
    except Stopped:
        say("\nStopping...")
        supervisor.stop_all()
        say("Stopped.")
        return 0
    except Failed as error:
        supervisor.stop_all()
        say(f"\n{error}")
        return 1
    except BaseException:
        supervisor.stop_all()
        raise


if __name__ == "__main__":
    sys.exit(main())
