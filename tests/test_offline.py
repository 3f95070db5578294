"""The offline preflight: one reachability probe decides, real sockets only
(a closed local port is "offline", a local HTTPS server that answers 401 is
"online"), skippable by environment; missing images are listed before anything
is created."""

from __future__ import annotations

import socket
import ssl
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
import trustme

from harness.lab import offline
from harness.lab.cluster import ClusterError


def _closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_no_answer_means_offline(monkeypatch):
    monkeypatch.delenv(offline.ENV, raising=False)
    assert offline.registry_reachable(f"https://127.0.0.1:{_closed_port()}/v2/", timeout=1) is False


class _Registry(BaseHTTPRequestHandler):
    def do_HEAD(self):  # noqa: N802 - http.server's naming
        self.send_response(401)  # what registry.k8s.io answers without a token
        self.end_headers()

    def log_message(self, *args):
        pass


def test_any_answer_means_online(monkeypatch, tmp_path):
    monkeypatch.delenv(offline.ENV, raising=False)
    ca = trustme.CA()
    server = HTTPServer(("127.0.0.1", 0), _Registry)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("127.0.0.1").configure_cert(ctx)
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"https://127.0.0.1:{server.server_port}/v2/"
        assert offline.registry_reachable(url, timeout=2, ca_pem=ca.cert_pem.bytes()) is True
        # a certificate nobody vouches for is not a registry: offline
        assert offline.registry_reachable(url, timeout=2) is False
    finally:
        server.shutdown()


def test_the_probe_can_be_skipped(monkeypatch):
    monkeypatch.setenv(offline.ENV, "offline")
    assert offline.registry_reachable("https://127.0.0.1:1/") is False
    monkeypatch.setenv(offline.ENV, "online")
    assert offline.registry_reachable("https://127.0.0.1:1/") is True
    monkeypatch.setenv(offline.ENV, "maybe")
    with pytest.raises(ClusterError, match="use online or offline"):
        offline.registry_reachable()


def test_missing_images_are_listed(tmp_path):
    (tmp_path / "index.json").write_text('{"images": {"traefik:v3.7.13": "traefik.tar"}}')
    missing = offline.missing_images(tmp_path, ["traefik:v3.7.13", "quay.io/metallb/speaker:v0.15.3"], "no/such:node")
    assert missing == ["no/such:node", "quay.io/metallb/speaker:v0.15.3"]


@pytest.mark.parametrize("text", ["{not json", '{"pictures": {}}', '{"images": ["traefik.tar"]}'])
def test_a_corrupt_image_index_is_one_line_not_nothing_built(tmp_path, text):
    from harness.lab.addons import image_index
    from harness.results.errors import HarnessError

    assert image_index(tmp_path) == {}  # nothing built there yet
    (tmp_path / "index.json").write_text(text)
    with pytest.raises(HarnessError, match=r"image index .*index.json is unreadable") as info:
        image_index(tmp_path)
    assert "\n" not in str(info.value)
