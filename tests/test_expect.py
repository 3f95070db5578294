"""The expectation type against real things: a real Traefik (HTTP, HTTPS by
SNI, a redirect, TCP and UDP routers), a TLS server that terminates TLS
itself, and closed ports. Every row goes through the consistency rule."""

from __future__ import annotations

import socket
from dataclasses import replace

import pytest

from harness.checks.consistency import WaitTimedOut
from harness.checks.expect import throughout, verify, verify_all
from harness.checks.rows import (
    DEFAULT_CERTIFICATE,
    GRPC_UNIMPLEMENTED,
    Expectation,
    Request,
    Response,
    Scene,
    describe,
    grpc,
    http,
    https,
    label,
)
from harness.checks.timeouts import Timeouts
from harness.lab.backends import cert_sha256
from harness.results.errors import CheckFailed
from harness.results.model import FailureKind, Transcript, Verdict
from harness.results.recorder import Recorder

BACKENDS = {
    "api-svc": ["api-svc-pod"],
    "frontend-svc": ["frontend-svc-pod"],
    "blog-svc": ["blog-pod"],
    "tcp-app": ["tcp-app-pod"],
}
# rows name the guide's hosts; the scene maps them to what this "test" uses
HOSTS = {"shop.guide": "shop.example.com", "blog.guide": "blog.example.com", "old.guide": "old.example.com"}

ROUTES = [
    http(
        "shop.guide", "/api/users", backend="api-svc", seen_path="/"
    ),  # the ReplacePath rewrite, as the backend saw it
    http("shop.guide", "/cart", backend="frontend-svc", seen_path="/cart", seen_headers={"Host": "shop.example.com"}),
    http("blog.guide", "/", backend="blog-svc"),
    http("nobody.example.com", "/", status=404),
]


def transcripts(rec: Recorder) -> list[tuple[str, Transcript]]:
    """(label, transcript) of each check the recorder judged."""
    return [(c.label, e.transcript) for c in rec.checks for e in c.evidence if e.transcript is not None]


@pytest.fixture
def scene(traefik, ca, fast_timeouts) -> Scene:
    return Scene(
        address="127.0.0.1",
        timeouts=fast_timeouts,
        backends=BACKENDS,
        hosts=HOSTS,
        certificates={
            "shop-tls": cert_sha256(traefik["certs"]["shop"]),
            "blog-tls": cert_sha256(traefik["certs"]["blog"]),
        },
        ca_pem=ca.cert_pem.bytes(),
        default_certificate_cn="TRAEFIK DEFAULT CERT",
        subject="traefik",
    )


def on(port: int, exp: Expectation) -> Expectation:
    """The row sent to ``port`` (Traefik listens on free ports, not 80/443)."""
    return replace(exp, request=replace(exp.request, port=port))


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # closed once we leave: nothing listens


def quick(scene: Scene) -> Scene:
    """The scene with a short consistency deadline, for rows that must fail."""
    return replace(scene, timeouts=scene.timeouts.scaled(0.05))


def test_a_table_of_routes_holds_with_transcripts(traefik, scene):
    rec = Recorder()
    seen = verify_all([on(traefik["http"], r) for r in ROUTES], scene, rec)
    assert [s.status for s in seen] == [200, 200, 200, 404]
    assert seen[0].echo["path"] == "/" and seen[0].echo["pod"] == "api-svc-pod"
    assert [c.verdict for c in rec.checks] == [Verdict.HOLDS] * 4
    labels = [lbl for lbl, _ in transcripts(rec)]
    assert labels == [
        "shop.example.com/api/users -> api-svc",
        "shop.example.com/cart -> frontend-svc",
        "blog.example.com/ -> blog-svc",
        "nobody.example.com/ -> 404",
    ]
    transcript = transcripts(rec)[0][1]
    assert transcript.check.startswith("traefik: GET http://shop.example.com/api/users at 127.0.0.1:")
    assert transcript.attempts == 3 and transcript.failures == 0
    assert transcript.last[-1].detail["echo"]["pod"] == "api-svc-pod"


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (
            http("shop.guide", "/api/users", backend="frontend-svc"),
            "answered by api-svc-pod, wanted a pod of frontend-svc",
        ),
        (http("shop.guide", "/api/users", backend="api-svc", seen_path="/api/users"), "the backend saw path '/'"),
        (http("blog.guide", "/", status=201), "status 200, wanted 201"),
        (http("blog.guide", "/", backend="blog-svc", seen_headers={"X-Forwarded-Proto": "https"}), "X-Forwarded-Proto"),
    ],
)
def test_a_row_that_does_not_match_fails_with_what_was_seen(traefik, scene, row, message):
    rec = Recorder(("ingress-host-path-routing",))
    with pytest.raises(CheckFailed) as info:
        verify(on(traefik["http"], row), quick(scene), rec)
    failed = info.value.failed
    assert message in failed.seen.text and message in failed.reason
    assert failed.seen.status == 200 and failed.seen.pod in ("api-svc-pod", "blog-pod")
    assert failed.transcript is not None and failed.transcript.failures >= 1
    assert failed.claims == ("ingress-host-path-routing",)
    (check,) = rec.checks
    assert check.verdict is Verdict.DOES_NOT_HOLD and check.failed is failed
    # without a recorder nothing judges it: the wait that ran out is all there is
    with pytest.raises(WaitTimedOut):
        verify(on(traefik["http"], row), quick(scene))


def test_a_wrong_backend_before_the_streak_fails_the_check(backends, fast_timeouts):
    """A 200 from another Service seen once, then the right one three times
    in a row: the misroute is not forgotten (the Gateway API conformance
    rule); within a settle window after an update it is tolerated."""
    api = backends["api-svc-pod"]
    scene = Scene(address="127.0.0.1", timeouts=fast_timeouts, backends={"api-svc": ["api-svc-pod"]})
    row = Expectation(Request("http", "shop.example.com", "/api", port=api.port), Response(backend="api-svc"))
    api.answer_as("frontend-svc-pod", "api-svc-pod")
    rec = Recorder()
    with pytest.raises(CheckFailed) as info:
        verify(row, scene, rec)
    failed = info.value.failed
    assert failed.kind is FailureKind.MISROUTE
    assert failed.seen.pod == "frontend-svc-pod" and [m.pod for m in failed.misroutes] == ["frontend-svc-pod"]
    assert failed.transcript is not None and failed.transcript.attempts == 1  # failed at once, no streak waited for
    # the same after an update, with a settle window: the old backend answering first is tolerated
    api.answer_as("frontend-svc-pod", "api-svc-pod")
    assert verify(row, scene, Recorder(), settle=30).echo["pod"] == "api-svc-pod"
    api.answer_as("api-svc-pod")


def test_another_test_s_backend_answering_is_not_yet_and_then_the_harness_s_error(backends, fast_timeouts):
    """An echo pod of a namespace the test did not make answering (another
    test's class-wide catch-all, seen in CI on traefik-nginx beside the
    Ingress features on nginx) is not a misroute of this test's objects: it
    reads "not yet" while the route converges, and if it lasts (whatever the
    row wanted, a 200 of the right backend or a 404) it is the harness's
    Interference error, never "does not hold"."""
    from harness.checks.consistency import Interference

    api = backends["api-svc-pod"]
    scene = Scene(
        address="127.0.0.1", timeouts=fast_timeouts, backends={"api-svc": ["api-svc-pod"]}, namespaces=("unit",)
    )
    row = Expectation(Request("http", "shop.example.com", "/api", port=api.port), Response(backend="api-svc"))
    catch_all = "conf-nginx-default-backend-1a2b3/echo-service-6c7fd7c475-5n8gs"
    try:
        api.answer_as(catch_all, catch_all, "api-svc-pod")
        rec = Recorder()
        assert verify(row, scene, rec).echo["pod"] == "api-svc-pod"
        (check,) = rec.checks
        assert check.verdict is Verdict.HOLDS
        ((_, transcript),) = transcripts(rec)
        attempts = transcript.last
        assert [a.ok for a in attempts] == [False, False, True, True, True]
        assert "of namespace conf-nginx-default-backend-1a2b3, which this test did not make" in attempts[0].detail
        # a namespace made for a role of the test ("<ns>-infra") is the test's own: a pod there is a misroute
        api.answer_as("unit-infra/frontend-svc-pod")
        with pytest.raises(CheckFailed) as info:
            verify(row, scene, Recorder())
        assert info.value.failed.kind is FailureKind.MISROUTE
        # the catch-all answering to the deadline: the harness's error, for a 200 row and a 404 row alike
        short = replace(scene, timeouts=replace(fast_timeouts, consistency=1.5))
        api.answer_as(catch_all)
        for wanted in (row, Expectation(row.request, Response(status=404))):
            rec = Recorder()
            with pytest.raises(Interference, match="echo-service-6c7fd7c475-5n8gs of namespace conf-nginx"):
                verify(wanted, short, rec)
            assert not any(c.verdict is Verdict.DOES_NOT_HOLD for c in rec.checks)
        # in a window that must keep holding, the same: an error at once, not a refutation
        with pytest.raises(Interference, match="during the 1s window"):
            throughout(row, short, Recorder())
        # a scene that does not know its namespaces judges as before: another pod is a misroute
        with pytest.raises(CheckFailed) as info:
            verify(row, replace(scene, namespaces=()), Recorder())
        assert info.value.failed.kind is FailureKind.MISROUTE
    finally:
        api.answer_as("api-svc-pod")


def test_https_certificate_by_fingerprint_and_plain_http_behind(traefik, scene):
    r = verify(
        on(
            traefik["https"],
            https(
                "shop.guide",
                "/",
                backend="frontend-svc",
                certificate="shop-tls",
                backend_tls=False,
                seen_headers={"X-Forwarded-Proto": "https"},
            ),
        ),
        scene,
    )
    assert r.certificate.names() == {"shop.example.com"}
    # the same address, the other name: its own certificate, given as a bare fingerprint
    blog_sha = cert_sha256(traefik["certs"]["blog"])
    verify(on(traefik["https"], https("blog.guide", "/", backend="blog-svc", certificate=blog_sha)), scene)
    wrong = on(traefik["https"], https("shop.guide", "/", certificate="blog-tls"))
    with pytest.raises(WaitTimedOut, match="not the certificate blog-tls"):
        verify(wrong, quick(scene))


def test_default_certificate_for_a_name_without_one(traefik, scene):
    row = on(traefik["https"], https("stranger.example.com", status=None, certificate=DEFAULT_CERTIFICATE))
    rec = Recorder()
    seen = verify(row, scene, rec)
    assert seen["common_name"] == "TRAEFIK DEFAULT CERT"
    assert rec.checks[0].label == "SNI stranger.example.com -> default certificate"
    other = replace(quick(scene), default_certificate_cn="Kubernetes Ingress Controller Fake Certificate")
    with pytest.raises(WaitTimedOut, match="not the default"):
        verify(row, other)


def test_backend_terminating_tls_itself(sni_server, ca, fast_timeouts):
    port, certs = sni_server
    scene = Scene(
        address="127.0.0.1",
        timeouts=fast_timeouts,
        backends={"tls-app": ["tls-app-pod"]},
        certificates={"tls-app-cert": cert_sha256(certs["shop.example.com"])},
        ca_pem=ca.cert_pem.bytes(),
    )
    row = Expectation(
        Request("https", "shop.example.com", port=port),
        Response(backend="tls-app", certificate="tls-app-cert", backend_tls=True),
    )
    r = verify(row, scene)
    assert r.echo["tls"]["serverName"] == "shop.example.com"
    with pytest.raises(WaitTimedOut, match="TLS did not end in front of it"):
        verify(Expectation(row.request, Response(backend="tls-app", backend_tls=False)), quick(scene))


def test_redirect_location_with_the_scene_host(traefik, scene):
    row = on(traefik["http"], http("old.guide", "/x", status=(301, 308), redirect="https://old.guide/x"))
    r = verify(row, scene)
    assert r.headers["location"] == "https://old.example.com/x"
    assert "redirect to https://old.example.com/x" in describe(row, scene)


def test_never_answered_holds_through_the_window_and_fails_fast(traefik, scene):
    rec = Recorder()
    unrouted = on(traefik["http"], http("nobody.example.com", "/", status=None, backend="api-svc", reached=False))
    t = throughout(unrouted, scene, rec, window=0.5)
    assert t.attempts >= 2 and all(a.ok for a in t.last)
    assert rec.checks[0].label == "nobody.example.com/ not answered by api-svc"
    # a closed port meets "not answered" too, and says how it failed
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    t = throughout(on(closed, unrouted), scene, window=0.3)
    assert t.last[0].detail == "refused: connection refused"
    # ... while a route that does reach the backend stops it at once
    routed = on(traefik["http"], http("shop.guide", "/api", status=None, backend="api-svc", reached=False))
    with pytest.raises(CheckFailed) as info:
        throughout(routed, scene, Recorder(), window=30)
    failed = info.value.failed
    assert failed.kind is FailureKind.UNEXPECTED_ANSWER and failed.seen.pod == "api-svc-pod"
    assert "it stopped after 1 observations" in failed.expected and failed.transcript.attempts == 1


def test_never_with_a_status_check_beside_it(traefik, scene):
    row = on(traefik["http"], http("nobody.example.com", status=None, backend="blog-svc", reached=False))
    t = throughout(row, scene, window=0.3, also=lambda: "still no address")
    assert t.last[0].detail["also"] == "still no address"
    with pytest.raises(WaitTimedOut, match="address appeared"):
        throughout(row, scene, window=30, also=lambda: (_ for _ in ()).throw(AssertionError("address appeared")))


def test_tcp_and_udp_through_traefik(traefik, scene):
    tcp = Expectation(Request("tcp", port=traefik["tcp"]), Response(backend="tcp-app"))
    r = verify(tcp, scene)
    assert b'"pod": "tcp-app-pod"' in r.received
    assert label(tcp, scene) == f"TCP :{traefik['tcp']} -> tcp-app"
    udp = Expectation(Request("udp", port=traefik["udp"], payload=b"ping"), Response(reply=b"udp-pod:ping"))
    verify(udp, scene)
    wrong = Expectation(Request("tcp", port=traefik["tcp"]), Response(pods=frozenset({"other-pod"})))
    with pytest.raises(WaitTimedOut, match="answered by 'tcp-app-pod'"):
        verify(wrong, quick(scene), settle=60)


def test_grpc_rows_against_a_real_grpc_server(grpc_echo, scene):
    """A real gRPC server with reflection on loopback: the probe learns the
    types by reflection, calls the method, and the row compares the status,
    the pod that answered and the method it served."""
    at = replace(scene, address="127.0.0.1", backends={**scene.backends, "grpc-echo": [grpc_echo["pod"]]})
    ok = grpc(
        "grpc.guide",
        "/harness.test.Echo/Say",
        port=grpc_echo["port"],
        backend="grpc-echo",
        seen_path="/harness.test.Echo/Say",
    )
    r = verify(ok, at)
    assert (r.code_name, r.echo["pod"], r.authority) == ("OK", grpc_echo["pod"], "grpc.guide")
    for method in ("/harness.test.Echo/Other", "/harness.test.Nowhere/Missing"):  # described, and not even that
        unrouted = grpc("grpc.guide", method, port=grpc_echo["port"], status=GRPC_UNIMPLEMENTED)
        assert verify(unrouted, at).code_name == "UNIMPLEMENTED"
    wrong = grpc("grpc.guide", "/harness.test.Echo/Say", port=grpc_echo["port"], backend="api-svc")
    with pytest.raises(WaitTimedOut, match="answered by grpc-echo-pod, wanted a pod of api-svc") as info:
        verify(wrong, quick(at))
    assert info.value.failure is FailureKind.MISROUTE
    closed = grpc("grpc.guide", "/harness.test.Echo/Say", port=closed_port(), backend="grpc-echo")
    with pytest.raises(WaitTimedOut, match="timeout|refused"):
        verify(closed, quick(at))


def test_rows_are_validated_when_written():
    with pytest.raises(ValueError, match="unknown protocol"):
        Request("quic")
    with pytest.raises(ValueError, match="needs a port"):
        Request("tcp")
    with pytest.raises(ValueError, match="only be expected of an HTTPS request"):
        http("x", certificate="shop-tls")
    with pytest.raises(ValueError, match="not both"):
        http("x", backend="a", pods=frozenset({"p"}))
    with pytest.raises(KeyError, match="not in this scene"):
        verify(http("x", backend="nope"), Scene(address="127.0.0.1", timeouts=Timeouts()))
    with pytest.raises(KeyError, match="neither a SHA-256 fingerprint nor a Secret"):
        verify(https("x", certificate="nope-tls"), Scene(address="127.0.0.1", timeouts=Timeouts()))


def test_latency_rounds_are_interleaved_and_paired(traefik, backends):
    """Two real paths measured in the same rounds: one straight to a backend,
    one through the real Traefik in front of it; each gets its own times, and
    the paired difference is the proxy's cost, request by request."""
    from harness.checks import latency

    direct = latency.Path("direct", "127.0.0.1", backends["blog-pod"].port)
    proxied = latency.Path("through traefik", "127.0.0.1", traefik["http"])
    rounds = latency.measure_rounds([(direct, "blog.example.com"), (proxied, "blog.example.com")], n=40, warmup=5)
    assert [len(t) for t in rounds] == [40, 40]
    assert all(t > 0 for times in rounds for t in times)
    assert latency.paired_median_difference([3.0, 5.0, 4.0], [1.0, 1.0, 1.0]) == 3.0
    with pytest.raises(latency.LatencyError, match="answered 404"):
        latency.measure_rounds([(proxied, "nobody.example.com")], n=1, warmup=0)


def test_a_pod_of_the_expected_deployment_missing_from_the_scene_is_the_harness_s_mistake(backends, fast_timeouts):
    """Two replicas, the scene read when one was ready: the second answering
    is not a misroute of the guide's objects but a stale scene, said as a
    harness error (never a refutation)."""
    from harness.results.errors import HarnessError

    api = backends["api-svc-pod"]
    scene = Scene(address="127.0.0.1", timeouts=fast_timeouts, backends={"udp-echo": ["udp-echo-66d57b9c66-sc7rm"]})
    row = Expectation(Request("http", "x.example.com", port=api.port), Response(backend="udp-echo"))
    api.answer_as("udp-echo-66d57b9c66-t766p")
    try:
        with pytest.raises(HarnessError, match="a pod of its own Deployment that the scene does not list"):
            verify(row, scene, Recorder())
        # a pod of another Deployment whose name starts the same (app-1-unready for app-1) is a misroute
        scene = Scene(address="127.0.0.1", timeouts=fast_timeouts, backends={"app-1": ["app-1-66d57b9c66-sc7rm"]})
        api.answer_as("app-1-unready-5b7c9d8f6c-x2x9k")
        row = Expectation(Request("http", "x.example.com", port=api.port), Response(backend="app-1"))
        with pytest.raises(CheckFailed) as info:
            verify(row, scene, Recorder())
        assert info.value.failed.kind is FailureKind.MISROUTE
    finally:
        api.answer_as("api-svc-pod")


# --------------------------------------------------------------------------
# what the conformance features ask of one answer (harness/conformance/ingress.py)
# --------------------------------------------------------------------------


def test_response_headers_protocol_and_what_the_backend_saw(traefik, scene):
    row = on(
        traefik["http"],
        Expectation(
            Request("http", "blog.guide", "/x", headers={"User-Agent": "Go-http-client/1.1"}),
            Response(
                backend="blog-svc",
                headers={"Content-Type": "application/json", "Date": "*", "Content-Length": "*"},
                proto="HTTP/1.1",
                seen_host="blog.guide",  # mapped like requests: blog.example.com
                seen_method="GET",
                seen_proto="HTTP/1.1",
                seen_headers={"User-Agent": "Go-http-client/1.1", "Accept-Encoding": "*"},
            ),
        ),
    )
    r = verify(row, scene)
    assert r.http_version == "HTTP/1.1" and r.echo["host"] == "blog.example.com"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"headers": {"X-Absent": "*"}}, "no X-Absent header in the response"),
        ({"headers": {"Content-Type": "text/plain"}}, "response header Content-Type: 'application/json'"),
        ({"proto": "HTTP/2"}, "the response came as HTTP/1.1, not HTTP/2"),
        ({"seen_method": "POST"}, "the backend saw method 'GET', wanted 'POST'"),
        ({"seen_host": "shop.guide"}, "the backend saw host 'blog.example.com', wanted 'shop.example.com'"),
        ({"seen_proto": "HTTP/1.0"}, "the backend saw proto 'HTTP/1.1'"),
        ({"seen_headers": {"X-Absent": "*"}}, "the backend saw no X-Absent header"),
    ],
)
def test_each_new_field_fails_on_a_difference(traefik, scene, changes, message):
    row = on(traefik["http"], Expectation(Request("http", "blog.guide", "/"), Response(backend="blog-svc", **changes)))
    with pytest.raises(WaitTimedOut) as info:
        verify(row, quick(scene))
    assert message in str(info.value)


@pytest.fixture(scope="module")
def redirector(backends):
    """308 to the api backend's port under another name (/hop), and a loop (/loop)."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    target = backends["api-svc-pod"].port

    class Redirect(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            where = f"http://landing.example.com:{target}/after?q=1" if self.path == "/hop" else "/loop"
            self.send_response(308)
            self.send_header("Location", where)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Redirect)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def test_redirects_followed_at_the_same_address(redirector, backends, scene):
    follow = Expectation(
        Request("http", "start.example.com", "/hop", port=redirector, follow_redirects=True),
        Response(backend="api-svc", seen_path="/after?q=1", seen_host="landing.example.com"),
    )
    r = verify(follow, scene)
    assert r.redirects == (f"308 http://landing.example.com:{backends['api-svc-pod'].port}/after?q=1",)
    assert r.summary()["redirects followed"] == list(r.redirects)
    assert "(following redirects)" in describe(follow, scene)
    # without following, the same row sees the redirect itself
    with pytest.raises(WaitTimedOut, match="status 308, wanted 200"):
        verify(replace(follow, request=replace(follow.request, follow_redirects=False)), quick(scene))
    # a loop ends after MAX_REDIRECTS hops with the last redirect as the answer
    loop = Expectation(Request("http", "start.example.com", "/loop", port=redirector, follow_redirects=True))
    with pytest.raises(WaitTimedOut, match="status 308, wanted 200"):
        verify(loop, quick(scene))
    from harness.checks.expect import probe
    from harness.checks.rows import MAX_REDIRECTS

    last = probe(replace(loop, response=Response(status=308)), scene)()
    assert len(last.redirects) == MAX_REDIRECTS
