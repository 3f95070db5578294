"""Corrections: a fixed version of a guide snippet the report flags, applied
and checked on the same run's cluster, next to the original.

> annotations: nginx.ingress.kubernetes.io/rewrite-target: /

The guide's rewrite sends every /api/... request to "/" on api-svc (the
sub-path is lost). The correction strips /api and keeps the rest, in each
controller's own idiom (manifests/corrections/, listed per controller in
harness/claims.yaml).
"""

from __future__ import annotations

import pytest

from harness import claims
from harness.checks.expect import verify_all
from harness.checks.rows import https

from .conftest import deploy_web_gateway

CORRECTION = claims.get("rewrite-keep-subpath")
KEEPS_SUB_PATH = [
    https("shop.example.com", "/api/users", backend="api-svc", seen_path="/users"),
    https("shop.example.com", "/api", backend="api-svc", seen_path="/"),
    https("shop.example.com", "/cart", backend="frontend-svc", seen_path="/cart"),
]


@pytest.mark.correction("rewrite-keep-subpath")
def test_rewrite_that_keeps_the_sub_path(controller, kube, ns, run_ca, timeouts, evidence):
    manifest = CORRECTION.manifests.get(controller.name)
    if manifest is None:
        pytest.skip(f"no correction of {CORRECTION.corrects} written for {controller.name} yet")
    gw = deploy_web_gateway(controller, kube, ns, run_ca, timeouts, evidence, manifest)
    evidence.add("setup", {"controller": controller.name, "manifest": manifest, "host": gw.host})
    api_users, _, _ = verify_all(KEEPS_SUB_PATH, gw.scene, evidence)
    evidence.observe("path api-svc receives for /api/users, the corrected snippet", str(api_users.echo.get("path")))
