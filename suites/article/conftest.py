"""Article mode: collected only when ``--article`` (env ARTICLE) names
articles; otherwise this directory contributes nothing to the run."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.article import batch
from harness.checks.kube import Kube
from harness.lab.addons import Context
from harness.lab.addons.metallb import NAMESPACE, POOL
from harness.pytest.article import article_paths, planned


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    if not article_paths(config):
        return True
    return None


@pytest.fixture(scope="session")
def articles(request: pytest.FixtureRequest, kube: Kube, addon_context: Context) -> list[batch.Article]:
    """The run's articles planned for this cluster: each with its slice of the
    addresses set aside for what articles request (below the cluster's own
    MetalLB pool), made requestable by one pool with ``autoAssign: false``
    (removed at the end of the run, harness/pytest/article.py)."""
    pools = kube.list("metallb.io/v1beta1", "IPAddressPool", namespace=NAMESPACE)
    own = next((p for p in pools if p["metadata"]["name"] == POOL), None)
    reserved = batch.reserved_range(list((own or {}).get("spec", {}).get("addresses") or []))
    found = planned(request.config, reserved)
    wanted = batch.requested_addresses(found)
    if wanted:
        kube.apply(batch.reserved_pool_objects(wanted))
    return found
