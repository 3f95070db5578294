"""Probes against real servers: Traefik as the L7 proxy, a TLS server that
picks its certificate by SNI, and TCP/UDP echo sockets."""

from __future__ import annotations

import socket

import pytest

from harness.checks.consistency import WaitTimedOut, consistently, never
from harness.checks.probes import ProbeError, http_get, presented_certificate, tcp_connects, tcp_exchange, udp_exchange
from harness.results.model import FailureKind


def test_host_and_path_routing_through_traefik(traefik):
    api = http_get("127.0.0.1", traefik["http"], "/api/users", host="shop.example.com")
    root = http_get("127.0.0.1", traefik["http"], "/cart", host="shop.example.com")
    blog = http_get("127.0.0.1", traefik["http"], "/", host="blog.example.com")
    assert (api.status, api.echo["pod"]) == (200, "api-svc-pod")
    assert (root.status, root.echo["pod"]) == (200, "frontend-svc-pod")
    assert blog.echo["pod"] == "blog-pod"
    # the proxy's rewrite (ReplacePath "/") is what the backend sees
    assert api.echo["path"] == "/"
    assert root.echo["path"] == "/cart"
    assert api.echo["host"] == "shop.example.com"


def test_unknown_host_gets_404_from_traefik(traefik):
    r = http_get("127.0.0.1", traefik["http"], "/", host="nobody.example.com")
    assert r.status == 404
    assert r.echo is None


def test_https_termination_by_sni_through_traefik(traefik, ca):
    shop = http_get("127.0.0.1", traefik["https"], "/", host="shop.example.com", https=True, ca_pem=ca.cert_pem.bytes())
    blog = http_get("127.0.0.1", traefik["https"], "/", host="blog.example.com", https=True, ca_pem=ca.cert_pem.bytes())
    assert shop.certificate.names() == {"shop.example.com"}
    assert blog.certificate.names() == {"blog.example.com"}
    assert shop.certificate.issuer == blog.certificate.issuer
    assert "harness unit-test CA" in shop.certificate.issuer
    assert shop.tls_version in ("TLSv1.2", "TLSv1.3")
    # TLS ended at the proxy: the backend got plain HTTP
    assert shop.echo["pod"] == "frontend-svc-pod"
    assert "X-Forwarded-Proto" in shop.echo["headers"] and shop.echo["headers"]["X-Forwarded-Proto"] == ["https"]


def test_https_with_wrong_trust_anchor_is_a_verify_error(traefik):
    import trustme

    other = trustme.CA()
    with pytest.raises(ProbeError) as info:
        http_get("127.0.0.1", traefik["https"], "/", host="shop.example.com", https=True, ca_pem=other.cert_pem.bytes())
    assert info.value.kind == "tls-verify"


def test_traefik_default_certificate_for_unknown_sni(traefik):
    cert = presented_certificate("127.0.0.1", traefik["https"], "nobody.example.com")
    assert cert.common_name == "TRAEFIK DEFAULT CERT"


def test_sni_selects_certificate_on_one_address(sni_server, ca):
    port, certs = sni_server
    for name in ("shop.example.com", "blog.example.com"):
        r = http_get("127.0.0.1", port, "/x", host=name, https=True, ca_pem=ca.cert_pem.bytes())
        assert r.certificate.names() == {name}
        assert r.echo["pod"] == "tls-app-pod"
    # a name the server has no certificate for gets the default, which must not verify for that name
    with pytest.raises(ProbeError) as info:
        http_get("127.0.0.1", port, "/", host="other.example.com", https=True, ca_pem=ca.cert_pem.bytes())
    assert info.value.kind == "tls-verify"
    assert presented_certificate("127.0.0.1", port, "other.example.com").names() == {"default.invalid"}


def test_sni_differs_from_host_header(sni_server, ca):
    port, _ = sni_server
    r = http_get(
        "127.0.0.1",
        port,
        "/",
        host="whatever.example.com",
        sni="blog.example.com",
        https=True,
        ca_pem=ca.cert_pem.bytes(),
    )
    assert r.sni == "blog.example.com"
    assert r.echo["host"] == "whatever.example.com"
    assert r.certificate.names() == {"blog.example.com"}


def test_refused_connection_is_classified():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    # nothing listens there now
    with pytest.raises(ProbeError) as info:
        http_get("127.0.0.1", port, "/", host="x")
    assert info.value.kind == "refused"
    assert not tcp_connects("127.0.0.1", port)


def test_timeout_is_classified():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)  # accepts the handshake, never answers
        with pytest.raises(ProbeError) as info:
            http_get("127.0.0.1", listener.getsockname()[1], "/", host="x", timeout=0.5)
    assert info.value.kind == "timeout"


def test_tcp_and_udp_exchange(tcp_echo, udp_echo):
    t = tcp_exchange("127.0.0.1", tcp_echo, b"hello", expect=b"hello")
    assert t.received == b"tcp-app-pod:hello"
    assert t.summary()["request"] == f"TCP 127.0.0.1:{tcp_echo}"
    u = udp_exchange("127.0.0.1", udp_echo, b"ping")
    assert u.received == b"udp-pod:ping"


def test_udp_without_listener_fails(fast_timeouts):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(ProbeError):
        udp_exchange("127.0.0.1", port, b"ping", timeout=0.5)


# --- the consistency rule -------------------------------------------------


def test_consistently_needs_n_in_a_row(backends, fast_timeouts):
    b = backends["blog-pod"]
    calls = []

    def check():
        r = http_get("127.0.0.1", b.port, "/", host="blog.example.com")
        calls.append(r.status)
        assert r.status == 200
        return r

    b.fail_every(3)  # 200, 200, 503, 200, 200, 503 ...: never 3 in a row
    try:
        with pytest.raises(WaitTimedOut) as info:
            consistently(check, what="blog answers", timeouts=fast_timeouts.scaled(0.25), successes=3)
    finally:
        b.fail_every(None)
    assert info.value.expected.startswith("3 consecutive successes")
    assert "503" in info.value.seen.text
    assert info.value.transcript is not None and info.value.transcript.failures >= 1
    # the same check passes once the backend is steady
    _, transcript = consistently(check, what="blog answers", timeouts=fast_timeouts, successes=3)
    assert transcript.attempts >= 3 and all(a.ok for a in transcript.last[-3:])


def test_consistently_streak_resets_on_failure(fast_timeouts):
    outcomes = iter([True, True, False, True, True, True])

    def check():
        assert next(outcomes)
        return "ok"

    _, transcript = consistently(check, what="sequence", timeouts=fast_timeouts, successes=3)
    assert [a.ok for a in transcript.last] == [True, True, False, True, True, True]


def test_failure_message_names_expectation_seen_and_hint(fast_timeouts):
    def check():
        raise AssertionError("status 404, wanted 200")

    with pytest.raises(WaitTimedOut) as info:
        consistently(check, what="route", timeouts=fast_timeouts.scaled(0.05), hint="controller logs")
    msg = str(info.value)
    assert "route: expected 3 consecutive successes" in msg
    assert "seen: status 404, wanted 200" in msg
    assert msg.endswith("look at: controller logs")
    # the same as fields, for the report and the known refutations: nothing is parsed back
    assert (info.value.what, info.value.seen.text, info.value.hint) == (
        "route",
        "status 404, wanted 200",
        "controller logs",
    )
    assert info.value.failure is FailureKind.WAIT


def test_never_holds_for_window_and_fails_fast(fast_timeouts):
    t = never(lambda: "still pending", what="pending", timeouts=fast_timeouts, window=0.5)
    assert t.attempts >= 2 and t.window_seconds == 0.5
    seen = iter([True, True, False])

    def check():
        assert next(seen), "address appeared"

    with pytest.raises(WaitTimedOut) as info:
        never(check, what="pending", timeouts=fast_timeouts, window=30)
    assert info.value.seen.text == "address appeared" and info.value.transcript.attempts == 3


def test_timeouts_scale_deadlines_only():
    from harness.checks.timeouts import Timeouts

    t = Timeouts().scaled(2)
    assert t.consistency == 120 and t.consistent_successes == 3 and t.probe_interval == 0.5
