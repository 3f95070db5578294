"""The pytest plugin: options -> cluster -> addons -> per-test namespace ->
verdicts -> report.

Registered by the top-level ``conftest.py``; it loads its parts, one per
seam:

- ``harness.session``: options, preflight, the run's cluster (created once,
  shared by xdist workers) and its release at the end;
- ``harness.fixtures``: parametrisation over the selected controllers and
  the fixtures tests ask for (``kube``, ``cluster``, ``controller``, ``ns``,
  ``evidence``, ``run_ca``, ``timeouts``);
- ``harness.verdicts``: a test's outcome -> the verdict of its claim (a pure
  function, :func:`harness.verdicts.decide`), recorded per test;
- ``harness.reporting``: the claims report at the end of the run.

A test's outcome becomes the verdict of the claim it is marked with: passed
-> holds; failed on a check -> does not hold; ``not_checkable(reason)`` ->
not checkable here. A harness error (a manifest that does not apply, a
cluster that does not come up) is reported as not checkable *with that
reason* and fails the run.

Run-wide state lives in ``config.stash`` and per-test state in
``item.stash`` under the keys below, never in ad-hoc attributes.

Addons may provide ``rendered_config(ctx) -> dict[str, str]`` (file name ->
text: nginx.conf, Traefik's dynamic configuration...). When a test on that
controller fails, its result joins the namespace dump as ``rendered-<name>``
beside the controller logs; an addon without it is simply skipped.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from .options import Options

pytest_plugins = [
    "harness.session",
    "harness.fixtures",
    "harness.verdicts",
    "harness.reporting",
    "harness.article.pytest_plugin",
    "harness.conformance.pytest_plugin",
]

NOT_CHECKABLE = "not checkable here: "

# run-wide (config.stash)
OPTIONS = pytest.StashKey[Options]()
RUN_ID = pytest.StashKey[str]()
STARTED = pytest.StashKey[float]()
REPORT = pytest.StashKey[Path]()
# per test (item.stash)
CALL_REPORT = pytest.StashKey[pytest.TestReport]()


def not_checkable(reason: str) -> None:
    """End the test with the verdict "not checkable here" and its reason."""
    pytest.skip(NOT_CHECKABLE + reason)


class Evidence:
    """Probe transcripts and observations backing one test's verdict."""

    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []
        self.notes: list[str] = []
        self.observations: dict[str, str] = {}

    def add(self, label: str, data: Any) -> None:
        self.items.append({"label": label, "data": data})

    def note(self, text: str) -> None:
        """A finding worth printing beside the verdict (e.g. what path the backend saw)."""
        if text not in self.notes:
            self.notes.append(text)

    def observe(self, topic: str, value: str) -> None:
        """A behaviour seen, as data the report's findings compare across
        subjects (e.g. topic "path api-svc receives for /api/users", value
        "/"). Name the topic the same way on every subject."""
        self.observations[topic] = value

    @contextmanager
    def observing(self, topic: str) -> Iterator[None]:
        """A check whose failure is itself the observation for ``topic``
        ("check failed: status 400, wanted 200 from api-svc"); the failure
        still propagates."""
        try:
            yield
        except Exception as exc:
            text = one_line(exc)
            m = re.search(r"last seen: (?:[A-Z]+ \S+: )?(.*)$", text)
            self.observe(topic, f"check failed: {(m.group(1) if m else text).strip()}")
            raise


EVIDENCE = pytest.StashKey[Evidence]()


def options(config: pytest.Config) -> Options:
    return config.stash[OPTIONS]


def is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def run_id(config: pytest.Config) -> str:
    """The id shared by the controller process and every xdist worker of one run."""
    if is_worker(config):
        return str(config.workerinput["harness_run_id"])  # type: ignore[attr-defined]
    if RUN_ID not in config.stash:
        import uuid

        config.stash[RUN_ID] = uuid.uuid4().hex[:6]
    return config.stash[RUN_ID]


def elapsed(config: pytest.Config) -> float:
    return time.monotonic() - config.stash.get(STARTED, time.monotonic())


def one_line(exc: BaseException) -> str:
    from kubernetes.client.rest import ApiException

    from .kube import api_reason

    if isinstance(exc, ApiException):
        return f"Kubernetes API {api_reason(exc)}"
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


__all__ = ["not_checkable", "Evidence", "NOT_CHECKABLE"]
