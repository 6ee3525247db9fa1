"""deploy/: the compose file and the Dockerfile cannot be run here (no Docker), so what can be
checked is: they parse, every service they name exists, and every QA_ setting the replicas are
given is one the configuration knows, with a value it accepts (the same check `qa serve` makes at
start). A renamed setting fails here, not on somebody's cluster."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from index.errors import ConfigError
from qa.config import load_settings
from tests.support import ROOT

DEPLOY = ROOT / "deploy"
COMPOSE = DEPLOY / "docker-compose.yml"
DOCKERFILE = DEPLOY / "Dockerfile"
DEFAULTED = re.compile(r"\$\{(\w+)(?::?-([^}]*))?\}")  # ${NAME}, ${NAME:-default}


def _compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


def _expanded(value: object) -> str:
    """A compose value as the container sees it when the variable is unset: its default."""
    return DEFAULTED.sub(lambda m: m.group(2) or "", str(value))


def _environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {name: _expanded(value) for name, value in env.items()}


def _replicas(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The `qa serve` services: those built from deploy/Dockerfile."""
    return {name: s for name, s in compose["services"].items()
            if (s.get("build") or {}).get("dockerfile") == "deploy/Dockerfile"}


def _service_with_image(compose: dict[str, Any], prefix: str) -> str:
    names = [n for n, s in compose["services"].items() if str(s.get("image", "")).startswith(prefix)]
    assert len(names) == 1, f"expected one service from {prefix}, found {names}"
    return names[0]


def test_the_compose_file_has_the_engine_its_dependencies_postgres_and_two_replicas() -> None:
    compose = _compose()
    services = compose["services"]
    for prefix in ("milvusdb/milvus:v2.", "quay.io/coreos/etcd:", "minio/minio:", "postgres:"):
        _service_with_image(compose, prefix)
    milvus = services[_service_with_image(compose, "milvusdb/milvus:")]
    assert milvus["command"] == ["milvus", "run", "standalone"]
    # Milvus 2.5+ has the BM25 function the keyword search relies on.
    assert tuple(int(p) for p in milvus["image"].split(":v")[1].split(".")[:2]) >= (2, 5)
    milvus_env = _environment(milvus)
    assert milvus_env["ETCD_ENDPOINTS"].split(":")[0] in services
    assert milvus_env["MINIO_ADDRESS"].split(":")[0] in services
    replicas = _replicas(compose)
    assert len(replicas) >= 2
    for name, service in services.items():
        for dependency in service.get("depends_on") or []:
            assert dependency in services, f"{name} depends on an unknown service {dependency}"
    host_ports = [p.rsplit(":", 1)[0] for s in replicas.values() for p in s["ports"]]
    assert len(set(host_ports)) == len(host_ports), f"replicas share a host port: {host_ports}"
    data_volumes = [v.split(":")[0] for s in replicas.values() for v in s["volumes"]]
    assert len(set(data_volumes)) == len(data_volumes), "each replica needs a data dir of its own"
    assert set(data_volumes) <= set(compose["volumes"])


@pytest.mark.parametrize("replica", sorted(_replicas(_compose())))
def test_every_replica_setting_is_one_the_configuration_knows(replica: str) -> None:
    compose = _compose()
    service = compose["services"][replica]
    env = _environment(service)
    settings_env = {k: v for k, v in env.items() if k.startswith("QA_") and "__" in k}
    assert settings_env, "the replica is configured through QA_SECTION__KEY variables"
    try:
        settings = load_settings(ROOT / "config.yaml", env=settings_env)
    except ConfigError as exc:  # an unknown key or a bad value, named by the configuration itself
        pytest.fail(f"{COMPOSE.name}, service {replica}: {exc}")
    assert settings.store.backend == "milvus"
    uri = urlsplit(settings.store.uri)
    milvus = _service_with_image(compose, "milvusdb/milvus:")
    assert (uri.hostname, uri.port) == (milvus, 19530)
    records = urlsplit(settings.store.records_url)
    postgres = _service_with_image(compose, "postgres:")
    assert records.hostname == postgres and records.scheme == "postgresql+psycopg"
    postgres_env = _environment(compose["services"][postgres])
    assert (records.username, records.password, records.path.lstrip("/")) == (
        postgres_env["POSTGRES_USER"], postgres_env["POSTGRES_PASSWORD"], postgres_env["POSTGRES_DB"])
    assert str(settings.data.dir) in [v.split(":")[1] for v in service["volumes"]]
    container_port = int(service["ports"][0].rsplit(":", 1)[1])
    assert settings.server.port == container_port and settings.server.host == "0.0.0.0"
    # The secrets the replicas read by name: the ones the configuration and the Milvus store name.
    assert settings.server.admin_password_env in env
    assert settings.store.token_env in env


def test_the_dockerfile_installs_cpu_torch_first_then_the_project_and_prepares_the_model() -> None:
    lines = [line.strip() for line in DOCKERFILE.read_text(encoding="utf-8").splitlines()]
    steps = [line for line in lines if line and not line.startswith("#")]
    assert steps[0] == "FROM python:3.11-slim"
    runs = [s for s in steps if s.startswith("RUN ")]
    torch = next(i for i, s in enumerate(runs) if "torch==" in s)
    project = next(i for i, s in enumerate(runs) if "pip install ." in s)
    prepare = next(i for i, s in enumerate(runs) if "qa prepare" in s)
    assert torch < project < prepare
    assert "--index-url https://download.pytorch.org/whl/cpu" in runs[torch]
    pinned = re.search(r"torch==([\w.]+)", (ROOT / "pyproject.toml").read_text(encoding="utf-8")).group(1)
    assert f"torch=={pinned}" in runs[torch], "the image's torch must be the version pyproject.toml pins"
    assert "psycopg" in runs[project]  # the driver of the compose file's records_url
    for step in steps:
        if step.startswith("COPY "):
            for source in step.split()[1:-1]:
                assert (ROOT / source).exists(), f"the Dockerfile copies {source}, which is not in the repository"
    compose_dirs = {os.path.normpath(DEPLOY / s["build"]["context"]) for s in _replicas(_compose()).values()}
    assert compose_dirs == {str(ROOT)}


def test_the_deploy_readme_says_what_was_not_run() -> None:
    text = (DEPLOY / "README.md").read_text(encoding="utf-8")
    assert "Not run:" in text and "Kubernetes" in text and "milvus-lite" in text
    assert Path(COMPOSE).name in text and Path(DOCKERFILE).name in text


@pytest.mark.milvus
def test_make_milvus_runs_a_milvus_lite_server_on_loopback_with_its_files_in_the_data_dir(tmp_path: Path) -> None:
    import shlex
    import signal
    import subprocess
    import time

    from pymilvus import MilvusClient

    from tests.support import free_port

    port = free_port()
    data = tmp_path / "qa-data"
    # Under `make test` (CI) this make is a sub-make: it prints "Entering/Leaving directory" lines
    # unless told not to, and inherits MAKEFLAGS.
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS")}
    dry = subprocess.run(["make", "--no-print-directory", "-n", "milvus", f"MILVUS_PORT={port}"], cwd=ROOT,
                         capture_output=True, text=True, env={**env, "QA_DATA__DIR": str(data)}, check=True)
    recipe = [line for line in dry.stdout.splitlines() if "index.storage.milvus.lite_server" in line]
    assert len(recipe) == 1, dry.stdout  # the recipe; `install` may come before it
    command = shlex.split(recipe[0])
    assert command[1:] == ["-m", "index.storage.milvus.lite_server", "--data-dir", f"{data}/milvus",
                           "--host", "127.0.0.1", "--port", str(port)]
    command[0] = str(ROOT / command[0])
    proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                client = MilvusClient(uri=f"http://127.0.0.1:{port}", timeout=2)
                break
            except Exception:  # noqa: BLE001 - not listening yet
                assert proc.poll() is None and time.monotonic() < deadline, "milvus-lite server did not start"
                time.sleep(0.3)
        assert client.list_collections() == []
        client.close()
        assert (data / "milvus").is_dir()
        proc.send_signal(signal.SIGINT)  # Ctrl-C stops it
        # The compiled engine ends on the signal itself (it installs no handler).
        assert proc.wait(timeout=30) in (0, -signal.SIGINT)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
