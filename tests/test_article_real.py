"""Article mode on real articles (tests/data/articles/real/, origins in
SOURCES.tsv): per article what extraction and planning find, without a
cluster: the snippets (line, origin, objects, versions, who checks them),
the includes resolved/unresolved/refused, the checks derived by kind, the
commands not checked, and why what cannot be checked cannot."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import pytest

from harness.article.article_plan import ArticlePlan, plan_article, summary
from harness.article.includes import Status
from harness.article.matrix import known_classes, matrix

REAL = Path(__file__).parent / "data" / "articles" / "real"
SOURCES = [
    dict(zip(["article", "include_root", "repository", "commit", "committed", "licence", "note"], row, strict=True))
    for row in csv.reader((REAL / "SOURCES.tsv").read_text().splitlines(), delimiter="\t")
    if row and not row[0].startswith("#") and row[0] != "article"
]


@dataclass
class Expect:
    # (line or every line of identical snippets, origin, objects, (chain, step) or None, who checks it / why not)
    snippets: list[tuple]
    includes: tuple[int, int, int]  # resolved, unresolved, refused
    checks: dict[str, int]  # by kind, over the whole matrix
    unmet: int
    commands: int  # kubectl commands not checked
    not_checkable: list[str]  # the reasons, as they begin


EXPECTED = {
    "kubernetes-website/content/en/docs/concepts/services-networking/ingress.md": Expect(
        snippets=[
            (65, "include", "Ingress minimal-ingress", None, "nginx,nginx-inc,traefik,traefik-nginx"),
            (131, "include", "Ingress ingress-resource-backend", None, "bad: Ingress ingress-resource-backend"),
            (216, "include", "Ingress ingress-wildcard-host", None, "nginx,nginx-inc,traefik,traefik-nginx"),
            (225, "include", "IngressClass external-lb", None, "cluster"),
            (252, "fenced", "IngressClass external-lb-1", None, "cluster"),
            (299, "fenced", "IngressClass external-lb-2", None, "cluster"),
            (353, "include", "IngressClass nginx-example", None, "nginx"),
            (363, "include", "Ingress test-ingress", None, "nginx,nginx-inc,traefik,traefik-nginx"),
            (396, "include", "Ingress simple-fanout-example", None, "nginx,nginx-inc,traefik,traefik-nginx"),
            (442, "include", "Ingress name-virtual-host-ingress", None, "nginx,nginx-inc,traefik,traefik-nginx"),
            (
                451,
                "include",
                "Ingress name-virtual-host-ingress-no-third-host",
                None,
                "nginx,nginx-inc,traefik,traefik-nginx",
            ),
            (466, "fenced", "Secret testsecret-tls", None, "cluster"),
            (489, "include", "Ingress tls-example-ingress", None, "nginx,nginx-inc,traefik,traefik-nginx"),
            (550, "fenced", "", None, "bad: malformed YAML at line 572"),
        ],
        includes=(10, 0, 0),
        checks={"path-type": 44, "routes": 48, "tls": 4, "wildcard": 4},
        unmet=0,
        commands=1,
        not_checkable=["an Ingress's defaultBackend answers what no rule of any Ingr"],
    ),
    "kubernetes-website/content/en/docs/tasks/access-application-cluster/ingress-minikube.md": Expect(
        snippets=[
            (90, "command", "Deployment web", None, "cluster"),
            (102, "command", "Service web", None, "cluster"),
            (155, "include", "Ingress example-ingress", None, "nginx,nginx-inc,traefik,traefik-nginx"),
            (217, "command", "Deployment web2", None, "cluster"),
            (228, "command", "Service web2", None, "cluster"),
            (243, "fenced", "", None, "skipped"),
        ],
        includes=(1, 0, 0),
        checks={"path-type": 4, "routes": 4},
        unmet=0,
        commands=2,
        not_checkable=[],
    ),
    "kubernetes-website/content/en/docs/tasks/access-application-cluster/create-external-load-balancer.md": Expect(
        snippets=[
            (41, "fenced", "", None, "skipped"),
            (47, "fenced", "Service example-service", (47, 1), "metallb"),
            (145, "fenced", "Service example-service", (47, 2), "metallb"),
        ],
        includes=(0, 0, 0),
        checks={"lb-address": 2, "lb-port": 2},
        unmet=0,
        commands=1,
        not_checkable=[],
    ),
    "gateway-api-mkdocs/site-src/guides/traffic-splitting.md": Expect(
        snippets=[
            (15, "include", "HTTPRoute simple-split", None, "traefik,envoy-gateway"),
            (33, "include", "Gateway prod-web", None, "traefik,envoy-gateway"),
            (52, "include", "HTTPRoute foo-route", (52, 1), "traefik,envoy-gateway"),
            (68, "include", "HTTPRoute foo-route", (52, 2), "traefik,envoy-gateway"),
            (81, "include", "HTTPRoute foo-route", (52, 3), "traefik,envoy-gateway"),
        ],
        includes=(5, 0, 0),
        checks={"attached": 8},
        unmet=8,
        commands=0,
        not_checkable=[],
    ),
    "gateway-api-mkdocs/site-src/guides/grpc-routing.md": Expect(
        snippets=[
            (33, "include", "Gateway example-gateway, GRPCRoute example-route", None, "traefik,envoy-gateway"),
            (49, "include", "GRPCRoute foo-route", (49, 1), "traefik,envoy-gateway"),
            (59, "include", "GRPCRoute bar-route", None, "traefik,envoy-gateway"),
            (74, "include", "GRPCRoute foo-route", (49, 2), "traefik,envoy-gateway"),
        ],
        includes=(4, 0, 0),
        checks={"grpc": 12},
        unmet=0,
        commands=0,
        not_checkable=[
            "gRPC over TLS",
            "grpc.reflection.v1.ServerReflection is server reflection, a ",
            "the call /com.example.User/Login would reach the harness's g",
            "the call /com.example/Login would reach the harness's gRPC e",
        ],
    ),
    "gateway-api-mkdocs/site-src/guides/tls.md": Expect(
        snippets=[
            (71, "fenced", "", None, "skipped"),
            (91, "include", "Gateway tls-basic", None, "traefik,envoy-gateway"),
            (103, "include", "Gateway wildcard-tls-gateway", None, "traefik,envoy-gateway"),
            (
                114,
                "include",
                "Gateway cross-namespace-tls-gateway, ReferenceGrant allow-ns1-gateways-to-ref-secrets",
                None,
                "traefik,envoy-gateway",
            ),
            (155, "include", "Gateway client-validation-basic", None, "traefik,envoy-gateway"),
            (194, "include", "BackendTLSPolicy tls-upstream-dev", None, "cluster"),
            (204, "include", "BackendTLSPolicy tls-upstream-auth", None, "cluster"),
            (220, "include", "Gateway backend-tls", None, "traefik,envoy-gateway"),
        ],
        includes=(7, 0, 0),
        checks={},
        unmet=0,
        commands=0,
        not_checkable=[],
    ),
    "gateway-api/site/content/en/guides/user-guides/http-routing.md": Expect(
        snippets=[
            (33, "include", "Gateway example-gateway, HTTPRoute example-route", None, "traefik,envoy-gateway"),
            (47, "include", "HTTPRoute foo-route", None, "traefik,envoy-gateway"),
            (55, "include", "HTTPRoute bar-route", None, "traefik,envoy-gateway"),
        ],
        includes=(3, 0, 0),
        checks={"headers": 2, "path-type": 8, "routes": 8},
        unmet=0,
        commands=0,
        not_checkable=[],
    ),
    "gateway-api/site/content/en/guides/user-guides/udp.md": Expect(
        snippets=[
            (
                21,
                "include",
                "Gateway my-udp-gateway, UDPRoute udp-app-1, UDPRoute udp-app-2",
                None,
                "traefik,envoy-gateway",
            ),
            (27, "fenced", "", None, "skipped"),
            (36, "fenced", "", None, "skipped"),
            (53, "fenced", "", None, "skipped"),
        ],
        includes=(1, 0, 0),
        checks={"routes": 3, "udp-route": 1},
        unmet=0,
        commands=0,
        not_checkable=[
            "envoy-gateway listens for UDP on port 5353 only, which liste",
            "traefik has no UDP listener for a Gateway",
        ],
    ),
    "metallb/website/content/usage/_index.md": Expect(
        snippets=[
            (30, "fenced", "Service nginx", (30, 1), "metallb"),
            (52, "fenced", "Service nginx", (30, 2), "metallb"),
            (218, "fenced", "Service dns-service-tcp, Service dns-service-udp", None, "metallb"),
        ],
        includes=(0, 0, 0),
        checks={"lb-address": 4, "lb-port": 4, "lb-shared": 1},
        unmet=0,
        commands=0,
        not_checkable=[],
    ),
    "envoy-gateway/site/content/en/latest/tasks/traffic/udp-routing.md": Expect(
        snippets=[
            ((63, 83), "heredoc", "UDPRoute coredns", None, "traefik,envoy-gateway"),
        ],
        includes=(0, 0, 0),
        checks={"routes": 1, "udp-route": 1},
        unmet=0,
        commands=6,
        not_checkable=["traefik has no UDP listener for a Gateway"],
    ),
    "envoy-gateway/site/content/en/latest/tasks/traffic/grpc-routing.md": Expect(
        snippets=[
            ((103, 135), "heredoc", "GRPCRoute yages", (103, 1), "traefik,envoy-gateway"),
            ((188, 222), "heredoc", "GRPCRoute yages", (103, 2), "traefik,envoy-gateway"),
            (271, "fenced", "BackendTrafficPolicy configure-timeout-policy", None, "cluster"),
        ],
        includes=(0, 0, 0),
        checks={"grpc": 8},
        unmet=0,
        commands=1,
        not_checkable=[
            "RegularExpression gRPC matches are not modelled",
            "grpc.reflection.v1alpha.ServerReflection is server reflectio",
            "the call /gateway_api_conformance.echo_basic.grpcecho.GrpcEc",
        ],
    ),
    "ingress-nginx/docs/examples/rewrite/README.md": Expect(
        snippets=[
            (40, "echo", "Ingress rewrite", None, "nginx,traefik-nginx"),
            (77, "echo", "Ingress approot", None, "nginx,traefik-nginx"),
        ],
        includes=(0, 0, 0),
        checks={"routes": 4},
        unmet=0,
        commands=0,
        # app-root answers / with a redirect: not the backend, and not a refutation either
        not_checkable=["Ingress approot sets nginx.ingress.kubernetes.io/app-root", "a regular-expression path"],
    ),
    "ingress-nginx/docs/examples/canary/README.md": Expect(
        snippets=[
            (16, "echo", "Deployment production, Service production", None, "cluster"),
            (82, "echo", "Deployment canary, Service canary", None, "cluster"),
            (148, "echo", "Ingress production", None, "nginx,traefik-nginx"),
            (185, "echo", "Ingress canary", None, "nginx,traefik-nginx"),
        ],
        includes=(0, 0, 0),
        checks={"path-type": 2, "routes": 4},
        unmet=0,
        commands=0,
        # the canary on its own is not what the page promises (a split with production): not modelled
        not_checkable=["Ingress canary is a canary Ingress (nginx.ingress.kubernetes"],
    ),
    "traefik/docs/content/reference/routing-configuration/kubernetes/gateway-api.md": Expect(
        snippets=[
            (27, "fenced", "GatewayClass traefik", None, "traefik"),
            (44, "fenced", "Gateway traefik", None, "traefik"),
            (97, "fenced", "Secret secret-tls", None, "cluster"),
            (121, "fenced", "Gateway multi-cert-gateway", None, "traefik"),
            (163, "fenced", "HTTPRoute whoami-http", (163, 1), "traefik,envoy-gateway"),
            ((191, 384), "fenced", "Deployment whoami, Service whoami", None, "cluster"),
            (230, "fenced", "HTTPRoute whoami-http", (163, 2), "traefik,envoy-gateway"),
            (253, "fenced", "HTTPRoute whoami-https", None, "traefik,envoy-gateway"),
            (342, "fenced", "HTTPRoute whoami-http", (163, 3), "traefik,envoy-gateway"),
            (372, "fenced", "Middleware add-prefix", (372, 1), "cluster"),
            (468, "fenced", "HTTPRoute whoami-http", (163, 4), "traefik,envoy-gateway"),
            (504, "fenced", "HTTPRoute whoami-http", (163, 5), "traefik,envoy-gateway"),
            (533, "fenced", "Middleware add-prefix", (372, 2), "cluster"),
            (555, "fenced", "GRPCRoute echo", None, "traefik,envoy-gateway"),
            (588, "fenced", "Deployment echo, Service echo", None, "cluster"),
            (713, "fenced", "TCPRoute whoami-tcp", None, "traefik,envoy-gateway"),
            ((733, 818), "fenced", "Deployment whoamitcp, Service whoamitcp", None, "cluster"),
            (794, "fenced", "TLSRoute whoami-tls", None, "traefik,envoy-gateway"),
            (889, "fenced", "Service myservice", None, "bad: Service myservice"),
        ],
        includes=(1, 0, 0),
        checks={"class": 1, "grpc": 4, "path-type": 12, "routes": 14, "tcp-route": 2},
        unmet=0,
        commands=0,
        not_checkable=[
            "TLSRoute checks are not derived yet (TLS passthrough to a ba",
            "grpc.reflection.v1alpha.ServerReflection is server reflectio",
        ],
    ),
}


_PLANS: dict[str, ArticlePlan] = {}


def planned(article: str) -> ArticlePlan:
    if article not in _PLANS:
        row = next(r for r in SOURCES if r["article"] == article)
        _PLANS[article] = plan_article(
            REAL / article, matrix(), known_classes(), include_root=REAL / row["include_root"]
        )
    return _PLANS[article]


def test_the_corpus_has_ten_articles_or_more_each_with_its_origin():
    assert len(SOURCES) >= 10 and len({r["repository"] for r in SOURCES}) >= 6
    for r in SOURCES:
        assert (REAL / r["article"]).is_file(), r["article"]
        assert len(r["commit"]) == 40 and r["licence"] in ("Apache-2.0", "CC-BY-4.0", "MIT")
        assert r["article"].startswith(r["include_root"] + "/")
    assert sorted(EXPECTED) == sorted(r["article"] for r in SOURCES)


@pytest.mark.parametrize("article", sorted(EXPECTED))
def test_what_extraction_and_planning_find(article):
    ap, want = planned(article), EXPECTED[article]
    got = []
    for sp in ap.snippets:
        s = sp.snippet
        state = "skipped" if sp.skipped else ("bad: " + sp.bad.split(":")[0]) if sp.bad else ",".join(sp.subjects)
        lines = tuple(sp.step.lines)
        got.append(
            (
                lines if len(lines) > 1 else lines[0],
                s.origin.value,
                ", ".join(s.objects()) if s.kubernetes else "",
                (sp.step.chain, sp.step.step) if sp.step.chain else None,
                state,
            )
        )
    assert got == want.snippets
    sm = summary(ap)
    assert tuple(sm["includes"][s.value] for s in Status) == want.includes
    assert sm["checks"] == want.checks
    assert (sm["unmet"], sm["commands not checked"], sm["problems"]) == (want.unmet, want.commands, 0)
    reasons = sorted({c.not_checkable.split(":")[0][:60] for c in ap.checks() if c.not_checkable})
    assert reasons == want.not_checkable


def test_a_wrong_include_root_leaves_every_include_unresolved_never_malformed():
    article = "kubernetes-website/content/en/docs/concepts/services-networking/ingress.md"
    ap = plan_article(REAL / article, matrix(), known_classes(), include_root=REAL / "metallb")
    assert [i.status for i in ap.includes] == [Status.UNRESOLVED] * 10
    bad = [sp.bad for sp in ap.snippets if sp.bad]
    assert sum(b.startswith("include not resolved: service/networking/") for b in bad) == 10
    assert "include not resolved: service/networking/minimal-ingress.yaml (line 65)" in bad


def _rows(ap: ArticlePlan, line: int, subject: str, kind: str) -> list[tuple]:
    sp = next(sp for sp in ap.snippets if sp.snippet.line == line)
    p = next(p for p in sp.plans if p.subject == subject)
    return [
        (r.request.protocol, r.request.host, r.request.path, r.response.backend, r.response.reached)
        for c in p.checks
        if c.kind == kind
        for r in c.rows
    ]


def test_kubernetes_ingress_wildcard_host():
    ap = planned("kubernetes-website/content/en/docs/concepts/services-networking/ingress.md")
    assert _rows(ap, 216, "traefik", "wildcard") == [
        ("http", "article-check.foo.com", "/foo", "service2", True),
        ("http", "foo.com", "/foo", "service2", False),
    ]


def test_minikube_commands_become_objects_and_the_rest_is_listed():
    ap = planned("kubernetes-website/content/en/docs/tasks/access-application-cluster/ingress-minikube.md")
    svc = next(sp.snippet for sp in ap.snippets if sp.snippet.line == 102)
    assert svc.command == "kubectl expose deployment web --type=NodePort --port=8080"
    assert svc.docs[0]["spec"] == {
        "selector": {"app": "web"},
        "ports": [{"port": 8080, "protocol": "TCP", "targetPort": 8080}],
        "type": "NodePort",
    }
    assert [c.reason.split(" (")[0].split(",")[0] for c in ap.commands] == [
        "applies a manifest from the network",
        "applies example-ingress.yaml",
    ]


def test_metallb_usage_maps_requested_addresses_pools_and_sharing():
    ap = planned("metallb/website/content/usage/_index.md")
    first, second, shared = (sp.plans[0] for sp in ap.snippets)
    low = ap.environment.range()
    assert first.mapped_addresses == {"192.168.1.100": low[0]}
    assert [(p.name, p.addresses) for p in second.pools] == [("production-public-ips", low[1:3])]
    assert shared.mapped_addresses == {"1.2.3.4": low[3]}
    (check,) = [c for c in shared.checks if c.kind == "lb-shared"]
    assert check.services == ["dns-service-tcp", "dns-service-udp"] and not check.not_checkable


def test_envoy_gateway_tabs_are_one_snippet_and_udp_needs_a_udp_listener():
    ap = planned("envoy-gateway/site/content/en/latest/tasks/traffic/udp-routing.md")
    (sp,) = ap.snippets
    assert (sp.step.lines, sp.snippet.command) == ([63, 83], "kubectl apply -f -")
    assert _rows(ap, 63, "envoy-gateway", "udp-route") == [("udp", None, "/", "coredns", True)]


def test_ingress_nginx_echo_keeps_the_capture_group_literal():
    ap = planned("ingress-nginx/docs/examples/rewrite/README.md")
    rewrite = ap.snippets[0].snippet
    assert rewrite.docs[0]["metadata"]["annotations"]["nginx.ingress.kubernetes.io/rewrite-target"] == "/$2"
    assert rewrite.doc_lines == [40]


def test_traefik_grpcroute_on_the_echo_servers_own_method_is_checkable():
    ap = planned("traefik/docs/content/reference/routing-configuration/kubernetes/gateway-api.md")
    sp = next(sp for sp in ap.snippets if sp.snippet.line == 555)
    p = next(p for p in sp.plans if p.subject == "traefik")
    (echo,) = [c for c in p.checks if c.kind == "grpc" and not c.not_checkable]
    assert echo.rows[0].request.path == "/gateway_api_conformance.echo_basic.grpcecho.GrpcEcho/Echo"
    assert echo.rows[0].response.backend == "echo"
