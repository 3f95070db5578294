"""Article mode without a cluster: extraction (fenced, CMS-flattened,
broken), snippet classification, subject mapping, check derivation, the
echo backends a plan asks for, and the report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from harness.article import derive, extract, flat, publish, report, run
from harness.article.cli import command, parser
from harness.checks.manifests import load_manifest
from harness.results.model import Outcome, TestRecord, Transcript, Verdict
from harness.results.recorder import Recorder

ARTICLES = Path(__file__).parent / "data" / "articles"
GUIDE = ARTICLES / "kubernetes-ingress-vs-load-balancer.md"
TXT = Path("/work/shared/guide/kubernetes-ingress-vs-load-balancer.txt")
TRAEFIK_PORTS = {"HTTP": (8000, 80), "HTTPS": (8443, 443), "TLS": (8443, 443), "TCP": (9100, 9100)}
MATRIX = [
    derive.Subject("nginx", "nginx"),
    derive.Subject("nginx-inc", "nginx-inc"),
    derive.Subject("traefik", "traefik", "traefik", TRAEFIK_PORTS),
    derive.Subject("traefik-nginx", "nginx"),
]
KNOWN = {"ingress": ["nginx", "nginx-inc", "traefik"], "gateway": ["traefik", "envoy-gateway"]}


def snippets(name: str) -> list[extract.Snippet]:
    return extract.extract_file(ARTICLES / name)


def at(name: str, line: int) -> extract.Snippet:
    return next(s for s in snippets(name) if s.line == line)


def plan_on(s: extract.Snippet, subject: str | None, matrix=MATRIX) -> derive.Plan:
    return derive.plan(s, next((m for m in matrix if m.name == subject), None), matrix, KNOWN)


def labels(p: derive.Plan, kind: str | None = None) -> list[str]:
    return [r.label for c in p.checks if kind in (None, c.kind) for r in c.rows]


# --------------------------------------------------------------------------
# extraction
# --------------------------------------------------------------------------


def test_the_guide_markdown_keeps_its_yaml_flattened_as_the_text_has_it():
    md = GUIDE.read_text()
    if TXT.is_file():  # the editors' text export, beside the checkout
        for line in TXT.read_text().splitlines():
            if line.startswith("apiVersion:"):
                assert line in md.splitlines()
    found = snippets(GUIDE.name)
    assert [(s.line, s.source, s.objects()) for s in found] == [
        (153, "flattened", ["Service tcp-app"]),
        (159, "flattened", ["Ingress web-gateway"]),
    ]
    assert md.splitlines()[152].startswith("apiVersion: v1 kind: Service metadata: name: tcp-app")


def test_flattened_guide_yaml_reindents_to_the_guides_own_objects():
    tcp, web = snippets(GUIDE.name)
    assert tcp.docs == load_manifest("guide/tcp-app-service.yaml")
    assert web.docs == load_manifest("guide/web-gateway-ingress.yaml")
    assert yaml.safe_load(web.yaml_text)["spec"]["tls"] == [{"hosts": ["shop.example.com"], "secretName": "shop-tls"}]


def test_reindent_round_trips_block_yaml_flattened_by_hand():
    docs = load_manifest("gateway/web-gateway.yaml", gateway_class="traefik", http_port=8000)
    text = " --- ".join(" ".join(t.text if t.kind != "key" else f"{t.text}:" for t in flat.flatten(d)) for d in docs)
    assert flat.reindent(text) == docs


def test_reindent_places_keys_by_the_kinds_fields():
    line = (
        "apiVersion: apps/v1 kind: Deployment metadata: name: web labels: app: web tier: front spec: replicas: 2 "
        "selector: matchLabels: app: web template: metadata: labels: app: web spec: containers: - name: web "
        'image: "nginx:1.27" ports: - containerPort: 80 name: http - name: sidecar image: busybox'
    )
    (d,) = flat.reindent(line)
    assert d["metadata"] == {"name": "web", "labels": {"app": "web", "tier": "front"}}
    assert d["spec"]["replicas"] == 2
    c = d["spec"]["template"]["spec"]["containers"]
    assert c == [
        {"name": "web", "image": "nginx:1.27", "ports": [{"containerPort": 80, "name": "http"}]},
        {"name": "sidecar", "image": "busybox"},
    ]


def test_reindent_refuses_what_it_cannot_tell():
    with pytest.raises(flat.FlatError, match="no structure known for example.com/v1 Widget"):
        flat.reindent("apiVersion: example.com/v1 kind: Widget metadata: name: w spec: a: b: c")
    with pytest.raises(flat.FlatError, match="unterminated quote"):
        flat.reindent('apiVersion: v1 kind: ConfigMap metadata: name: "x data: a: b')
    assert not flat.looks_flattened("apiVersion: v1")
    assert not flat.looks_flattened("The apiVersion: v1 kind: Service line is prose")


def test_fenced_blocks_other_yaml_and_a_flattened_fence():
    md = "\n".join(
        [
            "# t",
            "```yaml",
            "replicaCount: 2",
            "```",
            "```bash",
            "kubectl get pods",
            "```",
            "```yml",
            "apiVersion: v1 kind: Namespace metadata: name: shop",
            "```",
        ]
    )
    a, b = extract.extract(md)
    assert (a.line, a.kubernetes, a.error) == (3, False, "not Kubernetes YAML (no apiVersion/kind): skipped")
    assert (b.line, b.source, b.objects()) == (9, "fenced, flattened", ["Namespace shop"])


def test_broken_article_is_reported_per_snippet_with_lines():
    found = {s.line: s for s in snippets("broken.md")}
    assert sorted(found) == [9, 21, 33, 48, 72]
    assert found[9].error == "malformed YAML at line 13: expected <block end>, but found '<block mapping start>'"
    reasons = {line: derive.bad_snippet(s) for line, s in found.items()}
    assert reasons[21] == "unknown kind: v1 has no kind 'Servcie' (Servcie typo-app)"
    assert reasons[33] is None  # cert-manager's Certificate: only the cluster can say its CRD is missing
    assert reasons[48].startswith("Ingress static-assets: backend resource StorageBucket static-assets")
    assert reasons[72] is None


def test_more_references_that_cannot_be_supplied():
    def bad(text: str) -> str | None:
        (s,) = extract.extract(f"```yaml\n{text}\n```")
        return derive.bad_snippet(s)

    route = "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: r}\nspec:\n  rules:\n"
    assert "cross-namespace" in bad(route + "  - backendRefs: [{name: a, namespace: other, port: 80}]")
    assert "cannot be supplied" in bad(route + "  - backendRefs: [{name: a, kind: ServiceImport, group: x.io}]")
    assert "without a selector" in bad("apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {ports: [{port: 1}]}")
    assert "Gateway API has no kind" in bad(
        "apiVersion: gateway.networking.k8s.io/v1\nkind: Route\nmetadata: {name: r}"
    )


# --------------------------------------------------------------------------
# subjects and class mapping
# --------------------------------------------------------------------------


def test_classes_map_to_the_controllers_that_serve_them():
    tcp, web = snippets(GUIDE.name)
    assert derive.subjects(tcp, MATRIX, KNOWN) == (["metallb"], "")
    assert derive.subjects(web, MATRIX, KNOWN) == (["nginx", "traefik-nginx"], "")
    docs = at("broken.md", 72)  # no class: every controller, mapped
    assert derive.subjects(docs, MATRIX, KNOWN) == (["nginx", "nginx-inc", "traefik", "traefik-nginx"], "")
    p = plan_on(docs, "traefik")
    assert p.objects[0]["spec"]["ingressClassName"] == "traefik"
    assert any("class (none named) is served by no controller" in n and "traefik" in n for n in p.notes)
    # a known class whose controller is not selected: not checked, and said why
    only_nginx = [MATRIX[0]]
    (nic,) = extract.extract(
        "```yaml\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: a}\nspec:\n"
        "  ingressClassName: nginx-inc\n  defaultBackend: {service: {name: s, port: {number: 80}}}\n```"
    )
    assert derive.subjects(nic, only_nginx, KNOWN) == (
        [],
        "class nginx-inc belongs to a controller not selected in this run",
    )
    assert derive.subjects(at("gateway.md", 7), only_nginx, KNOWN) == (
        [],
        "no controller of this run implements the Gateway API",
    )


def test_cluster_scoped_objects_are_not_applied_and_namespaces_are_the_tests():
    (s,) = extract.extract(
        "```yaml\napiVersion: networking.k8s.io/v1\nkind: IngressClass\nmetadata: {name: mine}\nspec: {controller: x}\n"
        "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: prod}\ndata: {a: b}\n```"
    )
    p = plan_on(s, None)
    assert p.subject == "cluster"
    assert [d["kind"] for d in p.objects] == ["ConfigMap"] and "namespace" not in p.objects[0]["metadata"]
    assert p.not_applied[0].startswith("IngressClass mine: cluster-scoped, not applied")
    assert "ConfigMap c: namespace prod replaced by the test's own" in p.notes


# --------------------------------------------------------------------------
# checks
# --------------------------------------------------------------------------


def test_prefix_matches_by_segment_and_exact_wins():
    assert derive.prefix_matches("/api", "/api") and derive.prefix_matches("/api", "/api/x")
    assert derive.prefix_matches("/api/", "/api") and derive.prefix_matches("/", "/anything")
    assert not derive.prefix_matches("/api", "/apix")
    rules = [
        derive.Rule(derive.Match("Prefix", "/"), {"front": 1}, "i"),
        derive.Rule(derive.Match("Prefix", "/api"), {"api": 1}, "i"),
        derive.Rule(derive.Match("Exact", "/api"), {"exact": 1}, "i"),
    ]
    assert [derive.route(rules, p).backends for p in ("/api", "/api/v1", "/apix", "/")] == [
        {"exact": 1},
        {"api": 1},
        {"front": 1},
        {"front": 1},
    ]


def test_the_guides_ingress_promises():
    _, web = snippets(GUIDE.name)
    p = plan_on(web, "nginx")
    assert [(b.service, b.define_service, [(x.port, x.target, x.mode) for x in b.ports]) for b in p.backends] == [
        ("api-svc", True, [(80, 10080, "http")]),
        ("frontend-svc", True, [(80, 10080, "http")]),
    ]
    assert [(s.name, s.hosts) for s in p.secrets] == [("shop-tls", ["shop.example.com"])]
    assert labels(p) == [
        "shop.example.com/api -> api-svc (its own path)",
        "shop.example.com/api/article-check -> api-svc (a Prefix matches a sub-path)",
        "shop.example.com/apix -> frontend-svc (a Prefix matches by segment, not by string)",
        "shop.example.com/ -> frontend-svc (its own path)",
        "shop.example.com/article-check -> frontend-svc (the prefix / takes every path)",
        "TLS shop.example.com/api",
    ]
    rows = [r for c in p.checks for r in c.rows]
    assert {r.request.protocol for r in rows} == {"https"}  # the host is in the TLS section
    tls = next(c for c in p.checks if c.kind == "tls")
    assert (tls.rows[0].response.certificate, tls.rows[0].response.backend, tls.claim) == (
        "shop-tls",
        "api-svc",
        "ingress-tls-termination",
    )
    assert [c.claim for c in p.checks if c.kind == "routes"] == ["ingress-host-path-routing"] * 2


def test_an_exact_path_must_not_take_a_longer_one():
    p = plan_on(at("broken.md", 72), "nginx")
    exact = next(c for c in p.checks if c.kind == "path-type" and "Exact" in c.text)
    (row,) = exact.rows
    assert row.request.path == "/login/article-check" and row.request.protocol == "http"
    assert (row.response.backend, row.response.reached) == ("auth-svc", False)
    docs = next(b for b in p.backends if b.service == "docs-svc")
    assert [(x.port, x.target) for x in docs.ports] == [(8080, 8080)]


def test_the_guides_load_balancer_service():
    tcp, _ = snippets(GUIDE.name)
    p = plan_on(tcp, None)
    assert p.subject == "metallb"
    ((need),) = p.backends
    assert (need.service, need.selector, need.define_service, need.ports[0].mode) == (
        "tcp-app",
        {"app": "tcp-app"},
        False,
        "tcp",
    )
    assert [(c.kind, c.target, c.claim) for c in p.checks] == [
        ("lb-address", "lb:tcp-app", "lb-external-address"),
        ("lb-port", "lb:tcp-app", "lb-l4-reach"),
    ]
    row = p.checks[1].rows[0]
    assert (row.request.protocol, row.request.port, row.response.backend) == ("tcp", 1883, "tcp-app")


def test_udp_ports_are_checked_by_a_datagram_and_foreign_load_balancer_classes_are_not_checkable():
    p = plan_on(at("gateway.md", 62), None)
    by_text = {c.text: c for c in p.checks}
    (udp,) = by_text["port 53/UDP answers a datagram from dns's pods"].rows
    assert (udp.request.protocol, udp.request.port, udp.response.backend) == ("udp", 53, "dns")
    # TCP 53 beside UDP 53 on the same pods: the UDP echo (CoreDNS) answers both, the TCP probe asks it over TCP
    (tcp,) = by_text["port 53/TCP reaches dns's pods"].rows
    assert (tcp.request.port, tcp.request.until, tcp.request.payload[2:]) == (53, None, udp.request.payload)
    assert [(x.protocol, x.mode) for x in p.backends[0].ports] == [("UDP", "udp"), ("TCP", "dns-tcp")]
    (s,) = extract.extract(
        "```yaml\napiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec:\n  type: LoadBalancer\n"
        "  loadBalancerClass: service.k8s.aws/nlb\n  selector: {app: s}\n  ports: [{port: 80}]\n```"
    )
    (check,) = plan_on(s, None).checks
    assert "loadBalancerClass service.k8s.aws/nlb is not implemented" in check.not_checkable


def test_routes_on_a_gateway_the_article_never_defines():
    http_route = at("gateway.md", 7)
    p = plan_on(http_route, "traefik")
    assert [(g.name, g.listeners) for g in p.gateways] == [("shared-gateway", [("http", "HTTP", 8000)])]
    assert any("Gateway shared-gateway: named by a route but not defined" in n for n in p.notes)
    got = {c.kind: c for c in p.checks}
    header = [c for c in p.checks if c.kind == "routes" and "x-canary" in c.text][0]
    assert header.rows[0].request.headers == {"x-canary": "true"}
    assert header.rows[0].response.backend == "checkout-canary"
    without = got["headers"].rows[0]
    assert without.request.headers == {} and without.response.backend == "checkout-v1 or checkout-v2"
    weights = got["weights"]
    assert weights.weights == {"checkout-v1": 80, "checkout-v2": 20}
    assert p.aliases["checkout-v1 or checkout-v2"] == ["checkout-v1", "checkout-v2"]
    assert "checkout-v1 80% ± 8%" in weights.tolerance and "checkout-v2 20% ± 8%" in weights.tolerance
    exact = [c for c in p.checks if c.kind == "path-type" and "Exact /health" in c.text][0]
    assert exact.rows[0].response.reached is False
    assert {c.target for c in p.checks} == {"gateway:shared-gateway:http"}
    tcp = plan_on(at("gateway.md", 47), "traefik")
    assert [(g.name, g.listeners) for g in tcp.gateways] == [("shared-gateway", [("mqtt", "TCP", 9100)])]
    (check,) = tcp.checks
    assert (check.kind, check.rows[0].request.port, check.rows[0].response.backend) == (
        "tcp-route",
        9100,
        "mqtt-broker",
    )
    assert tcp.backends[0].ports[0].mode == "tcp"


def test_weight_tolerance_is_three_sigma_at_least_five_percent():
    assert derive.tolerance(0.5) == pytest.approx(3 * (0.25 / derive.WEIGHT_REQUESTS) ** 0.5)
    assert derive.tolerance(0.0) == 0.05


def test_an_article_gateway_is_mapped_to_the_subjects_class_and_ports():
    (s,) = extract.extract(
        "```yaml\napiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: gw}\nspec:\n"
        "  gatewayClassName: cloud-lb\n  listeners: [{name: web, protocol: HTTP, port: 80}]\n---\n"
        "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: r}\nspec:\n"
        "  parentRefs: [{name: gw}]\n  rules: [{backendRefs: [{name: app, port: 80}]}]\n```"
    )
    assert derive.subjects(s, MATRIX, KNOWN) == (["traefik"], "")
    p = plan_on(s, "traefik")
    gw = p.objects[0]
    assert gw["spec"]["gatewayClassName"] == "traefik" and gw["spec"]["listeners"][0]["port"] == 8000
    assert not p.gateways
    assert any("listener web port 80 mapped to 8000" in n for n in p.notes)
    assert labels(p, "routes") == ["(any host)/ -> app (its own path)"]


# --------------------------------------------------------------------------
# what the plan provisions
# --------------------------------------------------------------------------


def test_a_supplied_gateway_joins_its_listeners():
    p = derive.Plan("traefik", gateways=[derive.GatewayNeed("g", [("http", "HTTP", 8000), ("mqtt", "TCP", 9100)])])
    (gw,) = run.gateway_objects(p, "traefik")
    assert gw["spec"]["gatewayClassName"] == "traefik"
    assert [(x["name"], x["protocol"], x["port"]) for x in gw["spec"]["listeners"]] == [
        ("http", "HTTP", 8000),
        ("mqtt", "TCP", 9100),
    ]
    tls = derive.Plan("traefik", gateways=[derive.GatewayNeed("g", [("tls", "TLS", 8443)])])
    (gw,) = run.gateway_objects(tls, "traefik")
    assert gw["spec"]["listeners"][0]["tls"] == {"mode": "Passthrough"}  # a TLSRoute's listener


# --------------------------------------------------------------------------
# the report
# --------------------------------------------------------------------------


def _record(subject: str, *, refused: str = "") -> TestRecord:
    """What article mode records for the guide's Ingress on one subject: one routing check."""
    rec = Recorder()
    with rec.check("Ingress web-gateway: /api -> api-svc", claims=("ingress-host-path-routing",), soft=True):
        assert not refused, refused
    return rec.record(test=f"t[{subject}]", subject=subject, outcome=Outcome.PASSED, line=159)


def test_report_per_snippet_with_bad_snippets_and_the_claims_comparison(tmp_path):
    summaries = [
        report.SnippetSummary(9, "fenced", (), bad="malformed YAML at line 13: x"),
        report.SnippetSummary(
            159,
            "flattened",
            ("Ingress web-gateway",),
            subjects=("nginx", "traefik-nginx"),
            guide="guide/web-gateway-ingress.yaml",
            claims=("ingress-host-path-routing",),
        ),
    ]
    records = [_record("nginx"), _record("traefik-nginx", refused="status 400, wanted 200 from api-svc")]
    claims = {
        ("ingress-host-path-routing", "nginx"): (Verdict.HOLDS, ""),
        ("ingress-host-path-routing", "traefik-nginx"): (Verdict.HOLDS, ""),
        ("ingress-host-path-routing", "traefik"): (Verdict.HOLDS, ""),
    }
    doc = report.build("a.md", summaries, records, claims=claims, claims_source="this run")
    assert doc.counts == {
        Verdict.HOLDS: 1,
        Verdict.DOES_NOT_HOLD: 1,
        Verdict.ERROR: 0,
        Verdict.NOT_CHECKABLE: 0,
        Verdict.NOT_RUN: 0,
    }
    assert (doc.bad, len(doc.snippets)) == (1, 2)
    rows = {(c.subject, c.agrees) for c in doc.comparison}
    assert rows == {("nginx", True), ("traefik-nginx", False), ("traefik", None)}
    differs = next(c for c in doc.comparison if c.agrees is False)
    assert "status 400" in differs.why and "the claims suite checks" in differs.why
    json_path, md_path = publish.write(tmp_path, doc)
    md = md_path.read_text()
    assert "| line 9 | - | - | - | the snippet | - | bad snippet: malformed YAML at line 13: x |" in md
    assert (
        "| line 159 | Ingress web-gateway | - | traefik-nginx | Ingress web-gateway: /api -> api-svc | DOES NOT HOLD |"
        in md
    )
    data = json.loads(json_path.read_text())
    assert data["schema"] == report.SCHEMA and data["summary"]["does not hold"] == 1


def test_the_guides_snippets_are_recognised_as_its_own_yaml():
    tcp, web = snippets(GUIDE.name)
    assert report.guide_manifest(tcp.docs[0]) == "guide/tcp-app-service.yaml"
    assert report.guide_manifest(web.docs[0]) == "guide/web-gateway-ingress.yaml"
    assert report.guide_manifest(at("broken.md", 72).docs[0]) is None


# --------------------------------------------------------------------------
# the command line
# --------------------------------------------------------------------------


def test_cli_passes_the_e2e_options_to_the_article_suite():
    a = parser().parse_args(
        ["x.md", "--controllers=traefik", "--kubeconfig=/k", "--keep-cluster", "--images-dir=/i", "--", "-x"]
    )
    cmd = command(a)
    assert cmd[3].endswith("suites/article")
    for want in ("--controllers=traefik", "--kubeconfig=/k", "--keep-cluster", "--images-dir=/i", "-x"):
        assert want in cmd
    assert any(c.startswith("--article=") and c.endswith("/x.md") for c in cmd)


def test_cli_bad_input_is_one_line(capsys):
    from harness.__main__ import main

    assert main(["article", "/no/such/article.md"]) == 2
    assert capsys.readouterr().err == "harness article: /no/such/article.md: no such file or directory\n"
    assert main(["nope"]) == 2


def test_report_prints_a_transcripts_last_observation():
    from harness.results.model import Attempt, CheckRecord, EvidenceItem

    t = Transcript(
        "nginx: GET https://shop/api -> answered by api-svc",
        2,
        1,
        (
            Attempt(1, False, "tls-verify: self-signed certificate"),
            Attempt(2, True, {"status": 200, "pod": "echo-api-svc-1"}),
        ),
    )
    c = CheckRecord(
        "Ingress web-gateway: /api -> api-svc",
        (),
        Verdict.HOLDS,
        evidence=(EvidenceItem("/api -> api-svc", transcript=t),),
    )
    line = report._evidence(c)
    assert line == '/api -> api-svc: 2 observation(s), last {"pod": "echo-api-svc-1", "status": 200}'


def _ingresses(*docs: str) -> extract.Snippet:
    (s,) = extract.extract("```yaml\n" + "\n---\n".join(docs) + "\n```")
    return s


_INGRESS = """apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: {name}
  annotations: {annotations}
spec:
  ingressClassName: nginx
  {tls}
  rules:
  - host: shop.example.com
    http:
      paths:
      - {{path: /, pathType: Prefix, backend: {{service: {{name: {svc}, port: {{number: 80}}}}}}}}"""


def _ingress(name: str, svc: str, annotations: str = "{}", tls: str = "") -> str:
    return _INGRESS.format(name=name, svc=svc, annotations=annotations, tls=tls)


def test_annotations_that_change_the_answer_make_routing_not_checkable_never_refuted():
    """app-root answers / with a redirect, auth asks for credentials, a canary
    splits its main Ingress's traffic: "routes to its backend" is not what
    such YAML promises (a real page, ingress-nginx's rewrite example, read
    "does not hold" on a 302), so its rules read not checkable with the
    annotation named; the TLS section's certificate is still checked; an
    Ingress without them keeps its routing checks."""
    p = plan_on(_ingresses(_ingress("approot", "web", "{nginx.ingress.kubernetes.io/app-root: /app1}")), "nginx")
    (rules,) = p.checks
    assert rules.kind == "routes" and not rules.rows
    assert rules.not_checkable.startswith("Ingress approot sets nginx.ingress.kubernetes.io/app-root: redirects /")
    tls = "tls: [{hosts: [shop.example.com], secretName: shop-tls}]"
    auth = "{nginx.ingress.kubernetes.io/auth-type: basic, nginx.ingress.kubernetes.io/auth-secret: basic-auth}"
    p = plan_on(_ingresses(_ingress("private", "web", auth, tls)), "nginx")
    by_kind = {c.kind: c for c in p.checks}
    assert "auth-type: asks for credentials" in by_kind["routes"].not_checkable
    (row,) = by_kind["tls"].rows  # the certificate alone: no backend, no status asked of the answer
    assert (row.response.certificate, row.response.backend, row.response.status) == ("shop-tls", None, None)
    # a canary and its main Ingress: neither's routing is one backend
    canary = "{nginx.ingress.kubernetes.io/canary: 'true', nginx.ingress.kubernetes.io/canary-weight: '10'}"
    p = plan_on(_ingresses(_ingress("production", "production"), _ingress("canary", "canary", canary)), "nginx")
    reasons = {c.object: c.not_checkable for c in p.checks}
    assert reasons["Ingress canary"].startswith("Ingress canary is a canary Ingress")
    assert reasons["Ingress production"].startswith("a canary Ingress takes a share of shop.example.com")
    # the main Ingress alone routes as written
    p = plan_on(_ingresses(_ingress("production", "production")), "nginx")
    routed = [c for c in p.checks if c.kind == "routes"]
    assert routed and all(not c.not_checkable and c.rows for c in routed)
    assert routed[0].rows[0].response.backend == "production"
