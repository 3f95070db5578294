"""What each implementation publishes for Gateway API v1.6: its figures per
profile and level, as data, with the report they come from (the file in the
gateway-api repository and the commit it was read at). Not a copy of the
report: the counts, the tests it names as skipped, and where to read the rest.
"""

from __future__ import annotations

from dataclasses import dataclass

from harness.conformance.model import Published

GATEWAY_API_REPO = "kubernetes-sigs/gateway-api"
# the commit of kubernetes-sigs/gateway-api main the reports were read at (2026-08-21)
GATEWAY_API_COMMIT = "4564255ac2c35d582249b3cdf261bdf51c8bca32"


@dataclass(frozen=True)
class PublishedReport:
    implementation: str  # the harness subject
    version: str  # the implementation version the report is for
    path: str  # in the gateway-api repository
    gateway_api: str  # the suite version it ran (gatewayAPIVersion)
    channel: str
    # (profile, level) -> (passed, failed, skipped, skipped tests)
    figures: dict[tuple[str, str], tuple[int, int, int, tuple[str, ...]]]
    note: str = ""

    @property
    def source(self) -> str:
        return f"{GATEWAY_API_REPO} {self.path} @ {GATEWAY_API_COMMIT[:12]}"

    def published(self, profile: str, level: str) -> Published | None:
        fig = self.figures.get((profile, level))
        if fig is None:
            return None
        passed, failed, skipped, skipped_tests = fig
        return Published(
            source=self.source,
            version=self.version,
            passed=passed,
            failed=failed,
            skipped=skipped,
            note=self.note,
            skipped_tests=skipped_tests,
        )


REPORTS: dict[str, PublishedReport] = {
    "envoy-gateway": PublishedReport(
        implementation="envoy-gateway",
        version="v1.9.0",
        path="conformance/reports/v1.6/envoy-gateway/experimental-v1.9.0-default-report.yaml",
        gateway_api="v1.6.1",
        channel="experimental",
        figures={
            ("GATEWAY-HTTP", "core"): (37, 0, 0, ()),
            ("GATEWAY-HTTP", "extended"): (55, 0, 0, ()),
            ("GATEWAY-TLS", "core"): (20, 0, 0, ()),
            ("GATEWAY-TLS", "extended"): (14, 0, 0, ()),
            ("GATEWAY-GRPC", "core"): (15, 0, 0, ()),
            ("GATEWAY-GRPC", "extended"): (9, 0, 0, ()),
        },
        note="mode default (controller namespace); the nearest published version: the harness runs v1.9.1",
    ),
    "traefik": PublishedReport(
        implementation="traefik",
        version="v3.7.10",
        path="conformance/reports/v1.6/traefik-traefik/experimental-v3.7.10-default-report.yaml",
        gateway_api="v1.6.1",
        channel="experimental",
        figures={
            ("GATEWAY-HTTP", "core"): (36, 0, 1, ("HTTPRouteMultipleGateways",)),
            ("GATEWAY-HTTP", "extended"): (26, 0, 0, ()),
            ("GATEWAY-TLS", "core"): (20, 0, 0, ()),
            ("GATEWAY-TLS", "extended"): (4, 0, 0, ()),
            ("GATEWAY-GRPC", "core"): (15, 0, 0, ()),
        },
        note=(
            "the nearest published version: the harness runs v3.7.13, whose module carries the same figures "
            "(integration/gateway-api-conformance-reports/v1.6.1/experimental-v3.7-default-report.yaml)"
        ),
    ),
}


def claimed_profiles(implementation: str) -> list[str]:
    """The profiles an implementation's published report covers, in report order."""
    rep = REPORTS.get(implementation)
    if rep is None:
        return []
    seen: list[str] = []
    for profile, _level in rep.figures:
        if profile not in seen:
            seen.append(profile)
    return seen
