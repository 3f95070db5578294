"""Re-indent YAML that a CMS flattened into one line.

``apiVersion: v1 kind: Service metadata: name: tcp-app spec: type:
LoadBalancer ports: - port: 1883 ...`` keeps every token of the YAML but
none of its indentation, so the nesting must be recovered from what the
fields of each kind are (:mod:`.schema`): a key goes into the innermost open
mapping that has such a field; a key no open structure has goes into the
innermost free map (labels, annotations); a dash starts an item of the
innermost open list whose items have the key that follows. A free map just
opened takes its first key whatever it is.

The result is checked by flattening it again: the token sequence must be
the one read, or the re-indentation is refused. A kind the harness has no
structure for is refused too (its nesting cannot be told from the tokens).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from harness.article import schema
from harness.article.schema import ANY, SCALAR, resolve


class FlatError(ValueError):
    """The flattened YAML could not be re-indented; the message says why."""


@dataclass(frozen=True)
class Token:
    kind: str  # "key", "value", "dash", "flow", "doc"
    text: str


_FLAT_START = re.compile(r"^\s*(?:---\s+)?apiVersion:\s+\S+\s+(?:.*\s)?kind:\s+\S+")


def looks_flattened(text: str) -> bool:
    """One line that starts like a Kubernetes object and carries keys after it."""
    stripped = text.strip()
    if "\n" in stripped or not _FLAT_START.match(stripped):
        return False
    try:
        return len(tokenize(stripped)) > 4
    except FlatError:
        return True  # it starts like an object: re-indenting it says what is wrong (an unterminated quote)


def tokenize(text: str) -> list[Token]:
    """Tokens of one flattened line: keys (``name:``), dashes, ``---``,
    flow collections (``[ ... ]``, ``{ ... }``, quote-aware) and plain or
    quoted words."""
    out: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
            continue
        if c in "[{":
            j = _flow_end(text, i)
            out.append(Token("flow", text[i:j]))
            i = j
            continue
        if c in "\"'":
            j = _quote_end(text, i)
            word = text[i:j]
            if j < n and text[j] == ":" and (j + 1 == n or text[j + 1].isspace()):
                out.append(Token("key", str(yaml.safe_load(word))))
                i = j + 1
            else:
                out.append(Token("value", word))
                i = j
            continue
        j = i
        while j < n and not text[j].isspace():
            j += 1
        word = text[i:j]
        if word == "-":
            out.append(Token("dash", "-"))
        elif word == "---":
            out.append(Token("doc", "---"))
        elif word.endswith(":") and len(word) > 1:
            out.append(Token("key", word[:-1]))
        else:
            out.append(Token("value", word))
        i = j
    return out


def _quote_end(text: str, i: int) -> int:
    q = text[i]
    j = i + 1
    while j < len(text):
        if text[j] == q:
            if q == "'" and j + 1 < len(text) and text[j + 1] == "'":
                j += 2
                continue
            return j + 1
        if q == '"' and text[j] == "\\":
            j += 2
            continue
        j += 1
    raise FlatError(f"unterminated quote starting {text[i : i + 20]!r}")


def _flow_end(text: str, i: int) -> int:
    depth, j = 0, i
    while j < len(text):
        c = text[j]
        if c in "\"'":
            j = _quote_end(text, j)
            continue
        if c in "[{":
            depth += 1
        elif c in "]}":
            depth -= 1
            if depth == 0:
                return j + 1
        j += 1
    raise FlatError(f"unbalanced brackets starting {text[i : i + 20]!r}")


def _scalar(words: list[str]) -> Any:
    text = " ".join(words)
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError:
        return text
    return value if not isinstance(value, dict | list) else text


# --------------------------------------------------------------------------
# building the tree
# --------------------------------------------------------------------------

ROOT_FIELDS = ("struct", {"apiVersion": SCALAR, "kind": SCALAR})


@dataclass
class _Frame:
    node: Any  # dict or list
    type: Any
    free: bool = False  # a map with free keys (labels...) or an unknown structure

    def fields(self) -> dict[str, Any]:
        t = resolve(self.type)
        return t[1] if isinstance(t, tuple) and t[0] == "struct" else {}


@dataclass
class _Doc:
    root: dict[str, Any] = field(default_factory=dict)


def _is_free(t: Any) -> bool:
    t = resolve(t)
    return t == ANY or (isinstance(t, tuple) and t[0] == "map")


def _child_type(frame: _Frame, key: str) -> Any:
    t = resolve(frame.type)
    if isinstance(t, tuple) and t[0] == "struct":
        return t[1].get(key, ANY)
    if isinstance(t, tuple) and t[0] == "map":
        return t[1]
    return ANY


def _elem_type(frame: _Frame) -> Any:
    t = resolve(frame.type)
    return t[1] if isinstance(t, tuple) and t[0] == "list" else ANY


def _accepts(t: Any, key: str) -> bool:
    t = resolve(t)
    if isinstance(t, tuple) and t[0] == "struct":
        return key in t[1]
    return True


def reindent(text: str) -> list[dict[str, Any]]:
    """The objects of one flattened line. Raises :class:`FlatError` naming the
    token it could not place, or a kind it has no structure for."""
    tokens = tokenize(text)
    docs: list[dict[str, Any]] = []
    i = 0
    while i < len(tokens):
        if tokens[i].kind == "doc":
            i += 1
            continue
        doc, i = _one_document(tokens, i)
        docs.append(doc)
    if not docs:
        raise FlatError("no object in the line")
    again: list[Token] = []
    for n_doc, d in enumerate(docs):
        again += ([Token("doc", "---")] if n_doc else []) + flatten(d)
    read = tokens[1:] if tokens and tokens[0].kind == "doc" else tokens
    if _normal(again) != _normal(read):
        raise FlatError("the re-indented objects do not flatten back to the same tokens")
    return docs


def _normal(tokens: list[Token]) -> list[tuple[str, str]]:
    """Tokens with flow collections expanded and runs of words joined, each
    scalar in its parsed form: what must survive a re-indentation."""
    out: list[tuple[str, str]] = []
    run: list[str] = []

    def flush() -> None:
        if run:
            out.append(("value", repr(_scalar(run))))
            run.clear()

    for t in tokens:
        if t.kind == "value":
            run.append(t.text)
            continue
        flush()
        if t.kind == "flow":
            out.extend(_normal(_flatten_value(yaml.safe_load(t.text))))
        else:
            out.append((t.kind, t.text))
    flush()
    return out


def _one_document(tokens: list[Token], i: int) -> tuple[dict[str, Any], int]:
    root: dict[str, Any] = {}
    stack: list[_Frame] = [_Frame(root, ROOT_FIELDS)]
    typed = False
    while i < len(tokens):
        tok = tokens[i]
        if tok.kind == "doc":
            break
        if tok.kind == "key" and tok.text == "apiVersion" and "apiVersion" in root and len(stack) >= 1:
            if "kind" in root:
                break  # the next object of the same line
        if not typed and "apiVersion" in root and "kind" in root:
            t = schema.object_type(str(root["apiVersion"]), str(root["kind"]))
            if t is None:
                raise FlatError(
                    f"no structure known for {root['apiVersion']} {root['kind']}: cannot tell how its flattened "
                    "fields nest"
                )
            stack[0].type = t
            typed = True
        if tok.kind == "key":
            i = _place_key(stack, tokens, i)
        elif tok.kind == "dash":
            i = _place_dash(stack, tokens, i)
        else:
            raise FlatError(f"value {tok.text!r} has no key")
    if "apiVersion" not in root or "kind" not in root:
        raise FlatError("an object without apiVersion and kind")
    return root, i


def _target_for_key(stack: list[_Frame], key: str) -> int:
    fallback = None
    for idx in range(len(stack) - 1, -1, -1):
        f = stack[idx]
        if isinstance(f.node, list):
            continue
        if f.free:
            if not f.node:
                return idx  # a map just opened takes its first key
            if fallback is None:
                fallback = idx
            continue
        if key in f.fields():
            return idx
    if fallback is not None:
        return fallback
    raise FlatError(f"cannot place key {key!r}: no open structure has such a field")


def _place_key(stack: list[_Frame], tokens: list[Token], i: int) -> int:
    key = tokens[i].text
    idx = _target_for_key(stack, key)
    del stack[idx + 1 :]
    frame = stack[-1]
    child = _child_type(frame, key)
    i += 1
    nxt = tokens[i] if i < len(tokens) else None
    if nxt is None or nxt.kind == "doc":
        frame.node[key] = None
        return i
    if nxt.kind == "value":
        words = []
        while i < len(tokens) and tokens[i].kind == "value":
            words.append(tokens[i].text)
            i += 1
        frame.node[key] = _scalar(words)
        return i
    if nxt.kind == "flow":
        try:
            frame.node[key] = yaml.safe_load(nxt.text)
        except yaml.YAMLError as exc:
            raise FlatError(f"{key}: bad flow value {nxt.text!r}: {exc}".replace("\n", " ")) from None
        return i + 1
    if nxt.kind == "dash":
        lst: list[Any] = []
        frame.node[key] = lst
        stack.append(_Frame(lst, child))
        return i
    # another key: a nested mapping (or an empty value when the child cannot hold that key)
    resolved = resolve(child)
    if resolved == SCALAR or (not _is_free(child) and not _accepts(child, nxt.text)):
        frame.node[key] = None
        return i
    sub: dict[str, Any] = {}
    frame.node[key] = sub
    stack.append(_Frame(sub, child, free=_is_free(child)))
    return i


def _place_dash(stack: list[_Frame], tokens: list[Token], i: int) -> int:
    nxt = tokens[i + 1] if i + 1 < len(tokens) else None
    lists = [idx for idx in range(len(stack) - 1, -1, -1) if isinstance(stack[idx].node, list)]
    if not lists:
        raise FlatError("a list item '-' outside any list")
    target = lists[0]
    if stack[-1].node == [] and isinstance(stack[-1].node, list):
        target = len(stack) - 1  # the list just opened
    elif nxt is not None and nxt.kind == "key":
        # the list whose items take the most of the keys that follow (until the next dash); innermost on a tie
        following = []
        for t in tokens[i + 1 :]:
            if t.kind in ("dash", "doc"):
                break
            if t.kind == "key":
                following.append(t.text)
        best = -1
        for idx in lists:
            elem = _elem_type(stack[idx])
            score = 0
            for k in following:
                if not _accepts(elem, k):
                    break
                score += 1
            if score > best:
                target, best = idx, score
    del stack[target + 1 :]
    frame = stack[-1]
    elem = _elem_type(frame)
    i += 1
    if nxt is None or nxt.kind == "doc":
        frame.node.append(None)
        return i
    if nxt.kind == "value":
        words = []
        while i < len(tokens) and tokens[i].kind == "value":
            words.append(tokens[i].text)
            i += 1
        frame.node.append(_scalar(words))
        return i
    if nxt.kind == "flow":
        frame.node.append(yaml.safe_load(nxt.text))
        return i + 1
    if nxt.kind == "dash":
        raise FlatError("nested list items ('- -') cannot be re-indented")
    item: dict[str, Any] = {}
    frame.node.append(item)
    stack.append(_Frame(item, elem, free=_is_free(elem)))
    return i


# --------------------------------------------------------------------------
# flattening back (the check, and what tests compare)
# --------------------------------------------------------------------------


def flatten(node: Any) -> list[Token]:
    """The tokens a CMS would leave of ``node`` dumped as block YAML."""
    out: list[Token] = []
    if isinstance(node, dict):
        for k, v in node.items():
            out.append(Token("key", str(k)))
            out.extend(_flatten_value(v))
    return out


def _flatten_value(v: Any) -> list[Token]:
    if isinstance(v, dict):
        return flatten(v) if v else [Token("flow", "{}")]
    if isinstance(v, list):
        if not v:
            return [Token("flow", "[]")]
        out: list[Token] = []
        for item in v:
            out.append(Token("dash", "-"))
            out.extend(flatten(item) if isinstance(item, dict) else _flatten_value(item))
        return out
    if v is None:
        return []
    return [Token("value", yaml.safe_dump(v, default_flow_style=True).strip().removesuffix("...").strip())]
