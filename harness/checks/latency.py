"""Request latency through one path (an L4 LoadBalancer Service, or an L7
controller over HTTP or HTTPS): a bounded number of GETs on one keep-alive
connection after a discarded warm-up, summarised as p50/p95/p99 and requests
per second, and compared with a baseline (L4) as ratios. Used by the
performance suite (suites/test_performance.py), which turns the numbers into
a verdict against the threshold in the catalog, and by ``make bench-latency``;
the report draws :func:`plot_png` from the numbers the suite recorded.
"""

from __future__ import annotations

import io
import statistics
import time
from dataclasses import asdict, dataclass
from typing import Any

import httpx

from harness.checks.probes import client_context
from harness.results.errors import HarnessError
from harness.results.model import Latency, LatencyPath

WARMUP = 20
REQUESTS = 200


class LatencyError(HarnessError):
    """A measured request failed: the path does not route (the message says which answer came)."""


@dataclass(frozen=True)
class Path:
    label: str  # e.g. "L4 LoadBalancer Service, HTTP"
    address: str
    port: int
    https: bool = False


@dataclass(frozen=True)
class Summary:
    label: str
    requests: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    requests_per_second: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def measure(
    path: Path,
    *,
    host: str,
    ca_pem: bytes | None = None,
    n: int = REQUESTS,
    warmup: int = WARMUP,
    keepalive: bool = True,
) -> list[float]:
    """Milliseconds per GET for ``n`` requests after ``warmup`` discarded ones,
    all on one connection (``keepalive``) or each on a new one
    (``Connection: close``: TCP and, for HTTPS, a full TLS handshake each
    time). The client's TLS context is built once, outside the timing."""
    url = f"{'https' if path.https else 'http'}://{path.address}:{path.port}/"
    ext = {"sni_hostname": host} if path.https else {}
    headers = {"Host": host} if keepalive else {"Host": host, "Connection": "close"}
    times: list[float] = []
    verify = client_context(ca_pem) if path.https else False
    with httpx.Client(verify=verify, timeout=5, trust_env=False) as client:
        for i in range(warmup + n):
            started = time.perf_counter()
            r = client.send(client.build_request("GET", url, headers=headers, extensions=ext))
            elapsed = (time.perf_counter() - started) * 1000
            if r.status_code != 200:
                raise LatencyError(f"{path.label}: {url} (Host {host}) answered {r.status_code}, wanted 200")
            if i >= warmup:
                times.append(elapsed)
    return times


def measure_rounds(
    paths: list[tuple[Path, str]],
    *,
    ca_pem: bytes | None = None,
    n: int = REQUESTS,
    warmup: int = WARMUP,
) -> list[list[float]]:
    """Like :func:`measure` for several paths at once, interleaved: each
    round sends one GET on each path's own keep-alive connection, the order
    rotating from round to round, so whatever else the machine does weighs on
    every path alike. Returns each path's times (ms) in round order, so round
    ``i`` of two paths forms a pair."""
    clients = []
    try:
        for path, _host in paths:
            verify = client_context(ca_pem) if path.https else False
            client = httpx.Client(verify=verify, timeout=5, trust_env=False)
            clients.append(client)
        times: list[list[float]] = [[] for _ in paths]
        for i in range(warmup + n):
            for k in range(len(paths)):
                j = (i + k) % len(paths)
                path, host = paths[j]
                url = f"{'https' if path.https else 'http'}://{path.address}:{path.port}/"
                ext = {"sni_hostname": host} if path.https else {}
                started = time.perf_counter()
                r = clients[j].send(clients[j].build_request("GET", url, headers={"Host": host}, extensions=ext))
                elapsed = (time.perf_counter() - started) * 1000
                if r.status_code != 200:
                    raise LatencyError(f"{path.label}: {url} (Host {host}) answered {r.status_code}, wanted 200")
                if i >= warmup:
                    times[j].append(elapsed)
        return times
    finally:
        for client in clients:
            client.close()


def paired_median_difference(a: list[float], b: list[float]) -> float:
    """The median of ``a[i] - b[i]`` over rounds measured together."""
    return round(statistics.median(x - y for x, y in zip(a, b, strict=True)), 3)


def summarise(label: str, times_ms: list[float]) -> Summary:
    """p50/p95/p99 (inclusive quantiles) and the request rate the one client
    reached (sequential requests: 1000 / mean latency)."""
    if len(times_ms) < 2:
        raise ValueError("need at least two timings")
    q = statistics.quantiles(times_ms, n=100, method="inclusive")
    return Summary(
        label=label,
        requests=len(times_ms),
        p50_ms=round(statistics.median(times_ms), 3),
        p95_ms=round(q[94], 3),
        p99_ms=round(q[98], 3),
        requests_per_second=round(1000 * len(times_ms) / sum(times_ms), 1),
    )


def ratios(summary: Summary, baseline: Summary) -> dict[str, float]:
    """``summary`` against ``baseline``: latency ratios (>1: slower) and the
    p50 difference in milliseconds."""
    return {
        "p50_ratio": round(summary.p50_ms / baseline.p50_ms, 2),
        "p95_ratio": round(summary.p95_ms / baseline.p95_ms, 2),
        "p99_ratio": round(summary.p99_ms / baseline.p99_ms, 2),
        "rps_ratio": round(summary.requests_per_second / baseline.requests_per_second, 2),
        "p50_overhead_ms": round(summary.p50_ms - baseline.p50_ms, 3),
    }


def measurement(subject: str, summaries: list[Summary], details: dict[str, Any] | None = None) -> Latency:
    """The typed measurement of one subject: each path with its ratios
    against the first (the L4 baseline)."""
    base = summaries[0]
    paths = tuple(
        LatencyPath(s.label, s.requests, s.p50_ms, s.p95_ms, s.p99_ms, s.requests_per_second, **ratios(s, base))
        for s in summaries
    )
    return Latency(subject, paths, details)


def plot_png(series: dict[str, Latency]) -> bytes:
    """A bar chart, one group per subject: p50 and p95 of each measured path.
    PNG bytes, drawn headless (matplotlib's Agg backend)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    subjects = sorted(series)
    labels = sorted({p.label for m in series.values() for p in m.paths})
    fig, ax = plt.subplots(figsize=(8, 3.6), dpi=100)
    width = 0.8 / max(1, len(labels))
    for j, label in enumerate(labels):
        p50 = [next((p.p50_ms for p in series[x].paths if p.label == label), 0.0) for x in subjects]
        p95 = [next((p.p95_ms for p in series[x].paths if p.label == label), 0.0) for x in subjects]
        xs = [i + j * width for i in range(len(subjects))]
        bars = ax.bar(xs, p50, width, label=f"{label} p50")
        ax.scatter(xs, p95, marker="_", s=200, color=bars.patches[0].get_facecolor() if bars.patches else None)
    ax.set_xticks([i + width * (len(labels) - 1) / 2 for i in range(len(subjects))], subjects)
    ax.set_ylabel("milliseconds (bar p50, tick p95)")
    ax.set_title("Request latency: L4 LoadBalancer Service vs each controller (this machine)")
    ax.legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})
    plt.close(fig)
    return buf.getvalue()
