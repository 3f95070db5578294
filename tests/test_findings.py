"""Findings are derived from the results: refutations, risky YAML, controllers
that differ, staleness, each with the corrections checked on the same run."""

from __future__ import annotations

import dataclasses

from report_samples import CONTROLLERS, document, results

from harness.report import document as report


def _by_kind(doc):
    out: dict[str, list] = {}
    for f in doc["findings"]:
        out.setdefault(f["kind"], []).append(f)
    return out


def test_findings_come_from_the_results():
    doc = document()
    kinds = _by_kind(doc)
    (refuted,) = kinds["does not hold"]
    assert refuted["subjects"] == ["traefik-nginx"] and "status 400, wanted 200" in refuted["text"]
    assert "answers 400 for /api/users" in refuted["text"]
    (risky,) = kinds["risky YAML"]
    assert risky["subjects"] == ["nginx", "nginx-inc", "traefik"]
    (correction,) = risky["corrections"]
    assert correction["verdicts"] == {s: "holds" for s in CONTROLLERS}
    assert correction["manifests"]["nginx-inc"] == "corrections/rewrite-keep-subpath-nginx-inc.yaml"
    differ = {f["title"] for f in kinds["controllers differ"]}
    assert differ == {
        "Controllers differ: path api-svc receives for /api/users, the guide's YAML.",
        "Controllers differ: plain HTTP to the guide's TLS host (/api).",
    }
    guide_yaml = next(f for f in kinds["controllers differ"] if "guide's YAML" in f["title"])
    assert "nginx: /;" in guide_yaml["text"] and "traefik-nginx: check failed: status 400" in guide_yaml["text"]
    (stale,) = kinds["stale"]
    assert stale["title"] == "Stale: nginx was retired upstream in March 2026."
    # findings come first: refutations, then risky YAML, then differences, then staleness
    assert [f["kind"] for f in doc["findings"]][0] == "does not hold"
    assert [f["kind"] for f in doc["findings"]][-1] == "stale"


def test_no_finding_without_the_result_behind_it():
    """The rules read results: when every controller behaves the same and
    nothing is refuted, the same catalog gives no such findings."""
    same = [
        dataclasses.replace(r, verdict="holds", reason="", notes=[], observations={})
        if r.claim in ("ingress-rewrite-target", "ingress-host-path-routing")
        else r
        for r in results()
    ]
    doc = report.build(same, controllers=CONTROLLERS, run={})
    assert doc["findings"] == []


def test_a_failing_correction_shows_its_verdict():
    rs = [
        dataclasses.replace(r, verdict="does not hold", reason="last seen: status 404")
        if r.claim == "rewrite-keep-subpath" and r.subject == "traefik-nginx"
        else r
        for r in results()
    ]
    doc = report.build(rs, controllers=CONTROLLERS, run={})
    risky = next(f for f in doc["findings"] if f["kind"] == "risky YAML")
    assert risky["corrections"][0]["verdicts"]["traefik-nginx"] == "does not hold"
    md = report.render_markdown(doc)
    assert "traefik-nginx: DOES NOT HOLD" in md
