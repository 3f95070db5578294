"""Article mode, planning without a cluster: identical snippets once,
versions as steps, wildcard hosts, routes no Gateway takes, gRPC and UDP
rows, the environment mapped (addresses, pools, sharing), cluster-scoped
classes, what the run supplies (echo pods of every mode, pools, renamed
objects), and ``python -m harness article --plan``."""

from __future__ import annotations

import json
import textwrap

import pytest

from harness.article import derive, extract, steps, supply
from harness.article.environment import Allocator, Environment
from harness.article.matching import covers, intersect
from harness.article.matrix import known_classes, matrix
from harness.checks.manifests import unique_host
from harness.lab.backends import UDP_WHOAMI

M = matrix()
K = known_classes()
ENV = Environment(pools=("exposure-harness",), addresses="10.9.0.10-10.9.0.14")


def one(md: str) -> extract.Snippet:
    (s,) = extract.extract(textwrap.dedent(md).strip("\n"))
    assert s.error is None, s.error
    return s


def plan(
    s: extract.Snippet, subject: str | None, alloc: Allocator | None = None, scope: str | None = None
) -> derive.Plan:
    return derive.plan(s, next((m for m in M if m.name == subject), None), M, K, alloc, scope=scope)


def rows(p: derive.Plan, kind: str) -> list[tuple]:
    return [
        (r.request.protocol, r.request.host, r.request.path, r.response.backend, r.response.reached)
        for c in p.checks
        if c.kind == kind
        for r in c.rows
    ]


# --------------------------------------------------------------------------
# the same object several times
# --------------------------------------------------------------------------

ROUTE = """\
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: foo-route
spec:
  parentRefs:
  - name: gw
  hostnames: [foo.example.com]
  rules:
  - backendRefs:
    - {{name: foo-v1, port: 8080, weight: {w1}}}
    - {{name: foo-v2, port: 8080, weight: {w2}}}
"""


def test_identical_tabs_are_checked_once_with_every_line_and_versions_become_steps():
    md = (
        f"```bash\ncat <<EOF | kubectl apply -f -\n{ROUTE.format(w1=90, w2=10)}EOF\n```\n\n"
        f"```yaml\n{ROUTE.format(w1=90, w2=10)}```\n\n"
        f"```yaml\n{ROUTE.format(w1=50, w2=50)}```\n\n"
        f"```yaml\n{ROUTE.format(w1=0, w2=1)}```\n"
    )
    found = steps.steps(extract.extract(md))
    assert [(st.snippet.line, st.lines, st.chain, st.step) for st in found] == [
        (3, [3, 19], 3, 1),
        (34, [34], 3, 2),
        (49, [49], 3, 3),
    ]
    assert found[1].updates == ["HTTPRoute foo-route"]
    weights = [
        next(c.weights for c in plan(st.planned, "envoy-gateway").checks if c.kind == "weights")
        if st.step < 3
        else None
        for st in found
    ]
    assert weights[:2] == [{"foo-v1": 90, "foo-v2": 10}, {"foo-v1": 50, "foo-v2": 50}]
    last = plan(found[2].planned, "envoy-gateway")
    assert rows(last, "routes") == [("http", "foo.example.com", "/", "foo-v2", True)]  # weight 0: only foo-v2


def test_a_chain_carries_the_objects_of_earlier_steps():
    gw = (
        "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata:\n  name: gw\nspec:\n"
        "  gatewayClassName: x\n  listeners: [{name: http, protocol: HTTP, port: 80}]\n"
    )
    md = f"```yaml\n{gw}---\n{ROUTE.format(w1=1, w2=0)}```\n\n```yaml\n{ROUTE.format(w1=0, w2=1)}```\n"
    first, second = steps.steps(extract.extract(md))
    assert second.state is not None and [d["kind"] for d in second.state.docs] == ["Gateway", "HTTPRoute"]
    assert second.state.doc_lines == [2, 25]  # each object's latest version
    assert not plan(second.planned, "envoy-gateway").gateways  # the chain's own Gateway, not a supplied one


# --------------------------------------------------------------------------
# wildcards
# --------------------------------------------------------------------------


def test_unique_hosts_keep_wildcards_valid_and_covering_what_they_covered():
    ns = "t-article-1a2b3"
    assert unique_host(ns, "*.example.com") == "*.example-1a2b3.com"
    assert unique_host(ns, "foo.example.com") == "foo.example-1a2b3.com"
    assert unique_host(ns, "example.com") == "example-1a2b3.com"
    assert unique_host(ns, "*.com") == "*.com-1a2b3" and unique_host(ns, "localhost") == "localhost-1a2b3"
    for pattern, name, covered in [
        ("*.example.com", "foo.example.com", True),
        ("*.example.com", "a.b.example.com", True),
        ("*.example.com", "example.com", False),
        ("*.apps.example.com", "x.apps.example.com", True),
    ]:
        assert covers(pattern, name) is covered
        assert covers(unique_host(ns, pattern), unique_host(ns, name)) is covered
    assert not covers("*.foo.com", "a.b.foo.com", one_label=True)
    assert intersect("foo.example.com", "*.example.com") == "foo.example.com"
    assert intersect("*.example.com", None) == "*.example.com"
    assert intersect("foo.other.com", "*.example.com") is False


WILD_INGRESS = """
```yaml
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: wild}
spec:
  tls: [{hosts: ["*.foo.com"], secretName: wild-tls}]
  rules:
  - host: "*.foo.com"
    http:
      paths: [{path: /foo, pathType: Prefix, backend: {service: {name: service2, port: {number: 80}}}}]
```
"""


def test_an_ingress_wildcard_is_probed_through_a_name_it_covers_and_one_it_does_not():
    p = plan(one(WILD_INGRESS), "traefik")
    assert rows(p, "wildcard") == [
        ("https", "article-check.foo.com", "/foo", "service2", True),
        ("https", "foo.com", "/foo", "service2", False),
    ]
    assert {r[1] for r in rows(p, "routes")} == {"article-check.foo.com"}
    (tls,) = [c for c in p.checks if c.kind == "tls"]
    assert (tls.rows[0].request.host, tls.rows[0].response.certificate) == ("article-check.foo.com", "wild-tls")
    assert {"*.foo.com", "article-check.foo.com", "foo.com"} <= set(p.hosts)
    assert [(s.name, s.hosts) for s in p.secrets] == [("wild-tls", ["*.foo.com"])]


def test_a_gateway_wildcard_listener_and_its_certificate():
    s = one(
        """
        ```yaml
        apiVersion: gateway.networking.k8s.io/v1
        kind: Gateway
        metadata: {name: gw}
        spec:
          gatewayClassName: cloud
          listeners:
          - {name: web, protocol: HTTPS, port: 443, hostname: "*.example.com", tls: {certificateRefs: [{name: wild}]}}
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata: {name: r}
        spec:
          parentRefs: [{name: gw}]
          hostnames: [shop.example.com, other.org]
          rules: [{backendRefs: [{name: app, port: 80}]}]
        ```
        """
    )
    p = plan(s, "envoy-gateway")
    assert rows(p, "routes") == [("https", "shop.example.com", "/", "app", True)]  # other.org meets no listener
    assert [(x.name, x.hosts) for x in p.secrets] == [("wild", ["*.example.com", "shop.example.com"])]
    _, objects = supply.localize(p, "t-x-9z9z9")
    assert objects[0]["spec"]["listeners"][0]["hostname"] == "*.example-9z9z9.com"
    assert objects[1]["spec"]["hostnames"] == ["shop.example-9z9z9.com", "other-9z9z9.org"]


# --------------------------------------------------------------------------
# routes no Gateway takes; cluster-scoped classes
# --------------------------------------------------------------------------


def test_a_route_with_no_parent_refs_is_known_not_to_hold():
    s = one("```yaml\n" + ROUTE.format(w1=1, w2=1).replace("  parentRefs:\n  - name: gw\n", "") + "```")
    (check,) = plan(s, "envoy-gateway").checks
    assert (check.kind, check.unmet) == (
        "attached",
        "the route has no parentRefs: no Gateway takes it, so none of its rules routes anything",
    )


def test_a_section_name_the_gateway_lacks_is_known_not_to_hold():
    s = one(
        """
        ```yaml
        apiVersion: gateway.networking.k8s.io/v1
        kind: Gateway
        metadata: {name: gw}
        spec: {gatewayClassName: x, listeners: [{name: http, protocol: HTTP, port: 80}]}
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata: {name: r}
        spec:
          parentRefs: [{name: gw, sectionName: https}]
          rules: [{backendRefs: [{name: app, port: 80}]}]
        ```
        """
    )
    (check,) = plan(s, "envoy-gateway").checks
    assert check.unmet == "Gateway gw has no listener https: the route is not accepted there"


def test_classes_the_snippet_defines_are_applied_under_unique_names_when_a_controller_serves_them():
    s = one(
        """
        ```yaml
        apiVersion: networking.k8s.io/v1
        kind: IngressClass
        metadata: {name: mine}
        spec: {controller: traefik.io/ingress-controller}
        ---
        apiVersion: networking.k8s.io/v1
        kind: Ingress
        metadata: {name: web}
        spec:
          ingressClassName: mine
          rules:
          - host: a.example.com
            http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: s, port: {number: 80}}}}]}
        ```
        """
    )
    assert derive.subjects(s, M, K) == (["traefik"], "")
    p = plan(s, "traefik")
    (co,) = p.cluster_objects
    assert (co.applied, co.subject) == (True, "traefik")
    assert p.objects[0]["spec"]["ingressClassName"] == "mine"  # not mapped: its own class serves it
    cluster, objects = supply.localize(p, "t-x-abcde")
    assert cluster[0]["metadata"]["name"] == "mine-abcde"
    assert objects[0]["spec"]["ingressClassName"] == "mine-abcde"
    assert objects[0]["spec"]["rules"][0]["host"] == "a.example-abcde.com"


def test_a_default_class_and_an_unknown_controllers_class_are_not_applied():
    s = one(
        """
        ```yaml
        apiVersion: networking.k8s.io/v1
        kind: IngressClass
        metadata:
          name: nginx-example
          annotations: {ingressclass.kubernetes.io/is-default-class: "true"}
        spec: {controller: k8s.io/ingress-nginx}
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: GatewayClass
        metadata: {name: cloud}
        spec: {controllerName: example.com/gateway}
        ```
        """
    )
    p = plan(s, None)
    assert [c.applied for c in p.cluster_objects] == [False, False]
    assert "default class" in p.not_applied[0] and "example.com/gateway is no controller" in p.not_applied[1]


def test_an_own_gateway_class_of_a_matrix_controller_is_checked_accepted():
    s = one(
        "```yaml\napiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata: {name: eg}\n"
        "spec: {controllerName: gateway.envoyproxy.io/gatewayclass-controller}\n```"
    )
    assert derive.subjects(s, M, K) == (["envoy-gateway"], "")
    (check,) = plan(s, "envoy-gateway").checks
    assert (check.kind, check.target) == ("class", "gatewayclass:eg")


# --------------------------------------------------------------------------
# gRPC and UDP
# --------------------------------------------------------------------------

GRPC = """
```yaml
apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: {name: g}
spec:
  parentRefs: [{name: gw}]
  hostnames: [grpc.example.com]
  rules:
  - matches:
    - method: {service: gateway_api_conformance.echo_basic.grpcecho.GrpcEcho, method: EchoTwo}
    backendRefs: [{name: two, port: 50051}]
  - matches:
    - headers: [{name: env, value: canary}]
    backendRefs: [{name: canary, port: 50051}]
  - matches:
    - method: {service: com.example.User, method: Login}
    backendRefs: [{name: users, port: 50051}]
  - backendRefs: [{name: main, port: 50051}]
```
"""


def test_grpc_matches_become_real_calls_through_the_route():
    p = plan(one(GRPC), "envoy-gateway")
    echo = "/gateway_api_conformance.echo_basic.grpcecho.GrpcEcho"
    by_text = {c.text.split(" -> ")[0]: c for c in p.checks}
    two = by_text[f"grpc.example.com {echo[1:]}/EchoTwo"]
    assert not two.not_checkable and two.claim == "gateway-grpcroute"
    assert [(r.request.path, r.response.backend, r.response.seen_path) for r in two.rows] == [
        (f"{echo}/EchoTwo", "two", f"{echo}/EchoTwo"),
        (f"{echo}/Echo", "main", f"{echo}/Echo"),  # the other method is not this rule's
    ]
    canary = by_text["grpc.example.com */* (headers {'env': 'canary'})"]
    assert [(dict(r.request.headers), r.response.backend) for r in canary.rows] == [
        ({"env": "canary"}, "canary"),
        ({}, "main"),
    ]
    login = by_text["grpc.example.com com.example.User/Login"]
    assert "serves only gateway_api_conformance.echo_basic.grpcecho.GrpcEcho" in login.not_checkable
    assert login.rows[0].request.path == "/com.example.User/Login"  # the call it would make, shown all the same
    need = next(b for b in p.backends if b.service == "two")
    assert [(x.port, x.mode) for x in need.ports] == [(50051, "grpc")]


def test_grpc_not_checkable_over_tls_or_without_reflection():
    tls = GRPC.replace("  parentRefs: [{name: gw}]", "  parentRefs: [{name: gw}]").replace(
        "```yaml\n",
        "```yaml\napiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: gw}\n"
        "spec: {gatewayClassName: x, listeners: [{name: s, protocol: HTTPS, port: 443, "
        "tls: {certificateRefs: [{name: c}]}}]}\n---\n",
    )
    p = plan(one(tls), "envoy-gateway")
    assert {c.not_checkable for c in p.checks if "EchoTwo" in c.text} == {
        "gRPC over TLS: the harness's gRPC probe speaks plaintext HTTP/2 only"
    }
    no_reflection = GRPC.replace("  - backendRefs: [{name: main, port: 50051}]\n", "")
    p = plan(one(no_reflection), "envoy-gateway")
    two = next(c for c in p.checks if "EchoTwo" in c.text)
    assert "routes no grpc.reflection.v1alpha.ServerReflection" in two.not_checkable


UDP = """
```yaml
apiVersion: gateway.networking.k8s.io/v1alpha2
kind: UDPRoute
metadata: {name: coredns}
spec:
  parentRefs: [{name: eg, sectionName: coredns}]
  rules: [{backendRefs: [{name: coredns, port: 53}]}]
```
"""


def test_a_udp_route_is_checked_by_a_datagram_where_the_subject_has_a_udp_listener():
    p = plan(one(UDP), "envoy-gateway")
    (check,) = p.checks
    (row,) = check.rows
    assert (check.kind, row.request.protocol, row.request.port, row.request.payload, row.response.backend) == (
        "udp-route",
        "udp",
        5353,
        UDP_WHOAMI,
        "coredns",
    )
    assert [(g.name, g.listeners) for g in p.gateways] == [("eg", [("coredns", "UDP", 5353)])]
    (need,) = p.backends
    assert [(x.port, x.target, x.protocol, x.mode) for x in need.ports] == [(53, 53, "UDP", "udp")]
    (traefik_check,) = plan(one(UDP), "traefik").checks
    assert traefik_check.not_checkable == "traefik has no UDP listener for a Gateway"


# --------------------------------------------------------------------------
# the environment
# --------------------------------------------------------------------------

SHARED = """
```yaml
apiVersion: v1
kind: Service
metadata:
  name: dns-tcp
  annotations: {metallb.io/allow-shared-ip: "key-1"}
spec:
  type: LoadBalancer
  loadBalancerIP: 1.2.3.4
  ports: [{name: dnstcp, protocol: TCP, port: 53, targetPort: 53}]
  selector: {app: dns}
---
apiVersion: v1
kind: Service
metadata:
  name: dns-udp
  annotations: {metallb.io/allow-shared-ip: "key-1"}
spec:
  type: LoadBalancer
  loadBalancerIP: 1.2.3.4
  ports: [{name: dnsudp, protocol: UDP, port: 53, targetPort: 53}]
  selector: {app: dns}
```
"""


def test_a_requested_address_and_a_sharing_key_are_mapped_and_sharing_checked():
    alloc = Allocator(ENV)
    p = plan(one(SHARED), None, alloc)
    assert p.mapped_addresses == {"1.2.3.4": "10.9.0.10"}
    assert [d["spec"]["loadBalancerIP"] for d in p.objects] == ["10.9.0.10", "10.9.0.10"]
    addresses = [c.address.address for c in p.checks if c.kind == "lb-address" and c.address]
    assert addresses == ["10.9.0.10", "10.9.0.10"]
    (shared,) = [c for c in p.checks if c.kind == "lb-shared"]
    assert shared.services == ["dns-tcp", "dns-udp"] and not shared.not_checkable
    # one pod set for the shared selector: CoreDNS answers UDP 53 and TCP 53
    tcp_need, udp_need = p.backends
    assert (udp_need.pods_from, [x.mode for x in tcp_need.pod_ports]) == ("dns-tcp", ["dns-tcp", "udp"])
    _, objects = supply.localize(p, "t-x-qqqqq")
    assert {d["metadata"]["annotations"]["metallb.io/allow-shared-ip"] for d in objects} == {"key-1-qqqqq"}
    # another test of the same run gets another address
    other = plan(one(SHARED.replace("dns-tcp", "b-tcp").replace("dns-udp", "b-udp")), None, alloc, scope="L40")
    assert other.mapped_addresses == {"1.2.3.4": "10.9.0.11"}


def test_a_named_pool_the_run_lacks_is_made_and_one_it_has_is_kept():
    svc = (
        "```yaml\napiVersion: v1\nkind: Service\nmetadata:\n  name: nginx\n  annotations:\n"
        "    metallb.io/address-pool: {}\nspec:\n  type: LoadBalancer\n  selector: {{app: nginx}}\n"
        "  ports: [{{port: 80}}]\n```"
    )
    alloc = Allocator(ENV)
    p = plan(one(svc.format("production-public-ips")), None, alloc)
    assert [(x.name, x.addresses) for x in p.pools] == [("production-public-ips", ["10.9.0.10", "10.9.0.11"])]
    (address,) = [c for c in p.checks if c.kind == "lb-address"]
    assert address.address is not None and address.address.among == ("10.9.0.10", "10.9.0.11")
    (pool_doc, l2) = supply.pool_objects(p.pools[0], "t-x-ppppp")
    assert pool_doc["metadata"]["name"] == "production-public-ips-ppppp" and pool_doc["spec"]["autoAssign"] is False
    _, objects = supply.localize(p, "t-x-ppppp")
    assert objects[0]["metadata"]["annotations"]["metallb.io/address-pool"] == "production-public-ips-ppppp"
    kept = plan(one(svc.format("exposure-harness")), None, alloc)
    assert not kept.pools and kept.checks[0].address is not None and kept.checks[0].address.pool == "exposure-harness"


def test_without_an_environment_or_with_it_exhausted_the_address_is_not_checkable():
    (address, *_) = plan(one(SHARED), None, None).checks
    assert address.not_checkable.startswith("it requests 1.2.3.4: no environment was given")
    alloc = Allocator(Environment(pools=("p",), addresses="10.9.0.10-10.9.0.10"))
    plan(one(SHARED), None, alloc)
    (address, *_) = plan(one(SHARED.replace("dns-", "x-")), None, alloc, scope="L40").checks
    assert "has 0 address(es) left" in address.not_checkable


# --------------------------------------------------------------------------
# fields of the wrong shape
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "yaml_text, reason",
    [
        (
            "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {selector: {app: s}, ports: [{port: http}]}",
            "Service s: spec.ports[0].port is 'http', the API wants a number",
        ),
        (
            "apiVersion: v1\nkind: Service\nmetadata: {name: s, annotations: {a: true}}\nspec: {selector: {app: s}}",
            "Service s: metadata.annotations.a is a boolean, the API wants a string (quote it)",
        ),
        (
            "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {selector: x}",
            "Service s: spec.selector is 'x', the API wants a mapping",
        ),
        (
            "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: i}\nspec: {rules: [null]}",
            "Ingress i: spec.rules[0] is empty (null)",
        ),
        (
            "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: r}\n"
            "spec: {rules: [{backendRefs: [{name: a, port: eighty}]}]}",
            "HTTPRoute r: spec.rules[0].backendRefs[0].port is 'eighty', the API wants a number",
        ),
        (
            "apiVersion: networking.k8s.io/v1beta1\nkind: Ingress\nmetadata: {name: old}\nspec: {}",
            "Ingress old: apiVersion networking.k8s.io/v1beta1 is not served by this Kubernetes (removed); "
            "the kind is networking.k8s.io/v1",
        ),
        (
            "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: r}\nspec: {hostnames: [7]}",
            "HTTPRoute r: spec.hostnames[0] is a number, the API wants a string (quote it)",
        ),
    ],
)
def test_a_field_of_the_wrong_shape_makes_a_bad_snippet_not_a_crash(yaml_text, reason):
    (s,) = extract.extract(f"```yaml\n{yaml_text}\n```")
    assert derive.bad_snippet(s) == reason


# --------------------------------------------------------------------------
# what the run supplies
# --------------------------------------------------------------------------


def test_grpc_and_udp_echo_pods():
    grpc_need = derive.BackendNeed("g", {"app": "g"}, [derive.PortNeed(50051, None, 50051, "TCP", "grpc")], True)
    deploy, svc = supply.echo_objects(grpc_need)
    (c,) = deploy["spec"]["template"]["spec"]["containers"]
    env = {e["name"]: e.get("value") for e in c["env"]}
    assert (env["GRPC_ECHO_SERVER"], env["HTTP_PORT"], c["ports"][0]["containerPort"]) == ("1", "50051", 50051)
    dns = derive.BackendNeed(
        "dns",
        {"app": "dns"},
        [derive.PortNeed(53, "t", 53, "TCP", "dns-tcp"), derive.PortNeed(53, "u", 53, "UDP", "udp")],
        False,
    )
    config, deploy = supply.echo_objects(dns)
    assert ".:53 {" in config["data"]["Corefile"] and "pod={$POD_NAME}" in config["data"]["Corefile"]
    pod = deploy["spec"]["template"]["spec"]
    (coredns,) = pod["containers"]
    assert [(x["containerPort"], x["protocol"]) for x in coredns["ports"]] == [(53, "UDP"), (53, "TCP")]
    assert pod["securityContext"]["sysctls"] == [{"name": "net.ipv4.ip_unprivileged_port_start", "value": "0"}]
    assert supply.echo_objects(derive.BackendNeed("other", {"app": "dns"}, dns.ports, False, pods_from="dns")) == []


# --------------------------------------------------------------------------
# the command line
# --------------------------------------------------------------------------


def test_cli_plan_prints_json_of_the_documented_schema_and_creates_nothing(tmp_path, capsys):
    from harness.__main__ import main

    page = tmp_path / "a.md"
    page.write_text(
        f"# t\n{UDP}\n```bash\nkubectl create deployment web --image=nginx\n"
        "kubectl scale deploy web --replicas=2\n```\n"
    )
    assert main(["article", "--plan", str(page), "--json", "--controllers=envoy-gateway"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["schema"] == "exposure-harness/article-plan/v1"
    assert doc["summary"]["snippets"] == 2 and doc["summary"]["checks"] == {"udp-route": 1}
    assert doc["summary"]["commands not checked"] == 1
    first = doc["snippets"][0]
    lines = page.read_text().splitlines()
    at = lines.index("apiVersion: gateway.networking.k8s.io/v1alpha2") + 1
    assert (first["line"], first["origin"], first["objects"]) == (
        at,
        "fenced",
        [{"kind": "UDPRoute", "name": "coredns", "line": at}],
    )
    (check,) = first["plans"][0]["checks"]
    assert check["rows"][0]["request"]["payload_hex"] == UDP_WHOAMI.hex()
    assert doc["commands"] == [
        {
            "line": lines.index("kubectl scale deploy web --replicas=2") + 1,
            "command": "kubectl scale deploy web --replicas=2",
            "reason": "kubectl scale: the harness does not turn this command into objects",
        }
    ]
    assert main(["article", "--plan", str(page)]) == 0
    text = capsys.readouterr().out
    assert f"line {at}: fenced: UDPRoute coredns" in text and "nothing is created" in text


def test_cli_plan_of_several_articles_is_a_json_list(tmp_path, capsys):
    from harness.__main__ import main

    a, b = tmp_path / "a.md", tmp_path / "b.md"
    a.write_text(UDP)
    b.write_text("prose only\n")
    assert main(["article", "--plan", str(a), str(b), "--json"]) == 0
    docs = json.loads(capsys.readouterr().out)
    assert [d["summary"]["snippets"] for d in docs] == [1, 0]
    assert docs[1]["problems"][0]["message"].startswith("no YAML in the article")


def test_cli_plan_bad_input_is_one_line(tmp_path, capsys):
    from harness.__main__ import main

    assert main(["article", "--plan", str(tmp_path / "none.md")]) == 2
    assert capsys.readouterr().err == f"harness article: {tmp_path / 'none.md'}: no such file\n"
    page = tmp_path / "a.md"
    page.write_text("x")
    assert main(["article", "--plan", str(page), "--include-root", str(tmp_path / "nope")]) == 2
    assert capsys.readouterr().err.startswith("harness article: --include-root")
    assert main(["article", "--plan", str(page), "--controllers=bogus"]) == 2


@pytest.mark.parametrize("controllers", [None, ["traefik"]])
def test_the_matrix_describes_controllers_classes_and_listeners(controllers):
    subjects = matrix(controllers)
    traefik = next(s for s in subjects if s.name == "traefik")
    assert traefik.ingress_controller == "traefik.io/ingress-controller"
    assert traefik.gateway_ports is not None and "UDP" not in traefik.gateway_ports


# --------------------------------------------------------------------------
# no input, however odd, crashes extraction or planning
# --------------------------------------------------------------------------

_ODD_VALUES = [None, "x", 7, [], {}, [1], {"a": 1}, "*.x.com", -1, True, [{"name": None}], "", [None]]
_SHELL_BITS = [
    "echo", "'", '"', "\\", "<<", "<<-", "EOF", "'EOF'", "|", "kubectl", "apply", "-f", "-", "$", "$(", ")", "`",
    "#", ";", "&&", "\n", "\n", "apiVersion: v1", "kind: Service", "metadata:", "  name: x", "---", "```",
    "```bash", "```yaml", "~~~", '{{< codenew file="x" >}}', "{% include '../x' %}", '--8<-- "a"', "$ ", "> ",
    "cat", ">", "x.yaml", "printf", "%s", "%d", "<<<", "kubectl create ingress i --rule=a/b*=s:80,tls",
    "kubectl expose deploy x --port=a", "\t", 'apiVersion: v1 kind: Service metadata: name: "x',
]  # fmt: skip


def _mutate(node, rnd) -> None:
    if isinstance(node, dict) and node:
        k = rnd.choice(list(node))
        if rnd.random() < 0.4:
            node[k] = rnd.choice(_ODD_VALUES)
        else:
            _mutate(node[k], rnd)
    elif isinstance(node, list) and node:
        i = rnd.randrange(len(node))
        if rnd.random() < 0.4:
            node[i] = rnd.choice(_ODD_VALUES)
        else:
            _mutate(node[i], rnd)


def test_odd_markdown_and_ill_typed_objects_never_crash():
    import copy
    import random
    from pathlib import Path

    rnd = random.Random(20260821)
    for _ in range(1500):
        extract.scan(" ".join(rnd.choice(_SHELL_BITS) for _ in range(rnd.randint(1, 60))))
    real = Path(__file__).parent / "data" / "articles" / "real"
    base = [
        s
        for page in sorted(real.rglob("*.md"))
        for s in extract.scan_file(page, real / page.relative_to(real).parts[0]).snippets
        if not s.error and s.docs
    ]
    alloc = Allocator(Environment(("p",), "10.0.0.1-10.0.0.250"))
    planned = 0
    for n in range(1500):
        s = copy.deepcopy(rnd.choice(base))
        for _ in range(rnd.randint(1, 3)):
            _mutate(rnd.choice(s.docs), rnd)
        extract._check_objects(s)
        if derive.bad_snippet(s):
            continue
        for name in derive.subjects(s, M, K)[0]:
            derive.plan(s, next((m for m in M if m.name == name), None), M, K, alloc, scope=f"L{n}")
            planned += 1
    assert planned > 500  # most mutations still make objects the harness plans
