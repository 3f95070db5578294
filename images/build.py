"""make images: every image the e2e needs, built on this machine from
packages (Debian, the Go module proxy, PyPI), under the names and tags the
online manifests use.

Each step is keyed by its pins (versions, package lists, the hash of the
project files it uses) and skipped when its key has not changed and its
outputs still exist. Binaries are cached in ``$HARNESS_CACHE/build``;
image archives and ``index.json`` (image reference -> archive) go to the
images directory the harness reads with ``--images-dir``. Every step's
wall time is recorded in ``timings.json`` for ``make bench``.

Run: ``python -m images [--out DIR] [--only STEP,...]`` (what `make images` does).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from harness import cluster
from harness.addons import ADDONS
from harness.upstream import CACHE, module_file

HERE = Path(__file__).resolve().parent
SCRIPTS = HERE / "scripts"
DEFAULT_OUT = CACHE / "images"
DEBIAN_SUITE = "bookworm"

K8S_VERSION = cluster.KUBERNETES_VERSION
NODE_IMAGE = cluster.NODE_IMAGE
KIND_VERSION = cluster.KIND_VERSION
CRICTL = ("sigs.k8s.io/cri-tools", "v1.34.0")
ETCD_MODULE = "go.etcd.io/etcd/server/v3"
COREDNS_MODULE = "github.com/coredns/coredns"
KINDNET_IMAGE = "localhost/exposure-harness/kindnet-lite:v1"
LOCAL_PATH = ("github.com/rancher/local-path-provisioner", "v0.0.30")  # what kind's image is built from

NODE_PACKAGES = (
    "systemd,systemd-sysv,dbus,conntrack,iptables,nftables,iproute2,ethtool,util-linux,mount,kmod,"
    "libseccomp2,pigz,bash,ca-certificates,jq,procps,containerd,runc,containernetworking-plugins"
)
NET_PACKAGES = "iptables,nftables,conntrack,iproute2,kmod"
LABEL = "exposure-harness.built=1"  # on every image built here, so superseded ones can be pruned


class BuildError(Exception):
    pass


def say(msg: str) -> None:
    print(f"[images] {msg}", flush=True)


def sh(cmd: list[str], *, env: dict[str, str] | None = None, input: bytes | None = None,
       quiet: bool = False, cwd: Path | None = None) -> str:
    """Run a command, streaming its output as progress (unless ``quiet``); on
    failure raise with its last lines of output."""
    proc = subprocess.Popen(cmd, env={**os.environ, **(env or {})}, cwd=cwd, stdin=subprocess.PIPE if input else None,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if input:
        proc.stdin.write(input)
        proc.stdin.close()
    lines: list[str] = []
    for raw in proc.stdout:
        line = raw.decode("utf-8", "replace").rstrip()
        lines.append(line)
        if not quiet:
            print(f"    {line}", flush=True)
    rc = proc.wait()
    if rc != 0:
        tail = "\n".join(lines[-25:])
        raise BuildError(f"`{' '.join(cmd[:4])}` failed (exit {rc}):\n{tail}")
    return "\n".join(lines)


def digest(*parts: object) -> str:
    h = hashlib.sha256()
    for p in parts:
        if isinstance(p, Path):
            files = sorted(x for x in p.rglob("*") if x.is_file()) if p.is_dir() else [p]
            for f in files:
                h.update(str(f.relative_to(p.parent if p.is_file() else p)).encode())
                h.update(f.read_bytes())
        else:
            h.update(json.dumps(p, sort_keys=True, default=str).encode())
    return h.hexdigest()[:16]


def docker_has(image: str) -> bool:
    return subprocess.run(["docker", "image", "inspect", image], capture_output=True).returncode == 0


def archive_name(image: str) -> str:
    return image.replace("/", "_").replace(":", "_") + ".tar"


@dataclass
class Builder:
    out: Path
    cache: Path = field(default_factory=lambda: CACHE / "build")
    timings: dict[str, float] = field(default_factory=dict)
    index: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.out.mkdir(parents=True, exist_ok=True)
        self.cache.mkdir(parents=True, exist_ok=True)
        (self.out / "stamps").mkdir(exist_ok=True)
        try:
            self.index = json.loads((self.out / "index.json").read_text())["images"]
        except (OSError, ValueError, KeyError):
            self.index = {}

    # -- step bookkeeping ----------------------------------------------------

    def step(self, name: str, key: str, run: Callable[[], None], *, images: list[str] = (), files: list[Path] = ()) -> None:
        stamp = self.out / "stamps" / (archive_name(name).removesuffix(".tar") + ".json")
        try:
            done = json.loads(stamp.read_text()).get("key") == key
        except (OSError, ValueError):
            done = False
        if done and all(f.exists() for f in files) and self._images_present(images):
            say(f"{name}: up to date ({key})")
            return
        say(f"{name}: building ({key})")
        started = time.monotonic()
        run()
        for image in images:
            if not docker_has(image):
                raise BuildError(f"{name}: step finished but docker has no image {image}")
        for f in files:
            if not f.exists():
                raise BuildError(f"{name}: step finished but {f} is missing")
        elapsed = round(time.monotonic() - started, 1)
        self.timings[name] = elapsed
        stamp.write_text(json.dumps({"key": key, "seconds": elapsed, "images": list(images)}, indent=1))
        self.record_timing(name, elapsed)
        # an image this step replaced keeps no tag: drop it (only ours carry the label)
        subprocess.run(["docker", "image", "prune", "-f", "--filter", f"label={LABEL}"], capture_output=True)
        say(f"{name}: done in {elapsed:.0f}s")

    def record_timing(self, name: str, seconds: float) -> None:
        """timings.json: the wall time of each step the last time it really built."""
        path = self.out / "timings.json"
        try:
            doc = json.loads(path.read_text())
        except (OSError, ValueError):
            doc = {}
        doc.setdefault("steps", {})[name] = seconds
        path.write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n")

    def _images_present(self, images: list[str]) -> bool:
        """True when every image is in docker; reload from its archive if
        docker lost it (a fresh /var/lib/docker with a kept cache)."""
        for image in images:
            if docker_has(image):
                continue
            arch = self.index.get(image)
            if arch and (self.out / arch).exists():
                say(f"loading {image} from {arch}")
                sh(["docker", "load", "-i", str(self.out / arch)], quiet=True)
                continue
            return False
        return True

    def save(self, image: str) -> None:
        """Write the image's archive for the harness (kind load image-archive)."""
        name = archive_name(image)
        sh(["docker", "save", "-o", str(self.out / (name + ".part")), image], quiet=True)
        (self.out / (name + ".part")).replace(self.out / name)
        self.index[image] = name
        self.write_index()

    def write_index(self) -> None:
        (self.out / "index.json").write_text(json.dumps({"images": dict(sorted(self.index.items()))}, indent=1) + "\n")

    # -- building blocks -----------------------------------------------------

    run = staticmethod(sh)

    def docker_build(self, tag: str, dockerfile: str, files: dict[str, Path | bytes]) -> None:
        """Classic-builder docker build from a context of the given files."""
        with tempfile.TemporaryDirectory(prefix="imgctx.") as ctx:
            c = Path(ctx)
            for dest, src in files.items():
                target = c / dest
                target.parent.mkdir(parents=True, exist_ok=True)
                if isinstance(src, bytes):
                    target.write_bytes(src)
                elif src.is_dir():
                    shutil.copytree(src, target, symlinks=True, dirs_exist_ok=True)
                else:
                    shutil.copy2(src, target)
            (c / "Dockerfile").write_text(dockerfile)
            sh(["docker", "build", "-q", "--label", LABEL, "-t", tag, str(c)], env={"DOCKER_BUILDKIT": "0"}, quiet=True)

    def rootfs(self, name: str, packages: str) -> Path:
        tar = self.cache / "rootfs" / f"{name}-{DEBIAN_SUITE}-{digest(packages)}.tar"
        if not tar.exists():
            tar.parent.mkdir(parents=True, exist_ok=True)
            sh([str(SCRIPTS / "rootfs.sh"), DEBIAN_SUITE, str(tar), packages])
        return tar

    def go_binaries(self, module: str, version: str, packages: list[str], extra_requires: tuple[str, ...] = ()) -> Path:
        """Main packages of module@version (plus pinned sibling modules) built
        from the Go module proxy; cached by module@version."""
        d = self.cache / "go" / f"{module.replace('/', '_')}@{version}"
        names = [p.split("=", 1)[1] if "=" in p else Path(p).name for p in packages]
        if not all((d / n).exists() for n in names):
            sh([str(SCRIPTS / "go-build.sh"), module, version, str(d), *packages],
               env={"GO_EXTRA_REQUIRES": " ".join(extra_requires)})
        return d

    def local_go(self, name: str, src: Path) -> Path:
        d = self.cache / "local" / f"{name}-{digest(src)}"
        binary = d / name
        if not binary.exists():
            d.mkdir(parents=True, exist_ok=True)
            sh(["go", "build", "-trimpath", "-ldflags", "-s -w", "-o", str(binary), "."], cwd=src, env={"CGO_ENABLED": "0"})
        return binary


# ---------------------------------------------------------------------------
# the steps
# ---------------------------------------------------------------------------


K8S_BINARIES = ["kubeadm", "kubelet", "kubectl", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kube-proxy"]


def k8s_binaries(b: Builder) -> Path:
    """All Kubernetes binaries of the pinned release, built in one go."""
    d = b.cache / "k8s" / K8S_VERSION
    b.step("kubernetes-binaries", digest(K8S_VERSION, SCRIPTS / "build-k8s.sh"),
           lambda: sh([str(SCRIPTS / "build-k8s.sh"), K8S_VERSION, str(d), *K8S_BINARIES]),
           files=[d / n for n in K8S_BINARIES])
    return d


def kubeadm_images(bins: Path) -> dict[str, str]:
    """What kubeadm itself will ask for: component -> image reference."""
    out = sh([str(bins / "kubeadm"), "config", "images", "list", "--kubernetes-version", K8S_VERSION], quiet=True)
    refs = [l.strip() for l in out.splitlines() if l.strip().startswith("registry.k8s.io/")]
    return {r.rsplit("/", 1)[1].split(":")[0]: r for r in refs}


def build_kind(b: Builder) -> Path:
    target = CACHE / "bin" / f"kind-{KIND_VERSION}"

    def run() -> None:
        d = b.go_binaries("sigs.k8s.io/kind", KIND_VERSION, ["sigs.k8s.io/kind"])
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(d / "kind", target)

    b.step("kind", digest(KIND_VERSION), run, files=[target])
    return target


def build_core_images(b: Builder, bins: Path) -> list[str]:
    """Control-plane, kube-proxy, etcd, CoreDNS, pause and the pod network:
    the images a node image must hold before kubeadm runs."""
    wanted = kubeadm_images(bins)
    net_base = f"localhost/exposure-harness/debian-net:{digest(NET_PACKAGES)}"
    images: list[str] = []

    def net_base_run() -> None:
        sh(["docker", "import", "--change", f"LABEL {LABEL}", str(b.rootfs("net", NET_PACKAGES)), net_base], quiet=True)

    b.step("debian-net", digest(DEBIAN_SUITE, NET_PACKAGES), net_base_run, images=[net_base])

    env_path = "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n"
    for comp in ("kube-apiserver", "kube-controller-manager", "kube-scheduler"):
        ref = wanted[comp]
        b.step(comp, digest(ref, "scratch-v1"),
               lambda comp=comp, ref=ref: b.docker_build(ref, f"FROM scratch\n{env_path}COPY {comp} /usr/local/bin/{comp}\nENTRYPOINT [\"/usr/local/bin/{comp}\"]\n",
                                                        {comp: bins / comp}), images=[ref])
        images.append(ref)

    proxy = wanted["kube-proxy"]
    b.step("kube-proxy", digest(proxy, net_base, "v1"),
           lambda: b.docker_build(proxy, f"FROM {net_base}\nCOPY kube-proxy /usr/local/bin/kube-proxy\nENTRYPOINT [\"/usr/local/bin/kube-proxy\"]\n",
                                  {"kube-proxy": bins / "kube-proxy"}), images=[proxy])
    images.append(proxy)

    etcd = wanted["etcd"]
    etcd_version = "v" + etcd.rsplit(":", 1)[1].rsplit("-", 1)[0]

    def etcd_run() -> None:
        d = b.go_binaries(ETCD_MODULE, etcd_version, [f"{ETCD_MODULE}=etcd"])
        b.docker_build(etcd, f"FROM scratch\n{env_path}COPY etcd /usr/local/bin/etcd\nENTRYPOINT [\"/usr/local/bin/etcd\"]\n", {"etcd": d / "etcd"})

    b.step("etcd", digest(etcd, etcd_version), etcd_run, images=[etcd])
    images.append(etcd)

    coredns = wanted["coredns"]
    coredns_version = coredns.rsplit(":", 1)[1]

    def coredns_run() -> None:
        d = b.go_binaries(COREDNS_MODULE, coredns_version, [f"{COREDNS_MODULE}=coredns"])
        b.docker_build(coredns, "FROM scratch\nCOPY coredns /coredns\nEXPOSE 53 53/udp\nENTRYPOINT [\"/coredns\"]\n", {"coredns": d / "coredns"})

    b.step("coredns", digest(coredns, coredns_version), coredns_run, images=[coredns])
    images.append(coredns)

    pause = wanted["pause"]

    def pause_run() -> None:
        # pause.c from the Kubernetes module of the pinned version
        src = module_file("k8s.io/kubernetes", K8S_VERSION, "build/pause/linux/pause.c")
        with tempfile.TemporaryDirectory() as t:
            (Path(t) / "pause.c").write_text(src)
            tag = pause.rsplit(":", 1)[1]
            sh(["gcc", "-Os", "-Wall", "-static", f"-DVERSION=v{tag}", "-o", str(Path(t) / "pause"), str(Path(t) / "pause.c")])
            b.docker_build(pause, "FROM scratch\nCOPY pause /pause\nUSER 65535:65535\nENTRYPOINT [\"/pause\"]\n", {"pause": Path(t) / "pause"})

    b.step("pause", digest(pause, K8S_VERSION), pause_run, images=[pause])
    images.append(pause)

    kindnet_src = HERE / "kindnet-lite"

    def kindnet_run() -> None:
        binary = b.local_go("kindnet-lite", kindnet_src)
        b.docker_build(KINDNET_IMAGE, f"FROM {net_base}\nCOPY kindnet-lite /bin/kindnet-lite\nENTRYPOINT [\"/bin/kindnet-lite\"]\n",
                       {"kindnet-lite": binary})

    b.step("kindnet-lite", digest(kindnet_src, net_base), kindnet_run, images=[KINDNET_IMAGE])
    images.append(KINDNET_IMAGE)
    storage_images, storage_manifest = build_storage_images(b, net_base)
    images.extend(storage_images)
    (b.cache / "default-storage.yaml").write_text(storage_manifest)
    return images


def kind_go_constants(path: str) -> dict[str, str]:
    """The string constants of one Go file of the pinned kind module, with
    `a` + name + `b` concatenations resolved (kind keeps its default storage
    manifest and image names this way)."""
    src = module_file("sigs.k8s.io/kind", KIND_VERSION, path)
    consts: dict[str, str] = {}
    token = re.compile(r'\s*(`[^`]*`|"(?:[^"\\]|\\.)*"|[A-Za-z_]\w*)')
    for m in re.finditer(r"^(?:const|var)\s+([A-Za-z_]\w*)\s*=", src, re.M):
        pos, parts = m.end(), []
        while True:
            t = token.match(src, pos)
            if not t:
                break
            tok = t.group(1)
            parts.append(tok[1:-1] if tok[0] in "`\"" else consts.get(tok, ""))
            pos = t.end()
            plus = re.match(r"\s*\+", src[pos:])
            if not plus:
                break
            pos += plus.end()
        if parts:
            consts[m.group(1)] = "".join(parts)
    return consts


def build_storage_images(b: Builder, net_base: str) -> tuple[list[str], str]:
    """kind's default StorageClass: the rancher local-path-provisioner kind
    ships, its helper image, and kind's own manifest for them (all read from
    the pinned kind module)."""
    consts = kind_go_constants("pkg/build/nodeimage/const_storage.go")
    provisioner, helper = consts["storageProvisionerImage"], consts["storageHelperImage"]
    manifest = consts["defaultStorageManifest"]
    if provisioner not in manifest or helper not in manifest:
        raise BuildError("kind's storage manifest does not name its own images; the const_storage.go layout changed")

    def provisioner_run() -> None:
        d = b.go_binaries(LOCAL_PATH[0], LOCAL_PATH[1], [f"{LOCAL_PATH[0]}=local-path-provisioner"])
        b.docker_build(provisioner, "FROM scratch\nENV PATH=/usr/local/bin:/usr/bin:/bin\n"
                       "COPY local-path-provisioner /usr/local/bin/local-path-provisioner\n"
                       "ENTRYPOINT [\"/usr/local/bin/local-path-provisioner\"]\n",
                       {"local-path-provisioner": d / "local-path-provisioner"})

    b.step("local-path-provisioner", digest(provisioner, LOCAL_PATH), provisioner_run, images=[provisioner])
    # the helper runs `sh /script/setup|teardown` with mkdir and rm: a Debian base has them
    b.step("local-path-helper", digest(helper, net_base),
           lambda: b.docker_build(helper, f"FROM {net_base}\n", {}), images=[helper])
    return [provisioner, helper], manifest


def build_node(b: Builder, bins: Path, core: list[str]) -> None:
    files_dir = HERE / "node" / "files"
    runc_src = HERE / "runc-compat"
    pause = kubeadm_images(bins)["pause"]
    base = f"localhost/exposure-harness/node-base:{digest(NODE_PACKAGES)}"
    storage_manifest = (b.cache / "default-storage.yaml").read_text()
    key = digest(NODE_IMAGE, K8S_VERSION, NODE_PACKAGES, files_dir, runc_src, CRICTL, core, storage_manifest,
                 [subprocess.run(["docker", "image", "inspect", "-f", "{{.Id}}", i], capture_output=True, text=True).stdout.strip() for i in core])

    def run() -> None:
        if not docker_has(base):
            say("node: importing the Debian root filesystem")
            sh(["docker", "import", "--change", f"LABEL {LABEL}", str(b.rootfs("node", NODE_PACKAGES)), base], quiet=True)
        crictl = b.go_binaries(CRICTL[0], CRICTL[1], ["sigs.k8s.io/cri-tools/cmd/crictl"]) / "crictl"
        runc_compat = b.local_go("runc-compat", runc_src)
        containerd_conf = (files_dir / "etc/containerd/config.toml").read_text().replace("${PAUSE_IMAGE}", pause)
        cni = (files_dir / "kind/manifests/default-cni.yaml").read_text().replace("${KINDNET_IMAGE}", KINDNET_IMAGE)
        stage = f"localhost/exposure-harness/node-stage:{key}"
        say("node: adding Kubernetes binaries and configuration")
        b.docker_build(stage, NODE_DOCKERFILE.format(base=base), {
            "files": files_dir,
            "files/etc/containerd/config.toml": containerd_conf.encode(),
            "files/kind/manifests/default-cni.yaml": cni.encode(),
            "files/kind/manifests/default-storage.yaml": storage_manifest.encode(),
            "files/kind/version": K8S_VERSION.encode(),
            "files/usr/bin/kubeadm": bins / "kubeadm",
            "files/usr/bin/kubelet": bins / "kubelet",
            "files/usr/bin/kubectl": bins / "kubectl",
            "files/usr/local/bin/crictl": crictl,
            "files/usr/local/sbin/runc-compat": runc_compat,
        })
        say(f"node: importing {len(core)} images into the node's containerd")
        with tempfile.TemporaryDirectory(prefix="nodeimg.") as t:
            tar = Path(t) / "images.tar"
            sh(["docker", "save", "-o", str(tar), *core], quiet=True)
            name = f"exposure-harness-node-build-{key}"
            subprocess.run(["docker", "rm", "-f", name], capture_output=True)
            sh(["docker", "run", "-d", "--name", name, "--privileged", "--entrypoint", "sleep", stage, "infinity"], quiet=True)
            try:
                sh(["docker", "cp", str(tar), f"{name}:/images.tar"], quiet=True)
                sh(["docker", "exec", name, "bash", "-c", IMPORT_SCRIPT])
                # the build container ran `sleep`: restore the node's entrypoint
                # (ENV and STOPSIGNAL carry over from the stage image)
                sh(["docker", "commit",
                    "--change", 'ENTRYPOINT ["/usr/local/bin/entrypoint", "/sbin/init"]', "--change", "CMD []",
                    name, NODE_IMAGE], quiet=True)
            finally:
                subprocess.run(["docker", "rm", "-f", name], capture_output=True)
                subprocess.run(["docker", "rmi", stage], capture_output=True)

    b.step("node-image", key, run, images=[NODE_IMAGE, base])


NODE_DOCKERFILE = """\
FROM {base}
COPY files/ /
RUN set -e; \\
    chmod 0755 /usr/local/bin/entrypoint /usr/bin/kubeadm /usr/bin/kubelet /usr/bin/kubectl /usr/local/bin/crictl /usr/local/sbin/runc-compat; \\
    mkdir -p /opt/cni/bin /etc/cni/net.d /etc/kubernetes/manifests /var/lib/kubelet; \\
    for p in /usr/lib/cni/*; do ln -sf "$p" /opt/cni/bin/; done; \\
    rm -f /lib/systemd/system/multi-user.target.wants/* /etc/systemd/system/*.wants/* \\
          /lib/systemd/system/local-fs.target.wants/* /lib/systemd/system/sockets.target.wants/*udev* \\
          /lib/systemd/system/sockets.target.wants/*initctl* /lib/systemd/system/basic.target.wants/* \\
          /lib/systemd/system/sysinit.target.wants/systemd-tmpfiles-setup.service; \\
    echo 'ReadKMsg=no' >> /etc/systemd/journald.conf; \\
    systemctl enable containerd.service kubelet.service; \\
    systemctl mask systemd-binfmt.service getty.target systemd-udevd.service systemd-modules-load.service \\
                   sys-kernel-config.mount sys-kernel-debug.mount sys-kernel-tracing.mount; \\
    update-alternatives --set iptables /usr/sbin/iptables-nft; update-alternatives --set ip6tables /usr/sbin/ip6tables-nft
ENV container=docker
STOPSIGNAL SIGRTMIN+3
ENTRYPOINT ["/usr/local/bin/entrypoint", "/sbin/init"]
"""

IMPORT_SCRIPT = """\
set -e
containerd > /tmp/containerd.log 2>&1 &
for i in $(seq 1 100); do ctr version >/dev/null 2>&1 && break; sleep 0.2; done
ctr version >/dev/null || { cat /tmp/containerd.log; exit 1; }
ctr --namespace=k8s.io images import --all-platforms --no-unpack --digests /images.tar
ctr --namespace=k8s.io images ls -q
pkill containerd; for i in $(seq 1 100); do pgrep -x containerd >/dev/null || break; sleep 0.2; done
rm -f /images.tar /tmp/containerd.log
"""


def build_addon_images(b: Builder, only: set[str] | None) -> None:
    from .addon_recipes import RECIPES

    for addon in ADDONS.values():
        if only and addon.name not in only:
            continue
        for image in addon.images():
            fn = RECIPES.get(image)
            if fn is None:
                say(f"{addon.name}: {image} has no offline recipe ({getattr(addon, 'offline_reason', 'none known')}); "
                    "the report will say the addon is not available offline")
                continue
            b.step(f"{addon.name}:{image}", digest(image, fn.__name__, getattr(fn, "key", "")),
                   lambda fn=fn, image=image: fn(b, image), images=[image])
            if image not in b.index or not (b.out / b.index[image]).exists() or b.timings.get(f"{addon.name}:{image}"):
                b.save(image)


def remove(out: Path) -> int:
    """Delete every docker image a step recorded, the archives and the cache."""
    images: set[str] = set()
    for stamp in (out / "stamps").glob("*.json"):
        try:
            images.update(json.loads(stamp.read_text()).get("images", []))
        except (OSError, ValueError):
            continue
    for image in sorted(images):
        if docker_has(image):
            subprocess.run(["docker", "rmi", "-f", image], capture_output=True)
            say(f"removed image {image}")
    for d in (out, CACHE):
        shutil.rmtree(d, ignore_errors=True)
        say(f"removed {d}")
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="make images", description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"images directory (default {DEFAULT_OUT})")
    ap.add_argument("--only", default="", help="comma-separated: kind,node,addons or addon names")
    ap.add_argument("--remove", action="store_true", help="remove the built images and the whole build cache")
    args = ap.parse_args(argv)
    if args.remove:
        return remove(args.out.resolve())
    only = {s.strip() for s in args.only.split(",") if s.strip()}
    try:
        cluster.check_docker()
    except cluster.ClusterError as exc:
        print(f"make images: {exc}", file=sys.stderr)
        return 2
    b = Builder(out=args.out.resolve())
    started = time.monotonic()
    try:
        if not only or "kind" in only:
            build_kind(b)
        if not only or "node" in only:
            bins = k8s_binaries(b)
            core = build_core_images(b, bins)
            build_node(b, bins, core)
        addon_filter = only - {"kind", "node"} if only else None
        if not only or addon_filter:
            build_addon_images(b, None if not addon_filter or "addons" in addon_filter else addon_filter)
    except BuildError as exc:
        print(f"make images: {exc}", file=sys.stderr)
        return 1
    total = round(time.monotonic() - started, 1)
    b.record_timing("(whole run)", total)
    b.write_index()
    say(f"all images ready in {total:.0f}s; archives and index.json in {b.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
