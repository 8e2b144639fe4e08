"""Set up and start the product: Tryton with the demo database, its web client, the mock KashFlow.

Run through `bash scripts/run [--reset]`, which makes the virtual environment first.

- a private PostgreSQL (scripts/product_postgresql.py says why not SQLite) on 127.0.0.1:8432,
  with the database "demo": dext_kashflow activated and demo data (demo/create_demo.py);
- Tryton 8.0 (trytond) serving the web client sao (scripts/sao) on http://127.0.0.1:8000/,
  its queue worker (trytond-worker: what is published or refreshed in the background) and its
  scheduler (trytond-cron: the retries of failed publications, the lists' refresh);
- the mock KashFlow server (python -m mock_kashflow) on http://127.0.0.1:8080/.

What exists is kept: the second start only starts the servers (and updates the database when
the module changed). `--reset` throws the demo database and the mock's state away first.
Ctrl-C (SIGINT), SIGTERM or SIGHUP stop every process this started. Each has its log in
var/log/.

Environment: DEXT_VAR (state folder, default var/), TRYTON_HOST, TRYTON_PORT (8000),
MOCK_HOST, MOCK_PORT (8080), POSTGRES_PORT (8432), DEXT_DATABASE (demo), SAO_ROOT (default
$DEXT_VAR/sao).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import secrets
import shutil
import socket
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from product_postgresql import Cluster, install
from supervisor import Failed, Stopped, Supervisor, say, wait_until

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent  # the virtual environment's bin folder
MODULE_DIR = REPO / "addons" / "dext_kashflow"
WORKER_PROCESSES = 2  # a slow KashFlow call in one does not hold up the other


@dataclass
class Settings:
    var: Path
    database: str
    tryton_host: str
    tryton_port: int
    mock_host: str
    mock_port: int
    postgres_port: int
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
            postgres_port=int(os.environ.get("POSTGRES_PORT", "8432")),
            sao_root=Path(os.environ.get("SAO_ROOT") or var / "sao").resolve(),
        )

    @property
    def db_dir(self) -> Path:
        """trytond's file store (attachments)."""
        return self.var / "db"

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


def write_config(settings: Settings, cluster: Cluster) -> None:
    settings.db_dir.mkdir(parents=True, exist_ok=True)
    settings.config_file.touch(mode=0o600)  # the database password and the key are in it
    settings.config_file.chmod(0o600)
    settings.config_file.write_text(
        "# Made by scripts/run at every start: edits are lost.\n"
        "[database]\n"
        f"uri = {cluster.uri}\n"
        f"path = {settings.db_dir}\n"
        "language = en\n"
        "\n[queue]\n"
        "# Background work (publishing, refreshing the lists) is queued for trytond-worker\n"
        "# rather than run at the end of the request that asked for it.\n"
        "worker = True\n"
        "\n[web]\n"
        f"listen = {settings.tryton_host}:{settings.tryton_port}\n"
        f"root = {settings.sao_root}\n"
        "\n[dext_kashflow]\n"
        "# The default Service URL of a new connection: the mock KashFlow started here.\n"
        f"url = {settings.mock_url}/api/service.asmx\n"
        "# Encrypts the KashFlow passwords and API keys (var/secret-key; newest first).\n"
        f"secret_keys = {secret_key(settings)}\n")


def remove_database(settings: Settings, cluster: Cluster) -> None:
    """The database, the ready mark and the attachments."""
    settings.db_ready.unlink(missing_ok=True)
    cluster.drop_database(settings.database)
    shutil.rmtree(settings.db_dir / settings.database, ignore_errors=True)


def reset(settings: Settings, cluster: Cluster) -> None:
    say("Reset: removing the demo database and the mock KashFlow's state")
    remove_database(settings, cluster)
    settings.mock_state.unlink(missing_ok=True)


def tryton_env(settings: Settings) -> dict[str, str]:
    # The caller's Tryton settings (a test run's TRYTOND_DATABASE_URI, DB_NAME...) stay out.
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("TRYTOND_") and k not in ("DB_NAME", "DB_CACHE")}
    env["TRYTOND_CONFIG"] = str(settings.config_file)
    return env


def prepare_database(settings: Settings, cluster: Cluster, supervisor: Supervisor,
                     logins: dict[str, str]) -> None:
    log = settings.logs / "setup.log"
    env = tryton_env(settings)
    admin = [str(BIN / "trytond-admin"), "-c", str(settings.config_file),
             "-d", settings.database]
    current = module_hash()
    exists = cluster.has_database(settings.database)
    if exists and not settings.db_ready.exists():
        say(f"The database '{settings.database}' is incomplete (an earlier set-up stopped): "
            "making it again")
        remove_database(settings, cluster)
        exists = False
    if not exists:
        started = time.monotonic()
        say(f"Creating the database '{settings.database}' with dext_kashflow "
            "(a minute or two, once)")
        settings.db_ready.unlink(missing_ok=True)
        cluster.create_database(settings.database)
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


def start_postgresql(settings: Settings, supervisor: Supervisor) -> Cluster:
    log = settings.logs / "postgresql.log"
    cluster = Cluster.for_state(settings.var, settings.postgres_port, install(supervisor, log))
    cluster.create(supervisor, log)
    cluster.start(supervisor, log)
    return cluster


def mock_credentials(log: Path) -> dict[str, str]:
    """What python -m mock_kashflow printed about its demo account."""
    found = {}
    for line in log.read_text(errors="replace").splitlines():
        for label in ("Username", "Password", "AutoAuth key", "Memorable word"):
            if line.strip().startswith(label + " "):
                found[label] = line.strip()[len(label):].strip()
    return found


def start_mock(settings: Settings, supervisor: Supervisor) -> dict[str, str]:
    log = settings.logs / "mock-kashflow.log"
    log.unlink(missing_ok=True)
    process = supervisor.start("The mock KashFlow", [
        str(BIN / "python"), "-u", "-m", "mock_kashflow", "--host", settings.mock_host,
        "--port", str(settings.mock_port), "--state", str(settings.mock_state)], log,
        cwd=REPO)
    wait_until(supervisor, "The mock KashFlow",
               lambda: http_ok(f"{settings.mock_url}/api/service.asmx?WSDL"), process, log)
    return mock_credentials(log)


def start_tryton(settings: Settings, supervisor: Supervisor) -> None:
    """The server, then its queue worker and its scheduler (as docker-compose.yml does).

    -vv: INFO to the logs (requests, tasks and scheduled jobs included).
    """
    env = tryton_env(settings)
    config = ["-c", str(settings.config_file), "-d", settings.database, "-vv"]
    log = settings.logs / "trytond.log"
    # -d loads the database at start: without it, logins fail until a restart (8.x).
    process = supervisor.start("Tryton", [str(BIN / "trytond"), *config], log, env=env,
                               cwd=REPO)
    wait_until(supervisor, "Tryton", lambda: http_ok(settings.tryton_url), process, log,
               timeout=120.0)
    supervisor.start("Tryton's queue worker", [
        str(BIN / "trytond-worker"), *config, "-n", str(WORKER_PROCESSES)],
        settings.logs / "trytond-worker.log", env=env, cwd=REPO)
    # trytond-cron looks for due jobs at the start of every minute.
    supervisor.start("Tryton's scheduler", [str(BIN / "trytond-cron"), *config, "-n", "1"],
                     settings.logs / "trytond-cron.log", env=env, cwd=REPO)


def summary(settings: Settings, cluster: Cluster, logins: dict[str, str],
            mock: dict[str, str]) -> str:
    def rel(path: Path) -> str:
        return str(path.relative_to(Path.cwd())) if path.is_relative_to(Path.cwd()) else str(path)

    logs = rel(settings.logs)
    return "\n".join([
        "",
        "dext-kashflow is running. Ctrl-C stops everything.",
        "",
        f"  ERP web client (Tryton)  {settings.tryton_url}   database: {settings.database}",
        f"    administrator          login: admin   password: {logins['admin']}",
        f"    plain user             login: user    password: {logins['user']}",
        "    in the background      queue worker and scheduler (retries, lists' refresh)",
        f"  Mock KashFlow            {settings.mock_url}/  (log in: API Settings, Purchases, "
        "Sales)",
        f"    SOAP API               {settings.mock_url}/api/service.asmx  (WSDL: ?WSDL)",
        f"    username               {mock.get('Username', '?')}",
        f"    password               {mock.get('Password', '?')}",
        f"    AutoAuth key           {mock.get('AutoAuth key', '?')}",
        f"    REST API               {settings.mock_url}/v2  (memorable word: "
        f"{mock.get('Memorable word', '?')})",
        f"  PostgreSQL               127.0.0.1:{settings.postgres_port}   cluster: "
        f"{cluster.folder}",
        f"  Logs                     {logs}/  (trytond, trytond-worker, trytond-cron, "
        "mock-kashflow, postgresql, setup)",
        f"  State                    {rel(settings.var)}/  (bash scripts/run --reset starts "
        "over)",
        "",
    ])


def check_settings(settings: Settings) -> None:
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", settings.database):
        raise Failed(f"DEXT_DATABASE={settings.database!r}: use letters, digits and _ only")
    for name, host, port, variable in [
            ("Tryton", settings.tryton_host, settings.tryton_port, "TRYTON_PORT"),
            ("the mock KashFlow", settings.mock_host, settings.mock_port, "MOCK_PORT"),
            ("PostgreSQL", "127.0.0.1", settings.postgres_port, "POSTGRES_PORT")]:
        if not port_free(host, port):
            raise Failed(f"Port {port} on {host} is in use: another copy running? "
                         f"Stop it, or choose another port for {name} with {variable}=...")


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
        check_settings(settings)
        settings.var.mkdir(parents=True, exist_ok=True)
        logins = load_logins(settings)
        install_sao(settings, supervisor)
        cluster = start_postgresql(settings, supervisor)
        write_config(settings, cluster)
        if args.reset:
            reset(settings, cluster)
        prepare_database(settings, cluster, supervisor, logins)
        say("Starting the mock KashFlow and Tryton with its queue worker and scheduler")
        mock = start_mock(settings, supervisor)
        start_tryton(settings, supervisor)
        say(summary(settings, cluster, logins, mock))
        while True:
            supervisor.watch()
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
