"""ingress-nginx controller-v1.15.1 and its kube-webhook-certgen, built from
the pinned source archive on Debian trixie's nginx.

Upstream's controller image runs an OpenResty-patched nginx 1.27.1 built
from source. Debian trixie packages nginx 1.26.3 with the same Lua stack
(lua-nginx-module 0.10.28, lua-resty-core 0.1.31, lrucache 0.15, LuaJIT
2.1-20250117, NDK, headers-more, set-misc, stream, cjson); what it lacks comes
from pinned archives: stream-lua 0.0.16 (compiled here as a dynamic module
against trixie's nginx-dev with the installed nginx's own configure
arguments), lua-resty-balancer's C library, and the pure-Lua resty libraries.
Debian builds those modules as dynamic modules, so the controller's own
template gets the matching ``load_module`` lines at image build time; nothing
else of upstream's tree is changed.

The image keeps upstream's layout: the controller, ``dbg`` and
``wait-shutdown`` at /, ``/etc/nginx`` from the tree's rootfs, nginx at
/usr/bin/nginx (a link to Debian's /usr/sbin/nginx), user www-data as uid 101 gid 82, ``dumb-init`` as entrypoint,
and ``/usr/local/lib/libmimalloc.so`` for the manifest's LD_PRELOAD.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from harness.lab.addons import ingress_nginx
from harness.lab.sources import Archive

from . import recipe

SUITE = "trixie"
# compile stream-lua and librestychash against trixie's nginx
BUILD_PACKAGES = "nginx-dev,debhelper,build-essential,libluajit-5.1-dev,ca-certificates"
RUNTIME_PACKAGES = (
    "nginx,libnginx-mod-http-lua,libnginx-mod-http-ndk,libnginx-mod-http-headers-more-filter,"
    "libnginx-mod-http-set-misc,libnginx-mod-stream,lua-cjson,lua-resty-core,lua-resty-lrucache,"
    "dumb-init,diffutils,ca-certificates,libmimalloc3,procps"
)


def _source(name: str, tag: str, sha256: str, upstream: str) -> Archive:
    return Archive(name, tag, sha256, upstream)


STREAM_LUA = _source(
    "stream-lua-nginx-module",
    "v0.0.16",
    "1900aa2f8ce13f3aeb756ed13dfad423b510ace82d60b127628c11ecb8c11754",
    "github.com/openresty/stream-lua-nginx-module",
)
BALANCER = _source(
    "lua-resty-balancer",
    "v0.05",
    "8eb4d25e39cd174378ecd0f9ed0dc836e08f3f1db4522e130d873601c772d58f",
    "github.com/openresty/lua-resty-balancer",
)
LUA_LIBS = (
    BALANCER,
    _source(
        "lua-resty-lock",
        "v0.09",
        "671dcd3f6d5a78678b726677394d065926254c41f20e84d9f6037d98382392b4",
        "github.com/openresty/lua-resty-lock",
    ),
    _source(
        "lua-resty-http",
        "v0.17.2",
        "7ccdd06f3e0d8054509d5a057a45f34e3bf0741d1c2c9fde7405d2ca12c0e3e8",
        "github.com/ledgetech/lua-resty-http",
    ),
    _source(
        "lua-resty-string",
        "v0.16",
        "3a28100730bd697749a41ee0f198643e2475833a5bec9d333fdac1c4847fd5f5",
        "github.com/openresty/lua-resty-string",
    ),
    _source(
        "lua-resty-dns",
        "v0.23",
        "28d73dc4ea296cb6709134eacc6ba635f9cbd4e0b7ed8567ce6935497ca40c80",
        "github.com/openresty/lua-resty-dns",
    ),
    _source(
        "lua-resty-cookie",
        "f418d77",
        "6d10ae81928f4b683f85f557df358ac2bead9785d163d1b5ce2a6cb4d08fb68a",
        "github.com/cloudflare/lua-resty-cookie",
    ),
)
LUA_SOURCES = (STREAM_LUA, *LUA_LIBS)
COMMIT = "0a5901f3c64f11e92e487799b8da3f00cca37515"  # controller-v1.15.1, as SOURCES.tsv records it
MODULES = "/usr/lib/nginx/modules"
# Debian's modules are dynamic: load them where upstream's static build needs nothing
LOAD_MODULES = [
    f"load_module {MODULES}/{m}.so;"
    for m in (
        "ndk_http_module",
        "ngx_http_lua_module",
        "ngx_http_headers_more_filter_module",
        "ngx_http_set_misc_module",
        "ngx_stream_module",
        "ngx_stream_lua_module",
    )
]
TEMPLATE_ANCHOR = "pid {{ .PID }};"

# Runs in a container of the build image: /src holds the extracted archives, /out receives the results.
COMPILE = """\
set -euo pipefail
w=$(mktemp -d)
cp -a /usr/share/nginx/src "$w/nginx"            # nginx-dev: trixie's configurable nginx tree
cp -a /src/stream-lua "$w/stream-lua"             # its configure writes into its own tree
cd "$w/nginx"
# the installed nginx's own configure arguments (--with-compat, --with-stream=dynamic, same flags):
# the module's signature and structure layout then match the nginx that loads it
args=$(nginx -V 2>&1 | sed -n 's/^configure arguments: //p')
export LUAJIT_INC=/usr/include/luajit-2.1 LUAJIT_LIB=/usr/lib/x86_64-linux-gnu
eval ./configure $args --add-dynamic-module="$w/stream-lua" > "$w/configure.log" 2>&1 \\
  || { tail -n 30 "$w/configure.log"; exit 1; }
make -j"$(nproc)" -f objs/Makefile objs/ngx_stream_lua_module.so > "$w/make.log" 2>&1 \\
  || { tail -n 30 "$w/make.log"; exit 1; }
strip --strip-unneeded objs/ngx_stream_lua_module.so
install -m0644 objs/ngx_stream_lua_module.so /out/
cp -a /src/lua-resty-balancer "$w/balancer"
make -C "$w/balancer" > "$w/balancer.log" 2>&1 || { tail -n 30 "$w/balancer.log"; exit 1; }
strip --strip-unneeded "$w/balancer/librestychash.so"
install -m0644 "$w/balancer/librestychash.so" /out/
chown -R "$OWNER" /out
"""


def native_modules(b) -> Path:
    """ngx_stream_lua_module.so and librestychash.so, compiled once per pin set."""
    from images.builder import digest

    out = b.cache / "ingress-nginx-native" / digest(BUILD_PACKAGES, STREAM_LUA.sha256, BALANCER.sha256, COMPILE)
    wanted = [out / "ngx_stream_lua_module.so", out / "librestychash.so"]
    if all(f.exists() for f in wanted):
        return out
    base = b.base_image("nginx-build", BUILD_PACKAGES, SUITE)
    tmp = out.with_name(out.name + ".part")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    b.run(
        [
            "docker",
            "run",
            "--rm",
            "--network",
            "none",
            "-e",
            "OWNER=0:0",
            "-v",
            f"{STREAM_LUA.extracted()}:/src/stream-lua:ro",
            "-v",
            f"{BALANCER.extracted()}:/src/lua-resty-balancer:ro",
            "-v",
            f"{tmp}:/out",
            base,
            "bash",
            "-c",
            COMPILE,
        ]
    )
    tmp.replace(out)
    return out


def lua_tree(b) -> Path:
    """The pure-Lua libraries' ``lib/`` trees (resty/...) merged into one directory."""
    from images.builder import digest

    out = b.cache / "ingress-nginx-lua" / digest([lib.sha256 for lib in LUA_LIBS])
    if out.is_dir():
        return out
    tmp = out.with_name(out.name + ".part")
    shutil.rmtree(tmp, ignore_errors=True)
    for lib in LUA_LIBS:
        root = lib.extracted() / "lib"
        for f in root.rglob("*.lua"):
            dest = tmp / f.relative_to(root)
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(f, dest)
    tmp.replace(out)
    return out


def patched_template(text: str) -> str:
    if TEMPLATE_ANCHOR not in text.splitlines():
        raise ValueError(f"nginx.tmpl has no line {TEMPLATE_ANCHOR!r} to load Debian's modules after")
    block = "\n# Debian trixie's nginx builds these modules as dynamic ones (added by the image build)\n"
    return text.replace(TEMPLATE_ANCHOR + "\n", TEMPLATE_ANCHOR + "\n" + block + "\n".join(LOAD_MODULES) + "\n", 1)


CONTROLLER_DOCKERFILE = """\
FROM {base}
COPY etc-nginx/ /etc/nginx/
COPY lua/ /usr/local/share/lua/5.1/
COPY librestychash.so /usr/local/lib/lua/5.1/librestychash.so
COPY ngx_stream_lua_module.so {modules}/ngx_stream_lua_module.so
COPY nginx-ingress-controller dbg wait-shutdown /
RUN set -e; \\
    sed -i 's/^www-data:x:33:33:/www-data:x:101:82:/' /etc/passwd; \\
    sed -i 's/^www-data:x:33:/www-data:x:82:/' /etc/group; \\
    rm -rf /etc/nginx/sites-enabled /etc/nginx/sites-available /etc/nginx/modules-enabled \\
           /etc/nginx/modules-available /etc/nginx/conf.d /etc/nginx/snippets /etc/nginx/lua/test; \\
    ln -sfn {modules} /etc/nginx/modules; \\
    ln -sf /usr/sbin/nginx /usr/bin/nginx; \\
    ln -sf /usr/lib/x86_64-linux-gnu/libmimalloc.so.3 /usr/local/lib/libmimalloc.so; \\
    for d in /etc/ingress-controller /etc/ingress-controller/ssl /etc/ingress-controller/auth \\
             /etc/ingress-controller/geoip /etc/ingress-controller/telemetry /var/log/nginx /tmp/nginx \\
             /var/lib/nginx/body /var/lib/nginx/fastcgi /var/lib/nginx/proxy \\
             /var/lib/nginx/scgi /var/lib/nginx/uwsgi; do \\
      mkdir -p "$d"; done; \\
    chown -R 101:82 /etc/ingress-controller /var/log/nginx /tmp/nginx /var/lib/nginx /etc/nginx \\
                    /nginx-ingress-controller /dbg /wait-shutdown; \\
    chmod 0755 /nginx-ingress-controller /dbg /wait-shutdown; \\
    ln -sf /dev/stdout /var/log/nginx/access.log; ln -sf /dev/stderr /var/log/nginx/error.log; \\
    nginx -V 2>&1 | head -n 1
WORKDIR /etc/nginx
USER 101:82
ENTRYPOINT ["/usr/bin/dumb-init", "--"]
CMD ["/nginx-ingress-controller"]
"""


@recipe(ingress_nginx.CONTROLLER_IMAGE, key=(RUNTIME_PACKAGES, BUILD_PACKAGES, [a.sha256 for a in LUA_SOURCES]))
def controller_image(b, image: str) -> None:
    src = ingress_nginx.SOURCE
    pkg = "k8s.io/ingress-nginx/version"
    bins = b.go_source(
        src,
        "",
        ["./cmd/nginx=nginx-ingress-controller", "./cmd/dbg=dbg", "./cmd/waitshutdown=wait-shutdown"],
        ldflags=f"-X {pkg}.RELEASE=v1.15.1 -X {pkg}.COMMIT={COMMIT} "
        f"-X {pkg}.REPO=https://github.com/kubernetes/ingress-nginx",
    )
    native = native_modules(b)
    base = b.base_image("ingress-nginx-runtime", RUNTIME_PACKAGES, SUITE)
    tree = src.extracted()
    template = tree / "rootfs/etc/nginx/template/nginx.tmpl"
    try:
        patched = patched_template(template.read_text())
    except ValueError as exc:
        raise b.error(str(exc)) from None
    files: dict[str, Path | bytes] = {
        "etc-nginx": tree / "rootfs/etc/nginx",
        "etc-nginx/template/nginx.tmpl": patched.encode(),
        "librestychash.so": native / "librestychash.so",
        "ngx_stream_lua_module.so": native / "ngx_stream_lua_module.so",
        **{n: bins / n for n in ("nginx-ingress-controller", "dbg", "wait-shutdown")},
    }
    files["lua"] = lua_tree(b)
    b.docker_build(image, CONTROLLER_DOCKERFILE.format(base=base, modules=MODULES), files)


@recipe(ingress_nginx.CERTGEN_IMAGE)
def certgen_image(b, image: str) -> None:
    """kube-webhook-certgen v1.6.9 from the same archive, on scratch like upstream's distroless static."""
    d = b.go_source(ingress_nginx.SOURCE, "images/kube-webhook-certgen/rootfs", [".=kube-webhook-certgen"])
    b.docker_build(
        image,
        "FROM scratch\nCOPY kube-webhook-certgen /kube-webhook-certgen\nUSER 65532:65532\n"
        'ENTRYPOINT ["/kube-webhook-certgen"]\n',
        {"kube-webhook-certgen": d / "kube-webhook-certgen"},
    )
