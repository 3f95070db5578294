"""The suites stay tables: every object a suite applies comes from
manifests/, and every check is an expectation row (harness/expect.py), not a
probe called by hand. Read from the source, so it stays that way."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SUITES = Path(__file__).resolve().parent.parent / "suites"
OBJECT_KEYS = {"apiVersion", "kind"}  # a dict with one of these is a Kubernetes object literal
OBJECT_FIELDS = {"metadata", "spec", "status", "data"}  # writing into these mutates a loaded manifest
RAW_PROBES = {"http_get", "tcp_exchange", "udp_exchange", "presented_certificate", "consistently"}


def _modules() -> list[Path]:
    return sorted(SUITES.rglob("*.py"))


def _subscript_keys(node: ast.AST) -> set[str]:
    keys = set()
    while isinstance(node, ast.Subscript):
        if isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, str):
            keys.add(node.slice.value)
        node = node.value
    return keys


def violations(source: str) -> list[str]:
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Dict):
            keys = {k.value for k in node.keys if isinstance(k, ast.Constant)}
            if keys & OBJECT_KEYS:
                found.append((node.lineno, "a Kubernetes object literal; put it in manifests/"))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "dict":
            if {kw.arg for kw in node.keywords} & OBJECT_KEYS:
                found.append((node.lineno, "a Kubernetes object literal; put it in manifests/"))
        elif isinstance(node, ast.Assign | ast.AugAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for t in targets:
                if _subscript_keys(t) & OBJECT_FIELDS:
                    found.append((node.lineno, "a loaded manifest is edited; make it a manifest of its own"))
        elif isinstance(node, ast.ImportFrom) and node.module in (
            "harness.checks.probes",
            "harness.checks.consistency",
        ):
            raw = {a.name for a in node.names} & RAW_PROBES
            if raw:
                found.append((node.lineno, f"{', '.join(sorted(raw))} by hand; write an expectation row"))
    return [f"line {n}: {why}" for n, why in sorted(found)]


@pytest.mark.parametrize("path", _modules(), ids=lambda p: p.name)
def test_suite_builds_no_object_and_probes_only_through_expectations(path):
    assert violations(path.read_text()) == []


def test_the_rule_sees_what_it_forbids():
    bad = """
from harness.checks.probes import http_get
from harness.checks.consistency import consistently, never
kube.apply([{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "x"}}])
svc = dict(apiVersion="v1", kind="Service")
docs[0]["spec"]["loadBalancerClass"] = "x"
ing["metadata"]["name"] = "blog"
"""
    assert [v.split(":")[0] for v in violations(bad)] == ["line 2", "line 3", "line 4", "line 5", "line 6", "line 7"]
    assert violations('docs = load_manifest("guide/tcp-app-service.yaml")\nrows = {"api": 1}\n') == []


def test_every_manifest_a_suite_names_exists():
    from harness.checks.manifests import MANIFESTS

    named = set()
    for path in _modules():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.endswith(".yaml"):
                named.add(node.value)
    assert named, "no manifest named in suites/"
    assert sorted(n for n in named if not (MANIFESTS / n).is_file()) == []
