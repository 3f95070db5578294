"""Performance: L4 straight through a LoadBalancer Service against L7
through each controller, same pods, same client, on this run's cluster.

> Ingress performs L7 inspection and TLS termination, adding flexibility
> with small overhead. ... Cons: L7 adds some latency.

What is measured: the echo pods behind their own type LoadBalancer Service
(MetalLB, L4) and behind the controller's Ingress (HTTP, and HTTPS
terminated at the controller); one keep-alive connection per path, 200 GETs
after 20 discarded. "Small" is the threshold in harness/claims.yaml
(performance-l4-vs-l7). These are one machine's numbers through MetalLB's L2
mode: cloud load balancers differ (performance-cloud stays not checkable).
"""

from __future__ import annotations

import pytest

from harness import claims
from harness.checks import latency
from harness.checks.expect import Expectation, Request, Response, Scene, verify
from harness.checks.manifests import load_manifest, rename_hosts, unique_host
from harness.lab.backends import deploy_echo, tls_secret
from harness.results.model import Latency

HOST = "bench.example.com"  # TLS at the controller
HTTP_HOST = "bench-http.example.com"  # no tls section: plain HTTP is answered, not redirected
PAIRED = "l7_http_minus_l4_paired_median_ms"
THRESHOLD_MS = float(claims.get("performance-l4-vs-l7").threshold["p50_overhead_ms"])
_MEASURED: dict[str, Latency] = {}  # controller -> measurement (one per controller and process)


def _measure(controller, kube, ns, run_ca, timeouts, evidence) -> Latency:
    if controller.name in _MEASURED:
        evidence.add("latency", _MEASURED[controller.name])
        return _MEASURED[controller.name]
    host, http_host = unique_host(ns, HOST), unique_host(ns, HTTP_HOST)
    backends = deploy_echo(kube, ns, "echo", service_type="LoadBalancer")
    tls_secret(kube, ns, "bench-tls", run_ca.issue_cert(host))
    docs = load_manifest("performance/echo-ingress.yaml", ingress_class=controller.ingress_class)
    kube.apply(rename_hosts(docs, {HOST: host, HTTP_HOST: http_host}), namespace=ns)
    l4 = kube.wait_load_balancer(ns, "echo")
    paths = [  # (path, the host it is asked for)
        (latency.Path("L4 LoadBalancer Service, HTTP", l4, 80), HTTP_HOST),
        (latency.Path(f"L7 {controller.name}, HTTP", controller.address, 80), HTTP_HOST),
        (latency.Path(f"L7 {controller.name}, HTTPS terminated", controller.address, 443, https=True), HOST),
    ]
    scene = Scene(
        address="",
        timeouts=timeouts,
        backends={"echo": backends["echo"].pods},
        hosts={HOST: host, HTTP_HOST: http_host},
        ca_pem=run_ca.cert_pem.bytes(),
    )
    for p, name in paths:  # each path routes before it is timed
        request = Request("https" if p.https else "http", name, address=p.address, port=p.port)
        verify(Expectation(request, Response(backend="echo"), label=f"{p.label} routes"), scene, evidence)
    rounds = latency.measure_rounds([(p, scene.hosts[name]) for p, name in paths], ca_pem=run_ca.cert_pem.bytes())
    summaries = [latency.summarise(p.label, t) for (p, _), t in zip(paths, rounds, strict=True)]
    result = latency.measurement(
        controller.name,
        summaries,
        {
            "method": f"one keep-alive connection per path, {latency.REQUESTS} rounds after {latency.WARMUP} "
            "discarded, one GET per path per round (interleaved)",
            PAIRED: latency.paired_median_difference(rounds[1], rounds[0]),
            "threshold_p50_overhead_ms": THRESHOLD_MS,
        },
    )
    _MEASURED[controller.name] = result
    evidence.add("latency", result)
    return result


def _line(result: Latency) -> str:
    return "; ".join(
        f"{p.label}: p50 {p.p50_ms:.2f} ms (x{p.p50_ratio}), p99 {p.p99_ms:.2f} ms, {p.requests_per_second:.0f} req/s"
        for p in result.paths
    )


@pytest.mark.claim("performance-l4-vs-l7")
def test_l7_overhead_against_l4(controller, kube, ns, run_ca, timeouts, evidence):
    result = _measure(controller, kube, ns, run_ca, timeouts, evidence)
    evidence.note(f"measured on this run's kind cluster (MetalLB L2), not a cloud's load balancers: {_line(result)}")
    over = [p for p in result.paths[1:] if p.p50_overhead_ms > THRESHOLD_MS]
    with evidence.check(f"L7 p50 at most {THRESHOLD_MS:g} ms above L4 on {controller.name}"):
        assert not over, (
            "L7 overhead above the catalog's threshold (p50 at most "
            f"{THRESHOLD_MS:g} ms above L4): " + ", ".join(f"{p.label} +{p.p50_overhead_ms:.2f} ms" for p in over)
        )


@pytest.mark.claim("cons-l7-latency")
def test_l7_adds_some_latency(controller, kube, ns, run_ca, timeouts, evidence):
    result = _measure(controller, kube, ns, run_ca, timeouts, evidence)
    l4, l7_http = result.paths[0], result.paths[1]
    paired = result.details[PAIRED]
    evidence.note(f"{l7_http.label} minus L4, request by request in the same rounds: median {paired:+.3f} ms")
    with evidence.check(f"{l7_http.label} slower than L4, request by request"):
        assert paired > 0, (
            f"{l7_http.label} was not slower than L4 in the same rounds (median paired difference {paired:+.3f} ms; "
            f"p50 {l7_http.p50_ms:.2f} vs {l4.p50_ms:.2f} ms)"
        )
