"""Upstream files at pinned versions, fetched at run time, never committed.

Upstream manifests (MetalLB's native manifest, ingress-nginx's kind provider,
the Gateway API CRDs) are read out of the project's Go module zip served by
the Go module proxy. The proxy is reachable from online machines and from
this project's air-gapped CI alike, so one code path serves both, and the
zip is immutable for a version, so it is cached by module@version.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import zipfile
from pathlib import Path

import httpx
from filelock import FileLock

from harness.results.errors import HarnessError

CACHE = Path(os.environ.get("HARNESS_CACHE", Path.home() / ".cache" / "exposure-harness"))


class UpstreamError(HarnessError):
    pass


def _escape(module: str) -> str:
    """The Go proxy's case encoding: every upper-case letter becomes !lower."""
    return "".join(f"!{c.lower()}" if c.isupper() else c for c in module)


def proxy_url() -> str:
    for entry in os.environ.get("GOPROXY", "https://proxy.golang.org").split(","):
        entry = entry.strip()
        if entry.startswith("http"):
            return entry.rstrip("/")
    return "https://proxy.golang.org"


def _fetch(url: str, dest: Path, what: str) -> Path:
    """Download ``url`` to ``dest`` once; later calls use the cached file."""
    if dest.exists():
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(dest) + ".lock"):
        if dest.exists():
            return dest
        try:
            with httpx.Client(timeout=120, follow_redirects=True) as client:
                resp = client.get(url)
        except httpx.HTTPError as exc:
            raise UpstreamError(f"cannot fetch {what} from {url}: {exc}") from None
        if resp.status_code != 200:
            raise UpstreamError(f"cannot fetch {what}: {url} answered HTTP {resp.status_code}")
        tmp = dest.with_suffix(".part")
        tmp.write_bytes(resp.content)
        tmp.replace(dest)
    return dest


def module_zip(module: str, version: str) -> Path:
    """Path of the cached module zip, downloading it once."""
    dest = CACHE / "modules" / f"{_escape(module).replace('/', '_')}@{version}.zip"
    _fetch(f"{proxy_url()}/{_escape(module)}/@v/{version}.zip", dest, f"{module}@{version}")
    if not zipfile.is_zipfile(dest):
        dest.unlink()
        raise UpstreamError(f"the Go module proxy did not return a zip file for {module}@{version}")
    return dest


def url_text(url: str) -> str:
    """Text behind a pinned upstream URL (a tag in the path), cached by URL."""
    dest = CACHE / "files" / hashlib.sha256(url.encode()).hexdigest()[:20]
    return _fetch(url, dest, url).read_text(encoding="utf-8")


def module_file(module: str, version: str, path: str) -> str:
    """Text of ``path`` (relative to the module root) inside module@version."""
    with zipfile.ZipFile(module_zip(module, version)) as zf:
        name = f"{module}@{version}/{path}"
        try:
            return zf.read(name).decode("utf-8")
        except KeyError:
            raise UpstreamError(f"{path} is not in {module}@{version}") from None


def module_files(module: str, version: str, directory: str, suffix: str = ".yaml") -> dict[str, str]:
    """Every file under ``directory`` ending in ``suffix``, sorted by name."""
    prefix = f"{module}@{version}/{directory.rstrip('/')}/"
    out: dict[str, str] = {}
    with zipfile.ZipFile(module_zip(module, version)) as zf:
        for name in sorted(zf.namelist()):
            if name.startswith(prefix) and name.endswith(suffix):
                out[name[len(prefix) :]] = zf.read(name).decode("utf-8")
    if not out:
        raise UpstreamError(f"no {suffix} files under {directory} in {module}@{version}")
    return out


def module_tree(module: str, version: str, directory: str) -> Path:
    """``directory`` of module@version extracted once into the cache (for
    tools that read a tree, like helm reading a chart)."""
    dest = CACHE / "trees" / f"{_escape(module).replace('/', '_')}@{version}" / directory.strip("/")
    if dest.is_dir():
        return dest
    prefix = f"{module}@{version}/{directory.strip('/')}/"
    tmp = dest.with_name(dest.name + ".part")
    shutil.rmtree(tmp, ignore_errors=True)
    with zipfile.ZipFile(module_zip(module, version)) as zf:
        names = [n for n in zf.namelist() if n.startswith(prefix) and not n.endswith("/")]
        if not names:
            raise UpstreamError(f"{directory} is not in {module}@{version}")
        for name in names:
            target = tmp / name[len(prefix) :]
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(zf.read(name))
    shutil.rmtree(dest, ignore_errors=True)
    tmp.replace(dest)
    return dest
