"""Ingress (L7): host/path routing on one entry point.

> What you'll see: one public entry point routes by host/path to multiple
> Services; TLS terminates at the controller.
"""

from __future__ import annotations

import pytest

from harness.checks.expect import verify, verify_all
from harness.checks.rows import https

from .conftest import GUIDE_WEB_GATEWAY, deploy_web_gateway

# the guide's web-gateway Ingress, as HTTPS requests to the controller
ROUTES = [
    https("shop.example.com", "/api", backend="api-svc"),
    https("shop.example.com", "/", backend="frontend-svc"),
    https("shop.example.com", "/cart", backend="frontend-svc"),
]
REWRITTEN = https("shop.example.com", "/api/users", backend="api-svc")
# what a reader of `rewrite-target: /` on the /api rule expects: the matched /api rewritten to /, the rest kept
SUB_PATH_KEPT = https("shop.example.com", "/api/users", backend="api-svc", seen_path="/users")
# the guide's nginx.ingress.kubernetes.io annotation on a controller that does not read it: left alone
ANNOTATION_IGNORED = https("shop.example.com", "/api/users", backend="api-svc", seen_path="/api/users")
FRONTEND_PATH = https("shop.example.com", "/cart", backend="frontend-svc")
REWRITE = ("ingress-rewrite-target",)
# observations the report compares across controllers (harness/findings.py)
PLAIN_HTTP = "plain HTTP to the guide's TLS host (/api)"
PATH_GUIDE_YAML = "path api-svc receives for /api/users, the guide's YAML"
PATH_OWN_IDIOM = "path api-svc receives for /api/users, the controller's own rewrite annotation"
FRONTEND_GUIDE_YAML = "path frontend-svc receives for /cart, the guide's YAML"
FRONTEND_OWN_IDIOM = "path frontend-svc receives for /cart, the controller's own rewrite annotation"


@pytest.mark.claim("ingress-host-path-routing")
def test_host_and_path_reach_their_services(web_gateway, controller, evidence):
    gw = web_gateway
    evidence.add(
        "setup", {"controller": controller.name, "address": gw.address, "manifest": gw.manifest, "host": gw.host}
    )
    verify_all(ROUTES, gw.scene, evidence, hint=lambda: f"{controller.name} controller logs; Ingress status")
    # the Ingress has a tls section: what does plain HTTP get? (the guide: "Consider HTTP-to-HTTPS redirects")
    plain = gw.plain_http("/api")
    evidence.note(plain)
    evidence.observe(PLAIN_HTTP, plain.removeprefix("plain HTTP /api: ").replace(gw.host, "shop.example.com"))


@pytest.mark.claim("ingress-rewrite-target")
def test_rewrite_target_and_what_the_backend_sees(web_gateway, controller, evidence):
    """The rewrite rule routes /api/users to api-svc (the controller's
    feature: every claim of the test), and the path api-svc receives is the
    one the rewrite promises (/users: the rewrite claim alone, a soft check,
    so the others are judged on their own check)."""
    guide_yaml = web_gateway.manifest == GUIDE_WEB_GATEWAY
    topic = PATH_GUIDE_YAML if guide_yaml else PATH_OWN_IDIOM
    with evidence.observing(topic):
        r = verify(REWRITTEN, web_gateway.scene, evidence)
    seen = r.echo.get("path")
    evidence.observe(topic, str(seen))
    front = verify(FRONTEND_PATH, web_gateway.scene, evidence)
    evidence.observe(FRONTEND_GUIDE_YAML if guide_yaml else FRONTEND_OWN_IDIOM, str(front.echo.get("path")))
    evidence.note(
        f"api-svc received path {seen!r} for a request to /api/users "
        f"({'the sub-path is lost: rewrite-target: / replaces the whole path' if seen == '/' else 'sub-path kept'})"
    )
    verify(SUB_PATH_KEPT, web_gateway.scene, evidence, claims=REWRITE, soft=True)


@pytest.mark.claim("ingress-rewrite-target")
@pytest.mark.controllers("nginx-inc")
def test_guide_yaml_with_its_class_renamed(controller, kube, ns, run_ca, timeouts, evidence):
    """What a reader gets who applies the guide's YAML, annotation and all, to
    a controller whose annotations are not nginx.ingress.kubernetes.io/*
    (F5's NGINX Ingress Controller): only the class is changed."""
    gw = deploy_web_gateway(
        controller, kube, ns, run_ca, timeouts, evidence, GUIDE_WEB_GATEWAY, ingress_class=controller.ingress_class
    )
    with evidence.observing(PATH_GUIDE_YAML):
        r = verify(REWRITTEN, gw.scene, evidence)
    seen = r.echo.get("path")
    evidence.observe(PATH_GUIDE_YAML, f"{seen} (class renamed to {controller.ingress_class})")
    effect = (
        "nginx.ingress.kubernetes.io/rewrite-target is ignored: it is not this controller's annotation"
        if seen == "/api/users"
        else "the annotation took effect"
    )
    evidence.note(
        f"the guide's YAML verbatim (class renamed to {controller.ingress_class}): api-svc received path "
        f"{seen!r} for /api/users ({effect})"
    )
    # controller choice determines features: this controller leaves the other controller's annotation alone
    verify(ANNOTATION_IGNORED, gw.scene, evidence, claims=("sec-controller-choice",), soft=True)
    verify(SUB_PATH_KEPT, gw.scene, evidence, claims=REWRITE, soft=True)
