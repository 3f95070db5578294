"""Manifest loading: the guide's YAML parses verbatim, placeholders are
checked, hosts are renamed per test without touching the files."""

from __future__ import annotations

import pytest

from harness.checks.manifests import MANIFESTS, ManifestError, load_manifest, parse_manifest, rename_hosts, unique_host

GUIDE = "../shared/guide/kubernetes-ingress-vs-load-balancer.txt"


def test_guide_examples_are_verbatim():
    svc = load_manifest("guide/tcp-app-service.yaml")
    assert svc == [
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "tcp-app"},
            "spec": {
                "type": "LoadBalancer",
                "ports": [{"port": 1883, "targetPort": 1883, "protocol": "TCP"}],
                "selector": {"app": "tcp-app"},
            },
        }
    ]
    (ing,) = load_manifest("guide/web-gateway-ingress.yaml")
    assert ing["metadata"]["annotations"] == {"nginx.ingress.kubernetes.io/rewrite-target": "/"}
    assert ing["spec"]["ingressClassName"] == "nginx"
    assert ing["spec"]["tls"] == [{"hosts": ["shop.example.com"], "secretName": "shop-tls"}]
    paths = ing["spec"]["rules"][0]["http"]["paths"]
    assert [
        (p["path"], p["pathType"], p["backend"]["service"]["name"], p["backend"]["service"]["port"]["number"])
        for p in paths
    ] == [("/api", "Prefix", "api-svc", 80), ("/", "Prefix", "frontend-svc", 80)]


def test_guide_text_contains_the_same_examples():
    """The files are the guide's YAML: every key/value of the examples occurs
    in the guide's (flattened) text in the same order."""

    guide = (MANIFESTS.parent / GUIDE).resolve()
    if not guide.exists():
        pytest.skip("the guide text is not next to this checkout")
    text = " ".join(guide.read_text().split())
    for rel in ("guide/tcp-app-service.yaml", "guide/web-gateway-ingress.yaml"):
        text_lines = (MANIFESTS / rel).read_text().splitlines()
        lines = [line for line in text_lines if line.strip() and not line.lstrip().startswith("#")]
        flat = " ".join(" ".join(lines).split())
        assert flat in text, f"{rel} differs from the guide"


def test_placeholders_must_all_be_filled():
    with pytest.raises(ManifestError, match=r"\$\{image\} has no value"):
        load_manifest("backends/echo.yaml", name="x", replicas=1, port=3000, service_type="ClusterIP")
    docs = load_manifest(
        "backends/echo.yaml", name="api-svc", replicas=2, port=3000, image="img:1", service_type="ClusterIP"
    )
    assert [d["kind"] for d in docs] == ["Deployment", "Service"]
    assert docs[0]["spec"]["replicas"] == 2 and docs[1]["metadata"]["name"] == "api-svc"


def test_broken_manifests_are_named():
    with pytest.raises(ManifestError, match="invalid YAML"):
        parse_manifest("a: [", source="x.yaml")
    with pytest.raises(ManifestError, match="x.yaml: document 2 lacks apiVersion"):
        parse_manifest("apiVersion: v1\nkind: Service\nmetadata: {name: a}\n---\nkind: Service\n", source="x.yaml")
    with pytest.raises(ManifestError, match="cannot read manifest"):
        load_manifest("nope/missing.yaml")


def test_rename_hosts_leaves_the_file_alone():
    docs = load_manifest("guide/web-gateway-ingress.yaml")
    host = unique_host("t-test-abc-1a2b3", "shop.example.com")
    assert host == "shop.example-1a2b3.com"
    renamed = rename_hosts(docs, {"shop.example.com": host})
    assert renamed[0]["spec"]["rules"][0]["host"] == host
    assert renamed[0]["spec"]["tls"][0]["hosts"] == [host]
    assert docs[0]["spec"]["rules"][0]["host"] == "shop.example.com"


def test_addon_manifests_render():
    docs = load_manifest("addons/traefik.yaml", namespace="traefik", image="traefik:v3")
    kinds = {(d["kind"], d["metadata"]["name"]) for d in docs}
    assert ("IngressClass", "traefik") in kinds and ("GatewayClass", "traefik") in kinds
    svc = next(d for d in docs if d["kind"] == "Service")
    assert svc["spec"]["type"] == "LoadBalancer"


def test_metallb_pools_of_differently_named_clusters_rarely_overlap():
    import ipaddress

    from harness.lab.addons.metallb import POOL_SIZE, pool_range

    kind_net = ipaddress.IPv4Network("172.18.0.0/16")
    ranges = {name: pool_range(kind_net, name) for name in ("exposure-harness", "a", "b", "c", "d", "e")}
    for r in ranges.values():
        lo, hi = (ipaddress.IPv4Address(x) for x in r.split("-"))
        assert int(hi) - int(lo) + 1 == POOL_SIZE and lo in kind_net and hi < kind_net.broadcast_address
        assert str(lo).startswith("172.18.255.")
    assert len(set(ranges.values())) > 1  # several slices are in use
    small = ipaddress.ip_network("10.9.8.0/24")
    assert pool_range(small, "a") == pool_range(small, "b") == "10.9.8.200-10.9.8.250"


def test_upstream_text_is_read_as_published():
    """Upstream manifests may carry dollars (regexes, shell snippets in CRD
    descriptions); they are not the harness's templates."""
    text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {re: '^a$$', sh: '${HOME}'}\n"
    (doc,) = parse_manifest(text, source="upstream", template=False)
    assert doc["data"] == {"re": "^a$$", "sh": "${HOME}"}
    with pytest.raises(ManifestError, match="placeholder"):
        parse_manifest(text, source="ours")
