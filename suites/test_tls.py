"""TLS: terminated at the controller for Ingress, passed through for a
LoadBalancer Service.

> TLS: Termination at controller; SNI, cert mgmt | Often pass-through; TLS
> usually handled by app or external LB.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from harness.checks.expect import applied, verify, verify_all
from harness.checks.manifests import load_manifest, rename_hosts, unique_host
from harness.checks.rows import DEFAULT_CERTIFICATE, Scene, https
from harness.lab.backends import deploy_echo, deploy_tls_app, secret_cert_sha256, tls_secret

# HTTPS with the certificate of the Secret the Ingress names; TLS ends at the controller
TERMINATED = https("shop.example.com", backend="frontend-svc", certificate="shop-tls", backend_tls=False)
# SNI: each host its own certificate on the one address, and a name with none gets the controller's default
SNI = [
    TERMINATED,
    https("blog.example.com", backend="blog-svc", certificate="blog-tls", backend_tls=False),
    https("stranger.example.com", status=None, certificate=DEFAULT_CERTIFICATE),
]
# through an L4 load balancer: the app's own certificate, and the app itself terminates TLS
PASSED_THROUGH = https("tls-app.example.com", backend="tls-app", certificate="tls-app-cert", backend_tls=True)


@pytest.mark.claim("ingress-tls-termination")
def test_controller_terminates_tls_with_the_secrets_certificate(web_gateway, controller, evidence):
    r = verify(
        TERMINATED,
        web_gateway.scene,
        evidence,
        hint=lambda: f"{controller.name} controller logs (secret shop-tls, TLS section of web-gateway)",
    )
    evidence.note(
        f"backend received {r.echo.get('proto')} without TLS; X-Forwarded-Proto: "
        f"{(r.echo.get('headers') or {}).get('X-Forwarded-Proto')}"
    )


@pytest.mark.claim("ingress-sni-multiple-hosts")
def test_second_host_gets_its_own_certificate_on_the_same_address(web_gateway, controller, kube, ns, run_ca, evidence):
    blog_host = unique_host(ns, "blog.example.com")
    blog = deploy_echo(kube, ns, "blog-svc")
    tls_secret(kube, ns, "blog-tls", run_ca.issue_cert(blog_host))
    docs = load_manifest("tls/blog-ingress.yaml", ingress_class=controller.ingress_class)
    applied(kube, rename_hosts(docs, {"blog.example.com": blog_host}), evidence, namespace=ns)
    base = web_gateway.scene
    scene = replace(
        base,
        backends={**base.backends, "blog-svc": blog["blog-svc"].pods},
        hosts={
            **base.hosts,
            "blog.example.com": blog_host,
            "stranger.example.com": unique_host(ns, "stranger.example.com"),
        },
        certificates={**base.certificates, "blog-tls": secret_cert_sha256(kube, ns, "blog-tls")},
    )
    verify_all(SNI, scene, evidence)


@pytest.mark.claim("lb-tls-passthrough")
def test_load_balancer_passes_tls_through_to_the_app(kube, ns, addon_context, run_ca, timeouts, evidence):
    host = unique_host(ns, "tls-app.example.com")
    tls_secret(kube, ns, "tls-app-cert", run_ca.issue_cert(host))
    deploy_tls_app(kube, ns, "tls-app", "tls-app-cert")
    with evidence.check("the tls-app LoadBalancer Service gets an external address"):
        address = kube.wait_load_balancer(ns, "tls-app")
    scene = Scene(
        address=address,
        timeouts=timeouts,
        namespaces=(ns,),
        backends={"tls-app": kube.wait_endpoints(ns, "tls-app")},
        hosts={"tls-app.example.com": host},
        certificates={"tls-app-cert": secret_cert_sha256(kube, ns, "tls-app-cert")},
        ca_pem=run_ca.cert_pem.bytes(),
    )
    r = verify(PASSED_THROUGH, scene, evidence)
    evidence.note(f"the app itself negotiated {r.echo['tls'].get('version')} for SNI {r.echo['tls'].get('serverName')}")
