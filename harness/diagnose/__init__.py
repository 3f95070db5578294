"""Troubleshooting as a tool: point it at an exposure (a Service, an Ingress,
a Gateway or a route) and it names each cause it finds in the guide's
vocabulary, with the evidence and the fix, or says "no problem found" and
what it checked.

    snap = read(source, "Ingress", "web-gateway", "shop")   # snapshot.py: reads only
    findings = rules.find(snap)                               # rules.py: pure
    # or both at once:
    result = diagnose(ClusterSource(kubeconfig), "ingress/web-gateway", "shop")

The suites call :func:`diagnose` on the run's cluster; ``python -m harness
diagnose`` (``cli.py``) is the same call with text or JSON output.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from . import rules
from .rules import CAUSES, Finding
from .snapshot import BadTarget, Snapshot, parse_target, read
from .source import ClusterSource, RecordedSource, Source, Unreachable, Unreadable

NO_PROBLEM, PROBLEMS, BAD_INPUT = 0, 1, 2


@dataclass
class Diagnosis:
    target: str  # "Ingress shop/web-gateway"
    findings: list[Finding] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)  # what was read
    unreadable: dict[str, str] = field(default_factory=dict)  # what -> why

    @property
    def causes(self) -> list[str]:
        return [f.cause for f in self.findings]

    @property
    def exit_status(self) -> int:
        """0 no problem found, 1 problems found, 2 nothing found but something could not be read."""
        if self.findings:
            return PROBLEMS
        return BAD_INPUT if self.unreadable else NO_PROBLEM

    def to_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "problems_found": bool(self.findings),
            "findings": [f.to_dict() for f in self.findings],
            "checked": self.checked,
            "could_not_read": [{"what": k, "why": v} for k, v in self.unreadable.items()],
        }

    def text(self) -> str:
        lines = [f"diagnosis of {self.target}"]
        for i, f in enumerate(self.findings, 1):
            lines.append(f"{i}. {f.title.upper()} [{f.cause}]")
            lines.append(f"   {f.summary}")
            lines += [f"   - {e}" for e in f.evidence]
            lines.append(f"   fix: {f.fix}")
        for what, why in self.unreadable.items():
            lines.append(f"could not read {what}: {why} (not judged)")
        if not self.findings:
            lines.append("no problem found" + (" in what could be read" if self.unreadable else ""))
        lines.append("checked: " + "; ".join(self.checked))
        return "\n".join(lines)


def diagnose_snapshot(snap: Snapshot) -> Diagnosis:
    return Diagnosis(
        target=f"{snap.kind} {snap.namespace}/{snap.name}",
        findings=rules.find(snap),
        checked=list(dict.fromkeys(snap.read)),
        unreadable=dict(snap.unreadable),
    )


def diagnose(source: Source, target: str, namespace: str = "default") -> Diagnosis:
    """Read ``target`` (``KIND/NAME``) and what it depends on from ``source``
    and judge it. Raises BadTarget (missing object or namespace, forbidden
    target) and Unreachable (no cluster) as one line each."""
    kind, name = parse_target(target)
    return diagnose_snapshot(read(source, kind, name, namespace))


__all__ = [
    "BAD_INPUT",
    "CAUSES",
    "NO_PROBLEM",
    "PROBLEMS",
    "BadTarget",
    "ClusterSource",
    "Diagnosis",
    "Finding",
    "RecordedSource",
    "Snapshot",
    "Source",
    "Unreachable",
    "Unreadable",
    "diagnose",
    "diagnose_snapshot",
    "parse_target",
    "read",
]
