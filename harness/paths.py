"""Where the harness's data are: the one answer to "where is manifests/?".

Two layouts, one set of names:

- **a checkout** (``make test``, ``make e2e``, ``pip install -e .``): the
  data sit beside the ``harness`` package, at the repository's root
  (``manifests/``, ``suites/``, ``conftest.py``, ``pyproject.toml`` with the
  pytest settings);
- **installed** from a wheel (``pip install .``, the ``exposure-harness``
  command): the build (``setup.py``) copies the same files into the package,
  ``harness/_data/``, laid out as in the checkout, so the suites run there
  exactly as they do in a checkout.

The package's own files (the claim catalog ``harness/claims.yaml``, the
mutants ``harness/mutants.yaml`` when present) are package data in both
layouts. Which layout is decided once, by whether ``harness/_data/`` exists
(it never does in a checkout: it is a build product). A zip-imported
install is not supported: pytest needs the suites as files.

What a run writes (relative ``--report-dir``, the state directory
``.harness``) goes to :func:`work_root`: the checkout's root, as it always
did, or, installed, the current directory (never into the installed
package).

This module imports nothing of the harness: every layer may use it.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
BUNDLED = PACKAGE / "_data"  # the installed layout's data (a build product; absent in a checkout)

INSTALLED = BUNDLED.is_dir()
# The checkout the package runs from, or None when installed.
CHECKOUT: Path | None = None if INSTALLED else PACKAGE.parent
# The root holding conftest.py, pyproject.toml (pytest settings), manifests/ and suites/.
DATA = BUNDLED if INSTALLED else PACKAGE.parent

MANIFESTS = DATA / "manifests"
SUITES = DATA / "suites"
ARTICLE_SUITE = SUITES / "article"
KNOWN_REFUTATIONS = SUITES / "known-refutations.yaml"
PYTEST_SETTINGS = DATA / "pyproject.toml"
CONFTEST = DATA / "conftest.py"
CATALOG = PACKAGE / "claims.yaml"
MUTANTS = PACKAGE / "mutants.yaml"

# What an installed harness needs of DATA (tests/test_install.py checks the wheel holds them).
REQUIRED = (CONFTEST, PYTEST_SETTINGS, MANIFESTS, ARTICLE_SUITE, KNOWN_REFUTATIONS, CATALOG)


def work_root() -> Path:
    """Where relative report directories and the state directory resolve:
    the checkout's root, or the current directory when installed."""
    return CHECKOUT if CHECKOUT is not None else Path.cwd()


def shared() -> Path | None:
    """The project's ``shared/`` directory beside a checkout (the guide's
    text, the pinned source archives); None when installed."""
    return CHECKOUT.parent / "shared" if CHECKOUT is not None else None


def missing() -> list[Path]:
    """Data the harness needs that are not where this layout says: an
    install built without them, or a checkout missing files."""
    return [p for p in REQUIRED if not p.exists()]
