"""Cluster lifecycle: one kind cluster per run, shared by every xdist worker.

The first worker to take the file lock creates the cluster with pytest-kind's
``KindCluster`` (never its ``kind_cluster`` fixture, which every xdist worker
would run on its own); the others find it ready. The cluster is deleted at
the end of the run by the process that owns the session, unless
``--keep-cluster``. With ``--kubeconfig`` the harness uses a cluster someone
already has and never creates or deletes anything cluster-wide it did not
install itself.

A cluster named like ours that the harness did not create is never touched:
ownership is recorded in ``.harness/clusters/<name>.json`` as the id of the
control-plane container kind made for us.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
from filelock import FileLock
from pytest_kind import KindCluster

from harness.lab.upstream import CACHE
from harness.options import Options
from harness.results.errors import HarnessError

KIND_VERSION = "v0.30.0"
# kind v0.30.0's default node image (Kubernetes v1.34.0); `make images` builds
# an image of the same name here, so online and offline runs use one name.
NODE_IMAGE = "kindest/node:v1.34.0"
KUBERNETES_VERSION = "v1.34.0"

OWNER_ENV = "HARNESS_OWNER_PID"  # the pid of the process that owns the run's session (set by harness.pytest.session)

KIND_CONFIG = """\
kind: Cluster
apiVersion: kind.x-k8s.io/v1alpha4
nodes:
- role: control-plane
  labels:
    ingress-ready: "true"
"""


class ClusterError(HarnessError):
    """The cluster could not be had; the message is one line saying why."""


def log(msg: str) -> None:
    """Progress for long steps, visible even under pytest's capture and xdist."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    prefix = f"[harness{':' + worker if worker else ''}]"
    print(f"{prefix} {msg}", file=sys.__stderr__, flush=True)


def _run(cmd: list[str], *, timeout: float | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=check)
    except FileNotFoundError:
        raise ClusterError(f"{cmd[0]} not found on PATH") from None
    except subprocess.TimeoutExpired:
        raise ClusterError(f"`{' '.join(cmd)}` did not finish within {timeout:.0f}s") from None
    except subprocess.CalledProcessError as exc:
        last = (exc.stderr or exc.stdout or "").strip().splitlines()
        raise ClusterError(
            f"`{' '.join(cmd[:3])}` failed (exit {exc.returncode}): {last[-1] if last else 'no output'}"
        ) from None


def check_docker() -> str:
    """The Docker engine's version, or a ClusterError saying it does not run."""
    if not shutil.which("docker"):
        raise ClusterError("Docker is not installed: the `docker` command is not on PATH")
    try:
        out = subprocess.run(
            ["docker", "info", "--format", "{{.ServerVersion}}"], capture_output=True, text=True, timeout=30
        )
    except subprocess.TimeoutExpired:
        raise ClusterError("Docker is not answering: `docker info` hung for 30s") from None
    if out.returncode != 0 or not out.stdout.strip():
        detail = (out.stderr.strip().splitlines() or ["no output"])[-1]
        raise ClusterError(f"Docker is not running: `docker info` failed: {detail}")
    return out.stdout.strip()


KIND_RELEASE = f"https://github.com/kubernetes-sigs/kind/releases/download/{KIND_VERSION}/kind-linux-amd64"


def find_kind(options: Options) -> Path:
    """A kind binary of the pinned version: --kind-bin, the harness's cache,
    kind on PATH if it is that version, built with Go from the module proxy,
    or kind's release binary checked against its published sha256. Never
    another version."""
    if options.kind_bin:
        return options.kind_bin
    cached = CACHE / "bin" / f"kind-{KIND_VERSION}"  # shared with `make images`
    if cached.exists():
        return cached
    on_path = shutil.which("kind")
    if on_path:
        out = subprocess.run([on_path, "version"], capture_output=True, text=True)
        if f"kind {KIND_VERSION} " in out.stdout + " ":
            return Path(on_path)
    cached.parent.mkdir(parents=True, exist_ok=True)
    tried = []
    if shutil.which("go"):
        log(f"building kind {KIND_VERSION} from the Go module proxy (one time, about a minute)")
        gobin = Path(tempfile.mkdtemp(prefix="kind-build.", dir=cached.parent))
        try:
            res = subprocess.run(
                ["go", "install", f"sigs.k8s.io/kind@{KIND_VERSION}"],
                capture_output=True,
                text=True,
                env={**os.environ, "GOBIN": str(gobin), "CGO_ENABLED": "0"},
            )
            if res.returncode == 0:
                (gobin / "kind").replace(cached)
                return cached
            tried.append(f"go install failed: {(res.stderr.strip().splitlines() or ['?'])[-1]}")
        finally:
            shutil.rmtree(gobin, ignore_errors=True)
    try:
        log(f"downloading kind {KIND_VERSION} from {KIND_RELEASE}")
        with httpx.Client(timeout=120, follow_redirects=True) as client:
            binary = client.get(KIND_RELEASE)
            binary.raise_for_status()
            want = client.get(KIND_RELEASE + ".sha256sum")
            want.raise_for_status()
        if hashlib.sha256(binary.content).hexdigest() != want.text.split()[0]:
            raise ClusterError(f"the kind binary from {KIND_RELEASE} does not match its published sha256")
        tmp = cached.with_suffix(".part")
        tmp.write_bytes(binary.content)
        tmp.chmod(0o755)
        tmp.replace(cached)
        return cached
    except httpx.HTTPError as exc:
        tried.append(f"download failed: {exc}")
    raise ClusterError(f"no kind {KIND_VERSION} binary ({'; '.join(tried)}); pass --kind-bin or put kind on PATH")


@dataclass
class Cluster:
    name: str
    kubeconfig: Path
    created_by_harness: bool
    docker_network: str | None  # the docker network the nodes sit on (kind clusters only)
    node_image: str | None
    kind_bin: Path | None

    def nodes(self) -> list[str]:
        if not self.created_by_harness or not self.kind_bin:
            return []
        out = _run([str(self.kind_bin), "get", "nodes", "--name", self.name], timeout=60)
        return sorted(out.stdout.split())

    def load_image_archive(self, archive: Path) -> None:
        """Load a docker-save archive into every node (kind load image-archive)."""
        _run([str(self.kind_bin), "load", "image-archive", str(archive), "--name", self.name], timeout=600)

    def node_images(self) -> set[str]:
        """Image references present in the node's containerd (k8s.io namespace)."""
        names: set[str] = set()
        for node in self.nodes():
            out = _run(["docker", "exec", node, "ctr", "--namespace=k8s.io", "images", "ls", "-q"], timeout=60)
            names.update(out.stdout.split())
        return names


# ---------------------------------------------------------------------------
# state: who created what, shared between the run's processes
# ---------------------------------------------------------------------------


def _state_path(options: Options) -> Path:
    return options.state_dir / "clusters" / f"{options.cluster_name}.json"


def _lock(options: Options) -> FileLock:
    path = options.state_dir / "clusters" / f"{options.cluster_name}.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    return FileLock(str(path))


def _read_state(options: Options) -> dict:
    p = _state_path(options)
    try:
        return json.loads(p.read_text())
    except (OSError, ValueError):
        return {}


def _write_state(options: Options, state: dict) -> None:
    p = _state_path(options)
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_suffix(".tmp")
    tmp.write_text(json.dumps(state, indent=2, sort_keys=True))
    tmp.replace(p)


def _container_id(name: str) -> str | None:
    out = subprocess.run(["docker", "inspect", "--format", "{{.Id}}", name], capture_output=True, text=True)
    if out.returncode != 0:
        return None
    return out.stdout.strip() or None


def _kind_clusters(kind: Path) -> list[str]:
    return _run([str(kind), "get", "clusters"], timeout=60).stdout.split()


def _network_of(container: str) -> str | None:
    out = subprocess.run(
        ["docker", "inspect", "--format", "{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}", container],
        capture_output=True,
        text=True,
    )
    nets = out.stdout.split()
    return nets[0] if nets else None


def check_kubeconfig(path: Path, timeout: float = 15.0) -> str:
    """The server version behind ``path``, or a ClusterError saying why not."""
    from kubernetes import client as k8s
    from kubernetes import config as k8s_config

    try:
        api = k8s_config.new_client_from_config(config_file=str(path))
    except Exception as exc:  # the client raises several unrelated types here
        raise ClusterError(f"kubeconfig {path} is unusable: {exc}".splitlines()[0]) from None
    api.configuration.retries = 0
    try:
        return k8s.VersionApi(api).get_code(_request_timeout=timeout).git_version
    except Exception as exc:
        host = api.configuration.host
        reason = getattr(exc, "reason", None) or type(exc).__name__
        raise ClusterError(
            f"cluster in kubeconfig {path} is unreachable at {host}: {str(reason).splitlines()[0]}"
        ) from None


def check_name(options: Options, kind: Path, state: dict | None = None) -> None:
    """Refuse a cluster name some kind cluster the harness did not create
    already has (preflight: before anything is built or created)."""
    state = _read_state(options) if state is None else state
    if options.cluster_name not in _kind_clusters(kind):
        return
    if state.get("container_id") and state.get("container_id") == _container_id(
        f"{options.cluster_name}-control-plane"
    ):
        return  # ours (kept, or abandoned: acquire reclaims it)
    raise ClusterError(
        f"a kind cluster named {options.cluster_name!r} already exists and was not created by the harness; "
        "pass --cluster-name with another name "
        f"(or delete it yourself: kind delete cluster --name {options.cluster_name})"
    )


def acquire(options: Options, run_id: str) -> Cluster:
    """The run's cluster, created on first call (any process), reused after.

    The state file's ``run`` field tells this run's processes apart from an
    earlier run's leftovers: addons recorded by another run are re-installed
    (idempotently) and re-checked rather than trusted."""
    if options.existing_cluster:
        assert options.kubeconfig is not None
        with _lock(options):
            state = _read_state(options)
            if state.get("run") != run_id:
                version = check_kubeconfig(options.kubeconfig)
                log(
                    f"using the existing cluster in {options.kubeconfig} ({version}); "
                    "the harness will not create or delete it"
                )
                _write_state(
                    options,
                    {
                        "name": options.cluster_name,
                        "existing": True,
                        "run": run_id,
                        "kubernetes": version,
                        "addons": {},
                    },
                )
        return Cluster(options.cluster_name, options.kubeconfig, False, None, None, None)

    check_docker()
    with _lock(options):
        kind = find_kind(options)
        state = _read_state(options)
        check_name(options, kind, state)
        if state.get("run") == run_id and state.get("failed"):
            raise ClusterError(state["failed"])
        control_plane = f"{options.cluster_name}-control-plane"
        exists = options.cluster_name in _kind_clusters(kind)
        ours = exists and state.get("container_id") and state.get("container_id") == _container_id(control_plane)
        if ours and reclaim_if_abandoned(options, kind, state):
            exists = ours = False
            state = {}
        kubeconfig = options.state_dir / "clusters" / f"{options.cluster_name}.kubeconfig"
        image = options.node_image or NODE_IMAGE
        if not ours:
            started = time.monotonic()
            try:
                _create(options, kind, image, kubeconfig)
            except ClusterError as exc:
                _write_state(options, {"name": options.cluster_name, "run": run_id, "failed": str(exc)})
                raise
            state = {
                "name": options.cluster_name,
                "container_id": _container_id(control_plane),
                "run": run_id,
                "kubeconfig": str(kubeconfig),
                "node_image": image,
                "addons": {},
                "create_seconds": round(time.monotonic() - started, 1),
                "kubernetes": check_kubeconfig(kubeconfig),
                **owner_record(options),
            }
            _write_state(options, state)
        elif state.get("run") != run_id:
            log(f"reusing cluster {options.cluster_name} kept by an earlier run of the harness")
            _run(
                [str(kind), "export", "kubeconfig", "--name", options.cluster_name, "--kubeconfig", str(kubeconfig)],
                timeout=60,
            )
            state = {**state, "run": run_id, "addons": {}, "addon_failures": {}, **owner_record(options)}
            _write_state(options, state)
        return Cluster(
            options.cluster_name, kubeconfig, True, _network_of(control_plane), state.get("node_image", image), kind
        )


def _start_time(pid: int) -> str | None:
    """The process's start time (clock ticks since boot), to tell a live owner from a reused pid."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def owner_record(options: Options) -> dict[str, object]:
    """Who owns the cluster now: the session's process, and whether it means to keep the cluster."""
    pid = int(os.environ.get(OWNER_ENV, os.getpid()))
    return {"owner_pid": pid, "owner_start": _start_time(pid), "keep": options.keep_cluster}


def abandoned(state: dict) -> bool:
    """A cluster whose owning run ended without releasing it (killed outright:
    SIGKILL, a lost machine) and that it did not mean to keep. A cluster kept
    with --keep-cluster, or recorded before owners were, is not abandoned."""
    pid = state.get("owner_pid")
    if not isinstance(pid, int) or state.get("keep", True):
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return state.get("owner_start") is not None and _start_time(pid) != state.get("owner_start")


def reclaim_if_abandoned(options: Options, kind: Path, state: dict) -> bool:
    """Delete the cluster an earlier run left behind when it was killed, with a
    line saying so; the caller then creates a fresh one. False when the
    cluster is not abandoned (kept, or its run still going)."""
    if not abandoned(state):
        return False
    log(
        f"reclaiming cluster {options.cluster_name}: run {state.get('run')} (pid {state.get('owner_pid')}) was "
        "killed before it could delete it; deleting it and starting afresh"
    )
    _delete(kind, options.cluster_name, Path(state.get("kubeconfig") or os.devnull))
    _state_path(options).unlink(missing_ok=True)
    return True


def _create(options: Options, kind: Path, image: str, kubeconfig: Path) -> None:
    config_file = options.state_dir / "clusters" / f"{options.cluster_name}.kind.yaml"
    config_file.write_text(KIND_CONFIG)  # removed below: kind reads it once
    log(f"creating kind cluster {options.cluster_name} from {image} (a minute or two)")
    started = time.monotonic()
    kc = KindCluster(options.cluster_name, kubeconfig=kubeconfig, image=image, kind_path=kind)
    try:
        kc.create(config_file=config_file)
    except subprocess.CalledProcessError as exc:
        _delete(kind, options.cluster_name, kubeconfig)
        raise ClusterError(
            f"kind could not create cluster {options.cluster_name} from {image} (exit {exc.returncode}); "
            f"see kind's output above"
        ) from None
    except BaseException:
        _delete(kind, options.cluster_name, kubeconfig)
        raise
    finally:
        config_file.unlink(missing_ok=True)
        # KindCluster keeps a scratch directory in the working directory
        shutil.rmtree(Path(".pytest-kind") / options.cluster_name, ignore_errors=True)
        try:
            Path(".pytest-kind").rmdir()
        except OSError:
            pass
    log(f"cluster {options.cluster_name} up in {time.monotonic() - started:.0f}s")


def _delete(kind: Path, name: str, kubeconfig: Path) -> None:
    subprocess.run(
        [str(kind), "delete", "cluster", "--name", name, "--kubeconfig", str(kubeconfig)],
        capture_output=True,
        text=True,
    )


def release(options: Options) -> None:
    """End of run (session-owning process only): delete the cluster if the
    harness created it, unless --keep-cluster; then drop the run's state."""
    _release(options)
    if not _state_path(options).exists():
        # nobody else uses the lock once the run is over
        (options.state_dir / "clusters" / f"{options.cluster_name}.lock").unlink(missing_ok=True)


def _release(options: Options) -> None:
    with _lock(options):
        state = _read_state(options)
        if not state or options.existing_cluster:
            _state_path(options).unlink(missing_ok=True)
            return
        if options.keep_cluster:
            log(f"keeping cluster {options.cluster_name} (--keep-cluster); kubeconfig: {state.get('kubeconfig')}")
            return
        control_plane = f"{options.cluster_name}-control-plane"
        current = _container_id(control_plane)
        if current is None and subprocess.run(["docker", "info"], capture_output=True).returncode != 0:
            return  # Docker does not answer: we cannot tell; keep the record of what is ours
        if state.get("container_id") and state["container_id"] == current:
            log(f"deleting cluster {options.cluster_name}")
            _delete(find_kind(options), options.cluster_name, Path(state["kubeconfig"]))
        elif current is not None and state.get("container_id") and not state.get("failed"):
            return  # a different cluster holds the name now: not ours to touch, nor to forget
        _state_path(options).unlink(missing_ok=True)
        if state.get("kubeconfig"):
            Path(state["kubeconfig"]).unlink(missing_ok=True)


def update_state(options: Options, **changes: object) -> dict:
    """Merge ``changes`` into the cluster's state (caller holds :func:`locked`)."""
    state = _read_state(options)
    for k, v in changes.items():
        if isinstance(v, dict) and isinstance(state.get(k), dict):
            state[k] = {**state[k], **v}
        else:
            state[k] = v
    _write_state(options, state)
    return state


def read_state(options: Options) -> dict:
    return _read_state(options)


def locked(options: Options) -> FileLock:
    """The run-wide lock under which cluster-wide set-up happens."""
    return _lock(options)


def all_harness_clusters(state_dir: Path) -> Iterator[dict]:
    """States of every cluster the harness created from this checkout (make clean)."""
    for p in sorted((state_dir / "clusters").glob("*.json")):
        try:
            yield json.loads(p.read_text())
        except (OSError, ValueError):
            continue


def clean(state_dir: Path) -> int:
    """`make clean`: delete every kind cluster this checkout's harness created
    (and only those), then its state. Returns how many clusters were deleted."""
    deleted = 0
    for state in all_harness_clusters(state_dir):
        name = state.get("name")
        if not name or state.get("existing") or not state.get("container_id"):
            continue
        if state["container_id"] != _container_id(f"{name}-control-plane"):
            continue  # gone already, or a cluster of that name someone else made
        kind = CACHE / "bin" / f"kind-{KIND_VERSION}"
        kind_cmd = str(kind) if kind.exists() else (shutil.which("kind") or "")
        if not kind_cmd:
            print(f"[harness] cannot delete cluster {name}: no kind binary", file=sys.stderr)
            continue
        log(f"deleting cluster {name}")
        _delete(Path(kind_cmd), name, Path(state.get("kubeconfig", "/dev/null")))
        deleted += 1
    shutil.rmtree(state_dir / "clusters", ignore_errors=True)
    return deleted


if __name__ == "__main__":
    if sys.argv[1:] != ["clean"]:
        print("usage: python -m harness.lab.cluster clean", file=sys.stderr)
        sys.exit(2)
    from harness.options import ROOT

    n = clean(ROOT / ".harness")
    log(f"clean: {n} cluster(s) deleted")
