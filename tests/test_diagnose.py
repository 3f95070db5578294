"""The diagnosis without a cluster: recorded cluster objects
(tests/data/diagnose/: base.yaml, a healthy cluster, and one file per case
that adds or replaces objects) go through the same reading and rules as a
live cluster. Each broken exposure is named by its cause; each healthy one
by none; what RBAC forbids is reported as not read, never guessed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from harness.diagnose import (
    BAD_INPUT,
    CAUSES,
    NO_PROBLEM,
    PROBLEMS,
    BadTarget,
    RecordedSource,
    diagnose,
    parse_target,
)

DATA = Path(__file__).resolve().parent / "data" / "diagnose"
CASES = sorted(p for p in DATA.glob("*.yaml") if p.name != "base.yaml")


def _id(o: dict[str, Any]) -> str:
    md = o.get("metadata") or {}
    return "/".join(x for x in (o["kind"], md.get("namespace"), md["name"]) if x)


def load_case(path: Path) -> tuple[dict[str, Any], RecordedSource]:
    header, *objects = [d for d in yaml.safe_load_all(path.read_text()) if d is not None]
    merged = {_id(o): o for o in yaml.safe_load_all((DATA / "base.yaml").read_text()) if o}
    for o in objects:
        merged[_id(o)] = o
    for gone in header.get("remove", []):
        assert merged.pop(gone, None) is not None, f"{path.name}: remove {gone}: not in the base"
    return header, RecordedSource(merged.values(), forbidden=header.get("forbidden", []))


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_each_case_names_its_cause(path):
    header, source = load_case(path)
    result = diagnose(source, header["target"], header["namespace"])
    assert result.causes == header["expect"], result.text()
    want_exit = header.get("exit", PROBLEMS if header["expect"] else NO_PROBLEM)
    assert result.exit_status == want_exit, result.text()
    for f in result.findings:
        assert f.summary and f.evidence and f.fix, f
    if header.get("forbidden"):
        assert result.unreadable and all("forbidden" in why for why in result.unreadable.values())
        assert "could not read" in result.text()


def test_every_cause_has_a_case_that_names_it():
    named = set()
    for path in CASES:
        named |= set(load_case(path)[0]["expect"])
    assert sorted(set(CAUSES) - named) == []


def test_no_secret_material_leaves_the_reader():
    header, source = load_case(DATA / "healthy-ingress.yaml")
    from harness.diagnose import read

    snap = read(source, "Ingress", "web-gateway", "shop")
    secret = snap.get("Secret", "shop-tls", "shop")
    assert secret is not None and "data" not in secret
    assert secret["keys"] == ["tls.crt", "tls.key"]
    assert secret["certificate"]["dns_names"] == ["shop.example.com"] and secret["certificate"]["key_matches"]
    assert "tls.key" not in str(diagnose(source, "ingress/web-gateway", "shop").to_dict()["findings"])


def test_findings_read_like_the_guide():
    header, source = load_case(DATA / "selector-typo.yaml")
    text = diagnose(source, header["target"], header["namespace"]).text()
    assert "SELECTOR MATCHES NO POD [selector-matches-no-pod]" in text
    assert "app=shopp" in text and "app=shop" in text  # the wrong selector and what the pods carry
    header, source = load_case(DATA / "healthy-service.yaml")
    text = diagnose(source, header["target"], header["namespace"]).text()
    assert "no problem found" in text and "checked: Service shop/shop" in text


def test_missing_target_and_namespace_are_bad_input():
    _, source = load_case(DATA / "healthy-service.yaml")
    with pytest.raises(BadTarget, match="^Service nope not found in namespace shop$"):
        diagnose(source, "service/nope", "shop")
    with pytest.raises(BadTarget, match="^namespace nowhere does not exist$"):
        diagnose(source, "service/shop", "nowhere")
    forbidden = RecordedSource(source.objects, forbidden=["Ingress"])
    with pytest.raises(BadTarget, match="^could not read Ingress web-gateway in namespace shop: forbidden"):
        diagnose(forbidden, "ingress/web-gateway", "shop")


@pytest.mark.parametrize(
    "text, want",
    [("svc/shop", ("Service", "shop")), ("Ingress/web", ("Ingress", "web")), ("httproutes/x", ("HTTPRoute", "x"))],
)
def test_targets_are_spelled_like_kubectl(text, want):
    assert parse_target(text) == want


@pytest.mark.parametrize("text", ["shop", "deployment/shop", "svc/", "svc/a/b"])
def test_bad_targets_are_one_line(text):
    with pytest.raises(BadTarget) as exc:
        parse_target(text)
    assert "\n" not in str(exc.value)


def test_exit_status_values():
    assert (NO_PROBLEM, PROBLEMS, BAD_INPUT) == (0, 1, 2)
