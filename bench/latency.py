"""make bench-latency: request latency straight through a LoadBalancer
Service (L4, MetalLB) and through an Ingress controller (L7, Traefik), on a
throw-away kind cluster, printed as numbers.

The guide says L4 forwards "with minimal overhead" and L7 adds "small
overhead". On one shared machine with MetalLB in L2 mode this says nothing
about cloud load balancers (the claims report keeps that claim "not
checkable here"); it shows what the extra proxy hop and TLS termination cost
here, which is what a reader of the numbers can compare.
"""

from __future__ import annotations

import argparse
import sys
import uuid
from pathlib import Path

import trustme

from harness.checks import latency
from harness.checks.consistency import eventually
from harness.checks.kube import Kube
from harness.checks.manifests import load_manifest
from harness.checks.probes import http_get
from harness.checks.timeouts import Timeouts
from harness.lab import cluster as clusters
from harness.lab.addons import CONTROLLER_ADDONS, BoundController, Context, ensure_addons
from harness.lab.backends import deploy_echo, tls_secret
from harness.lab.upstream import CACHE
from harness.options import ROOT, Options

NAMESPACE = "bench-latency"
HOST = "bench.example.com"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="make bench-latency")
    ap.add_argument("--images-dir", type=Path, default=None)
    ap.add_argument("-n", type=int, default=300, help="requests per path (default 300)")
    args = ap.parse_args(argv)
    opts = Options(
        controllers=("traefik",),
        cluster_name="exposure-harness-bench",
        kubeconfig=None,
        keep_cluster=False,
        kind_bin=None,
        node_image=None,
        images_dir=args.images_dir or (CACHE / "images" if (CACHE / "images" / "index.json").exists() else None),
        report_dir=ROOT / "reports",
        state_dir=ROOT / ".harness",
        timeouts=Timeouts(),
    )
    try:
        clusters.check_docker()
        cluster = clusters.acquire(opts, uuid.uuid4().hex[:6])
    except clusters.ClusterError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 2
    try:
        kube = Kube(cluster.kubeconfig, opts.timeouts)
        ctx = Context(cluster=cluster, kube=kube, options=opts)
        ensure_addons(ctx, ["metallb", "gateway_api", "traefik"])
        traefik = BoundController(CONTROLLER_ADDONS["traefik"], ctx)
        ca = trustme.CA()
        kube.create_namespace(NAMESPACE, labels={"exposure-harness/test": "true"})
        deploy_echo(kube, NAMESPACE, "echo", service_type="LoadBalancer")
        tls_secret(kube, NAMESPACE, "bench-tls", ca.issue_cert(HOST))
        docs = load_manifest("performance/echo-ingress.yaml", ingress_class="traefik")
        kube.apply([d for d in docs if d["kind"] == "Ingress"], namespace=NAMESPACE)
        l4 = kube.wait_load_balancer(NAMESPACE, "echo")
        paths = [
            ("L4  LoadBalancer Service (MetalLB), HTTP", l4, 80, False),
            ("L7  Traefik Ingress, HTTP", traefik.address, 80, False),
            ("L7  Traefik Ingress, HTTPS terminated", traefik.address, 443, True),
        ]
        ca_pem = ca.cert_pem.bytes()
        for _, address, port, https in paths:

            def ready(address=address, port=port, https=https) -> None:
                r = http_get(address, port, "/", host=HOST, https=https, ca_pem=ca_pem)
                assert r.status == 200, f"status {r.status}"

            eventually(ready, what=f"{address}:{port} routes", timeouts=opts.timeouts)
        print(f"== {args.n} GETs per path after {latency.WARMUP} discarded; milliseconds (p50 / p95 / p99, req/s)")
        for keepalive in (True, False):
            print("-- one keep-alive connection" if keepalive else "-- a new connection per request")
            for label, address, port, https in paths:
                p = latency.Path(label, address, port, https)
                t = latency.measure(p, host=HOST, ca_pem=ca_pem, n=args.n, keepalive=keepalive)
                s = latency.summarise(label, t)
                print(f"  {s.p50_ms:7.2f} / {s.p95_ms:7.2f} / {s.p99_ms:7.2f}  {s.requests_per_second:7.1f}   {label}")
        return 0
    finally:
        clusters.release(opts)


if __name__ == "__main__":
    sys.exit(main())
