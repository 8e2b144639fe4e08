"""The product's own PostgreSQL for `bash scripts/run`: a private cluster, made once, started
and stopped with the rest.

Why not SQLite, which needs no server: trytond 8.0's queue worker waits for tasks on its
database connection (PostgreSQL's LISTEN/NOTIFY, through a selector), and an SQLite connection
has nothing to wait on: trytond-worker stops at start with "Invalid file object". Without a
worker, trytond runs each queued task inside the request that queued it, so nothing happens in
the background. (SQLite also takes one writer at a time, and has no SELECT ... FOR UPDATE SKIP
LOCKED for the cron and the worker to share work.)

The cluster listens on 127.0.0.1 only and asks for a password, made once and kept with it. As
root, PostgreSQL runs as the user postgres (it refuses to run as root), which may not reach the
state folder (a clone in /root, pytest's private temporary folder): the cluster is then kept in
postgres's home, one per state folder.
"""

from __future__ import annotations

import hashlib
import os
import pwd
import secrets
import shutil
import signal
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql
from supervisor import Failed, Supervisor, say, wait_until

REPO = Path(__file__).resolve().parent.parent
ROLE = "tryton"


def bindir() -> Path | None:
    """The newest installed PostgreSQL's programs (Debian's /usr/lib/postgresql/N/bin)."""
    found = [p.parent for p in Path("/usr/lib/postgresql").glob("*/bin/postgres")
             if (p.parent / "initdb").exists()]
    return max(found, key=lambda p: int(p.parent.name), default=None)


def install(supervisor: Supervisor, log: Path) -> Path:
    """PostgreSQL's programs, installed from Debian's packages as root when missing."""
    if bindir() is None:
        if os.geteuid() != 0:
            raise Failed("PostgreSQL is not installed: install Debian's postgresql "
                         "(apt-get install postgresql, as root), or run this as root.")
        say("Installing PostgreSQL from Debian's packages (once)")
        supervisor.run("PostgreSQL install", ["bash", str(REPO / "scripts" / "postgresql"),
                                              "install"], log)
    found = bindir()
    if found is None:
        raise Failed(f"PostgreSQL's programs are not in /usr/lib/postgresql after the install; "
                     f"see {log}")
    return found


@dataclass
class Cluster:
    folder: Path  # data/ (PostgreSQL's files) and password
    port: int
    user: pwd.struct_passwd | None  # whom PostgreSQL runs as: postgres when we are root
    bin: Path

    @classmethod
    def for_state(cls, var: Path, port: int, bin: Path) -> Cluster:
        if os.geteuid() != 0:
            return cls(var / "postgresql", port, None, bin)
        user = pwd.getpwnam("postgres")
        name = hashlib.sha256(str(var).encode()).hexdigest()[:16]
        return cls(Path(user.pw_dir) / "dext-kashflow" / name, port, user, bin)

    @property
    def data(self) -> Path:
        return self.folder / "data"

    @property
    def password_file(self) -> Path:
        return self.folder / "password"

    @property
    def uri(self) -> str:
        """For trytond's [database] uri: the role and its password, no database."""
        password = self.password_file.read_text().strip()
        return f"postgresql://{ROLE}:{password}@127.0.0.1:{self.port}/"

    def _own(self, path: Path) -> None:
        if self.user is not None:
            os.chown(path, self.user.pw_uid, self.user.pw_gid)

    def create(self, supervisor: Supervisor, log: Path) -> None:
        """initdb, once: the role tryton (owner of everything) with a password of its own."""
        if (self.data / "PG_VERSION").exists():
            if not self.password_file.exists():
                raise Failed(f"The PostgreSQL cluster in {self.folder} has lost its password "
                             f"file: remove {self.folder} to start over.")
            return
        say(f"Creating the PostgreSQL cluster in {self.folder}")
        shutil.rmtree(self.folder, ignore_errors=True)  # what an interrupted initdb left
        self.folder.mkdir(parents=True, mode=0o700)
        self._own(self.folder)
        self.password_file.touch(mode=0o600)  # root's (or ours), not PostgreSQL's
        self.password_file.write_text(secrets.token_urlsafe(18) + "\n")
        pwfile = self.folder / "initdb-password"
        pwfile.touch(mode=0o600)
        pwfile.write_text(self.password_file.read_text())
        self._own(pwfile)
        try:
            supervisor.run("initdb", [
                str(self.bin / "initdb"), "-D", str(self.data), "-U", ROLE,
                f"--pwfile={pwfile}", "--auth=scram-sha-256", "-E", "UTF8",
                "--locale=C.UTF-8"], log, cwd=self.folder, user=self.user)
        finally:
            pwfile.unlink(missing_ok=True)

    def start(self, supervisor: Supervisor, log: Path) -> None:
        """The server, a child of the supervisor (stopped last, with a fast shutdown)."""
        process = supervisor.start("PostgreSQL", [
            str(self.bin / "postgres"), "-D", str(self.data), "-p", str(self.port),
            "-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories="],
            log, cwd=self.folder, user=self.user,
            stop_signal=signal.SIGINT)  # PostgreSQL's fast shutdown: sessions end at once
        wait_until(supervisor, "PostgreSQL", self._answers, process, log)

    def _connect(self, database: str = "postgres") -> psycopg.Connection:
        return psycopg.connect(self.uri + database, connect_timeout=2, autocommit=True)

    def _answers(self) -> bool:
        try:
            with self._connect():
                return True
        except psycopg.OperationalError:
            return False

    def has_database(self, name: str) -> bool:
        with self._connect() as connection:
            return connection.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                                      (name,)).fetchone() is not None

    def create_database(self, name: str) -> None:
        with self._connect() as connection:
            connection.execute(sql.SQL("CREATE DATABASE {} TEMPLATE template0 ENCODING UTF8")
                               .format(sql.Identifier(name)))

    def drop_database(self, name: str) -> None:
        with self._connect() as connection:
            connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
                               .format(sql.Identifier(name)))
