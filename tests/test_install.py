"""Installable: the wheel built from a copy of the checkout, installed with
pip (and every dependency) into a fresh venv outside the checkout, gives an
``exposure-harness`` command that works from any directory: its manifests,
catalog, suites and pytest settings are package data (harness/paths.py).

The build backend and the dependencies come from PyPI through a wheelhouse
in the harness's cache (downloaded once: tests/checkout.py), so the install
is pip's own, without waiting on the index."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from checkout import CHECKOUT, copy_checkout, fresh_venv, pip_offline, run, wheelhouse

ARTICLE = "ingress-nginx/docs/examples/rewrite/README.md"  # a real article of the corpus


def test_the_wheel_installed_outside_the_checkout_plans_diagnoses_and_runs_its_suites(tmp_path: Path):
    try:
        _installed_wheel(tmp_path)
    finally:
        shutil.rmtree(tmp_path / "venv", ignore_errors=True)  # ~400 MB of dependencies


def _installed_wheel(tmp_path: Path) -> None:
    src = copy_checkout(tmp_path / "src")
    offline = pip_offline(wheelhouse())
    wheel_cmd = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path / "dist"), str(src)]
    run(wheel_cmd, cwd=tmp_path, env=offline)
    (wheel,) = (tmp_path / "dist").glob("exposure_harness-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for want in (
        "harness/claims.yaml",
        "harness/paths.py",
        "harness/_data/conftest.py",
        "harness/_data/pyproject.toml",
        "harness/_data/manifests/guide/web-gateway-ingress.yaml",
        "harness/_data/manifests/article/echo-pods.yaml",
        "harness/_data/suites/article/test_article.py",
        "harness/_data/suites/known-refutations.yaml",
    ):
        assert want in names, f"{want} is not in {wheel.name}"
    assert not [n for n in names if n.startswith(("tests/", "images/", "bench/", "harness/_data/images"))]
    assert not [n for n in names if "__pycache__" in n]

    bin_ = fresh_venv(tmp_path / "venv")
    run([str(bin_ / "python"), "-m", "pip", "install", "-q", "--no-compile", str(wheel)], cwd=tmp_path, env=offline)
    elsewhere = tmp_path / "elsewhere"  # not the checkout, not the venv
    elsewhere.mkdir()
    where = run([str(bin_ / "python"), "-c", "import harness.paths as p; print(p.INSTALLED, p.DATA)"], cwd=elsewhere)
    installed, data = where.split()
    assert installed == "True" and Path(data).is_relative_to(tmp_path / "venv"), where

    # a corpus article and its include root, copied outside the checkout
    docs = tmp_path / "docs"
    shutil.copytree(CHECKOUT / "tests/data/articles/real/ingress-nginx", docs)
    article = docs / ARTICLE.split("/", 1)[1]
    plan = ["article", "--plan", str(article), "--include-root", str(docs), "--controllers=nginx,traefik"]
    out = run([str(bin_ / "exposure-harness"), *plan], cwd=elsewhere)
    assert out.startswith(f"plan of {article} ") and "snippet(s)" in out
    # the same plan as the checkout's harness gives: the installed package is the same harness
    assert out == run([sys.executable, "-m", "harness", *plan], cwd=elsewhere)
    as_json = run([str(bin_ / "exposure-harness"), *plan, "--json"], cwd=elsewhere)
    assert '"schema": "exposure-harness/article-plan/v1"' in as_json

    help_ = run([str(bin_ / "exposure-harness"), "diagnose", "--help"], cwd=elsewhere)
    assert help_.startswith("usage: ") and "KIND/NAME" in help_
    assert run([str(bin_ / "exposure-harness"), "--help"], cwd=elsewhere).startswith("usage: exposure-harness ")

    # the installed suites collect with the installed conftest and settings, the same cases as the
    # checkout's; nothing is written into the venv
    collect = ["article", str(article), "--controllers=traefik", "--workers=0", "--report-dir", "out", "--"]
    collect += ["--collect-only", "-q"]
    collected = run([str(bin_ / "exposure-harness"), *collect], cwd=elsewhere)
    cases = sorted(x.split("::", 1)[1] for x in collected.splitlines() if "test_article.py::" in x)
    assert cases and cases == sorted(
        x.split("::", 1)[1]
        for x in run([sys.executable, "-m", "harness", *collect], cwd=elsewhere).splitlines()
        if "test_article.py::" in x
    ), collected[-2000:]
    assert not list((tmp_path / "venv").rglob(".harness")) and not list((tmp_path / "venv").rglob("out"))

    # a package missing its data says so in one line (the check above can fail)
    shutil.rmtree(Path(data) / "manifests")
    r = subprocess.run(
        [str(bin_ / "exposure-harness"), *plan], cwd=elsewhere, capture_output=True, text=True, timeout=120
    )
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "data are missing" in r.stderr, r.stderr


def test_the_checkout_finds_its_data_beside_the_package():
    from harness import paths

    assert not paths.INSTALLED and paths.CHECKOUT == CHECKOUT and paths.DATA == CHECKOUT
    assert paths.missing() == [] and paths.work_root() == CHECKOUT
    assert paths.ARTICLE_SUITE == CHECKOUT / "suites" / "article" and paths.MANIFESTS == CHECKOUT / "manifests"
