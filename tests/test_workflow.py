"""The nightly workflow passes actionlint, built from its Go module at a
pinned version into the harness's cache (nothing is skipped: no Go, the test
fails saying so), and its matrix covers every subject and two Kubernetes
minors, one of them 1.34."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from harness.lab.addons import CONTROLLER_ADDONS
from harness.lab.upstream import CACHE

ACTIONLINT = "v1.7.12"  # the newest the Go module proxy served when pinned
WORKFLOW = Path(__file__).resolve().parent.parent / ".github" / "workflows" / "nightly.yml"


@pytest.fixture(scope="module")
def actionlint() -> Path:
    binary = CACHE / "bin" / f"actionlint-{ACTIONLINT}"
    if binary.exists():
        return binary
    go = shutil.which("go")
    if not go:
        pytest.fail(
            f"Go is needed to build actionlint {ACTIONLINT} (go install github.com/rhysd/actionlint); install Go"
        )
    gobin = CACHE / "bin" / f".actionlint-build-{os.getpid()}"
    gobin.mkdir(parents=True, exist_ok=True)
    try:
        r = subprocess.run(
            [go, "install", f"github.com/rhysd/actionlint/cmd/actionlint@{ACTIONLINT}"],
            env={**os.environ, "GOBIN": str(gobin), "CGO_ENABLED": "0"},
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert r.returncode == 0, f"go install actionlint@{ACTIONLINT} failed: {r.stderr.strip()[-500:]}"
        (gobin / "actionlint").replace(binary)
    finally:
        shutil.rmtree(gobin, ignore_errors=True)
    return binary


def test_nightly_workflow_passes_actionlint(actionlint):
    r = subprocess.run([str(actionlint), "-no-color", str(WORKFLOW)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr


def test_actionlint_catches_a_broken_workflow(actionlint, tmp_path):
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "on: push\njobs:\n  x:\n    runs-on: ubuntu-24.04\n    steps:\n      - run: echo ${{ matrix.nope }}\n"
    )
    r = subprocess.run([str(actionlint), "-no-color", str(bad)], capture_output=True, text=True, timeout=120)
    assert r.returncode != 0 and "matrix" in r.stdout


def test_matrix_covers_every_subject_and_two_minors():
    wf = yaml.safe_load(WORKFLOW.read_text())
    on = wf.get(True, wf.get("on"))  # YAML 1.1 reads the key `on` as True
    assert "schedule" in on and "workflow_dispatch" in on
    matrix = wf["jobs"]["e2e"]["strategy"]["matrix"]
    assert set(CONTROLLER_ADDONS) <= set(matrix["subject"]) and "envoy-gateway" in matrix["subject"]
    images = {i["kubernetes"]: i["node_image"] for i in matrix["include"]}
    assert len(matrix["kubernetes"]) >= 2 and images["1.34"] == "kindest/node:v1.34.0"
    assert set(images) == set(matrix["kubernetes"])
    assert wf["jobs"]["report"]["needs"] == "e2e"
    merge = " ".join(s.get("run", "") for s in wf["jobs"]["report"]["steps"])
    assert "python -m harness report merge" in merge and "GITHUB_STEP_SUMMARY" in merge
