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
from harness.checks.expect import applied, verify
from harness.checks.manifests import load_manifest, rename_hosts, unique_host
from harness.checks.rows import Expectation, Request, Response, Scene
from harness.lab.backends import deploy_echo, rsa_cert, tls_secret
from harness.results.model import Latency

HOST = "bench.example.com"  # TLS at the controller
HTTP_HOST = "bench-http.example.com"  # no tls section: plain HTTP is answered, not redirected
PAIRED = "l7_http_minus_l4_paired_median_ms"
THRESHOLD_MS = float(claims.get("performance-l4-vs-l7").threshold["p50_overhead_ms"])
THRESHOLD_P99_MS = float(claims.get("performance-l4-vs-l7").threshold["p99_overhead_ms"])
THRESHOLD_NEW_MS = float(claims.get("performance-l4-vs-l7").threshold["new_connection_p50_overhead_ms"])
BASELINES = [0, 1, 0, 0, 1]  # each path's L4 path of the same kind (keep-alive, new connection)
# A threshold breach must reproduce: a breach is measured again, up to this many measurements in all, and the claim
# does not hold only when every one of them breaches (one scheduling hiccup of a loaded machine is not the proxy).
MEASUREMENTS = 3
_MEASURED: dict[tuple[str, str], Latency] = {}  # (controller, mutant) -> measurement (one each per process)
_TIMED: dict[tuple[str, str], tuple[list, bytes]] = {}  # (controller, mutant) -> the timed paths and the CA


def _measure(controller, kube, ns, run_ca, timeouts, evidence) -> Latency:
    key = (controller.name, evidence.mutant.name if evidence.mutant else "")
    if key in _MEASURED:
        evidence.add("latency", _MEASURED[key])
        return _MEASURED[key]
    host, http_host = unique_host(ns, HOST), unique_host(ns, HTTP_HOST)
    backends = deploy_echo(kube, ns, "echo", service_type="LoadBalancer")
    tls_secret(kube, ns, "bench-tls", run_ca.issue_cert(host))
    if evidence.mutant is not None:  # a mutant may name it: the same certificate with a costly 8192-bit RSA key
        tls_secret(kube, ns, "bench-tls-rsa-8192", rsa_cert(run_ca, host, 8192))
    docs = load_manifest("performance/echo-ingress.yaml", ingress_class=controller.ingress_class)
    applied(kube, rename_hosts(docs, {HOST: host, HTTP_HOST: http_host}), evidence, namespace=ns)
    l4 = kube.wait_load_balancer(ns, "echo")
    paths = [  # (path, the host it is asked for); the first two are the baselines (BASELINES)
        (latency.Path("L4 LoadBalancer Service, HTTP", l4, 80), HTTP_HOST),
        (latency.Path("L4 LoadBalancer Service, HTTP, new connection", l4, 80, new_connection=True), HTTP_HOST),
        (latency.Path(f"L7 {controller.name}, HTTP", controller.address, 80), HTTP_HOST),
        (latency.Path(f"L7 {controller.name}, HTTPS terminated", controller.address, 443, https=True), HOST),
        (
            latency.Path(
                f"L7 {controller.name}, HTTPS terminated, new connection",
                controller.address,
                443,
                https=True,
                new_connection=True,
            ),
            HOST,
        ),
    ]
    scene = Scene(
        address="",
        timeouts=timeouts,
        namespaces=(ns,),
        backends={"echo": backends["echo"].pods},
        hosts={HOST: host, HTTP_HOST: http_host},
        ca_pem=run_ca.cert_pem.bytes(),
    )
    for p, name in paths:  # each path routes before it is timed
        request = Request("https" if p.https else "http", name, address=p.address, port=p.port)
        verify(Expectation(request, Response(backend="echo"), label=f"{p.label} routes"), scene, evidence)
    timed = [(p, scene.hosts[name]) for p, name in paths]
    _TIMED[key] = (timed, run_ca.cert_pem.bytes())
    result = _time(controller.name, timed, run_ca.cert_pem.bytes())
    _MEASURED[key] = result
    evidence.add("latency", result)
    return result


def _time(controller: str, timed: list, ca_pem: bytes) -> Latency:
    """One measurement: interleaved rounds over every path, summarised against the L4 path of each one's kind."""
    paths = [p for p, _ in timed]
    rounds = latency.measure_rounds(timed, ca_pem=ca_pem)
    summaries = [latency.summarise(p.label, t) for p, t in zip(paths, rounds, strict=True)]
    return latency.measurement(
        controller,
        summaries,
        {
            "method": f"{latency.REQUESTS} rounds after {latency.WARMUP} discarded, one GET per path per round "
            "(interleaved); keep-alive paths on one connection each, new-connection paths with a TCP (and TLS) "
            "handshake per request, each against the L4 path of its kind",
            PAIRED: latency.paired_median_difference(rounds[2], rounds[0]),
            "threshold_p50_overhead_ms": THRESHOLD_MS,
            "threshold_new_connection_p50_overhead_ms": THRESHOLD_NEW_MS,
            "threshold_p99_overhead_ms": THRESHOLD_P99_MS,
        },
        baselines=BASELINES,
    )


def _over(result: Latency) -> list[str]:
    """Each threshold of the catalog one L7 path of this measurement is over, said with the number."""
    l7 = [(p, result.paths[b]) for p, b in zip(result.paths, BASELINES, strict=True) if p.label.startswith("L7")]
    over = [
        f"{p.label} p50 +{p.p50_overhead_ms:.2f} ms"
        for p, _ in l7
        if p.p50_overhead_ms > (THRESHOLD_NEW_MS if "new connection" in p.label else THRESHOLD_MS)
    ]
    return over + [
        f"{p.label} p99 +{p.p99_ms - base.p99_ms:.2f} ms" for p, base in l7 if p.p99_ms - base.p99_ms > THRESHOLD_P99_MS
    ]


def _line(result: Latency) -> str:
    return "; ".join(
        f"{p.label}: p50 {p.p50_ms:.2f} ms (x{p.p50_ratio}), p99 {p.p99_ms:.2f} ms, {p.requests_per_second:.0f} req/s"
        for p in result.paths
    )


@pytest.mark.claim("performance-l4-vs-l7")
def test_l7_overhead_against_l4(controller, kube, ns, run_ca, timeouts, evidence):
    result = _measure(controller, kube, ns, run_ca, timeouts, evidence)
    evidence.note(f"measured on this run's kind cluster (MetalLB L2), not a cloud's load balancers: {_line(result)}")
    over = _over(result)
    key = (controller.name, evidence.mutant.name if evidence.mutant else "")
    for n in range(2, MEASUREMENTS + 1):
        if not over:
            break
        evidence.note(f"measurement {n - 1} breached ({', '.join(over)}): measured again, {n} of {MEASUREMENTS}")
        timed, ca_pem = _TIMED[key]
        again = _time(controller.name, timed, ca_pem)
        evidence.add(f"latency, measurement {n}", again)
        evidence.note(f"measurement {n}: {_line(again)}")
        over = _over(again)
        if over:
            over = (
                [f"{x} (every one of {n} measurements over a threshold)" for x in over] if n == MEASUREMENTS else over
            )
    with evidence.check(
        f"L7 at most {THRESHOLD_MS:g} ms (p50; {THRESHOLD_NEW_MS:g} ms with a new connection each) and "
        f"{THRESHOLD_P99_MS:g} ms (p99) above L4 on {controller.name}"
    ):
        assert not over, "L7 overhead above the catalog's thresholds: " + ", ".join(over)


@pytest.mark.claim("cons-l7-latency")
def test_l7_adds_some_latency(controller, kube, ns, run_ca, timeouts, evidence):
    result = _measure(controller, kube, ns, run_ca, timeouts, evidence)
    l4, l7_http = result.paths[0], result.paths[2]
    paired = result.details[PAIRED]
    evidence.note(f"{l7_http.label} minus L4, request by request in the same rounds: median {paired:+.3f} ms")
    with evidence.check(f"{l7_http.label} slower than L4, request by request"):
        assert paired > 0, (
            f"{l7_http.label} was not slower than L4 in the same rounds (median paired difference {paired:+.3f} ms; "
            f"p50 {l7_http.p50_ms:.2f} vs {l4.p50_ms:.2f} ms)"
        )
