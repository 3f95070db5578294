"""The pytest plugin: options -> cluster -> addons -> per-test namespace ->
verdicts -> report.

Registered by the top-level ``conftest.py``; it loads its parts, one per
seam:

- ``harness.pytest.session``: options, preflight, the run's cluster (created once,
  shared by xdist workers) and its release at the end;
- ``harness.pytest.fixtures``: parametrisation over the selected controllers and
  the fixtures tests ask for (``kube``, ``cluster``, ``controller``, ``ns``,
  ``evidence``, ``run_ca``, ``timeouts``);
- ``harness.pytest.verdicts``: a test's outcome -> the verdict of its claim (a pure
  function, :func:`harness.pytest.verdicts.decide`), recorded per test;
- ``harness.pytest.reporting``: the claims report at the end of the run.

A test records its checks through its recorder (the ``evidence`` fixture,
:class:`harness.results.recorder.Recorder`); each claim it checks gets the
verdict of the checks that declare it (:mod:`harness.results.verdicts`): a
failed check of an object under test -> does not hold; a failure of the
harness's own scaffolding -> error (fails the run, never evidence against
the guide); ``not_checkable(reason)`` -> not checkable here.

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
from pathlib import Path

import pytest

from harness.options import Options
from harness.results.recorder import Recorder

pytest_plugins = [
    "harness.pytest.session",
    "harness.pytest.fixtures",
    "harness.pytest.verdicts",
    "harness.pytest.reporting",
    "harness.pytest.article",
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


EVIDENCE = pytest.StashKey[Recorder]()  # the test's recorder (the ``evidence`` fixture)


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


def safe(nodeid: str) -> str:
    """A test id as a file name (failure evidence goes to evidence/<safe id>/)."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", nodeid).strip("_")


def one_line(exc: BaseException) -> str:
    from kubernetes.client.rest import ApiException

    from harness.checks.kube import api_reason

    if isinstance(exc, ApiException):
        return f"Kubernetes API {api_reason(exc)}"
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


__all__ = ["not_checkable", "NOT_CHECKABLE"]
