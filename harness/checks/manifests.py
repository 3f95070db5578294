"""Manifests: the project's YAML files (templates with ``${name}``
placeholders) and upstream text read as published, parsed into plain dicts,
and the rewrites a test makes to them (hostnames unique to its namespace, a
controller's class)."""

from __future__ import annotations

import copy
import string
from pathlib import Path
from typing import Any

import yaml

from harness.results.errors import HarnessError

MANIFESTS = Path(__file__).resolve().parents[2] / "manifests"


class ManifestError(HarnessError):
    """A manifest could not be read or applied; the message names the object."""


# --------------------------------------------------------------------------
# manifests
# --------------------------------------------------------------------------


def load_manifest(path: str | Path, **variables: Any) -> list[dict[str, Any]]:
    """Parse a multi-document YAML file; ``${name}`` placeholders are filled
    from ``variables`` and any placeholder left unfilled is an error."""
    p = Path(path)
    if not p.is_absolute():
        p = MANIFESTS / p
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise ManifestError(f"cannot read manifest {p}: {exc.strerror}") from None
    return parse_manifest(text, source=str(p), **variables)


def parse_manifest(
    text: str, *, source: str = "<string>", template: bool = True, **variables: Any
) -> list[dict[str, Any]]:
    """Parse multi-document YAML. The project's own manifests are templates
    (``${name}`` placeholders, ``$$`` for a literal dollar); upstream text
    (``template=False``) is read exactly as published."""
    if template and (variables or "${" in text or "$$" in text):
        try:
            text = string.Template(text).substitute({k: str(v) for k, v in variables.items()})
        except KeyError as exc:
            raise ManifestError(f"{source}: placeholder ${{{exc.args[0]}}} has no value") from None
        except ValueError as exc:
            raise ManifestError(f"{source}: bad placeholder: {exc}") from None
    try:
        docs = [d for d in yaml.safe_load_all(text) if d]
    except yaml.YAMLError as exc:
        raise ManifestError(f"{source}: invalid YAML: {exc}".replace("\n", " ")) from None
    for i, d in enumerate(docs):
        if (
            not isinstance(d, dict)
            or not d.get("apiVersion")
            or not d.get("kind")
            or not d.get("metadata", {}).get("name")
        ):
            raise ManifestError(f"{source}: document {i + 1} lacks apiVersion, kind or metadata.name")
    return docs


def describe(doc: dict[str, Any]) -> str:
    md = doc.get("metadata", {})
    ns = f"{md['namespace']}/" if md.get("namespace") else ""
    return f"{doc.get('kind')} {ns}{md.get('name')}"


def rename_hosts(docs: list[dict[str, Any]], mapping: dict[str, str]) -> list[dict[str, Any]]:
    """Copies of ``docs`` with every string equal to a key of ``mapping``
    replaced by its value (hostnames in rules, tls.hosts, hostnames lists).
    Lets the guide's YAML stay verbatim on disk while each test gets unique
    hostnames."""

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        if isinstance(node, str) and node in mapping:
            return mapping[node]
        return node

    return [walk(copy.deepcopy(d)) for d in docs]


def with_ingress_class(docs: list[dict[str, Any]], ingress_class: str) -> list[dict[str, Any]]:
    """Copies of ``docs`` whose Ingresses name ``ingress_class``: the guide's
    YAML, unchanged but for its class, on a controller that serves another."""
    out = [copy.deepcopy(d) for d in docs]
    for d in out:
        if d.get("kind") == "Ingress":
            d.setdefault("spec", {})["ingressClassName"] = ingress_class
    return out


def unique_host(ns: str, host: str) -> str:
    """``host`` made unique to one test namespace, readable as the original:
    in namespace t-...-1a2b3, shop.example.com -> shop.example-1a2b3.com.

    The suffix goes on the label left of the last one (the domain), the same
    label for every name, so a wildcard keeps covering what it covered:
    ``*.example.com`` -> ``*.example-1a2b3.com`` covers
    ``foo.example-1a2b3.com`` (and not ``example-1a2b3.com``, as
    ``*.example.com`` does not cover ``example.com``). A single label gets the
    suffix itself; a wildcard over a top-level domain (``*.com``) keeps its
    ``*`` label and suffixes the top-level one."""
    suffix = ns.rsplit("-", 1)[-1]
    labels = host.split(".")
    if len(labels) == 1:
        return f"{host}-{suffix}"
    i = len(labels) - 2
    if labels[i] == "*":
        i += 1
    labels[i] = f"{labels[i]}-{suffix}"
    return ".".join(labels)
