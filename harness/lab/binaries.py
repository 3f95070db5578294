"""Pinned command-line tools the harness runs at run time: helm (renders
Envoy Gateway's chart) and ingress2gateway (the guide's Ingress -> Gateway API
conversion). Each is found in the harness cache or built once with Go, from
its pinned module (helm) or pinned source archive (ingress2gateway, which no
registry serves); ``make images`` builds them ahead so an e2e never waits.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from harness.lab.sources import Archive, SourceError
from harness.lab.upstream import CACHE
from harness.results.errors import HarnessError


class ToolError(HarnessError):
    """A pinned tool could not be had; one line saying why."""


@dataclass(frozen=True)
class Tool:
    name: str
    version: str
    module: str = ""  # `go install module@version` ...
    archive: Archive | None = None  # ... or `go build .` in this source archive's tree

    @property
    def path(self) -> Path:
        return CACHE / "bin" / f"{self.name}-{self.version}"

    def ensure(self, progress=None) -> Path:
        """The binary, building it (a few CPU-minutes, once) when the cache lacks it."""
        if self.path.exists():
            return self.path
        if not shutil.which("go"):
            raise ToolError(
                f"{self.name} {self.version} is not in {self.path.parent} and Go is not installed to build it"
            )
        if progress:
            progress(f"building {self.name} {self.version} with Go (one time, a few minutes)")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        out = Path(tempfile.mkdtemp(prefix=f"{self.name}.", dir=self.path.parent))
        env = {**os.environ, "CGO_ENABLED": "0"}
        try:
            if self.archive is not None:
                try:
                    src = self.archive.extracted()
                except SourceError as exc:
                    raise ToolError(f"cannot build {self.name}: {exc}") from None
                cmd = [
                    "go",
                    "build",
                    "-trimpath",
                    "-buildvcs=false",
                    "-ldflags",
                    "-s -w",
                    "-o",
                    str(out / self.name),
                    ".",
                ]
                res = subprocess.run(cmd, cwd=src, env=env, capture_output=True, text=True)
            else:
                res = subprocess.run(
                    ["go", "install", "-trimpath", "-ldflags", "-s -w", f"{self.module}@{self.version}"],
                    env={**env, "GOBIN": str(out)},
                    capture_output=True,
                    text=True,
                )
            built = out / self.name
            if res.returncode != 0 or not built.exists():
                last = (res.stderr.strip().splitlines() or ["no output"])[-1]
                raise ToolError(f"building {self.name} {self.version} failed: {last}")
            built.replace(self.path)
        finally:
            shutil.rmtree(out, ignore_errors=True)
        return self.path

    def run(self, args: list[str], *, cwd: Path | None = None, progress=None, stderr: bool = False):
        """stdout of the tool (with ``stderr``: both, as a pair); a failure is a ToolError."""
        res = subprocess.run([str(self.ensure(progress)), *args], cwd=cwd, capture_output=True, text=True)
        if res.returncode != 0:
            last = (res.stderr.strip().splitlines() or res.stdout.strip().splitlines() or ["no output"])[-1]
            raise ToolError(f"`{self.name} {' '.join(args[:2])}` failed (exit {res.returncode}): {last}")
        return (res.stdout, res.stderr) if stderr else res.stdout


HELM = Tool("helm", "v3.22.0", module="helm.sh/helm/v3/cmd/helm")
INGRESS2GATEWAY = Tool(
    "ingress2gateway",
    "v1.1.0",
    archive=Archive(
        "ingress2gateway",
        "v1.1.0",
        "9d40c463869cf512364aa68f6006bcb82b90936509c9741a43e30f8115582c59",
        "github.com/kubernetes-sigs/ingress2gateway",
    ),
)
TOOLS = (HELM, INGRESS2GATEWAY)
