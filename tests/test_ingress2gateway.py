"""The Ingress -> Gateway API conversion with the real, pinned
ingress2gateway (built once from its archive into the harness cache): what
it makes of the guide's Ingress, what it says, and how the harness points
the result at an implementation."""

from __future__ import annotations

import pytest

from harness.checks.manifests import load_manifest
from harness.lab.ingress2gateway import INGRESS2GATEWAY, adapt, convert


@pytest.fixture(scope="module")
def converted():
    archive = INGRESS2GATEWAY.archive
    if not INGRESS2GATEWAY.path.exists() and (archive is None or not archive.available()):
        pytest.skip("ingress2gateway is not built and its source archive is not next to this checkout")
    return convert(load_manifest("guide/web-gateway-ingress.yaml"))


class Implementation:
    """What adapt() reads of a Gateway API implementation (the shape of BoundController)."""

    gateway_class = "traefik"

    @staticmethod
    def gateway_port(protocol: str) -> int:
        return {"http": 8000, "https": 8443}[protocol]


def test_the_guides_ingress_becomes_a_gateway_and_routes(converted):
    objects, notes = converted
    kinds = sorted(f"{d['kind']}/{d['metadata']['name']}" for d in objects)
    assert kinds == [
        "Gateway/nginx",
        "HTTPRoute/web-gateway-shop-example-com",
        "HTTPRoute/web-gateway-shop-example-com-http",
    ]
    gateway = next(d for d in objects if d["kind"] == "Gateway")
    assert gateway["spec"]["gatewayClassName"] == "nginx"
    assert {(li["protocol"], li["port"]) for li in gateway["spec"]["listeners"]} == {("HTTP", 80), ("HTTPS", 443)}
    routes = {d["metadata"]["name"]: d for d in objects if d["kind"] == "HTTPRoute"}
    https_rules = routes["web-gateway-shop-example-com"]["spec"]["rules"]
    # rewrite-target: / becomes a full-path rewrite; the Prefix paths become case-insensitive regular expressions
    assert {f["urlRewrite"]["path"]["replaceFullPath"] for r in https_rules for f in r["filters"]} == {"/"}
    assert [r["matches"][0]["path"] for r in https_rules] == [
        {"type": "RegularExpression", "value": "(?i)/api.*"},
        {"type": "RegularExpression", "value": "(?i)/.*"},
    ]
    # ingress-nginx's ssl-redirect default for a TLS Ingress becomes a 308 redirect on the HTTP listener
    redirects = [
        f["requestRedirect"] for r in routes["web-gateway-shop-example-com-http"]["spec"]["rules"] for f in r["filters"]
    ]
    assert redirects and all(r == {"scheme": "https", "statusCode": 308} for r in redirects)
    assert any("case-insensitive regex" in n for n in notes)
    assert all("status" not in d for d in objects)


def test_adapt_points_the_output_at_an_implementation(converted):
    objects, _ = converted
    adapted, changes = adapt(objects, Implementation())
    gateway = next(d for d in adapted if d["kind"] == "Gateway")
    assert gateway["spec"]["gatewayClassName"] == "traefik"
    assert sorted(li["port"] for li in gateway["spec"]["listeners"]) == [8000, 8443]
    ports = sorted(r["port"] for d in adapted if d["kind"] == "HTTPRoute" for r in d["spec"]["parentRefs"])
    assert ports == [8000, 8443]
    assert "gatewayClassName nginx -> traefik" in changes and len(changes) == 5
    assert next(d for d in objects if d["kind"] == "Gateway")["spec"]["gatewayClassName"] == "nginx"  # a copy
