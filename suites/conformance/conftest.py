"""SIG Network's Ingress controller conformance features on the Ingress
controllers of the run: collected only when ``--conformance`` (env
CONFORMANCE) names ``ingress``; otherwise this directory contributes nothing.

The step definitions are the harness's own: one per line of the grammar in
:mod:`harness.conformance.ingress` (the step text it matches and the typed
action it means); each runs the scenario's planned step on the controller
through :class:`harness.conformance.ingress_run.ScenarioRunner`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pytest_bdd import parsers, step

from harness.conformance import ingress
from harness.conformance.ingress_run import Envs, NotApplicable, ScenarioRunner
from harness.lab.addons import CONTROLLER_ADDONS
from harness.pytest.conformance import NOT_APPLICABLE, RUNNER, features, requested
from harness.pytest.plugin import run_id

SCENARIO = pytest.StashKey[ingress.ScenarioSpec]()
STEP = pytest.StashKey[tuple[int, str]]()


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    if "ingress" not in requested(config):
        return True
    return None


def pytest_bdd_apply_tag(tag: str, function: Any) -> bool:
    return True  # upstream's tags (@sig-network @conformance @release-1.19) are not marks of this project


def pytest_bdd_before_scenario(request: pytest.FixtureRequest, feature: Any, scenario: Any) -> None:
    example = request.getfixturevalue("_pytest_bdd_example")
    request.node.stash[SCENARIO] = ingress.find(features(), Path(feature.filename).name, scenario.line_number, example)


def pytest_bdd_before_step(request: pytest.FixtureRequest, step: Any, **_: Any) -> None:
    request.node.stash[STEP] = (step.line_number, step.name)


@pytest.fixture(scope="session")
def conformance_envs(kube, request: pytest.FixtureRequest):
    """This worker's set-up Env (one at a time), deleted at the end of the session."""
    envs = Envs(kube, run_id(request.config))
    yield envs
    envs.close()


@pytest.fixture
def conformance_scenario(request, controller, kube, timeouts, run_ca, evidence, conformance_envs) -> ScenarioRunner:
    # controllers of the same class in the cluster (a kept cluster may run more than this run's) write their
    # own address into the Ingress status too
    sharing = tuple(
        c
        for c, addon in CONTROLLER_ADDONS.items()
        if c != controller.name and addon.ingress_class == controller.ingress_class and addon.present(controller.ctx)
    )
    runner = ScenarioRunner(
        request.node.stash[SCENARIO],
        controller,
        kube,
        timeouts,
        run_ca,
        conformance_envs,
        evidence,
        shared_class_with=sharing,
    )
    request.node.stash[RUNNER] = runner
    return runner


def _run_step(conformance_scenario: ScenarioRunner, request: pytest.FixtureRequest) -> None:
    line, text = request.node.stash[STEP]
    try:
        conformance_scenario.run(line, text)
    except NotApplicable as exc:
        pytest.skip(f"{NOT_APPLICABLE}{exc}")


for _rule in ingress.GRAMMAR:  # a step definition per grammar line (pytest-bdd matches the text)
    step(parsers.re(_rule.pattern))(_run_step)
