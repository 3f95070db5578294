"""The harness's checkout as a docs team gets it: a copy of its files (what
git tracks, and what it would track), outside this working tree, so that
building or installing it leaves nothing in the checkout and reads nothing
the repository does not hold."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

from filelock import FileLock

from harness.lab.upstream import CACHE

CHECKOUT = Path(__file__).resolve().parent.parent
GIT_ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.com",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.com",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}


def copy_checkout(dest: Path) -> Path:
    out = subprocess.run(
        ["git", "-C", str(CHECKOUT), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, out.split("\0")):
        src = CHECKOUT / name
        if not src.is_file():
            continue  # deleted in the working tree
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dest / name)
    return dest


def run(cmd: list[str], *, cwd: Path, timeout: float = 900, env: dict[str, str] | None = None) -> str:
    r = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout, env={**os.environ, **(env or {})})
    assert r.returncode == 0, f"{' '.join(cmd)}: exit {r.returncode}\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}"
    return r.stdout


def requirements() -> list[str]:
    """What installing the harness fetches: its dependencies and its pinned build backend."""
    meta = tomllib.loads((CHECKOUT / "pyproject.toml").read_text())
    return sorted([*meta["project"]["dependencies"], *meta["build-system"]["requires"]])


def wheelhouse() -> Path:
    """The dependencies' wheels (and the build backend's), downloaded from
    PyPI once per set of requirements into the harness's cache, so that the
    installs of make test are pip's real installs without waiting on the
    index: ``pip_offline(wheelhouse())`` as their environment."""
    reqs = requirements()
    key = hashlib.sha256("\n".join(reqs).encode()).hexdigest()[:16]
    home = CACHE / "wheelhouse"
    home.mkdir(parents=True, exist_ok=True)
    done = home / key
    with FileLock(str(home / f"{key}.lock")):
        if not done.is_dir():
            partial = home / f".{key}.partial"
            shutil.rmtree(partial, ignore_errors=True)
            run([sys.executable, "-m", "pip", "download", "-q", "-d", str(partial), *reqs], cwd=home)
            partial.rename(done)
    return done


def pip_offline(wheels: Path) -> dict[str, str]:
    return {"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(wheels), "PIP_DISABLE_PIP_VERSION_CHECK": "1"}


def fresh_venv(path: Path) -> Path:
    """A new venv of this Python, with nothing of the checkout in it: its bin/."""
    run([sys.executable, "-m", "venv", str(path)], cwd=path.parent)
    return path / "bin"
