"""The harness's checkout as a docs team gets it: a copy of its files (what
git tracks, and what it would track), outside this working tree, so that
building or installing it leaves nothing in the checkout and reads nothing
the repository does not hold."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

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


def fresh_venv(path: Path) -> Path:
    """A new venv of this Python, with nothing of the checkout in it: its bin/."""
    run([sys.executable, "-m", "venv", str(path)], cwd=path.parent)
    return path / "bin"
