"""The nightly workflow passes actionlint (the `actionlint` fixture,
tests/conftest.py), and its matrix covers every subject and two Kubernetes
minors, one of them 1.34."""

from __future__ import annotations

import fnmatch
import subprocess
from pathlib import Path

import yaml

from harness.lab.addons import CONTROLLER_ADDONS

WORKFLOW = Path(__file__).resolve().parent.parent / ".github" / "workflows" / "nightly.yml"


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
    images = {i["kubernetes"]: i["node_image"] for i in matrix["include"] if "kubernetes" in i}
    # the four Ingress controllers also run the Ingress conformance features (CONFORMANCE=ingress)
    conformance = {i["subject"] for i in matrix["include"] if i.get("conformance") == "ingress"}
    assert conformance == {c for c, a in CONTROLLER_ADDONS.items() if a.ingress_class}
    e2e = " ".join(s.get("run", "") for s in wf["jobs"]["e2e"]["steps"])
    assert "CONFORMANCE=${{ matrix.conformance }}" in e2e and "conformance-ingress.md" in e2e
    assert len(matrix["kubernetes"]) >= 2 and images["1.34"] == "kindest/node:v1.34.0"
    assert set(images) == set(matrix["kubernetes"])
    # the merged report waits for the claims cells and the Gateway API conformance jobs, and downloads both
    assert wf["jobs"]["report"]["needs"] == ["e2e", "conformance"]
    patterns = [s["with"]["pattern"] for s in wf["jobs"]["report"]["steps"] if "download-artifact" in s.get("uses", "")]
    uploads = [
        s["with"]["name"]
        for j in ("e2e", "conformance")
        for s in wf["jobs"][j]["steps"]
        if "upload" in s.get("uses", "")
    ]
    assert all(any(fnmatch.fnmatch(u.split("$")[0] + "x", p) for p in patterns) for u in uploads), (uploads, patterns)
    merge = " ".join(s.get("run", "") for s in wf["jobs"]["report"]["steps"])
    assert "python -m harness report merge" in merge and "GITHUB_STEP_SUMMARY" in merge
