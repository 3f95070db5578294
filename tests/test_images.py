"""The offline image build's bookkeeping: pinned source archives are
verified (missing or altered ones refused in one line), and every image an
addon needs has exactly one recipe. Real tarballs and files, no docker."""

from __future__ import annotations

import io
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from harness.lab.addons import ADDONS
from harness.lab.sources import Archive, SourceError, _sha256
from harness.options import ROOT
from images.recipes import RECIPES


def make_archive(directory: Path, name: str, tag: str, files: dict[str, str]) -> Archive:
    path = directory / f"{name}-{tag}.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        for member, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(f"{name}-{tag}/{member}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return Archive(name, tag, _sha256(path), f"example.com/{name}")


def test_a_pinned_archive_is_read(tmp_path):
    archive = make_archive(
        tmp_path, "demo", "v1.0.0", {"deploy/app.yaml": "kind: Demo\n", "src/main.go": "package main\n"}
    )
    assert archive.read("deploy/app.yaml", tmp_path) == "kind: Demo\n"
    with pytest.raises(SourceError, match="nope.yaml is not in demo-v1.0.0.tar.gz"):
        archive.read("nope.yaml", tmp_path)


def test_a_missing_archive_is_one_line_naming_it(tmp_path):
    archive = Archive("absent", "v2", "0" * 64, "example.com/absent")
    with pytest.raises(SourceError) as info:
        archive.verified(tmp_path)
    msg = str(info.value)
    assert "\n" not in msg
    assert msg.startswith(f"source archive absent-v2.tar.gz (example.com/absent v2) is missing from {tmp_path}")


def test_an_altered_archive_is_refused(tmp_path):
    good = make_archive(tmp_path, "demo", "v1.0.0", {"a.txt": "original\n"})
    make_archive(tmp_path, "demo", "v1.0.0", {"a.txt": "tampered\n"})  # same name, other content
    with pytest.raises(SourceError, match="is altered or not example.com/demo v1.0.0"):
        good.verified(tmp_path)


def test_the_project_pins_match_the_shared_archives():
    """The pins in the project are the sha256 SOURCES.tsv publishes (when the
    shared sources are next to this checkout)."""
    tsv = ROOT.parent / "shared" / "sources" / "SOURCES.tsv"
    if not tsv.exists():
        pytest.skip("no shared sources next to this checkout")
    published = {}
    for line in tsv.read_text().splitlines()[1:]:
        name, ref, _up, _commit, sha, *_ = line.split("\t")
        published[f"{name}-{ref}"] = sha
    from harness.lab.addons import ingress_nginx, nginx_inc
    from images.recipes.ingress_nginx import LUA_SOURCES

    pinned = [ingress_nginx.SOURCE, nginx_inc.SOURCE, *LUA_SOURCES]
    for archive in pinned:
        assert published.get(archive.top) == archive.sha256, f"{archive.top}: pin differs from SOURCES.tsv"
        assert archive.verified()  # and the file itself matches


def test_every_addon_image_has_a_recipe():
    needed = {image for addon in ADDONS.values() for image in addon.images()}
    assert needed - set(RECIPES) == set()


def test_make_images_rejects_an_unknown_step_in_one_line():
    res = subprocess.run(
        [sys.executable, "-m", "images", "--only", "nosuchaddon"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert res.returncode == 2
    assert res.stderr.strip().splitlines()[-1].startswith("make images: unknown --only nosuchaddon; choose from")


def _shared(archive: Archive) -> Archive:
    if not archive.available():
        pytest.skip("no shared sources next to this checkout")
    return archive


def test_ingress_nginx_template_gets_debians_dynamic_modules_once():
    """The controller's own template, from the pinned archive, loads the six
    modules Debian builds as dynamic ones right after its pid line, and is
    otherwise unchanged."""
    from harness.lab.addons import ingress_nginx
    from images.recipes.ingress_nginx import LOAD_MODULES, patched_template

    original = _shared(ingress_nginx.SOURCE).read("rootfs/etc/nginx/template/nginx.tmpl")
    patched = patched_template(original)
    lines = patched.splitlines()
    start = lines.index("pid {{ .PID }};") + 1
    block = lines[start : start + 2 + len(LOAD_MODULES)]
    assert block[2:] == LOAD_MODULES
    assert lines[:start] + lines[start + len(block) :] == original.splitlines()  # nothing else changed
    with pytest.raises(ValueError, match="no line 'pid"):
        patched_template(original.replace("pid {{ .PID }};", "pid /run/nginx.pid;"))


def test_nic_template_loads_the_stream_module_after_njs():
    from harness.lab.addons import nginx_inc
    from images.recipes.nginx_inc import NJS_LINE, STREAM_LINE, patched_main_template

    original = _shared(nginx_inc.SOURCE).read("internal/configs/version1/nginx.tmpl")
    patched = patched_main_template(original).splitlines()
    assert patched[patched.index(NJS_LINE) + 1] == STREAM_LINE
    assert len(patched) == len(original.splitlines()) + 1
    with pytest.raises(ValueError, match="0 lines"):
        patched_main_template(original.replace(NJS_LINE, ""))
