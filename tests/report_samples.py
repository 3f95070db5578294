"""Results shaped like a real run's, for the report's own tests."""

from __future__ import annotations

from typing import Any

from harness.report import document as report
from harness.report.document import Result

CONTROLLERS = ["nginx", "nginx-inc", "traefik", "traefik-nginx"]
GUIDE_YAML = "path api-svc receives for /api/users, the guide's YAML"
OWN_IDIOM = "path api-svc receives for /api/users, the controller's own rewrite annotation"
PLAIN = "plain HTTP to the guide's TLS host (/api)"
RETIRED = "ingress-nginx was retired upstream in March 2026 (last release controller-v1.15.1): no fixes"


def latency(subject: str, l7_p50: float) -> dict[str, Any]:
    def path(label: str, p50: float) -> dict[str, Any]:
        return {
            "label": label,
            "requests": 200,
            "p50_ms": p50,
            "p95_ms": p50 * 1.5,
            "p99_ms": p50 * 2,
            "requests_per_second": round(1000 / p50, 1),
            "p50_ratio": round(p50 / 0.8, 2),
            "p95_ratio": round(p50 / 0.8, 2),
            "p99_ratio": round(p50 / 0.8, 2),
            "rps_ratio": round(0.8 / p50, 2),
            "p50_overhead_ms": round(p50 - 0.8, 3),
        }

    return {
        "subject": subject,
        "paths": [
            path("L4 LoadBalancer Service, HTTP", 0.8),
            path(f"L7 {subject}, HTTP", l7_p50),
            path(f"L7 {subject}, HTTPS terminated", l7_p50 + 0.3),
        ],
    }


def results() -> list[Result]:
    t = "suites/test_ingress_routing.py::test_rewrite_target_and_what_the_backend_sees"
    out = [
        Result("ingress-rewrite-target", "nginx", "holds", f"{t}[nginx]", observations={GUIDE_YAML: "/"}),
        Result(
            "ingress-rewrite-target",
            "nginx-inc",
            "holds",
            f"{t}[nginx-inc]",
            observations={OWN_IDIOM: "/", GUIDE_YAML: "/api/users (class renamed to nginx-inc)"},
        ),
        Result("ingress-rewrite-target", "traefik", "holds", f"{t}[traefik]", observations={OWN_IDIOM: "/"}),
        Result(
            "ingress-rewrite-target",
            "traefik-nginx",
            "does not hold",
            f"{t}[traefik-nginx]",
            reason="traefik-nginx: GET https://shop-52a63.example.com/api/users -> answered by api-svc: expected 3 "
            "consecutive successes within 60s; last seen: GET https://shop-52a63.example.com/api/users: status 400, "
            "wanted 200 from api-svc",
            notes=["known refutation: answers 400 for /api/users"],
            observations={GUIDE_YAML: "check failed: status 400, wanted 200 from api-svc"},
        ),
        Result("lb-l4-reach", "metallb", "holds", "suites/test_loadbalancer.py::test_tcp"),
    ]
    for subject, plain in zip(
        CONTROLLERS,
        [
            "308 redirect to https://shop.example.com/api",
            "301 redirect to https://shop.example.com:443/api",
            "200 from api-svc-66d86c9c5f-c8z4z",
            "308 redirect to https://shop.example.com/api",
        ],
        strict=True,
    ):
        out.append(Result("ingress-host-path-routing", subject, "holds", "h", observations={PLAIN: plain}))
        out.append(
            Result(
                "rewrite-keep-subpath",
                subject,
                "holds",
                "c",
                observations={"path api-svc receives for /api/users, the corrected snippet": "/users"},
            )
        )
        out.append(
            Result(
                "performance-l4-vs-l7",
                subject,
                "holds",
                "p",
                evidence=[{"label": "latency", "data": latency(subject, 1.5 + CONTROLLERS.index(subject) * 0.2)}],
            )
        )
    return out


def document(**kw: Any) -> dict[str, Any]:
    return report.build(
        results(),
        controllers=CONTROLLERS,
        run={"kind": "v0.30.0", "kubernetes": "v1.34.0", "addons": {"traefik": "v3.7.13"}},
        subject_notes={"nginx": RETIRED},
        **kw,
    )
