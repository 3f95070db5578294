"""A mutant's edits applied to the objects a test applies as under test, and
the diff they make (the report shows it beside the kill)."""

from __future__ import annotations

import copy
import difflib
import string
from dataclasses import dataclass
from typing import Any

import yaml

from harness.mutants import Edit, Mutant


@dataclass(frozen=True)
class Mutation:
    docs: list[dict[str, Any]]
    diff: str  # unified diff of the YAML before and after ("" when nothing changed)


def _strings(node: Any, change: dict[str, Any]) -> Any:
    """Every scalar value (a string or a number, compared as written) that
    ``change`` names, replaced."""
    if isinstance(node, dict):
        return {k: _strings(v, change) for k, v in node.items()}
    if isinstance(node, list):
        return [_strings(v, change) for v in node]
    if isinstance(node, str | int) and not isinstance(node, bool) and str(node) in change:
        return change[str(node)]
    return node


def _walk(doc: Any, path: tuple[str | int, ...], *, create: bool) -> tuple[Any, str | int] | None:
    """The container holding the last key of ``path`` (made on the way when
    ``create``), or None when the path is not there."""
    node = doc
    for i, key in enumerate(path[:-1]):
        nxt = path[i + 1]
        if isinstance(node, dict):
            if key not in node:
                if not create:
                    return None
                node[key] = [] if isinstance(nxt, int) else {}
            node = node[key]
        elif isinstance(node, list) and isinstance(key, int) and -len(node) <= key < len(node):
            node = node[key]
        else:
            return None
    return node, path[-1]


def _fill(value: Any, variables: dict[str, str]) -> Any:
    """``${name}`` in a mutant's values: the subject's own names (its IngressClass, its GatewayClass)."""
    if isinstance(value, str) and "${" in value:
        return string.Template(value).safe_substitute(variables)
    if isinstance(value, dict):
        return {k: _fill(v, variables) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, variables) for v in value]
    return value


def _edit(doc: dict[str, Any], e: Edit, variables: dict[str, str]) -> dict[str, Any]:
    out = copy.deepcopy(doc)
    if e.swap:
        a, b = _fill(list(e.swap), variables)
        out = _strings(out, {a: b, b: a})
    if e.replace:
        out = _strings(out, {_fill(k, variables): _fill(v, variables) for k, v in e.replace})
    for path, raw in e.set:
        value = _fill(raw, variables)
        found = _walk(out, path, create=True)
        if found is not None:
            node, key = found
            if isinstance(node, dict):
                node[key] = copy.deepcopy(value)
            elif isinstance(node, list) and isinstance(key, int) and -len(node) <= key < len(node):
                node[key] = copy.deepcopy(value)
    for path in e.delete:
        found = _walk(out, path, create=False)
        if found is not None:
            node, key = found
            if isinstance(node, dict):
                node.pop(key, None)
            elif isinstance(node, list) and isinstance(key, int) and -len(node) <= key < len(node):
                node.pop(key)
    return out


def _matches(doc: dict[str, Any], e: Edit) -> bool:
    return doc.get("kind") == e.kind and (e.name is None or (doc.get("metadata") or {}).get("name") == e.name)


def mutate(docs: list[dict[str, Any]], mutant: Mutant, variables: dict[str, str] | None = None) -> Mutation:
    """``docs`` with every edit of ``mutant`` applied to the objects it names
    (``variables`` fill ``${name}`` in its values)."""
    out = []
    for doc in docs:
        new = doc
        for e in mutant.edits:
            if _matches(new, e):
                new = _edit(new, e, variables or {})
        out.append(new)
    before = yaml.safe_dump_all(docs, sort_keys=False).splitlines()
    after = yaml.safe_dump_all(out, sort_keys=False).splitlines()
    diff = "\n".join(difflib.unified_diff(before, after, "as written", f"mutant {mutant.name}", lineterm="", n=2))
    return Mutation(out, diff)
