"""Upstream sources no registry serves, as pinned archives.

Some upstream projects are not served by the Go module proxy at the versions
the harness needs (ingress-nginx v1.15.1, F5's NGINX Ingress Controller, the
OpenResty Lua modules). They are kept as ``git archive`` tarballs of their
tags in a sources directory: ``../shared/sources`` next to the checkout by
default, ``HARNESS_SOURCES`` (or ``make images SOURCES=...``) to choose
another. Each archive is pinned here by its sha256; an archive that is
missing or differs from its pin is refused with one line saying which.

Nothing of these sources is committed to this project: the image build and
the addons read them from the archive at build or run time.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tarfile
from dataclasses import dataclass
from pathlib import Path

from harness.lab.upstream import CACHE
from harness.results.errors import HarnessError

ROOT = Path(__file__).resolve().parents[2]


class SourceError(HarnessError):
    """A pinned source archive is missing or is not the pinned one."""


def sources_dir() -> Path:
    env = os.environ.get("HARNESS_SOURCES")
    return Path(env).resolve() if env else (ROOT.parent / "shared" / "sources").resolve()


@dataclass(frozen=True)
class Archive:
    """One pinned tarball: ``<name>-<tag>.tar.gz`` holding ``<name>-<tag>/``."""

    name: str
    tag: str
    sha256: str
    upstream: str  # where the tag lives, for messages and provenance

    @property
    def file(self) -> str:
        return f"{self.name}-{self.tag}.tar.gz"

    @property
    def top(self) -> str:
        return f"{self.name}-{self.tag}"

    def path(self, directory: Path | None = None) -> Path:
        return (directory or sources_dir()) / self.file

    def available(self, directory: Path | None = None) -> bool:
        return self.path(directory).is_file()

    def verified(self, directory: Path | None = None) -> Path:
        """The archive's path once its sha256 matches the pin."""
        path = self.path(directory)
        if not path.is_file():
            raise SourceError(
                f"source archive {self.file} ({self.upstream} {self.tag}) is missing from "
                f"{path.parent}; set HARNESS_SOURCES to the directory that holds it"
            )
        got = _sha256(path)
        if got != self.sha256:
            raise SourceError(
                f"source archive {path} has sha256 {got[:16]}..., not the pinned {self.sha256[:16]}...: "
                f"it is altered or not {self.upstream} {self.tag}"
            )
        return path

    def read(self, member: str, directory: Path | None = None) -> str:
        """Text of one file of the tree (``member`` relative to its top)."""
        with tarfile.open(self.verified(directory)) as tar:
            try:
                fh = tar.extractfile(f"{self.top}/{member}")
            except KeyError:
                fh = None
            if fh is None:
                raise SourceError(f"{member} is not in {self.file}")
            return fh.read().decode("utf-8")

    def extracted(self, directory: Path | None = None) -> Path:
        """The tree, extracted once into the harness cache (keyed by sha256)."""
        dest = CACHE / "src" / f"{self.top}-{self.sha256[:12]}"
        tree = dest / self.top
        if tree.is_dir():
            return tree
        archive = self.verified(directory)
        tmp = dest.with_name(dest.name + ".part")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        with tarfile.open(archive) as tar:
            tar.extractall(tmp, filter="data")
        if not (tmp / self.top).is_dir():
            shutil.rmtree(tmp, ignore_errors=True)
            raise SourceError(f"{self.file} does not hold a {self.top}/ tree")
        shutil.rmtree(dest, ignore_errors=True)
        tmp.replace(dest)
        return tree


_HASHES: dict[tuple[str, float, int], str] = {}


def _sha256(path: Path) -> str:
    st = path.stat()
    key = (str(path), st.st_mtime, st.st_size)
    if key not in _HASHES:
        h = hashlib.sha256()
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
        _HASHES[key] = h.hexdigest()
    return _HASHES[key]
