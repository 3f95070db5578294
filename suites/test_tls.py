"""TLS: terminated at the controller for Ingress, passed through for a
LoadBalancer Service.

> TLS: Termination at controller; SNI, cert mgmt | Often pass-through; TLS
> usually handled by app or external LB.
"""

from __future__ import annotations

import pytest

from harness.backends import cert_sha256, deploy_echo, deploy_tls_app, secret_cert_sha256, tls_secret
from harness.kube import load_manifest, rename_hosts, unique_host
from harness.probes import ProbeError, consistently, http_get, presented_certificate

from .conftest import WEB_GATEWAY


def _ca_pem(run_ca) -> bytes:
    return run_ca.cert_pem.bytes()


def serves_certificate_for(address, host, expected_sha256, pods, run_ca, timeouts, *, backend_plain: bool):
    """A check: HTTPS with SNI=host is answered with exactly the expected
    certificate (verified against the run's CA) by one of ``pods``."""

    def check():
        r = http_get(address, 443, "/", host=host, https=True, ca_pem=_ca_pem(run_ca), timeout=timeouts.request)
        assert r.certificate is not None, "no certificate captured"
        assert r.certificate.sha256 == expected_sha256, (
            f"SNI {host} was served {r.certificate.subject} ({r.certificate.sans}), not the certificate from its secret")
        assert r.status == 200 and r.echo is not None, f"status {r.status}: {r.body[:120]!r}"
        assert r.echo.get("pod") in pods, f"answered by {r.echo.get('pod')}, wanted one of {sorted(pods)}"
        if backend_plain:
            assert "tls" not in r.echo, f"the backend saw TLS ({r.echo.get('tls')}): TLS did not end at the controller"
        else:
            assert r.echo.get("tls", {}).get("serverName") == host, f"the backend did not terminate TLS itself: {r.echo.get('tls')}"
        return r

    return check


@pytest.mark.claim("ingress-tls-termination")
def test_controller_terminates_tls_with_the_secrets_certificate(web_gateway, controller, kube, ns, run_ca, timeouts, evidence):
    gw = web_gateway
    expected = secret_cert_sha256(kube, ns, "shop-tls")
    pods = set(gw.backends["frontend-svc"].pods)
    r, t = consistently(serves_certificate_for(gw.address, gw.host, expected, pods, run_ca, timeouts, backend_plain=True),
                        what=f"{controller.name}: HTTPS {gw.host} with the certificate of shop-tls", timeouts=timeouts,
                        hint=lambda: f"{controller.name} controller logs (secret shop-tls, TLS section of web-gateway)")
    evidence.add("https probe", t.evidence())
    evidence.note(f"backend received {r.echo.get('proto')} without TLS; X-Forwarded-Proto: "
                  f"{(r.echo.get('headers') or {}).get('X-Forwarded-Proto')}")


@pytest.mark.claim("ingress-sni-multiple-hosts")
def test_second_host_gets_its_own_certificate_on_the_same_address(web_gateway, controller, kube, ns, run_ca, timeouts, evidence):
    gw = web_gateway
    blog_host = unique_host(ns, "blog.example.com")
    blog_cert = run_ca.issue_cert(blog_host)
    blog = deploy_echo(kube, ns, "blog-svc")["blog-svc"]
    tls_secret(kube, ns, "blog-tls", blog_cert)
    docs = rename_hosts(load_manifest(WEB_GATEWAY[controller.name], namespace=ns), {"shop.example.com": blog_host})
    ing = next(d for d in docs if d["kind"] == "Ingress")
    ing["metadata"]["name"] = "blog"
    ing["spec"]["tls"][0]["secretName"] = "blog-tls"
    for p in ing["spec"]["rules"][0]["http"]["paths"]:
        p["backend"]["service"]["name"] = "blog-svc"
    kube.apply([d for d in docs if d["kind"] != "Ingress"] + [ing], namespace=ns)

    checks = [
        (gw.host, secret_cert_sha256(kube, ns, "shop-tls"), set(gw.backends["frontend-svc"].pods)),
        (blog_host, cert_sha256(blog_cert), set(blog.pods)),
    ]
    for host, sha, pods in checks:
        _, t = consistently(serves_certificate_for(gw.address, host, sha, pods, run_ca, timeouts, backend_plain=True),
                            what=f"{controller.name}: {host} gets its own certificate on {gw.address}", timeouts=timeouts)
        evidence.add(f"SNI {host}", t.evidence())

    # and a name with no certificate gets neither: the controller's own
    # default certificate, or (F5's controller with no default secret) no
    # certificate at all, the handshake refused
    stranger = unique_host(ns, "stranger.example.com")

    def default_for_unknown_name():
        try:
            cert = presented_certificate(gw.address, 443, stranger, timeout=timeouts.request)
        except ProbeError as exc:
            assert controller.default_certificate_cn is None and exc.kind == "tls", (
                f"SNI {stranger}: {exc}, wanted {controller.name}'s default certificate "
                f"{controller.default_certificate_cn!r}")
            return {"sni": stranger, "handshake": f"refused: {exc.detail}"}
        assert cert.common_name == controller.default_certificate_cn, (
            f"SNI {stranger} was served {cert.subject}, not "
            + (f"{controller.name}'s default certificate" if controller.default_certificate_cn
               else f"a refused handshake ({controller.name} has no default certificate)"))
        return {"sni": stranger, "subject": cert.subject}

    _, t = consistently(default_for_unknown_name, what=f"{controller.name}: an unknown name gets the default certificate"
                        if controller.default_certificate_cn else f"{controller.name}: an unknown name is refused",
                        timeouts=timeouts)
    evidence.add(f"SNI {stranger} (no certificate)", t.evidence())


@pytest.mark.claim("lb-tls-passthrough")
def test_load_balancer_passes_tls_through_to_the_app(kube, ns, addon_context, run_ca, timeouts, evidence):
    host = unique_host(ns, "tls-app.example.com")
    cert = run_ca.issue_cert(host)
    tls_secret(kube, ns, "tls-app-cert", cert)
    deploy_tls_app(kube, ns, "tls-app", "tls-app-cert")
    address = kube.wait_load_balancer(ns, "tls-app")
    pods = set(kube.wait_endpoints(ns, "tls-app"))
    r, t = consistently(serves_certificate_for(address, host, cert_sha256(cert), pods, run_ca, timeouts, backend_plain=False),
                        what=f"HTTPS {address}:443 answered with tls-app's own certificate", timeouts=timeouts)
    evidence.add("https probe through the load balancer", t.evidence())
    evidence.note(f"the app itself negotiated {r.echo['tls'].get('version')} for SNI {r.echo['tls'].get('serverName')}")
