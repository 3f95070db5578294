"""The kind node image and what it carries: kind itself, the Kubernetes
binaries of the pinned release, the control-plane, kube-proxy, etcd, CoreDNS,
pause and pod-network images kubeadm asks for, and kind's default storage."""

from __future__ import annotations

import functools
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from harness.lab import cluster
from harness.lab.upstream import CACHE, module_file

from .builder import DEBIAN_SUITE, HERE, LABEL, SCRIPTS, Builder, BuildError, digest, docker_has, say, sh

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


K8S_BINARIES = [
    "kubeadm",
    "kubelet",
    "kubectl",
    "kube-apiserver",
    "kube-controller-manager",
    "kube-scheduler",
    "kube-proxy",
]


def k8s_binaries(b: Builder) -> Path:
    """All Kubernetes binaries of the pinned release, built in one go."""
    d = b.cache / "k8s" / K8S_VERSION
    b.step(
        "kubernetes-binaries",
        digest(K8S_VERSION, SCRIPTS / "build-k8s.sh"),
        lambda: sh([str(SCRIPTS / "build-k8s.sh"), K8S_VERSION, str(d), *K8S_BINARIES]),
        files=[d / n for n in K8S_BINARIES],
    )
    return d


def kubeadm_images(bins: Path) -> dict[str, str]:
    """What kubeadm itself will ask for: component -> image reference."""
    out = sh([str(bins / "kubeadm"), "config", "images", "list", "--kubernetes-version", K8S_VERSION], quiet=True)
    refs = [line.strip() for line in out.splitlines() if line.strip().startswith("registry.k8s.io/")]
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
        b.step(
            comp,
            digest(ref, "scratch-v1"),
            functools.partial(
                b.docker_build,
                ref,
                f'FROM scratch\n{env_path}COPY {comp} /usr/local/bin/{comp}\nENTRYPOINT ["/usr/local/bin/{comp}"]\n',
                {comp: bins / comp},
            ),
            images=[ref],
        )
        images.append(ref)

    proxy = wanted["kube-proxy"]
    b.step(
        "kube-proxy",
        digest(proxy, net_base, "v1"),
        lambda: b.docker_build(
            proxy,
            f'FROM {net_base}\nCOPY kube-proxy /usr/local/bin/kube-proxy\nENTRYPOINT ["/usr/local/bin/kube-proxy"]\n',
            {"kube-proxy": bins / "kube-proxy"},
        ),
        images=[proxy],
    )
    images.append(proxy)

    etcd = wanted["etcd"]
    etcd_version = "v" + etcd.rsplit(":", 1)[1].rsplit("-", 1)[0]

    def etcd_run() -> None:
        d = b.go_binaries(ETCD_MODULE, etcd_version, [f"{ETCD_MODULE}=etcd"])
        b.docker_build(
            etcd,
            f'FROM scratch\n{env_path}COPY etcd /usr/local/bin/etcd\nENTRYPOINT ["/usr/local/bin/etcd"]\n',
            {"etcd": d / "etcd"},
        )

    b.step("etcd", digest(etcd, etcd_version), etcd_run, images=[etcd])
    images.append(etcd)

    coredns = wanted["coredns"]
    coredns_version = coredns.rsplit(":", 1)[1]

    def coredns_run() -> None:
        d = b.go_binaries(COREDNS_MODULE, coredns_version, [f"{COREDNS_MODULE}=coredns"])
        b.docker_build(
            coredns,
            'FROM scratch\nCOPY coredns /coredns\nEXPOSE 53 53/udp\nENTRYPOINT ["/coredns"]\n',
            {"coredns": d / "coredns"},
        )

    b.step("coredns", digest(coredns, coredns_version), coredns_run, images=[coredns])
    images.append(coredns)

    pause = wanted["pause"]

    def pause_run() -> None:
        # pause.c from the Kubernetes module of the pinned version
        src = module_file("k8s.io/kubernetes", K8S_VERSION, "build/pause/linux/pause.c")
        with tempfile.TemporaryDirectory() as t:
            (Path(t) / "pause.c").write_text(src)
            tag = pause.rsplit(":", 1)[1]
            sh(
                [
                    "gcc",
                    "-Os",
                    "-Wall",
                    "-static",
                    f"-DVERSION=v{tag}",
                    "-o",
                    str(Path(t) / "pause"),
                    str(Path(t) / "pause.c"),
                ]
            )
            b.docker_build(
                pause,
                'FROM scratch\nCOPY pause /pause\nUSER 65535:65535\nENTRYPOINT ["/pause"]\n',
                {"pause": Path(t) / "pause"},
            )

    b.step("pause", digest(pause, K8S_VERSION), pause_run, images=[pause])
    images.append(pause)

    kindnet_src = HERE / "kindnet-lite"

    def kindnet_run() -> None:
        binary = b.local_go("kindnet-lite", kindnet_src)
        b.docker_build(
            KINDNET_IMAGE,
            f'FROM {net_base}\nCOPY kindnet-lite /bin/kindnet-lite\nENTRYPOINT ["/bin/kindnet-lite"]\n',
            {"kindnet-lite": binary},
        )

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
            parts.append(tok[1:-1] if tok[0] in '`"' else consts.get(tok, ""))
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
        b.docker_build(
            provisioner,
            "FROM scratch\nENV PATH=/usr/local/bin:/usr/bin:/bin\n"
            "COPY local-path-provisioner /usr/local/bin/local-path-provisioner\n"
            'ENTRYPOINT ["/usr/local/bin/local-path-provisioner"]\n',
            {"local-path-provisioner": d / "local-path-provisioner"},
        )

    b.step("local-path-provisioner", digest(provisioner, LOCAL_PATH), provisioner_run, images=[provisioner])
    # the helper runs `sh /script/setup|teardown` with mkdir and rm: a Debian base has them
    b.step(
        "local-path-helper",
        digest(helper, net_base),
        lambda: b.docker_build(helper, f"FROM {net_base}\n", {}),
        images=[helper],
    )
    return [provisioner, helper], manifest


def build_node(b: Builder, bins: Path, core: list[str]) -> None:
    files_dir = HERE / "node" / "files"
    runc_src = HERE / "runc-compat"
    pause = kubeadm_images(bins)["pause"]
    base = f"localhost/exposure-harness/node-base:{digest(NODE_PACKAGES)}"
    storage_manifest = (b.cache / "default-storage.yaml").read_text()
    key = digest(
        NODE_IMAGE,
        K8S_VERSION,
        NODE_PACKAGES,
        files_dir,
        runc_src,
        CRICTL,
        core,
        storage_manifest,
        [
            subprocess.run(
                ["docker", "image", "inspect", "-f", "{{.Id}}", i], capture_output=True, text=True
            ).stdout.strip()
            for i in core
        ],
    )

    def run() -> None:
        if not docker_has(base):
            say("node: importing the Debian root filesystem")
            sh(
                ["docker", "import", "--change", f"LABEL {LABEL}", str(b.rootfs("node", NODE_PACKAGES)), base],
                quiet=True,
            )
        crictl = b.go_binaries(CRICTL[0], CRICTL[1], ["sigs.k8s.io/cri-tools/cmd/crictl"]) / "crictl"
        runc_compat = b.local_go("runc-compat", runc_src)
        containerd_conf = (files_dir / "etc/containerd/config.toml").read_text().replace("${PAUSE_IMAGE}", pause)
        cni = (files_dir / "kind/manifests/default-cni.yaml").read_text().replace("${KINDNET_IMAGE}", KINDNET_IMAGE)
        stage = f"localhost/exposure-harness/node-stage:{key}"
        say("node: adding Kubernetes binaries and configuration")
        b.docker_build(
            stage,
            NODE_DOCKERFILE.format(base=base),
            {
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
            },
        )
        say(f"node: importing {len(core)} images into the node's containerd")
        with tempfile.TemporaryDirectory(prefix="nodeimg.") as t:
            tar = Path(t) / "images.tar"
            sh(["docker", "save", "-o", str(tar), *core], quiet=True)
            name = f"exposure-harness-node-build-{key}"
            subprocess.run(["docker", "rm", "-f", name], capture_output=True)
            sh(
                ["docker", "run", "-d", "--name", name, "--privileged", "--entrypoint", "sleep", stage, "infinity"],
                quiet=True,
            )
            try:
                sh(["docker", "cp", str(tar), f"{name}:/images.tar"], quiet=True)
                sh(["docker", "exec", name, "bash", "-c", IMPORT_SCRIPT])
                # the build container ran `sleep`: restore the node's entrypoint
                # (ENV and STOPSIGNAL carry over from the stage image)
                sh(
                    [
                        "docker",
                        "commit",
                        "--change",
                        'ENTRYPOINT ["/usr/local/bin/entrypoint", "/sbin/init"]',
                        "--change",
                        "CMD []",
                        name,
                        NODE_IMAGE,
                    ],
                    quiet=True,
                )
            finally:
                subprocess.run(["docker", "rm", "-f", name], capture_output=True)
                subprocess.run(["docker", "rmi", stage], capture_output=True)

    b.step("node-image", key, run, images=[NODE_IMAGE, base])


NODE_DOCKERFILE = """\
FROM {base}
COPY files/ /
RUN set -e; \\
    chmod 0755 /usr/local/bin/entrypoint /usr/bin/kubeadm /usr/bin/kubelet /usr/bin/kubectl \\
               /usr/local/bin/crictl /usr/local/sbin/runc-compat; \\
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
    update-alternatives --set iptables /usr/sbin/iptables-nft; \\
    update-alternatives --set ip6tables /usr/sbin/ip6tables-nft
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
