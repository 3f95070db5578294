"""Values made comparable across subjects and runs: generated parts of names
and addresses replaced by placeholders.

A test's hostnames are made unique to its namespace (``shop.example.com`` ->
``shop-1a2b3.example.com``), pods carry generated suffixes, addresses come
from each run's pool, and the run CA's certificates carry random serials.
None of that is behaviour: two controllers that both answer "308 redirect to
https://shop-1a2b3.example.com/api" and "... shop-9f8e7 ..." behave the same.
"""

from __future__ import annotations

import re

# Kubernetes' generated suffixes use an alphabet without vowels (so words like "multiple-hosts" stay)
_POD_SUFFIX = re.compile(r"\b([a-z0-9-]+?)-[bcdfghjklmnpqrstvwxz2456789]{8,10}-[bcdfghjklmnpqrstvwxz2456789]{5}\b")
_TRUSTME_SERIAL = re.compile(r"(Testing (?:CA|cert)) #[A-Za-z0-9_-]{8,}")
_IPV4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w.])")
_IPV6 = re.compile(r"\[[0-9a-fA-F:]+\]|(?<![\w:])(?:[0-9a-fA-F]{1,4}:){2,7}[0-9a-fA-F]{1,4}(?![\w:])")


def text(value: str, suffixes: tuple[str, ...] = ()) -> str:
    """``value`` with generated names and addresses replaced: the test's
    host suffixes (``shop-1a2b3.example.com`` -> ``shop.example.com`` for
    suffix ``1a2b3``), pod suffixes (``api-svc-7d9c6b5f4-x2x9k`` ->
    ``api-svc-*``), addresses (``<address>``), trustme serials."""
    out = value
    for s in suffixes:
        if s:
            out = re.sub(rf"([a-z0-9*])-{re.escape(s)}(?=\.)", r"\1", out)
    out = _POD_SUFFIX.sub(r"\1-*", out)
    out = _TRUSTME_SERIAL.sub(r"\1 #*", out)
    out = _IPV6.sub("<address>", out)
    return _IPV4.sub("<address>", out)


def stable(value: str) -> str:
    """For display in a report that must diff cleanly between runs: pod
    suffixes and serials only (addresses and host names stay as observed)."""
    return _TRUSTME_SERIAL.sub(r"\1 #*", _POD_SUFFIX.sub(r"\1-*", value))
