"""Test records shaped like a real run's, made through the real recording
path (a Recorder, check blocks, the failure a wait raises), for the report's
own tests."""

from __future__ import annotations

from typing import Any

from harness.checks.consistency import WaitTimedOut
from harness.checks.latency import Summary, measurement
from harness.report.build import build
from harness.report.document import ClaimsReport, Run
from harness.results.errors import CheckFailed
from harness.results.model import Outcome, Seen, TestRecord
from harness.results.recorder import Recorder
from harness.results.store import ExpectedCell

CONTROLLERS = ["nginx", "nginx-inc", "traefik", "traefik-nginx"]
GUIDE_YAML = "path api-svc receives for /api/users, the guide's YAML"
OWN_IDIOM = "path api-svc receives for /api/users, the controller's own rewrite annotation"
PLAIN = "plain HTTP to the guide's TLS host (/api)"
RETIRED = "ingress-nginx was retired upstream in March 2026 (last release controller-v1.15.1): no fixes"
REWRITE_TEST = "suites/test_ingress_routing.py::test_rewrite_target_and_what_the_backend_sees"


def latency(subject: str, l7_p50: float):
    def summary(label: str, p50: float) -> Summary:
        return Summary(label, 200, p50, p50 * 1.5, p50 * 2, round(1000 / p50, 1))

    return measurement(
        subject,
        [
            summary("L4 LoadBalancer Service, HTTP", 0.8),
            summary(f"L7 {subject}, HTTP", l7_p50),
            summary(f"L7 {subject}, HTTPS terminated", l7_p50 + 0.3),
        ],
    )


def record(
    claim: str,
    subject: str,
    test: str,
    *,
    refused: Seen | None = None,
    observations: dict[str, str] | None = None,
    evidence: dict[str, Any] | None = None,
    known: str = "",
    suffix: str = "",
) -> TestRecord:
    """One test of ``claim`` on ``subject``: one check, which holds or (with
    ``refused``) runs out of time having seen that."""
    rec = Recorder((claim,), suffixes=(suffix,) if suffix else ())
    for topic, value in (observations or {}).items():
        rec.observe(topic, value)
    outcome = Outcome.PASSED
    try:
        with rec.check("/api/users -> api-svc"):
            for label, data in (evidence or {}).items():
                rec.add(label, data)
            if refused is not None:
                raise WaitTimedOut(
                    f"{subject}: GET https://shop-52a63.example.com/api/users -> answered by api-svc",
                    "3 consecutive successes within 60s",
                    refused,
                )
    except CheckFailed:
        outcome = Outcome.FAILED
    out = rec.record(test=f"{test}[{subject}]", subject=subject, outcome=outcome)
    if known:
        out.known = {claim: known}
    return out


def results() -> list[TestRecord]:
    out = [
        record("ingress-rewrite-target", "nginx", REWRITE_TEST, observations={GUIDE_YAML: "/"}),
        record(
            "ingress-rewrite-target",
            "nginx-inc",
            REWRITE_TEST,
            observations={OWN_IDIOM: "/", GUIDE_YAML: "/api/users (class renamed to nginx-inc)"},
        ),
        record("ingress-rewrite-target", "traefik", REWRITE_TEST, observations={OWN_IDIOM: "/"}),
        record(
            "ingress-rewrite-target",
            "traefik-nginx",
            REWRITE_TEST,
            refused=Seen("status 400, wanted 200 from api-svc", status=400),
            observations={GUIDE_YAML: "check failed: status 400, wanted 200 from api-svc"},
            known="answers 400 for /api/users",
        ),
        record("lb-l4-reach", "metallb", "suites/test_loadbalancer.py::test_tcp"),
    ]
    plain = [
        "308 redirect to https://shop-1a2b3.example.com/api",
        "301 redirect to https://shop-4c5d6.example.com:443/api",
        "200 from api-svc-66d86c9c5f-c8z4z",
        "308 redirect to https://shop-7e8f9.example.com/api",
    ]
    suffixes = ["1a2b3", "4c5d6", "9a9a9", "7e8f9"]
    for subject, seen, suffix in zip(CONTROLLERS, plain, suffixes, strict=True):
        out.append(record("ingress-host-path-routing", subject, "h", observations={PLAIN: seen}, suffix=suffix))
        out.append(
            record(
                "rewrite-keep-subpath",
                subject,
                "c",
                observations={"path api-svc receives for /api/users, the corrected snippet": "/users"},
            )
        )
        out.append(
            record(
                "performance-l4-vs-l7",
                subject,
                "p",
                evidence={"latency": latency(subject, 1.5 + CONTROLLERS.index(subject) * 0.2)},
            )
        )
    return out


RUN = Run(kind="v0.30.0", kubernetes="v1.34.0", addons={"traefik": "v3.7.13"})


def document(*, expected: set[tuple[str, str]] = frozenset(), interrupted: bool = False) -> ClaimsReport:  # type: ignore[assignment]
    return build(
        results(),
        controllers=CONTROLLERS,
        run=RUN,
        subject_notes={"nginx": RETIRED},
        expected=[ExpectedCell(c, s, "t") for c, s in sorted(expected)],
        interrupted=interrupted,
    )
