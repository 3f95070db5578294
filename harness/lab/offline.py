"""Before anything is created: can this machine pull images? If not, use the
images ``make images`` builds (building them first when some are missing,
with its progress on the terminal), so ``make e2e`` works offline with no
other command.

The decision is one HTTPS HEAD request to a registry (registry.k8s.io's
``/v2/``, 3 s timeout) made only here, in the preflight; any answer at all
means online, any failure offline. ``HARNESS_REGISTRY=online`` or
``=offline`` skips the request.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import httpx

from harness.checks.probes import client_context
from harness.lab.cluster import ClusterError, log
from harness.lab.upstream import CACHE

PROBE_URL = "https://registry.k8s.io/v2/"
PROBE_TIMEOUT = 3.0
ENV = "HARNESS_REGISTRY"
IMAGES_DIR = CACHE / "images"  # where `make images` writes (images/builder.py DEFAULT_OUT)


def registry_reachable(url: str = PROBE_URL, timeout: float = PROBE_TIMEOUT, *, ca_pem: bytes | None = None) -> bool:
    """True when the registry answers anything over verified HTTPS (401
    included); False on any failure. ``ca_pem``: trust only this CA (tests)."""
    choice = os.environ.get(ENV, "").strip().lower()
    if choice in ("online", "offline"):
        return choice == "online"
    if choice:
        raise ClusterError(f"{ENV}={choice!r}: use online or offline (or leave it unset to probe {url})")
    try:
        verify: Any = client_context(ca_pem) if ca_pem is not None else True
        with httpx.Client(timeout=timeout, trust_env=False, verify=verify) as client:
            client.head(url)
        return True
    except (httpx.HTTPError, OSError):
        return False


def missing_images(images_dir: Path, wanted: Iterable[str], node_image: str) -> list[str]:
    """Images the run needs that are neither in ``images_dir``'s index nor (the node image) in Docker."""
    from harness.lab.addons import image_index

    index = image_index(images_dir)
    missing = [i for i in wanted if i not in index and f"docker.io/{i}" not in index]
    if subprocess.run(["docker", "image", "inspect", node_image], capture_output=True).returncode != 0:
        missing.insert(0, node_image)
    return missing


def build_images(images_dir: Path) -> None:
    """``make images`` in-process terms: ``python -m images --out DIR``, its
    progress streamed to the terminal."""
    log(f"building the images offline into {images_dir} (`make images`; cached steps are skipped)")
    root = Path(__file__).resolve().parents[2]
    rc = subprocess.run(
        [sys.executable, "-m", "images", "--out", str(images_dir)],
        cwd=root,
        stdout=sys.__stderr__,
        stderr=sys.__stderr__,
    ).returncode
    if rc != 0:
        raise ClusterError(f"`make images` failed (exit {rc}); its last lines above say why")


def offline_images(wanted: Iterable[str], node_image: str, images_dir: Path = IMAGES_DIR) -> Path:
    """The images directory an offline run uses, complete for ``wanted``."""
    wanted = list(wanted)
    missing = missing_images(images_dir, wanted, node_image)
    if missing:
        log(f"offline, and {len(missing)} image(s) not built yet: {', '.join(missing)}")
        build_images(images_dir)
        still = missing_images(images_dir, wanted, node_image)
        if still:
            raise ClusterError(f"offline and `make images` did not build: {', '.join(still)}")
    return images_dir
