"""The same object several times in one article.

- Identical snippets (one manifest shown in two tabs: a heredoc and a YAML
  block) are checked once: the first stands for all, with every line they
  appear on (:attr:`Step.lines`).
- Successive versions of one object (a route edited step by step: weights
  90/10, then 50/50, then 0/100) form a chain: the snippets that redefine an
  object an earlier snippet defined follow it, in article order, as steps of
  one test. A step is applied as an update on top of the earlier steps (in
  the same namespace), and its checks are those of everything applied so
  far, the object's latest version included (:attr:`Step.state`).

Objects are the same when their API group, kind and name are.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any

from harness.article import schema
from harness.article.extract import Snippet


def identity(doc: dict[str, Any]) -> tuple[str, str, str]:
    group = schema.split_api_version(str(doc.get("apiVersion", "")))[0]
    return group, str(doc.get("kind")), str((doc.get("metadata") or {}).get("name"))


@dataclass
class Step:
    snippet: Snippet  # as the article has it (the first of identical ones)
    lines: list[int]  # every line an identical snippet starts on
    chain: int = 0  # the line of the chain's first snippet; 0: not part of a chain
    step: int = 1  # position in its chain
    updates: list[str] = field(default_factory=list)  # objects this step changes ("HTTPRoute foo-route")
    state: Snippet | None = None  # what is applied once this step is: earlier steps' objects, updated by its own

    @property
    def planned(self) -> Snippet:
        """The snippet to derive the step's plan from."""
        return self.state if self.state is not None else self.snippet


def _key(s: Snippet) -> str | None:
    if s.error or not s.docs:
        return None
    return json.dumps(s.docs, sort_keys=True, default=str)


def steps(snippets: list[Snippet]) -> list[Step]:
    """The article's snippets, identical ones merged, versions chained."""
    out: list[Step] = []
    seen: dict[str, Step] = {}
    for s in snippets:
        key = _key(s)
        if key is not None and key in seen:
            seen[key].lines.append(s.line)
            continue
        st = Step(s, [s.line])
        if key is not None:
            seen[key] = st
        out.append(st)
    _chain(out)
    return out


def _chain(all_steps: list[Step]) -> None:
    owner: dict[tuple[str, str, str], Step] = {}  # object -> the last step defining it
    states: dict[int, dict[tuple[str, str, str], dict[str, Any]]] = {}  # chain -> objects so far
    for st in all_steps:
        s = st.snippet
        if s.error or not s.docs:
            continue
        ids = [identity(d) for d in s.docs]
        earlier = [owner[i] for i in ids if i in owner]
        if earlier:
            head = earlier[-1]
            if not head.chain:
                head.chain = head.snippet.line
                states[head.chain] = {identity(d): d for d in head.snippet.docs}
            st.chain = head.chain
            st.step = max(x.step for x in all_steps if x.chain == head.chain and x is not st) + 1
            state = states[st.chain]
            st.updates = [
                f"{d.get('kind')} {identity(d)[2]}" for d in s.docs if identity(d) in state and state[identity(d)] != d
            ]
            for d in s.docs:
                state[identity(d)] = d
            docs = list(state.values())
            st.state = replace(s, docs=docs, doc_lines=[_line_of(all_steps, st.chain, identity(d)) for d in docs])
        for i in ids:
            owner[i] = st


def _line_of(all_steps: list[Step], chain: int, ident: tuple[str, str, str]) -> int:
    """The line of the latest version of an object in a chain."""
    line = 0
    for st in all_steps:
        if st.chain != chain:
            continue
        for d, n in zip(
            st.snippet.docs, st.snippet.doc_lines or [st.snippet.line] * len(st.snippet.docs), strict=False
        ):
            if identity(d) == ident:
                line = n
    return line
