"""The claim catalog, loaded from ``harness/claims.yaml``: what the guide
says, in its own words, and what we check.

A claim is data: an id the suites mark their tests with
(``@pytest.mark.claim("lb-l4-reach")``), the guide's sentence, its section,
the concrete statement the harness checks and the tests whose checks give
its verdict; or the reason no cluster can check it. The catalog is the report's row order, so two nightly reports line
up. Corrections (``corrections:`` in the file) are claims of their own kind:
a corrected snippet checked on the same cluster as the original.

Adding a claim is one entry in the YAML file; ``tests/test_catalog.py``
keeps it honest (every sentence quoted verbatim, every claim with a test or
a reason, every test listed under the claim it marks).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

CATALOG_FILE = Path(__file__).with_name("claims.yaml")
GUIDE_DIR = Path(__file__).resolve().parent.parent.parent / "shared" / "guide"


SUBJECT_KINDS = ("controllers", "l4")


@dataclass(frozen=True)
class Claim:
    id: str
    area: str
    quote: str
    checks: str
    # L4 claims rest on the load-balancer implementation, not on an Ingress
    # controller; they are reported once, under "metallb".
    per_controller: bool = True
    # Why no run of this harness can check the claim (a cloud it has no
    # account in, a price list). Such claims are reported "not checkable
    # here" with this reason in every report, never left out.
    not_checkable: str = ""
    section: str = ""
    tests: tuple[str, ...] = ()
    threshold: dict[str, Any] = field(default_factory=dict)
    kind: str = "claim"  # or "correction"
    corrects: str = ""  # corrections: the claim whose snippet they correct
    original: str = ""  # corrections: the manifest they correct
    manifests: dict[str, str] = field(default_factory=dict)  # corrections: subject -> manifest
    # an observation value that means the guide's snippet misbehaves: {topics: [...], equals: str, says: str}
    risk: dict[str, Any] = field(default_factory=dict)

    @property
    def fragments(self) -> list[str]:
        """The quote's verbatim pieces (" ... " joins fragments)."""
        return [f.strip() for f in self.quote.split(" ... ") if f.strip()]


class CatalogError(ValueError):
    """The catalog file is malformed; the message names the entry."""


_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_FIELDS = {
    "id",
    "section",
    "area",
    "quote",
    "checks",
    "subject",
    "tests",
    "not_checkable",
    "threshold",
    "corrects",
    "original",
    "manifests",
    "risk",
}


def _claim(e: Any, where: str, kind: str) -> Claim:
    if not isinstance(e, dict):
        raise CatalogError(f"{where}: an entry must be a mapping")
    unknown = set(e) - _FIELDS
    if unknown:
        raise CatalogError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
    for required in ("id", "area", "quote", "checks"):
        if not isinstance(e.get(required), str) or not e[required].strip():
            raise CatalogError(f"{where}: {required} is required (a string)")
    cid = e["id"]
    if not _ID.match(cid):
        raise CatalogError(f"{where}: id {cid!r} must be lower-case words joined by '-'")
    subject = e.get("subject", "controllers")
    if subject not in SUBJECT_KINDS:
        raise CatalogError(f"{cid}: subject must be one of {', '.join(SUBJECT_KINDS)}, not {subject!r}")
    tests = e.get("tests") or []
    if not isinstance(tests, list) or not all(isinstance(t, str) and "::" in t for t in tests):
        raise CatalogError(f"{cid}: tests must be a list of test ids like suites/test_x.py::test_name")
    if bool(tests) == bool(e.get("not_checkable")):
        raise CatalogError(f"{cid}: give exactly one of tests or not_checkable (a reason)")
    if kind == "correction" and not (e.get("corrects") and e.get("manifests") and e.get("original")):
        raise CatalogError(f"{cid}: a correction needs corrects, original and manifests")
    return Claim(
        id=cid,
        area=e["area"],
        quote=" ".join(e["quote"].split()),
        checks=" ".join(e["checks"].split()),
        per_controller=subject == "controllers",
        not_checkable=" ".join(str(e.get("not_checkable", "")).split()),
        section=e.get("section", ""),
        tests=tuple(tests),
        threshold=dict(e.get("threshold") or {}),
        kind=kind,
        corrects=e.get("corrects", ""),
        original=e.get("original", ""),
        manifests=dict(e.get("manifests") or {}),
        risk=_risk(e.get("risk"), cid),
    )


def _risk(r: Any, cid: str) -> dict[str, Any]:
    if r is None:
        return {}
    if not isinstance(r, dict) or not r.get("topics") or "equals" not in r or not r.get("says"):
        raise CatalogError(f"{cid}: risk needs topics (a list), equals and says")
    return {"topics": list(r["topics"]), "equals": str(r["equals"]), "says": str(r["says"])}


@dataclass(frozen=True)
class Catalog:
    guide: str
    guide_file: str
    sections: tuple[str, ...]
    grouping_headings: tuple[str, ...]
    claims: tuple[Claim, ...]
    corrections: tuple[Claim, ...]


def load(path: Path = CATALOG_FILE) -> Catalog:
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CatalogError(f"cannot read the claim catalog {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise CatalogError(f"{path}: invalid YAML: {exc}".replace("\n", " ")) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("claims"), list):
        raise CatalogError(f"{path}: needs a top-level `claims:` list")
    sections = tuple(doc.get("sections") or ())
    claims = tuple(_claim(e, f"{path.name} claims[{i}]", "claim") for i, e in enumerate(doc["claims"]))
    corrections = tuple(
        _claim(e, f"{path.name} corrections[{i}]", "correction") for i, e in enumerate(doc.get("corrections") or [])
    )
    seen: set[str] = set()
    for c in (*claims, *corrections):
        if c.id in seen:
            raise CatalogError(f"{path.name}: id {c.id!r} appears twice")
        seen.add(c.id)
        if c.kind == "claim" and c.section not in sections:
            raise CatalogError(f"{c.id}: section {c.section!r} is not in `sections`")
    ids = {c.id for c in claims}
    for c in corrections:
        if c.corrects not in ids:
            raise CatalogError(f"{c.id}: corrects unknown claim {c.corrects!r}")
    return Catalog(
        guide=str(doc.get("guide", "")),
        guide_file=str(doc.get("guide_file", "")),
        sections=sections,
        grouping_headings=tuple(doc.get("grouping_headings") or ()),
        claims=claims,
        corrections=corrections,
    )


CATALOG = load()
GUIDE = CATALOG.guide
CLAIMS: tuple[Claim, ...] = CATALOG.claims
CORRECTIONS: tuple[Claim, ...] = CATALOG.corrections
BY_ID = {c.id: c for c in (*CLAIMS, *CORRECTIONS)}


def claims_for_test(test_id: str) -> list[Claim]:
    """The catalog entries whose ``tests`` list ``test_id`` (a node id with
    any parametrisation removed), in catalog order."""
    base = test_id.split("[", 1)[0]
    return [c for c in (*CLAIMS, *CORRECTIONS) if base in c.tests]


def get(claim_id: str) -> Claim:
    try:
        return BY_ID[claim_id]
    except KeyError:
        raise KeyError(f"unknown claim {claim_id!r}; known: {', '.join(sorted(BY_ID))}") from None
