"""The wheel's one addition to pyproject.toml's declarative build: the
suites' data, copied into the package as ``harness/_data/`` laid out as in
the checkout (``conftest.py``, ``pyproject.toml`` for the pytest settings,
``manifests/``, ``suites/``), so an installed ``exposure-harness`` finds
them (:mod:`harness.paths`). An editable install (``make venv``) copies
nothing: it runs from the checkout, where the data already are."""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
DATA = ("conftest.py", "pyproject.toml", "manifests", "suites")
SKIP = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache")


class BuildWithData(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        target = Path(self.build_lib) / "harness" / "_data"
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        for name in DATA:
            src = HERE / name
            if not src.exists():
                raise SystemExit(f"setup.py: {src} is missing: build from a checkout or an sdist of it")
            if src.is_dir():
                shutil.copytree(src, target / name, ignore=SKIP)
            else:
                shutil.copy2(src, target / name)


setup(cmdclass={"build_py": BuildWithData})
