"""Bad input gets one clear line and leaves nothing behind: the harness run
for real (`pytest suites ...` in a subprocess) against inputs that must stop
it before anything is created."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import stand_in_kind_node

ROOT = Path(__file__).resolve().parent.parent  # the checkout


def run_suites(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "suites",
            "-p",
            "no:cacheprovider",
            "-q",
            f"--report-dir={tmp_path / 'reports'}",
            *args,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, **(env or {})},
    )


def error_lines(res: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in (res.stderr + res.stdout).splitlines() if line.startswith("ERROR")]


def test_unknown_controller(tmp_path):
    res = run_suites(tmp_path, "--controllers=traefik,haproxy")
    assert res.returncode == 4
    assert error_lines(res) == [
        "ERROR: unknown controller haproxy; choose from: nginx, nginx-inc, traefik, traefik-nginx, envoy-gateway"
    ]


def test_bad_timeout_override(tmp_path):
    res = run_suites(tmp_path, "--timeouts=object_ready=300", "--timeouts=consistency=soon")
    assert res.returncode == 4
    assert error_lines(res) == ["ERROR: --timeouts 'consistency=soon': 'soon' is not a number of seconds"]


def test_unreachable_kubeconfig(tmp_path):
    with __import__("socket").socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed once we leave: nothing listens
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(f"""apiVersion: v1
kind: Config
clusters: [{{name: c, cluster: {{server: "https://127.0.0.1:{port}", insecure-skip-tls-verify: true}}}}]
users: [{{name: u, user: {{token: x}}}}]
contexts: [{{name: x, context: {{cluster: c, user: u}}}}]
current-context: x
""")
    res = run_suites(tmp_path, f"--kubeconfig={kubeconfig}")
    assert res.returncode == 4
    (line,) = error_lines(res)
    assert line.startswith(
        f"ERROR: harness: cluster in kubeconfig {kubeconfig} is unreachable at https://127.0.0.1:{port}"
    )
    assert not (tmp_path / "reports" / "claims-report.json").exists()


def test_missing_kubeconfig(tmp_path):
    res = run_suites(tmp_path, f"--kubeconfig={tmp_path / 'nope'}")
    assert res.returncode == 4
    assert error_lines(res) == [f"ERROR: kubeconfig {tmp_path / 'nope'} does not exist"]


def test_docker_not_running(tmp_path):
    """...and the record of a cluster kept by an earlier run survives."""
    if not shutil.which("docker"):
        pytest.skip("no docker client on this machine to point at a dead engine")
    name = "harness-kept-check"
    state = ROOT / ".harness" / "clusters" / f"{name}.json"
    state.parent.mkdir(parents=True, exist_ok=True)
    state.write_text(json.dumps({"name": name, "container_id": "abc", "kubeconfig": "/nonexistent"}))
    try:
        res = run_suites(tmp_path, f"--cluster-name={name}", env={"DOCKER_HOST": f"unix://{tmp_path}/no-docker.sock"})
        assert res.returncode == 4
        (line,) = error_lines(res)
        assert line.startswith("ERROR: harness: Docker is not running: `docker info` failed:")
        assert state.exists(), "a failed preflight dropped the record of a kept cluster"
    finally:
        state.unlink(missing_ok=True)


def test_kind_cluster_name_taken_by_someone_else(tmp_path):
    """A kind cluster of our name that the harness did not create is refused
    and left exactly as it was."""
    if subprocess.run(["docker", "info"], capture_output=True).returncode != 0:
        pytest.skip("no running Docker engine: the name-clash check needs one")
    name = "harness-clash-check"
    node, image = stand_in_kind_node(tmp_path, name)
    try:
        res = run_suites(tmp_path, f"--cluster-name={name}")
        assert res.returncode == 4, res.stdout[-2000:] + res.stderr[-2000:]
        (line,) = error_lines(res)
        assert line.startswith(
            f"ERROR: harness: a kind cluster named '{name}' already exists and was not created by the harness"
        )
        still = subprocess.run(["docker", "inspect", "-f", "{{.Name}}", node], capture_output=True, text=True)
        assert still.stdout.strip() == f"/{node}", "the harness touched a cluster it did not create"
    finally:
        subprocess.run(["docker", "rm", "-f", node], capture_output=True)
        subprocess.run(["docker", "rmi", image], capture_output=True)
