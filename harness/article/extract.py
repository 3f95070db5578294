"""Markdown -> YAML snippets, each with the line it starts on.

Two kinds of snippet:

- a fenced block (```` ``` ```` or ``~~~``) tagged ``yaml``/``yml`` (or
  untagged with ``apiVersion:`` in it);
- a paragraph line that is YAML a CMS flattened (``apiVersion: v1 kind:
  Service metadata: name: ...``), re-indented by :mod:`.flat`. A fenced block
  holding one flattened line is treated the same way.

A snippet either parses into objects (``docs``) or carries the ``error``
that says, with the article's line number, why it does not. Blocks of other
YAML (no ``apiVersion``/``kind`` anywhere) are kept with ``kubernetes =
False`` so the report can say they were skipped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from harness.article.flat import FlatError, looks_flattened, reindent

YAML_TAGS = {"yaml", "yml", "kubernetes", "k8s"}
_FENCE = re.compile(r"^ {0,3}(```+|~~~+)\s*([\w+-]*)")


@dataclass
class Snippet:
    line: int  # 1-based line of the article where the YAML starts
    source: str  # "fenced" or "flattened"
    text: str  # as the article has it
    yaml_text: str = ""  # block YAML (re-indented when flattened)
    docs: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None
    kubernetes: bool = True

    @property
    def id(self) -> str:
        return f"L{self.line}"

    def objects(self) -> list[str]:
        return [f"{d.get('kind')} {(d.get('metadata') or {}).get('name', '?')}" for d in self.docs]

    def as_dict(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "source": self.source,
            "objects": self.objects(),
            "yaml": self.yaml_text,
            "error": self.error,
        }


def extract_file(path: Path) -> list[Snippet]:
    return extract(path.read_text(encoding="utf-8"))


def extract(markdown: str) -> list[Snippet]:
    lines = markdown.splitlines()
    out: list[Snippet] = []
    i = 0
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if m:
            fence, tag = m.group(1), m.group(2).lower()
            j = i + 1
            while j < len(lines) and not lines[j].strip().startswith(fence[0] * len(fence)):
                j += 1
            body = "\n".join(lines[i + 1 : j])
            if tag in YAML_TAGS or (not tag and "apiVersion:" in body):
                out.append(_fenced(i + 2, body))
            i = j + 1
            continue
        if looks_flattened(lines[i]):
            out.append(_flattened(i + 1, lines[i].strip(), "flattened"))
        i += 1
    return out


def _flattened(line: int, text: str, source: str) -> Snippet:
    s = Snippet(line=line, source=source, text=text)
    try:
        s.docs = reindent(text)
    except FlatError as exc:
        s.error = f"flattened YAML could not be re-indented: {exc}"
        return s
    s.yaml_text = yaml.safe_dump_all(s.docs, sort_keys=False)
    return _check_objects(s)


def _fenced(line: int, body: str) -> Snippet:
    if looks_flattened(body):
        s = _flattened(line + _leading_blank(body), body.strip(), "fenced, flattened")
        return s
    s = Snippet(line=line, source="fenced", text=body, yaml_text=body)
    try:
        docs = list(yaml.safe_load_all(body))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        where = f"line {line + mark.line}" if mark is not None else f"the snippet at line {line}"
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        s.error = f"malformed YAML at {where}: {problem}"
        return s
    s.docs = [d for d in docs if d is not None]
    if not any(isinstance(d, dict) and ("apiVersion" in d or "kind" in d) for d in s.docs):
        s.kubernetes = False
        s.error = "not Kubernetes YAML (no apiVersion/kind): skipped"
        return s
    return _check_objects(s)


def _leading_blank(body: str) -> int:
    n = 0
    for ln in body.splitlines():
        if ln.strip():
            break
        n += 1
    return n


def _check_objects(s: Snippet) -> Snippet:
    for n, d in enumerate(s.docs, 1):
        if not isinstance(d, dict):
            s.error = f"document {n} is not a mapping"
            return s
        missing = [k for k in ("apiVersion", "kind") if not d.get(k)]
        if not (d.get("metadata") or {}).get("name"):
            missing.append("metadata.name")
        if missing:
            s.error = f"document {n} lacks {', '.join(missing)}"
            return s
    return s
