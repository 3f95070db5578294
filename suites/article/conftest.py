"""Article mode: collected only when ``--article`` (env ARTICLE) names a
Markdown file; otherwise this directory contributes nothing to the run."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.pytest.article import article_path


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    if article_path(config) is None:
        return True
    return None
