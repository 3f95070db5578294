"""The typed record of an upstream conformance run, shared by the Gateway
API suite and the Ingress features, and read by the claims report.

One :class:`ConformanceRun` per (suite, implementation, profile or feature
file); one :class:`Case` per upstream test or scenario. Outcomes are the
suite's own words plus ``not applicable`` (a scenario that cannot apply to a
controller as written, with the reason: never a silent skip). Where the
implementation publishes a report for the same suite version, its figures
ride along in :class:`Published` so the report can set them side by side.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from enum import Enum
from pathlib import Path
from typing import Any

SCHEMA = "exposure-harness/conformance/v1"


class Outcome(str, Enum):
    PASSED = "passed"
    FAILED = "failed"
    SKIPPED = "skipped"  # the suite itself skipped it (unsupported feature, skip list)
    NOT_APPLICABLE = "not applicable"  # cannot apply to this controller as written; reason required


@dataclass(frozen=True)
class Case:
    name: str  # upstream test name (HTTPRouteExactPathMatching) or scenario title
    outcome: Outcome
    reason: str = ""  # why failed / skipped / not applicable, one line
    evidence: tuple[str, ...] = ()  # short lines: requests and what came back, status seen
    feature: str = ""  # Gateway API feature(s) or the .feature file the case belongs to
    claims: tuple[str, ...] = ()  # ids of guide claims this case touches (path rules, host rules...)

    def __post_init__(self) -> None:
        if self.outcome in (Outcome.FAILED, Outcome.SKIPPED, Outcome.NOT_APPLICABLE) and not self.reason:
            raise ValueError(f"{self.name}: a {self.outcome.value} case needs its reason")


@dataclass(frozen=True)
class Published:
    """What the implementation's own published report says for the same suite version."""

    source: str  # where it comes from (repository path of the report)
    version: str  # the implementation version the report is for
    passed: int
    failed: int = 0
    skipped: int = 0
    note: str = ""
    # the tests the report names (it names only failed and skipped ones; passes are counts)
    failed_tests: tuple[str, ...] = ()
    skipped_tests: tuple[str, ...] = ()


@dataclass(frozen=True)
class ConformanceRun:
    suite: str  # "gateway-api v1.6.1" | "ingress-controller-conformance f91a799"
    implementation: str  # the harness subject: envoy-gateway, traefik, nginx, nginx-inc, ...
    profile: str  # GATEWAY-HTTP core / extended, GATEWAY-GRPC, ..., or the feature file name
    cases: tuple[Case, ...]
    published: Published | None = None
    seconds: float = 0.0
    notes: tuple[str, ...] = ()  # set-up facts: flags, skipped tests and why, where they come from
    report_file: str = ""  # the suite's own report (ConformanceReport YAML), relative to the report dir
    not_run: str = ""  # the run could not be carried out (no cases then): why, one line

    def count(self, outcome: Outcome) -> int:
        return sum(1 for c in self.cases if c.outcome is outcome)

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["schema"] = SCHEMA
        for c in d["cases"]:
            c["outcome"] = c["outcome"].value if isinstance(c["outcome"], Outcome) else c["outcome"]
        return d

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> ConformanceRun:
        if d.get("schema") != SCHEMA:
            raise ValueError(f"not a conformance record of schema {SCHEMA}: {d.get('schema')!r}")
        cases = tuple(
            Case(
                name=c["name"],
                outcome=Outcome(c["outcome"]),
                reason=c.get("reason", ""),
                evidence=tuple(c.get("evidence", ())),
                feature=c.get("feature", ""),
                claims=tuple(c.get("claims", ())),
            )
            for c in d["cases"]
        )
        pub = d.get("published")
        return cls(
            suite=d["suite"],
            implementation=d["implementation"],
            profile=d["profile"],
            cases=cases,
            published=_published(pub) if pub else None,
            seconds=float(d.get("seconds", 0.0)),
            notes=tuple(d.get("notes", ())),
            report_file=d.get("report_file", ""),
            not_run=d.get("not_run", ""),
        )


def _published(d: dict[str, Any]) -> Published:
    return Published(
        source=d["source"],
        version=d["version"],
        passed=int(d["passed"]),
        failed=int(d.get("failed", 0)),
        skipped=int(d.get("skipped", 0)),
        note=d.get("note", ""),
        failed_tests=tuple(d.get("failed_tests", ())),
        skipped_tests=tuple(d.get("skipped_tests", ())),
    )


def run_key(run: ConformanceRun) -> tuple[str, str, str]:
    """What one record is of: (suite, implementation, profile); a later record of the same key replaces it."""
    return (run.suite, run.implementation, run.profile)


RESULTS_DIR = "conformance"  # under the report dir: one JSON file per run


def write(report_dir: Path, run: ConformanceRun) -> Path:
    out = report_dir / RESULTS_DIR
    out.mkdir(parents=True, exist_ok=True)
    safe = "".join(
        ch if ch.isalnum() or ch in "-_." else "-" for ch in f"{run.suite}-{run.implementation}-{run.profile}"
    )
    path = out / f"{safe}.json"
    path.write_text(json.dumps(run.to_json(), indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return path


def load_all(report_dir: Path) -> list[ConformanceRun]:
    d = report_dir / RESULTS_DIR
    if not d.is_dir():
        return []
    return [ConformanceRun.from_json(json.loads(p.read_text(encoding="utf-8"))) for p in sorted(d.glob("*.json"))]
