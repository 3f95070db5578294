"""``python -m harness diagnose`` on bad input: one clear line on stderr,
exit status 2, nothing on stdout (run for real, in a subprocess)."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent  # the checkout


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "harness", *args], cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def dead_kubeconfig(tmp_path: Path) -> tuple[Path, int]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed once we leave: nothing listens
    path = tmp_path / "kubeconfig"
    path.write_text(f"""apiVersion: v1
kind: Config
clusters: [{{name: c, cluster: {{server: "https://127.0.0.1:{port}", insecure-skip-tls-verify: true}}}}]
users: [{{name: u, user: {{token: x}}}}]
contexts: [{{name: x, context: {{cluster: c, user: u}}}}]
current-context: x
""")
    return path, port


def test_unreachable_cluster(tmp_path):
    kubeconfig, port = dead_kubeconfig(tmp_path)
    res = run_cli("diagnose", "service/shop", "-n", "shop", f"--kubeconfig={kubeconfig}")
    assert res.returncode == 2
    assert res.stdout == ""
    (line,) = res.stderr.splitlines()
    assert line.startswith(f"diagnose: cluster at https://127.0.0.1:{port} is unreachable: ")
    assert "Connection refused" in line, line  # the real reason, not a client error


def test_missing_kubeconfig(tmp_path):
    res = run_cli("diagnose", "ingress/web", f"--kubeconfig={tmp_path / 'nope'}", "--json")
    assert res.returncode == 2 and res.stdout == ""
    (line,) = res.stderr.splitlines()
    assert line.startswith(f"diagnose: kubeconfig {tmp_path / 'nope'} is unusable: ")


def test_bad_target(tmp_path):
    kubeconfig, _ = dead_kubeconfig(tmp_path)
    res = run_cli("diagnose", "deployment/shop", f"--kubeconfig={kubeconfig}")
    assert res.returncode == 2 and res.stdout == ""
    assert res.stderr.splitlines() == [
        "diagnose: cannot diagnose kind 'deployment'; choose from: Service, Ingress, Gateway, HTTPRoute, GRPCRoute, "
        "TLSRoute, TCPRoute, UDPRoute"
    ]


def test_unknown_subcommand_is_refused():
    res = run_cli("frobnicate")
    assert res.returncode == 2 and res.stderr.strip().splitlines() == [
        "harness: unknown command 'frobnicate'; commands: diagnose, article, report, changed, pr, conformance"
    ]
