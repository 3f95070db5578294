"""make images: every image the e2e needs, built on this machine from
packages (Debian, the Go module proxy, PyPI) and the pinned source archives
(``harness/sources.py``), under the names and tags the online manifests use.

The kind node image and what it carries come from :mod:`images.node`; each
addon image from its own recipe in :mod:`images.recipes`. Binaries are
cached in ``$HARNESS_CACHE/build``; image archives and ``index.json`` (image
reference -> archive) go to the images directory the harness reads with
``--images-dir``. Every step's wall time is recorded in ``timings.json`` for
``make bench``.

Run: ``python -m images [--out DIR] [--only STEP,...] [--sources DIR]`` (what `make images` does).
"""

from __future__ import annotations

import argparse
import functools
import inspect
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from harness.lab import cluster
from harness.lab.addons import ADDONS
from harness.lab.binaries import TOOLS
from harness.lab.upstream import CACHE

from .builder import DEFAULT_OUT, LABEL, Builder, BuildError, digest, docker_has, say
from .node import build_core_images, build_kind, build_node, k8s_binaries


def build_addon_images(b: Builder, only: set[str] | None) -> None:
    from .recipes import RECIPES

    for addon in ADDONS.values():
        if only and addon.name not in only:
            continue
        for image in addon.images():
            fn = RECIPES.get(image)
            if fn is None:
                raise BuildError(f"{addon.name}: {image} has no recipe in images/recipes/")
            step = f"{addon.name}:{image}"
            b.step(
                step,
                digest(image, fn.__name__, getattr(fn, "key", ""), Path(inspect.getsourcefile(fn) or "")),
                functools.partial(fn, b, image),
                images=[image],
            )
            if image not in b.index or not (b.out / b.index[image]).exists() or b.timings.get(step):
                b.save(image)


def remove(out: Path) -> int:
    """Delete every docker image a step recorded or that carries the build
    label (bases included), the archives and the cache."""
    images: set[str] = set()
    for stamp in (out / "stamps").glob("*.json"):
        try:
            images.update(json.loads(stamp.read_text()).get("images", []))
        except (OSError, ValueError):
            continue
    labelled = subprocess.run(
        ["docker", "images", "--filter", f"label={LABEL}", "--format", "{{.Repository}}:{{.Tag}}"],
        capture_output=True,
        text=True,
    ).stdout.split()
    images.update(i for i in labelled if not i.endswith(":<none>"))
    for image in sorted(images):
        if docker_has(image):
            subprocess.run(["docker", "rmi", "-f", image], capture_output=True)
            say(f"removed image {image}")
    subprocess.run(["docker", "image", "prune", "-f", "--filter", f"label={LABEL}"], capture_output=True)
    for d in (out, CACHE):
        shutil.rmtree(d, ignore_errors=True)
        say(f"removed {d}")
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="make images", description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"images directory (default {DEFAULT_OUT})")
    ap.add_argument("--only", default="", help="comma-separated: kind,node,addons or addon names")
    ap.add_argument(
        "--sources",
        type=Path,
        default=None,
        help="directory of the pinned source archives (default: ../shared/sources next to the "
        "checkout, or HARNESS_SOURCES)",
    )
    ap.add_argument("--remove", action="store_true", help="remove the built images and the whole build cache")
    args = ap.parse_args(argv)
    if args.remove:
        return remove(args.out.resolve())
    if args.sources is not None:
        if not args.sources.is_dir():
            print(f"make images: --sources {args.sources} is not a directory", file=sys.stderr)
            return 2
        os.environ["HARNESS_SOURCES"] = str(args.sources.resolve())
    only = {s.strip() for s in args.only.split(",") if s.strip()}
    unknown = only - {"kind", "node", "tools", "addons", *ADDONS}
    if unknown:
        print(
            f"make images: unknown --only {', '.join(sorted(unknown))}; choose from kind, node, tools, addons, "
            f"{', '.join(ADDONS)}",
            file=sys.stderr,
        )
        return 2
    try:
        cluster.check_docker()
    except cluster.ClusterError as exc:
        print(f"make images: {exc}", file=sys.stderr)
        return 2
    try:
        b = Builder(out=args.out.resolve())
    except BuildError as exc:
        print(f"make images: {exc}", file=sys.stderr)
        return 2
    started = time.monotonic()
    try:
        if not only or "kind" in only:
            build_kind(b)
        if not only or "node" in only:
            bins = k8s_binaries(b)
            core = build_core_images(b, bins)
            build_node(b, bins, core)
        if not only or "tools" in only:
            for tool in TOOLS:  # what the harness runs at run time (helm, ingress2gateway)
                b.step(
                    f"tool:{tool.name}",
                    digest(tool.name, tool.version, tool.module, tool.archive and tool.archive.sha256),
                    functools.partial(tool.ensure, say),
                    files=[tool.path],
                )
        addon_filter = only - {"kind", "node", "tools"} if only else None
        if not only or addon_filter:
            build_addon_images(b, None if not addon_filter or "addons" in addon_filter else addon_filter)
    except BuildError as exc:
        first, *rest = str(exc).splitlines() or ["build failed"]
        if rest:
            print("\n".join(f"    {line}" for line in rest), file=sys.stderr)
        print(f"make images: {first}", file=sys.stderr)
        return 1
    total = round(time.monotonic() - started, 1)
    b.record_timing("(whole run)", total)
    b.write_index()
    say(f"all images ready in {total:.0f}s; archives and index.json in {b.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
