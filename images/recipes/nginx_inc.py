"""F5 NGINX Ingress Controller v5.5.4 from the pinned source archive, on
Debian trixie's nginx 1.26.3 with the njs and stream modules.

Upstream's Debian image installs nginx from nginx.org's own packages; trixie's
nginx is built with the same ``--with-compat`` dynamic modules, so the image
keeps upstream's layout: the controller at /nginx-ingress, its four templates
at /, ``/etc/nginx/njs`` from the tree, user and group nginx (101), and the
directories it writes owned by 101:0. Its main template loads njs but not
the stream module, which Debian builds as a dynamic module: the image build
adds that one ``load_module`` line after the njs one; nothing else changes.
"""

from __future__ import annotations

from pathlib import Path

from harness.lab.addons import nginx_inc

from . import recipe

SUITE = "trixie"
RUNTIME_PACKAGES = "nginx,libnginx-mod-http-js,libnginx-mod-stream,ca-certificates"
NJS_LINE = "load_module modules/ngx_http_js_module.so;"
STREAM_LINE = "load_module modules/ngx_stream_module.so;"
TEMPLATES = {  # image path -> tree path
    "nginx.tmpl": "internal/configs/version1/nginx.tmpl",
    "nginx.ingress.tmpl": "internal/configs/version1/nginx.ingress.tmpl",
    "nginx.virtualserver.tmpl": "internal/configs/version2/nginx.virtualserver.tmpl",
    "nginx.transportserver.tmpl": "internal/configs/version2/nginx.transportserver.tmpl",
}


def patched_main_template(text: str) -> str:
    lines = text.splitlines(keepends=True)
    hits = [i for i, line in enumerate(lines) if line.strip() == NJS_LINE]
    if len(hits) != 1:
        raise ValueError(f"nginx.tmpl has {len(hits)} lines {NJS_LINE!r}, expected one to load the stream module after")
    return "".join(lines[: hits[0] + 1] + [STREAM_LINE + "\n"] + lines[hits[0] + 1 :])


DOCKERFILE = """\
FROM {base}
COPY templates/ /
COPY njs/ /etc/nginx/njs/
COPY nginx-ingress /nginx-ingress
RUN set -e; \\
    groupadd --system --gid 101 nginx; \\
    useradd --system --gid nginx --no-create-home --home-dir /nonexistent --shell /bin/false --uid 101 nginx; \\
    rm -f /etc/nginx/sites-enabled/default /etc/nginx/modules-enabled/*.conf /etc/nginx/conf.d/*; \\
    mkdir -p /etc/nginx/secrets /etc/nginx/stream-conf.d /etc/nginx/conf.d \\
             /var/cache/nginx /var/lib/nginx /var/log/nginx; \\
    rm -f /var/log/nginx/*; \\
    ln -sf /dev/stdout /var/log/nginx/access.log; ln -sf /dev/stderr /var/log/nginx/error.log; \\
    chown -R 101:0 /etc/nginx /var/cache/nginx /var/lib/nginx /var/log/nginx /nginx-ingress /*.tmpl; \\
    chmod -R g=u /etc/nginx /var/cache/nginx /var/lib/nginx /var/log/nginx /*.tmpl; \\
    chmod 0755 /nginx-ingress; \\
    nginx -v
USER 101
EXPOSE 80 443
STOPSIGNAL SIGTERM
ENTRYPOINT ["/nginx-ingress"]
"""


@recipe(nginx_inc.IMAGE, key=RUNTIME_PACKAGES)
def nic_image(b, image: str) -> None:
    src = nginx_inc.SOURCE
    bins = b.go_source(src, "", ["./cmd/nginx-ingress=nginx-ingress"], ldflags="-X main.version=5.5.4")
    tree = src.extracted()
    files: dict[str, Path | bytes] = {f"templates/{name}": tree / path for name, path in TEMPLATES.items()}
    try:
        files["templates/nginx.tmpl"] = patched_main_template((tree / TEMPLATES["nginx.tmpl"]).read_text()).encode()
    except ValueError as exc:
        raise b.error(str(exc)) from None
    files["njs"] = tree / "internal/configs/njs"
    files["nginx-ingress"] = bins / "nginx-ingress"
    base = b.base_image("nginx-inc-runtime", RUNTIME_PACKAGES, SUITE)
    b.docker_build(image, DOCKERFILE.format(base=base), files)
