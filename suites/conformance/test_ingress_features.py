"""One test per scenario of the pinned archive's five Ingress features (SIG
Network's ingress-controller-conformance f91a799), on each Ingress controller
of the run. The scenarios are pytest-bdd's; the step definitions are in
``conftest.py``; each scenario's result is recorded as a conformance Case
(harness.pytest.conformance.py)."""

from __future__ import annotations

import re

from pytest_bdd.scenario import _get_scenario_decorator  # pinned pytest-bdd: scenarios that share a title

from harness.pytest.conformance import features


def _scenario(controller) -> None:
    """pytest-bdd runs the scenario's steps; asking for ``controller`` parametrises it over the Ingress controllers."""


for _feature in features():
    _stem = _feature.file.removesuffix(".feature")
    for _key, _template in _feature.templates:
        _slug = re.sub(r"[^a-z0-9]+", "_", _template.name.lower()).strip("_")[:60]
        globals()[f"test_{_stem}_{_template.line_number}_{_slug}"] = _get_scenario_decorator(
            feature=_feature.bdd, feature_name=_feature.file, templated_scenario=_template, scenario_name=_key
        )(_scenario)
