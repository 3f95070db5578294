"""Honest partial runs: a run stopped by SIGTERM (what CI time limits send)
tears down like Ctrl-C and its report says it was interrupted, naming the
checks that did not run; a cluster left by a run killed outright is reclaimed
by the next run, with a line saying so."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import uuid

import pytest

from conftest import stand_in_kind_node
from harness.checks.timeouts import Timeouts
from harness.lab import cluster as clusters
from harness.options import Options

pytest_plugins = ["pytester"]

# The second test sends the session-owning process SIGTERM, as a CI time limit would.
SUITE = """
import os, signal
import pytest

@pytest.mark.claim("lb-l4-reach")
def test_first(evidence):
    with evidence.check("tcp-app answers"):
        evidence.add("probe", {"status": 200})

@pytest.mark.claim("ingress-rewrite-target")
@pytest.mark.controllers("nginx-inc")
def test_parametrised_away(controller):
    pass

@pytest.mark.claim("lb-external-address")
def test_terminated():
    os.kill(int(os.environ["HARNESS_OWNER_PID"]), signal.SIGTERM)

@pytest.mark.claim("lb-one-per-service")
def test_never_reached():
    pass

@pytest.mark.claim("ingress-consolidation")
@pytest.mark.parametrize("controller", ["nginx", "traefik"])
def test_never_reached_either(controller):
    pass
"""


def test_sigterm_ends_the_run_like_ctrl_c_and_the_report_says_so(pytester):
    pytester.makeconftest('pytest_plugins = ["harness.pytest.plugin"]\n')
    pytester.makepyfile(test_claims=SUITE)
    out = pytester.path / "out"
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", f"--report-dir={out}", "--controllers=nginx,traefik"
    )
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(["*SIGTERM: stopping the run and releasing its cluster*"])
    doc = json.loads((out / "claims-report.json").read_text())
    assert doc["status"]["state"] == "interrupted"
    not_run = {(e["claim"], e["subject"]) for e in doc["status"]["not_run"]}
    assert {
        ("lb-one-per-service", "metallb"),
        ("ingress-consolidation", "nginx"),
        ("ingress-consolidation", "traefik"),
    } <= not_run
    cells = {(r["id"], c["subject"]): c for r in doc["claims"] for c in r["results"]}
    assert cells[("lb-l4-reach", "metallb")]["verdict"] == "holds"
    # a test parametrised away (no controller of the run serves it) makes no cell: every subject is a real one
    assert {s for _, s in cells} <= {"nginx", "traefik", "metallb", "anywhere"}
    assert not [k for k in cells if k[0] == "ingress-rewrite-target"]
    assert "ingress-rewrite-target" in doc["status"]["not_selected"]
    assert cells[("ingress-consolidation", "traefik")]["verdict"] == "not run"
    assert "interrupted" in cells[("ingress-consolidation", "traefik")]["reason"]
    # every format says so at the top
    md = (out / "claims-report.md").read_text()
    assert md.splitlines()[2].startswith("> **This run was INTERRUPTED")
    assert "| ingress-consolidation | not run | not run |" in md
    html = (out / "claims-report.html").read_text()
    assert html.index("This run was INTERRUPTED") < html.index("Findings")
    junit = (out / "claims-junit.xml").read_text()
    assert '<property name="status" value="interrupted" />' in junit


def _options(tmp_path, name: str) -> Options:
    return Options(
        controllers=("traefik",),
        cluster_name=name,
        kubeconfig=None,
        keep_cluster=False,
        kind_bin=None,
        node_image=None,
        images_dir=None,
        report_dir=tmp_path / "reports",
        state_dir=tmp_path / "state",
        timeouts=Timeouts(),
    )


def _dead_pid() -> int:
    p = subprocess.Popen(["true"])
    p.wait()
    return p.pid


def test_abandoned_is_decided_from_the_owner_record():
    me = os.getpid()
    assert clusters.abandoned({"owner_pid": _dead_pid(), "keep": False})
    assert not clusters.abandoned({"owner_pid": _dead_pid(), "keep": True})  # --keep-cluster: left on purpose
    assert not clusters.abandoned({"owner_pid": me, "keep": False, "owner_start": clusters._start_time(me)})
    assert clusters.abandoned({"owner_pid": me, "keep": False, "owner_start": "1"})  # the pid was reused
    assert not clusters.abandoned({"run": "old"})  # recorded before owners were: treated as kept


def test_a_killed_runs_cluster_is_reclaimed(tmp_path, capfd):
    """A real container labelled like a kind node stands in for the cluster a
    SIGKILLed run left; the next run deletes it through kind and says so."""
    if not shutil.which("docker") or subprocess.run(["docker", "info"], capture_output=True).returncode:
        pytest.fail("this test needs a running Docker engine (make e2e needs one too)")
    kind = clusters.CACHE / "bin" / f"kind-{clusters.KIND_VERSION}"
    if not kind.exists():
        kind = clusters.find_kind(_options(tmp_path, "x"))
    name = f"reclaim-{uuid.uuid4().hex[:6]}"
    node, image = stand_in_kind_node(tmp_path, name)
    try:
        opts = _options(tmp_path, name)
        state = {
            "name": name,
            "run": "killed",
            "container_id": clusters._container_id(node),
            "owner_pid": _dead_pid(),
            "keep": False,
        }
        clusters._write_state(opts, state)
        assert name in clusters._kind_clusters(kind)
        assert clusters.reclaim_if_abandoned(opts, kind, clusters.read_state(opts))
        assert clusters._container_id(node) is None, "the abandoned node is still there"
        assert clusters.read_state(opts) == {}
        assert f"reclaiming cluster {name}: run killed" in capfd.readouterr().err
    finally:
        subprocess.run(["docker", "rm", "-f", node], capture_output=True)
        subprocess.run(["docker", "rmi", "-f", image], capture_output=True)
