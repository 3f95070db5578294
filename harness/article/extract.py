"""Markdown -> YAML snippets, each with the article line it starts on and
the article line of each of its documents.

Where a snippet comes from (:class:`Origin`):

- ``fenced``: a fenced block (```` ``` ```` or ``~~~``, indented or not, e.g.
  in a list item or an admonition) tagged ``yaml``/``yml`` (or untagged with
  ``apiVersion:`` in it and no kubectl command);
- ``flattened`` / ``fenced, flattened``: a paragraph line (or a fence) that
  is YAML a CMS flattened (``apiVersion: v1 kind: Service metadata: name:
  ...``), re-indented by :mod:`.flat`;
- ``heredoc`` / ``echo`` / ``printf`` / ``file``: a manifest a shell block
  (``bash``, ``sh``, ``shell``, ``console``, ... and untagged blocks with a
  kubectl command) feeds to ``kubectl apply|create|replace -f -``, read by
  :mod:`.shell`;
- ``command``: the objects of a ``kubectl create deployment|service|ingress``
  or ``kubectl expose`` one-liner (:mod:`.commands`);
- ``include``: a file the page includes (:mod:`.includes`), resolved under
  the include root.

A snippet either parses into objects (``docs``) or carries the ``error``
that says, with the article's line number, why it does not (an include that
did not resolve says so, never "malformed YAML"). Blocks of other YAML (no
``apiVersion``/``kind`` anywhere) are kept with ``kubernetes = False``.
:func:`scan_file` also returns every include (resolved, unresolved,
refused), the kubectl commands the harness does not check, and the
problems of the page (a shell quote that does not close, a heredoc with no
end delimiter, no YAML at all), each with its line.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from harness.article import commands as kubectl_commands
from harness.article import includes as inc
from harness.article import shell
from harness.article.flat import FlatError, looks_flattened, reindent

YAML_TAGS = {"yaml", "yml", "kubernetes", "k8s"}
_FENCE = re.compile(r"^(?P<indent>\s*)(?P<fence>```+|~~~+)\s*\{?\.?(?P<tag>[\w+-]*)")
MAX_INCLUDE_DEPTH = 3


class Origin(enum.Enum):
    FENCED = "fenced"
    FLATTENED = "flattened"
    FENCED_FLATTENED = "fenced, flattened"
    HEREDOC = "heredoc"
    ECHO = "echo"
    PRINTF = "printf"
    FILE = "file"
    COMMAND = "command"
    INCLUDE = "include"


_VIA = {shell.HEREDOC: Origin.HEREDOC, shell.ECHO: Origin.ECHO, shell.PRINTF: Origin.PRINTF, shell.FILE: Origin.FILE}


@dataclass
class Snippet:
    line: int  # 1-based line of the article where the YAML starts (an include: the directive's line)
    source: str  # the origin's value ("fenced", "heredoc", ...), as the report prints it
    text: str  # as the article has it
    yaml_text: str = ""  # block YAML (re-indented when flattened, unquoted when from a shell block)
    docs: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None
    kubernetes: bool = True
    origin: Origin = Origin.FENCED
    doc_lines: list[int] = field(default_factory=list)  # the article line of each document
    includes: list[inc.Include] = field(default_factory=list)  # the includes its text came from
    command: str = ""  # the shell command that applies it (shell and command origins)
    notes: list[str] = field(default_factory=list)

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
            "doc_lines": list(self.doc_lines),
            "command": self.command,
            "includes": [i.message() for i in self.includes],
        }


@dataclass(frozen=True)
class CommandNote:
    """A kubectl command that changes the cluster and that the harness does not check."""

    line: int
    command: str
    reason: str


@dataclass(frozen=True)
class Problem:
    """Something of the page that is not a snippet but must be reported, with its line."""

    line: int
    message: str


@dataclass
class Extraction:
    snippets: list[Snippet] = field(default_factory=list)
    includes: list[inc.Include] = field(default_factory=list)
    commands: list[CommandNote] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


# --------------------------------------------------------------------------
# entry points
# --------------------------------------------------------------------------


def extract_file(path: Path, include_root: Path | None = None) -> list[Snippet]:
    return scan_file(path, include_root).snippets


def extract(markdown: str, *, path: Path | None = None, include_root: Path | None = None) -> list[Snippet]:
    return scan(markdown, path=path, include_root=include_root).snippets


def scan_file(path: Path, include_root: Path | None = None) -> Extraction:
    return scan(path.read_text(encoding="utf-8"), path=path, include_root=include_root)


def scan(markdown: str, *, path: Path | None = None, include_root: Path | None = None) -> Extraction:
    """Every snippet, include, unchecked command and problem of the page."""
    root = include_root if include_root is not None else (inc.repository_root(path) if path else None)
    s = _Scanner(path, root)
    s.page(markdown.splitlines(), [n + 1 for n in range(len(markdown.splitlines()))], depth=0)
    out = s.out
    if not out.snippets and not any(p.message.startswith("shell:") for p in out.problems):
        out.problems.append(
            Problem(1, "no YAML in the article: no YAML block, no manifest piped to kubectl, no include of a manifest")
        )
    return out


# --------------------------------------------------------------------------
# the scanner
# --------------------------------------------------------------------------


class _Scanner:
    def __init__(self, path: Path | None, root: Path | None) -> None:
        self.path = path
        self.root = root
        self.out = Extraction()
        self.files: dict[str, shell.Manifest] = {}  # what shell blocks wrote to files
        self.known: dict[tuple[str, str], dict[str, Any]] = {}  # objects so far, for kubectl expose

    def page(self, lines: list[str], numbers: list[int], depth: int) -> None:
        i = 0
        while i < len(lines):
            m = _FENCE.match(lines[i])
            if m:
                indent, fence, tag = len(m.group("indent")), m.group("fence"), m.group("tag").lower()
                j = i + 1
                closing = fence[0] * len(fence)
                while j < len(lines) and not (
                    lines[j].strip().startswith(closing) and not lines[j].strip().strip(fence[0])
                ):
                    j += 1
                body = [_dedent(ln, indent) for ln in lines[i + 1 : j]]
                self.fence(tag, body, numbers[i + 1 : j], depth)
                i = j + 1
                continue
            directives = inc.find(lines[i], numbers[i])
            if directives:
                for d in directives:
                    self.include_outside(d, depth)
                i += 1
                continue
            if looks_flattened(lines[i]):
                self.add(_flattened(numbers[i], lines[i].strip(), Origin.FLATTENED))
            i += 1

    # -- fences ------------------------------------------------------------------------

    def fence(self, tag: str, body: list[str], numbers: list[int], depth: int) -> None:
        text = "\n".join(body)
        if tag in shell.SHELL_TAGS or (not tag and _has_kubectl(body)):
            lines, refs = self.expand(body, numbers, depth)
            self.shell_block(lines, mentions_kubectl=_has_kubectl([t for t, _ in lines]))
            self.out.includes.extend(refs)
            return
        if tag in YAML_TAGS or (not tag and ("apiVersion:" in text or _only_includes(body))):
            if any(inc.find(ln, n) for ln, n in zip(body, numbers, strict=True)):
                self.yaml_with_includes(body, numbers, depth)
                return
            self.add(_fenced(numbers[0] if numbers else 1, text))

    def expand(
        self, body: list[str], numbers: list[int], depth: int
    ) -> tuple[list[tuple[str, int]], list[inc.Include]]:
        """A fence's lines with include directives replaced by the files'
        lines (each numbered with the directive's line)."""
        out: list[tuple[str, int]] = []
        refs: list[inc.Include] = []
        for ln, n in zip(body, numbers, strict=True):
            directives = inc.find(ln, n)
            if not directives or not inc.is_directive_line(ln):
                out.append((ln, n))
                continue
            for d in directives:
                found, text = self.resolve(d)
                refs.append(found)
                if text is not None:
                    out.extend((t, n) for t in text.splitlines())
        return out, refs

    def resolve(self, d: inc.Directive) -> tuple[inc.Include, str | None]:
        if self.path is None or self.root is None:
            return inc.Include(d.form, d.path, d.line, inc.Status.UNRESOLVED, reason="no include root"), None
        return inc.resolve(d, self.path, self.root)

    def yaml_with_includes(self, body: list[str], numbers: list[int], depth: int) -> None:
        lines, refs = self.expand(body, numbers, depth)
        self.out.includes.extend(refs)
        failed = [r for r in refs if r.status is not inc.Status.RESOLVED]
        first = numbers[0] if numbers else 1
        if failed:
            s = Snippet(
                line=failed[0].line,
                source=Origin.INCLUDE.value,
                text="\n".join(body),
                origin=Origin.INCLUDE,
                includes=refs,
                error="; ".join(r.message() for r in failed),
            )
            self.add(s)
            return
        text = "\n".join(t for t, _ in lines)
        only = all(not ln.strip() or inc.is_directive_line(ln) for ln in body)
        s = _parse(
            Snippet(
                line=refs[0].line if only and refs else first,
                source=Origin.INCLUDE.value if only else Origin.FENCED.value,
                text="\n".join(body),
                yaml_text=text,
                origin=Origin.INCLUDE if only else Origin.FENCED,
                includes=refs,
            ),
            [n for _, n in lines],
            where=f" of {refs[0].file}" if only and len(refs) == 1 else "",
        )
        self.add(s)

    def include_outside(self, d: inc.Directive, depth: int) -> None:
        found, text = self.resolve(d)
        self.out.includes.append(found)
        if text is None:
            self.add(
                Snippet(
                    line=d.line,
                    source=Origin.INCLUDE.value,
                    text=d.raw,
                    origin=Origin.INCLUDE,
                    includes=[found],
                    error=found.message(),
                )
            )
            return
        suffix = found.file.rsplit(".", 1)[-1].lower() if "." in found.file else ""
        lines = text.splitlines()
        if suffix in ("md", "markdown"):
            if depth >= MAX_INCLUDE_DEPTH:
                self.out.problems.append(Problem(d.line, f"{d.path}: includes nested deeper than {MAX_INCLUDE_DEPTH}"))
                return
            self.page(lines, [d.line] * len(lines), depth + 1)
            return
        if suffix in ("sh", "bash"):
            self.shell_block([(t, d.line) for t in lines], mentions_kubectl=_has_kubectl(lines))
            return
        if suffix in ("yaml", "yml", "json") or "apiVersion:" in text:
            s = _parse(
                Snippet(
                    line=d.line,
                    source=Origin.INCLUDE.value,
                    text=d.raw,
                    yaml_text=text,
                    origin=Origin.INCLUDE,
                    includes=[found],
                ),
                [d.line] * max(1, len(lines)),
                where=f" of {found.file}",
            )
            self.add(s)

    # -- shell -------------------------------------------------------------------------

    def shell_block(self, lines: list[tuple[str, int]], mentions_kubectl: bool) -> None:
        result = shell.scan(lines, self.files)
        if mentions_kubectl:
            self.out.problems.extend(Problem(p.line, p.message) for p in result.problems)
        for m in result.manifests:
            origin = _VIA[m.via]
            s = Snippet(
                line=_first_content_line(m.text),
                source=origin.value,
                text=m.text.value,
                yaml_text=m.text.value,
                origin=origin,
                command=m.command,
                notes=list(m.notes),
            )
            if m.expands:
                s.notes.append("holds shell expansions ($VAR, $(...)) left as written")
            self.add(_parse(s, list(m.text.lines)))
        for c in result.commands:
            made = kubectl_commands.make(c, self.known)
            if made.not_checked:
                self.out.commands.append(CommandNote(c.line, c.source, made.not_checked))
                continue
            s = Snippet(
                line=c.line,
                source=Origin.COMMAND.value,
                text=c.source,
                yaml_text=yaml.safe_dump_all(made.docs, sort_keys=False),
                docs=made.docs,
                origin=Origin.COMMAND,
                doc_lines=[c.line] * len(made.docs),
                command=c.source,
            )
            self.add(_check_objects(s))

    def add(self, s: Snippet) -> None:
        self.out.snippets.append(s)
        if not s.error:
            for d in s.docs:
                if isinstance(d, dict):
                    self.known[(str(d.get("kind")), str((d.get("metadata") or {}).get("name")))] = d


def _dedent(line: str, indent: int) -> str:
    n = 0
    while n < indent and n < len(line) and line[n] in " \t":
        n += 1
    return line[n:]


_KUBECTL_LINE = re.compile(r"(^|[\s|;&(])(kubectl|oc)\s")


def _has_kubectl(lines: list[str]) -> bool:
    return any(_KUBECTL_LINE.search(ln) for ln in lines)


def _only_includes(body: list[str]) -> bool:
    lines = [ln for ln in body if ln.strip()]
    return bool(lines) and all(inc.is_directive_line(ln) and inc.find(ln, 0) for ln in lines)


def _first_content_line(t: shell.Text) -> int:
    for k, ln in enumerate(t.value.split("\n")):
        if ln.strip() and ln.strip() != "---" and not ln.lstrip().startswith("#"):
            return t.line_of(k)
    return t.line_of(0)


# --------------------------------------------------------------------------
# parsing one snippet
# --------------------------------------------------------------------------


def _flattened(line: int, text: str, origin: Origin) -> Snippet:
    s = Snippet(line=line, source=origin.value, text=text, origin=origin)
    try:
        s.docs = reindent(text)
    except FlatError as exc:
        s.error = f"flattened YAML could not be re-indented: {exc}"
        return s
    s.yaml_text = yaml.safe_dump_all(s.docs, sort_keys=False)
    s.doc_lines = [line] * len(s.docs)
    return _check_objects(s)


def _fenced(line: int, body: str) -> Snippet:
    if looks_flattened(body):
        return _flattened(line + _leading_blank(body), body.strip(), Origin.FENCED_FLATTENED)
    s = Snippet(line=line, source=Origin.FENCED.value, text=body, yaml_text=body)
    return _parse(s, [line + k for k in range(body.count("\n") + 1)])


def _parse(s: Snippet, numbers: list[int], where: str = "") -> Snippet:
    """Parse ``s.yaml_text``; ``numbers`` gives the article line of each of
    its lines (for errors and the documents' lines)."""

    def at(k: int) -> int:
        return numbers[min(k, len(numbers) - 1)] if numbers else s.line

    try:
        nodes = list(yaml.compose_all(s.yaml_text))
        docs = list(yaml.safe_load_all(s.yaml_text))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        last = max(0, len(s.yaml_text.splitlines()) - 1)  # a mark at the end of the stream: the last line
        if mark is not None and where:
            place = f"line {min(mark.line, last) + 1}{where} (included at line {at(mark.line)})"
        elif mark is not None:
            place = f"line {at(mark.line)}"
        else:
            place = f"the snippet at line {s.line}"
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        s.error = f"malformed YAML at {place}: {problem}"
        return s
    if len(nodes) == len(docs):
        kept = [(at(n.start_mark.line), d) for n, d in zip(nodes, docs, strict=True) if d is not None]
    else:
        kept = [(s.line, d) for d in docs if d is not None]
    s.docs = [d for _, d in kept]
    s.doc_lines = [n for n, _ in kept]
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
        if not isinstance(d.get("metadata"), dict) or not d["metadata"].get("name"):
            missing.append("metadata.name")
        if missing:
            s.error = f"document {n} lacks {', '.join(missing)}"
            return s
    return s
