"""docker-compose.yml, read the way Docker reads it: Debian's `docker-compose config`.

That it accepts the file, and that the file wires what the production-like run needs:
PostgreSQL, the one-shot init, trytond with the web client, the queue worker, the cron and the
mock, all configured by environment variables (trytond reads TRYTOND_<SECTION>__<OPTION>).
The set itself is built and run by tests/test_compose_podman.py, under Podman.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from debian import apt_install, can_install

REPO = Path(__file__).resolve().parent.parent
COMPOSE_FILE = REPO / "docker-compose.yml"
# A Fernet key (as encrypts the KashFlow secrets) for this test only:
# base64 of b"test-key-for-docker-compose-only".
KEY = "dGVzdC1rZXktZm9yLWRvY2tlci1jb21wb3NlLW9ubHk="
SECRETS = {"POSTGRES_PASSWORD": "pg-secret", "TRYTON_ADMIN_PASSWORD": "admin-secret",
           "KASHFLOW_SECRET_KEYS": KEY}
# Variables the file reads: the tests choose them, whatever the caller's environment says.
KNOBS = ("DEXT_DATABASE", "TRYTON_PORT", "MOCK_PORT", "DEXT_DEMO_DATA", "TRYTON_USER_PASSWORD",
         "TRYTON_ADMIN_EMAIL", "TRYTOND_WORKERS", "TRYTOND_WORKER_PROCESSES",
         "TRYTOND_NUM_PROXIES", "TRYTOND_LOGGING_LEVEL",
         "COMPOSE_FILE", "COMPOSE_PROJECT_NAME", *SECRETS)


@pytest.fixture(scope="module")
def docker_compose() -> str:
    """Debian's docker-compose; installed here (as root) on a new machine."""
    found = shutil.which("docker-compose")
    if found is None:
        if not can_install():
            pytest.fail("docker-compose is missing: apt-get install docker-compose (as root)")
        apt_install("docker-compose")
        found = shutil.which("docker-compose")
    assert found, "docker-compose did not install"
    return found


def run_config(docker_compose: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in KNOBS}
    return subprocess.run([docker_compose, "-f", str(COMPOSE_FILE), "config"], cwd=REPO,
                          env={**clean, **env}, capture_output=True, text=True, timeout=60)


def load_config(docker_compose: str, **env: str) -> dict[str, Any]:
    """The resolved configuration. docker-compose prints YAML; the Python that runs
    docker-compose has PyYAML (a dependency of the package), which turns it into JSON."""
    result = run_config(docker_compose, **env)
    assert result.returncode == 0, result.stderr
    interpreter = Path(docker_compose).read_text(errors="replace").splitlines()[0][2:].split()
    as_json = subprocess.run(
        [*interpreter, "-c", "import json, sys, yaml; json.dump(yaml.safe_load(sys.stdin), "
         "sys.stdout)"], input=result.stdout, capture_output=True, text=True, check=True)
    return json.loads(as_json.stdout)


def port_mappings(service: dict[str, Any]) -> list[tuple[str | None, int, int]]:
    """(host IP, published, target) of each port; docker-compose 1 prints one with a host IP
    as a string ("127.0.0.1:8080:8080/tcp"), newer ones as a mapping."""
    mappings = []
    for port in service["ports"]:
        if isinstance(port, str):
            host_ip, published, target = port.split("/")[0].rsplit(":", 2)
            mappings.append((host_ip, int(published), int(target)))
        else:
            mappings.append((port.get("host_ip"), int(port["published"]), int(port["target"])))
    return mappings


@pytest.fixture(scope="module")
def config(docker_compose: str) -> dict[str, Any]:
    return load_config(docker_compose, **SECRETS)


def test_the_file_is_valid_and_has_every_service(config: dict[str, Any]) -> None:
    assert {"postgres", "init", "trytond", "worker", "cron", "mock"} <= set(config["services"])


def test_tryton_services_share_the_database_settings(config: dict[str, Any]) -> None:
    services = config["services"]
    for name in ("init", "trytond", "worker", "cron"):
        env = services[name]["environment"]
        assert env["TRYTOND_DATABASE__URI"] == "postgresql://tryton:pg-secret@postgres:5432/"
        assert env["TRYTOND_DATABASE__PATH"] == "/var/lib/trytond/db"
        assert env["TRYTOND_DATABASE_NAMES"] == "tryton"
        # The server puts background work on the queue; the worker takes it off.
        assert env["TRYTOND_QUEUE__WORKER"] == "True"
        # Every process that reads or writes the KashFlow secrets has the key.
        assert env["TRYTOND_DEXT_KASHFLOW__SECRET_KEYS"] == KEY
        assert "filestore:/var/lib/trytond/db" in " ".join(services[name]["volumes"])
        assert services[name]["build"]["dockerfile"] == "docker/Dockerfile"
    postgres = services["postgres"]["environment"]
    assert postgres == {"POSTGRES_DB": "tryton", "POSTGRES_USER": "tryton",
                        "POSTGRES_PASSWORD": "pg-secret"}
    assert services["trytond"]["environment"]["TRYTOND_WEB__ROOT"] == "/opt/sao"


def test_commands_and_start_order(config: dict[str, Any]) -> None:
    services = config["services"]
    assert services["worker"]["command"][:3] == ["trytond-worker", "-d", "tryton"]
    assert services["cron"]["command"][:3] == ["trytond-cron", "-d", "tryton"]
    assert services["trytond"]["command"][0] == "gunicorn"
    assert services["trytond"]["command"][-1] == "trytond.application:app"
    assert services["init"]["command"] == ["dext-init"]
    assert services["init"]["environment"]["TRYTON_ADMIN_PASSWORD"] == "admin-secret"
    assert services["init"]["restart"] == "no"
    assert services["mock"]["command"][:3] == ["python", "-m", "mock_kashflow"]
    assert services["init"]["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    for name in ("trytond", "worker", "cron"):
        assert services[name]["depends_on"]["init"] == {
            "condition": "service_completed_successfully"}
    ports = {name: [mapping[1:] for mapping in port_mappings(services[name])]
             for name in ("trytond", "mock")}
    assert ports == {"trytond": [(8000, 8000)], "mock": [(8080, 8080)]}


def test_the_worker_scales(config: dict[str, Any], docker_compose: str) -> None:
    """`docker-compose up --scale worker=4`: nothing of the worker may be one of a kind (a
    container name, a published port, a host name), and each takes its processes from the
    environment; the scheduler stays one."""
    worker = config["services"]["worker"]
    for one_of_a_kind in ("container_name", "ports", "hostname"):
        assert one_of_a_kind not in worker, one_of_a_kind
    assert worker["command"][3:] == ["-n", "2"]
    assert "replicas" not in json.dumps(config["services"]["cron"])
    scaled = load_config(docker_compose, **SECRETS, TRYTOND_WORKER_PROCESSES="4")
    assert scaled["services"]["worker"]["command"][3:] == ["-n", "4"]


def test_settings_come_from_the_environment(docker_compose: str) -> None:
    config = load_config(docker_compose, **SECRETS, DEXT_DATABASE="books", TRYTON_PORT="9000",
                         DEXT_DEMO_DATA="1")
    services = config["services"]
    assert services["worker"]["command"][:3] == ["trytond-worker", "-d", "books"]
    assert services["postgres"]["environment"]["POSTGRES_DB"] == "books"
    assert services["trytond"]["environment"]["TRYTOND_DATABASE_NAMES"] == "books"
    assert services["init"]["environment"]["DEXT_DEMO_DATA"] == "1"
    assert services["trytond"]["ports"][0]["published"] == 9000


@pytest.mark.parametrize("missing", sorted(SECRETS))
def test_passwords_are_required(docker_compose: str, missing: str) -> None:
    env = {k: v for k, v in SECRETS.items() if k != missing}
    result = run_config(docker_compose, **env)
    assert result.returncode != 0
    assert f"set {missing}" in result.stderr


def test_the_image_recipe_matches_the_project() -> None:
    dockerfile = (REPO / "docker" / "Dockerfile").read_text()
    # Every file the image copies from the repository is there.
    for sources in re.findall(r"^COPY (?!--from)(.+) \S+$", dockerfile, re.MULTILINE):
        for source in sources.split():
            assert (REPO / source).exists(), source
    # The same web client as scripts/sao, the series that matches the 8.0 server.
    sao_version = re.search(r"SAO_VERSION=\$\{SAO_VERSION:-([\d.]+)\}",
                            (REPO / "scripts" / "sao").read_text()).group(1)
    assert f"ARG SAO_VERSION={sao_version}" in dockerfile
    assert sao_version.startswith("8.0.")
    # The init command of the compose file is the script the image installs, valid sh.
    assert "COPY docker/init.sh /usr/local/bin/dext-init" in dockerfile
    subprocess.run(["sh", "-n", str(REPO / "docker" / "init.sh")], check=True)
